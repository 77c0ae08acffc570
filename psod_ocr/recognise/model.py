"""The learned glyph namer: per-character probabilities for a screen's cells.

Templates of installed fonts name a cell well only when the screen's font is one of them; a small
convolutional network trained on generated cells of some three hundred monospace fonts, worn as
captures wear them (scripts/train_glyphs.py), generalises to fonts it has never seen. Its weights
ship in the package (data/glyph_model.npz) and run on NumPy alone, so reading needs neither a
font file nor a GPU nor another dependency.

Input: the cells as match_fonts compares them with the template bank, (n, CELL_H, CELL_W) =
(n, 20, 10) float in 0..1 (0 background, 1 full text level), not centred, after without_bleed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import BinaryIO

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .glyphs import ALPHABET

LABELS = ALPHABET + " "  # the model's classes, in its output's column order: a blank cell last
MODEL_FILE = "data/glyph_model.npz"
CHUNK = 256  # cells run at once


@dataclass(frozen=True, eq=False)  # holds arrays
class GlyphNet:
    """The network's layers in the order run: 3x3 convolutions (batch norm folded in), each
    followed by ReLU, a max pool after every second; then two dense layers."""

    convs: tuple[tuple[np.ndarray, np.ndarray], ...]  # (3*3*in, out) weights, (out,) bias
    pools: tuple[tuple[int, int], ...]  # after conv 2 and 4: (rows, columns) pooled together
    dense: tuple[tuple[np.ndarray, np.ndarray], ...]  # (in, out), (out,)
    meta: dict


@cache
def load() -> GlyphNet:
    """The shipped network, read once."""
    with resources.files("psod_ocr").joinpath(MODEL_FILE).open("rb") as stream:
        return read_net(stream)


def read_net(stream: BinaryIO) -> GlyphNet:
    """A network from a model file (scripts/train_glyphs.py writes them)."""
    with np.load(stream) as data:
        meta = json.loads(str(data["meta"]))
        if meta["labels"] != LABELS:
            raise ValueError("glyph model was trained for another set of characters")
        convs = []
        for i in range(meta["convs"]):
            w = data[f"conv{i}.weight"].astype(np.float32)  # (out, in, 3, 3), torch's layout
            # rows ordered as the unfolded input's columns: channel, then kernel row and column
            convs.append((w.reshape(len(w), -1).T.copy(), data[f"conv{i}.bias"].astype(np.float32)))
        dense = []
        for i in range(meta["dense"]):
            w = data[f"dense{i}.weight"].astype(np.float32)  # (out, in)
            if i == 0:  # torch flattened channel-first; this runs channel-last
                c, h, wd = meta["flat"]
                w = w.reshape(len(w), c, h, wd).transpose(0, 2, 3, 1).reshape(len(w), -1)
            dense.append((w.T.copy(), data[f"dense{i}.bias"].astype(np.float32)))
    return GlyphNet(tuple(convs), tuple(tuple(p) for p in meta["pools"]), tuple(dense), meta)


def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """3x3 convolution, zero padded, channel-last (n, h, w, c) -> (n, h, w, out), then ReLU.
    A thin input is unfolded into one product; a thick one summed over the nine shifts (its
    unfolding would be nine times its size)."""
    n, h, w, c = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    if c < 8:
        cols = sliding_window_view(padded, (3, 3), axis=(1, 2))  # (n, h, w, c, 3, 3)
        out = (cols.reshape(n * h * w, c * 9) @ weight).reshape(n, h, w, -1)
    else:
        taps = weight.reshape(c, 3, 3, -1)
        out = np.zeros((n, h, w, taps.shape[-1]), np.float32)
        for ky in range(3):
            for kx in range(3):
                out += padded[:, ky : ky + h, kx : kx + w] @ taps[:, ky, kx]
    out += bias
    return np.maximum(out, 0.0, out=out)


def _pool(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    n, h, w, c = x.shape
    ph, pw = size
    x = x[:, : h - h % ph, : w - w % pw]
    return x.reshape(n, h // ph, ph, w // pw, pw, c).max(axis=(2, 4))


def _logits(net: GlyphNet, cells: np.ndarray) -> np.ndarray:
    x = cells[..., None]
    for i, (weight, bias) in enumerate(net.convs):
        x = _conv(x, weight, bias)
        if i % 2 == 1:
            x = _pool(x, net.pools[i // 2])
    x = x.reshape(len(x), -1)
    for i, (weight, bias) in enumerate(net.dense):
        x = x @ weight + bias
        if i < len(net.dense) - 1:
            x = np.maximum(x, 0.0)
    return x


def glyph_probabilities(patches: np.ndarray, net: GlyphNet | None = None) -> np.ndarray:
    """Each cell's probability of showing each of LABELS: (n, len(LABELS)), rows summing to 1;
    by the shipped network, or ``net``."""
    cells = np.asarray(patches, dtype=np.float32)
    net = net or load()
    if cells.ndim != 3 or cells.shape[1:] != tuple(net.meta["cell"]):
        h, w = net.meta["cell"]
        raise ValueError(f"cells must be (n, {h}, {w}), not {cells.shape}")
    out = np.empty((len(cells), len(LABELS)), np.float32)
    for start in range(0, len(cells), CHUNK):
        logits = _logits(net, cells[start : start + CHUNK])
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        out[start : start + CHUNK] = e / e.sum(axis=1, keepdims=True)
    return out
