"""Train the learned glyph namer (psod_ocr/recognise/model.py) on generated cells only.

Why: the template bank names a screen's cells well only when the screen's font is installed;
ESXi's own console font is not, and its O, f, A, 8, I/l and h come out as other characters. A
network that has seen many fonts through every kind of wear a capture has learns what a
character looks like, not what one font draws.

What: every usable monospace font Debian installs (psod_ocr/simulate/glyph_fonts.py) is drawn a
block of cells at a time and worn as captures are (psod_ocr/simulate/glyph_cells.py: scaled
0.6-2.5x by nearest, bilinear, bicubic or area; cut off up to a third of a cell; JPEG 30-95;
defocus and shake; LCD moiré; glare; noise; dim and bright), then cut into cells by the reader's
own code. Whole font families (glyph_fonts.HELD_OUT) never enter training, nor any font whose
glyphs are close kin of theirs; accuracy is reported on them family by family, beside the
trained fonts' and the template bank's on the very same cells.

Reproducible: one seed fixes the fonts' order, every block's characters and wear, the weights'
start and the batches; torch runs single-threaded with deterministic algorithms, so the same
machine writes the same bytes every run.

Run (about half an hour on one core):
    pip install -e '.[train]'
    python scripts/train_glyphs.py [--out psod_ocr/data/glyph_model.npz] [--report report.md]

Debian font packages read at training time only (the model file is all the reader needs):
    console-setup-linux console-data fonts-terminus xfonts-base xfonts-75dpi xfonts-100dpi
    xfonts-terminus xfonts-jmk unifont fonts-dejavu-core fonts-liberation2 fonts-noto-mono
    fonts-hack fonts-inconsolata fonts-firacode fonts-jetbrains-mono fonts-go fonts-freefont-ttf
    fonts-croscore fonts-mononoki fonts-spleen fonts-proggy fonts-tlwg-mono fonts-league-mono
    fonts-courier-prime
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from psod_ocr.fonts import ConsoleFont  # noqa: E402
from psod_ocr.recognise import glyphs  # noqa: E402
from psod_ocr.recognise.cells import CELL_H, CELL_W  # noqa: E402
from psod_ocr.recognise.model import glyph_probabilities, read_net  # noqa: E402
from psod_ocr.simulate.glyph_cells import DEGRADATIONS, LABELS, draw_wear, labelled_cells  # noqa: E402
from psod_ocr.simulate.glyph_fonts import ALPHABET, HELD_OUT, all_fonts, family_of  # noqa: E402

SEED = 27
KIN = 0.95  # a font this alike a held-out one (mean glyph similarity) is kept out of training too
GROUP = 0.9  # fonts this alike are one group; blocks pick a group, then a font of it
LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)  # severities measured
CLUSTER_LEVELS = (0.5, 1.0)
SCREEN_BLOCKS = 20  # blocks of one font and wear: a screen, about five cells of each character
SCREENS = 12  # per font set and severity, for the clusters' accuracy
SPACE = len(ALPHABET)


@dataclass(frozen=True)
class Plan:
    train_blocks: int = 36000  # x 24 cells
    epochs: int = 3
    batch: int = 256
    lr: float = 3e-3
    eval_blocks: int = 50  # per family and severity
    alone_blocks: int = 40  # per degradation and severity, per held-out family
    channels: tuple[int, int] = (32, 64)
    hidden: int = 192


QUICK = Plan(train_blocks=1500, epochs=1, eval_blocks=6, alone_blocks=3)


def kin_vectors(font: ConsoleFont) -> np.ndarray:
    """A font's alphabet as the template bank compares glyphs: (chars, pixels), unit length."""
    cells, _ = glyphs._font_cells(font, font.width, (CELL_W, CELL_H))
    return glyphs.normalise(np.stack(cells)).reshape(len(ALPHABET), -1)


def split_fonts(fonts: list[ConsoleFont]):
    """(training groups, held-out fonts by family, fonts dropped as kin of a held-out one)."""
    held = {f: [x for x in fonts if family_of(x.name) == f] for f in HELD_OUT}
    rest = [x for x in fonts if family_of(x.name) not in HELD_OUT]
    vectors = {x.name: kin_vectors(x) for x in fonts}

    def kinship(a: ConsoleFont, b: ConsoleFont) -> float:
        return float(np.einsum("cd,cd->", vectors[a.name], vectors[b.name]) / len(ALPHABET))

    held_all = [x for group in held.values() for x in group]
    dropped = [x for x in rest if max(kinship(x, h) for h in held_all) >= KIN]
    train = [x for x in rest if x not in dropped]
    groups: list[list[ConsoleFont]] = []
    for x in train:  # greedy: a font joins the first group whose first font it is this alike
        for group in groups:
            if kinship(group[0], x) >= GROUP:
                group.append(x)
                break
        else:
            groups.append([x])
    return groups, held, dropped


