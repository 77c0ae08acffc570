"""Measure the glyph model on the reader's own cells: simulated captures read end to end, each
glyph cluster the reader formed named by the model (its cells' mean probabilities) and by the
template bank's vote, both against the truth.

Why: scripts/train_glyphs.py measures the model on cells its own generator cut; this measures it
on the clusters cells.py really forms from the simulator's captures (another renderer, the
reader's own grid, clustering and without_bleed), before the model has any say in the reading.
It watches cells.cut_cells and cells.match_fonts while a capture is read and changes nothing.

    python scripts/probe_glyph_model.py [--fonts Lat15-Fixed16,grcourier] [--texts 4]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psod_ocr.recognise.cells as cells  # noqa: E402
from psod_ocr.pipeline import scan_image  # noqa: E402
from psod_ocr.recognise.model import LABELS, glyph_probabilities  # noqa: E402
from psod_ocr.simulate import simulate  # noqa: E402

CAPTURES = (("kvm_screenshot", "mild"), ("phone_photo", "mild"), ("phone_photo", "hard"))
SHIFTS = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]  # the grid's rows and columns vs the screen's


class Watch:
    """What the reader cut and matched while reading one capture."""

    def __init__(self) -> None:
        self.cuts: list = []
        self.matches: list = []
        self._cut, self._match = cells.cut_cells, cells.match_fonts
        cells.cut_cells, cells.match_fonts = self.cut, self.match

    def cut(self, *args, **kwargs):
        found = self._cut(*args, **kwargs)
        self.cuts.append(found)
        return found

    def match(self, patches, labels, *args, **kwargs):
        found = self._match(patches, labels, *args, **kwargs)
        self.matches.append((patches.copy(), labels.copy(), found))
        return found

    def last(self):
        """(patches, cluster labels, CutCells) of the cut the reader kept, or None."""
        cut = next((c for c in reversed(self.cuts) if c is not None), None)
        if cut is None:
            return None
        return next(((p, lab, cut) for p, lab, f in self.matches if f is cut.fonts), None)


def names(patches: np.ndarray, labels: np.ndarray, cut) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: its cluster's name by the model and by the template bank's vote ('?' for none)."""
    probs = glyph_probabilities(cells.without_bleed(patches))
    n = int(labels.max()) + 1
    model = np.array([LABELS[int(probs[labels == k].mean(axis=0).argmax())] for k in range(n)])
    templates = np.array([max(v, key=v.get) if v else "?" for v in cut.fonts.votes])
    return model[labels], templates[labels]


def truth(rows: list[str], where: list[tuple[int, int]], shift: tuple[int, int]) -> np.ndarray:
    out = []
    for r, c in where:
        rr, cc = r + shift[0], c + shift[1]
        out.append(rows[rr][cc] if 0 <= rr < len(rows) and 0 <= cc < len(rows[rr]) else " ")
    return np.array(out)


def aligned(rows: list[str], where: list[tuple[int, int]], *named: np.ndarray) -> np.ndarray:
    """The truth at each cell, the grid taken a row or column off the screen's where the readers
    agree with it best that way."""

    def agree(shift: tuple[int, int]) -> int:
        true = truth(rows, where, shift)
        return int(np.logical_or.reduce([n == true for n in named]).sum())

    return truth(rows, where, max(SHIFTS, key=agree))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fonts", default="Lat15-Fixed16,grcourier,esxi-like,Lat15-VGA16")
    parser.add_argument("--texts", type=int, default=4, help="corpus texts per font")
    args = parser.parse_args()
    watch = Watch()
    texts = sorted((ROOT / "corpus" / "texts").glob("*.txt"))[: args.texts]
    totals: Counter = Counter()
    wrong = {"model": Counter(), "templates": Counter()}
    for font in args.fonts.split(","):
        for i, path in enumerate(texts):
            for kind, severity in CAPTURES:
                sim = simulate(path.read_text("utf-8"), kind, seed=100 + i, font=font, severity=severity)
                watch.cuts.clear()
                watch.matches.clear()
                scan_image(sim.capture.image_bytes)
                found = watch.last()
                if found is None:
                    continue
                patches, labels, cut = found
                model, templates = names(patches, labels, cut)
                true = aligned(sim.screen.rows, list(cut.index), model, templates)
                glyph = true != " "
                key = f"{font} | {kind} {severity}"
                totals[key, "cells"] += int(glyph.sum())
                line = f"{key} {path.stem}: {int(glyph.sum())} cells"
                for who, named in (("model", model), ("templates", templates)):
                    right = (named == true)[glyph]
                    totals[key, who] += int(right.sum())
                    wrong[who].update(zip(true[glyph][~right], named[glyph][~right], strict=True))
                    line += f", {who} {right.mean():.3f}"
                print(line, flush=True)
    print("\n| font, capture | cells | model | template vote |\n|---|---|---|---|")
    for key in sorted({k for k, _ in totals}):
        n = totals[key, "cells"]
        print(f"| {key} | {n} | {totals[key, 'model'] / n:.3f} | {totals[key, 'templates'] / n:.3f} |")
    for who, pairs in wrong.items():
        print(f"\n{who}, true -> named: " + ", ".join(f"{a}->{b} {n}" for (a, b), n in pairs.most_common(20)))


if __name__ == "__main__":
    main()
