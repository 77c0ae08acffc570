"""Measure a pretrained text-line recogniser on our own row strips: PP-OCRv4's recognition model
as RapidOCR ships it (the `bench` extra), run on the rows of the screen psod-ocr rectified and cut,
not on RapidOCR's own text detection; the glyph model's and the whole reader's readings of the
same rows beside it.

Why: issue 27 asked whether such a model, feeding the cluster vote, names cells better than a
per-cell model of our own. This prints, per capture kind, the character error rate of each
reader on the rows (spaces left out: the line model drops most of them, and a grid knows where
they are), and the line model's seconds per row on one thread.

    python scripts/probe_line_reader.py [--n 3] [--variants kvm_native,kvm_viewer]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from external import FOLDER, external_entries  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from psod_ocr.binarise import binarise  # noqa: E402
from psod_ocr.load import load_image  # noqa: E402
from psod_ocr.locate import find_screen  # noqa: E402
from psod_ocr.pipeline import scan_image  # noqa: E402
from psod_ocr.rectify import rectify  # noqa: E402


def line_model():
    """PP-OCRv4 recognition on one thread, as RapidOCR's wheel ships it."""
    import rapidocr_onnxruntime
    from rapidocr_onnxruntime.ch_ppocr_rec.text_recognize import TextRecognizer
    from rapidocr_onnxruntime.utils import read_yaml

    root = Path(rapidocr_onnxruntime.__file__).parent
    config = read_yaml(str(root / "config.yaml"))["Rec"]
    config.update(model_path=str(root / config["model_path"]), intra_op_num_threads=1, inter_op_num_threads=1)
    return TextRecognizer(config)


def squeeze(text: str) -> str:
    return "".join(text.split())


def cer(found: list[str], truth: list[str]) -> float:
    a, b = squeeze("".join(found)), squeeze("".join(truth))
    return Levenshtein.distance(a, b) / max(1, len(b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3, help="captures of each variant")
    parser.add_argument("--variants", default="kvm_native,kvm_viewer")
    args = parser.parse_args()
    rec = line_model()
    for variant in args.variants.split(","):
        entries = [e for e in external_entries() if e["variant"] == variant][: args.n]
        line_cer, ours_cer, per_row = [], [], []
        for entry in entries:
            image = load_image(FOLDER / entry["image"])
            flat = rectify(image.rgb, find_screen(image.rgb).corners)
            grid = binarise(flat.rgb).grid
            rows = entry["rows"]
            strips, truth = [], []
            for r, row in enumerate(rows[: grid.rows]):
                if not row.strip():
                    continue
                top = round(grid.top + r * grid.row_pitch)
                strips.append(flat.rgb[max(0, top) : round(top + grid.row_pitch)])
                truth.append(row)
            start = time.perf_counter()
            found, _ = rec(strips)
            per_row.append((time.perf_counter() - start) / max(1, len(strips)))
            line_cer.append(cer([text for text, _ in found], truth))
            ours = scan_image(FOLDER / entry["image"]).ocr.raw_text.split("\n")
            ours_cer.append(cer(ours, truth))
            print(f"  {entry['image']}: line model CER {line_cer[-1]:.3f} ({per_row[-1]:.2f} s a row), "
                  f"psod-ocr {ours_cer[-1]:.3f}", flush=True)
        print(f"{variant}: {len(entries)} captures; CER without spaces, median: line model "
              f"{statistics.median(line_cer):.3f}, psod-ocr {statistics.median(ours_cer):.3f}; "
              f"line model {statistics.median(per_row):.2f} s a row on one thread")


if __name__ == "__main__":
    main()