def make_cells(pick, blocks: int, stream: int, severity=None, only: str | None = None):
    """``blocks`` blocks of cells: (uint8 cells, labels, fonts, cell widths). ``pick(rng)``
    chooses a block's font; block i's randomness comes from (SEED, stream, i) alone."""
    xs, ys, fonts, widths = [], [], [], []
    for i in range(blocks):
        rng = np.random.default_rng([SEED, stream, i])
        font = pick(rng)
        level = float(rng.random()) if severity is None else severity
        patches, labels, wear = labelled_cells(font, rng, level, only)
        xs.append(np.round(patches * 255).astype(np.uint8))
        ys.append(labels)
        fonts += [font] * len(labels)
        widths += [wear.cell_w] * len(labels)
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64), fonts, widths


def from_groups(groups):
    return lambda rng: (g := groups[rng.integers(len(groups))])[rng.integers(len(g))]


def from_list(fonts):
    return lambda rng: fonts[rng.integers(len(fonts))]


def build_net(plan: Plan):
    import torch.nn as nn

    c1, c2 = plan.channels

    def block(a: int, b: int):
        return [nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU()]

    return nn.Sequential(
        *block(1, c1), *block(c1, c1), nn.MaxPool2d((2, 2)),
        *block(c1, c2), *block(c2, c2), nn.MaxPool2d((2, 1)),
        nn.Flatten(), nn.Linear(c2 * 5 * 5, plan.hidden), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(plan.hidden, len(LABELS)),
    )  # fmt: skip


def train(x: np.ndarray, y: np.ndarray, plan: Plan):
    import torch

    torch.manual_seed(SEED)
    net = build_net(plan)
    data, target = torch.from_numpy(x), torch.from_numpy(y)
    steps = plan.epochs * (len(x) // plan.batch)
    opt = torch.optim.AdamW(net.parameters(), lr=plan.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=plan.lr, total_steps=steps, pct_start=0.15)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    order = torch.Generator().manual_seed(SEED)
    net.train()
    started = time.time()
    for epoch in range(plan.epochs):
        perm = torch.randperm(len(x), generator=order)
        total, seen = 0.0, 0
        for b in range(len(x) // plan.batch):
            idx = perm[b * plan.batch : (b + 1) * plan.batch]
            batch = data[idx].unsqueeze(1).float() / 255.0
            loss = loss_fn(net(batch), target[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
        took = time.time() - started
        print(f"epoch {epoch + 1}/{plan.epochs}: loss {total / seen:.4f} ({took:.0f} s)", flush=True)
    return net.eval()


def export(net, path: Path, meta: dict) -> None:
    """Batch norm folded into its convolution; weights as float32 arrays in torch's layout."""
    import torch.nn as nn

    arrays: dict[str, np.ndarray] = {}
    layers = list(net)
    convs = [i for i, m in enumerate(layers) if isinstance(m, nn.Conv2d)]
    for k, i in enumerate(convs):
        conv, bn = layers[i], layers[i + 1]
        scale = (bn.weight / (bn.running_var + bn.eps).sqrt()).detach().numpy()
        w = conv.weight.detach().numpy() * scale[:, None, None, None]
        b = (conv.bias.detach().numpy() - bn.running_mean.numpy()) * scale + bn.bias.detach().numpy()
        arrays[f"conv{k}.weight"], arrays[f"conv{k}.bias"] = w.astype(np.float32), b.astype(np.float32)
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    for k, m in enumerate(linears):
        arrays[f"dense{k}.weight"] = m.weight.detach().numpy().astype(np.float32)
        arrays[f"dense{k}.bias"] = m.bias.detach().numpy().astype(np.float32)
    c2 = layers[convs[-1]].out_channels
    meta = {**meta, "labels": LABELS, "convs": len(convs), "dense": len(linears), "pools": [[2, 2], [2, 1]],
            "flat": [c2, 5, 5], "cell": [CELL_H, CELL_W]}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        np.savez(out, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)


def template_names(cells: np.ndarray, cell_ws: list[int], heights: list[int]) -> np.ndarray:
    """The template bank's nearest glyph for each cell, as match_fonts names a cluster no
    installed font fits (the sharpest templates, the best of all fonts): indices into ALPHABET.
    The bank knows 8- and 9-px cells; a narrower or wider font's cells are matched as the nearer."""
    cell_ws = [max(8, min(9, w)) for w in cell_ws]
    out = np.full(len(cells), -1)
    for key in sorted(set(zip(cell_ws, heights, strict=True))):
        rows = np.array([(w, h) == key for w, h in zip(cell_ws, heights, strict=True)])
        bank = glyphs.glyph_bank(key[0], (CELL_W, CELL_H))
        if bank is None:
            return out
        sims = bank.similarity(cells[rows], (CELL_W / key[0], CELL_H / key[1]))
        out[rows] = sims.max(axis=1).argmax(axis=1)
    return out


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    glyph = y != SPACE
    return float((pred[glyph] == y[glyph]).mean()) if glyph.any() else float("nan")


def evaluate(plan: Plan, groups, held, fonts_by_name, net) -> dict:
    """Per-cell accuracy on glyph cells (blanks left out: the templates have no blank), model and
    template bank on the same cells: by font set and severity, by degradation alone, and per
    cluster (a screen's cells of one character, worn alike) as the reader will use it."""
    sets = {f"held-out: {f}": from_list(fs) for f, fs in held.items()}
    sets["trained fonts"] = from_groups(groups)
    esxi = fonts_by_name.get("psf:esxi-like")
    if esxi is not None:
        sets["trained: esxi-like (Terminus Bold, dotted 0)"] = from_list([esxi])
    report: dict = {"levels": {}, "alone": {}, "clusters": {}, "confusions": {}}
    held_pool: dict[str, list] = {"y": [], "model": [], "templates": []}
    for s, (name, pick) in enumerate(sets.items()):
        row = {}
        for j, level in enumerate(LEVELS):
            x, y, fonts, widths = make_cells(pick, plan.eval_blocks, 1000 + 10 * s + j, severity=level)
            row[level] = _score(x, y, fonts, widths, net, held_pool if name.startswith("held") else None)
        report["levels"][name] = row
        report["clusters"][name] = {
            level: cluster_score(pick, SCREENS if plan.epochs > 1 else 2, 3000 + 10 * s + j, level, net)
            for j, level in enumerate(CLUSTER_LEVELS)
        }
    held_fonts = [x for fs in held.values() for x in fs]
    for k, only in enumerate(DEGRADATIONS):
        report["alone"][only] = {
            level: _score(*make_cells(from_list(held_fonts), plan.alone_blocks * len(held), 2000 + 10 * k + j,
                                      level, only), net, None)
            for j, level in enumerate((0.5, 1.0))
        }  # fmt: skip
    y = np.array(held_pool["y"])
    for who in ("model", "templates"):
        pred = np.array(held_pool[who])
        wrong = Counter((LABELS[a], LABELS[b]) for a, b in zip(y, pred, strict=True) if a != b and a != SPACE)
        report["confusions"][who] = [[a, b, n] for (a, b), n in wrong.most_common(30)]
    return report


def _score(x, y, fonts, widths, net, pool) -> dict:
    cells = x.astype(np.float32) / 255.0
    model = glyph_probabilities(cells, net).argmax(axis=1)
    templates = template_names(cells, widths, [f.height for f in fonts])
    if pool is not None:
        pool["y"] += y.tolist()
        pool["model"] += model.tolist()
        pool["templates"] += templates.tolist()
    glyph_cells = int((y != SPACE).sum())
    return {"cells": glyph_cells, "model": accuracy(model, y), "templates": accuracy(templates, y)}


def cluster_score(pick, screens: int, stream: int, level: float, net) -> dict:
    """Screens of one font and one wear each; every character's cells are a cluster, named by the
    model's mean probabilities and by the templates' match with the cluster's mean cell."""
    right = {"model": 0, "templates": 0}
    clusters = 0
    for i in range(screens):
        rng = np.random.default_rng([SEED, stream, i])
        font = pick(rng)
        wear = draw_wear(rng, level, font.width)
        parts = [labelled_cells(font, rng, level, wear=wear)[:2] for _ in range(SCREEN_BLOCKS)]
        x, y = np.concatenate([p for p, _ in parts]), np.concatenate([q for _, q in parts])
        chars = [c for c in np.unique(y) if c != SPACE]
        probs = glyph_probabilities(x, net)
        model = np.array([probs[y == c].mean(axis=0).argmax() for c in chars])
        means = np.stack([x[y == c].mean(axis=0) for c in chars])
        templates = template_names(means, [wear.cell_w] * len(chars), [font.height] * len(chars))
        right["model"] += int((model == chars).sum())
        right["templates"] += int((templates == chars).sum())
        clusters += len(chars)
    return {"clusters": clusters, **{k: v / max(clusters, 1) for k, v in right.items()}}


def markdown(report: dict, summary: dict) -> str:
    def pair(r: dict) -> str:
        return f"{r['model']:.3f} / {r['templates']:.3f}"

    lines = ["# Glyph model", "", "```", json.dumps(summary, indent=1), "```", "",
             "Per-cell accuracy on glyph cells, model / template bank, by severity (0: scaling only):", "",
             "| fonts | " + " | ".join(f"{lv:g}" for lv in LEVELS) + " |",
             "|---" * (len(LEVELS) + 1) + "|"]  # fmt: skip
    for name, row in report["levels"].items():
        lines.append(f"| {name} | " + " | ".join(pair(row[lv]) for lv in LEVELS) + " |")
    lines += ["", f"Per cluster (a screen's cells of one character, {SCREEN_BLOCKS * 24} cells a screen), "
              "model / templates:", "",
              "| fonts | " + " | ".join(f"{lv:g}" for lv in CLUSTER_LEVELS) + " |",
              "|---" * (len(CLUSTER_LEVELS) + 1) + "|"]  # fmt: skip
    for name, row in report["clusters"].items():
        lines.append(f"| {name} | " + " | ".join(pair(row[lv]) for lv in CLUSTER_LEVELS) + " |")
    lines += ["", "Held-out fonts, one degradation alone (model / templates):", "",
              "| degradation | half its worst | its worst |", "|---|---|---|"]  # fmt: skip
    for only, r in report["alone"].items():
        lines.append(f"| {only} | {pair(r[0.5])} | {pair(r[1.0])} |")
    for who, pairs in report["confusions"].items():
        lines += ["", f"Held-out confusions ({who}), true -> read: count:", ""]
        lines.append(", ".join(f"`{a}`->`{b}` {n}" for a, b, n in pairs))
    return "\n".join(lines) + "\n"


def train_and_export(plan: Plan, groups, held, dropped, out: Path) -> dict:
    import torch

    started = time.time()
    trained = [f.name for g in groups for f in g]
    x, y, _, _ = make_cells(from_groups(groups), plan.train_blocks, 0)
    print(f"{len(x)} training cells in {time.time() - started:.0f} s", flush=True)
    net = train(x, y, plan)
    seconds = time.time() - started
    digest = hashlib.sha256(x.tobytes() + y.tobytes()).hexdigest()[:16]
    meta = {"seed": SEED, "plan": plan.__dict__, "cells": len(x), "data_sha256": digest,
            "fonts": sorted(trained), "held_out": {k: sorted(f.name for f in v) for k, v in held.items()},
            "kin_left_out": sorted(f.name for f in dropped)}  # fmt: skip
    export(net, out, meta)
    with out.open("rb") as stream:  # NumPy's inference must give what torch's does
        numpy_probs = glyph_probabilities(x[:512].astype(np.float32) / 255.0, read_net(stream))
    with torch.no_grad():
        logits = net(torch.from_numpy(x[:512]).unsqueeze(1).float() / 255.0)
    torch_probs = torch.softmax(logits, dim=1).numpy()
    drift = float(np.abs(numpy_probs - torch_probs).max())
    if drift > 1e-3:
        raise SystemExit(f"the exported model differs from the trained one (by {drift:.2g})")
    return {"train_cells": len(x), "fonts": len(trained), "groups": len(groups), "seconds": round(seconds),
            "model_bytes": out.stat().st_size, "model_sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
            "params": int(sum(p.numel() for p in net.parameters()))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "psod_ocr" / "data" / "glyph_model.npz")
    parser.add_argument("--report", type=Path, help="write the evaluation here (Markdown)")
    parser.add_argument("--quick", action="store_true", help="a small run, to try the pipeline")
    parser.add_argument("--no-eval", action="store_true")
    parser.add_argument("--eval-only", action="store_true", help="measure the model at --out, do not train")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)  # the same sums in the same order: the same weights every run
    torch.use_deterministic_algorithms(True)
    plan = QUICK if args.quick else Plan()
    fonts = all_fonts()
    fonts_by_name = {f.name: f for f in fonts}
    groups, held, dropped = split_fonts(fonts)
    trained = [f.name for g in groups for f in g]
    kin = ", ".join(f.name for f in dropped) or "none"
    out = ", ".join(f"{k} ({len(v)})" for k, v in held.items())
    print(
        f"{len(trained)} fonts in {len(groups)} groups for training; held out: {out}; kin of those: {kin}",
        flush=True,
    )
    if args.eval_only:
        with args.out.open("rb") as stream:
            meta = read_net(stream).meta
        summary = {"model_bytes": args.out.stat().st_size, "cells": meta["cells"], "plan": meta["plan"],
                   "model_sha256": hashlib.sha256(args.out.read_bytes()).hexdigest()}  # fmt: skip
    else:
        summary = train_and_export(plan, groups, held, dropped, args.out)
    print(json.dumps(summary), flush=True)
    if args.no_eval:
        return
    # measured as the reader will run it: the file just written, on NumPy
    with args.out.open("rb") as stream:
        shipped = read_net(stream)
    text = markdown(evaluate(plan, groups, held, fonts_by_name, shipped), summary)
    print(text)
    if args.report:
        args.report.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
