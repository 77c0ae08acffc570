"""A photographed console's cells drift off any one straight grid: a lens bends straight rows
(barrel distortion), a screen's outline found a little off leaves the rest. Each piece of the
screen says how far its glyphs sit from the grid; a smooth field through those straightens it."""

from __future__ import annotations

import cv2
import numpy as np

from .period import FOLD_BINS, fold, gap_centre

TILE_ROWS, TILE_COLS = 3, 16  # a piece of the screen: enough cells to fold, small against the bend
TILE_INK = 0.03  # a piece with less ink than this share of its area has too few glyphs to say
DEGREE = 2  # the field's polynomial degree in x and y: a lens's bend, not a wave
MIN_TILES = 8  # pieces with text needed to fit it
OUTLIER_PX = 1.5  # a piece this far from the fit (or 3 median deviations) is left out of it
STRAIGHT_PX = 1.0  # a field that moves no part of the screen this far is left alone


def _shift(folded: np.ndarray, reference: np.ndarray) -> float:
    """How many bins the folded profile lies after the reference (circular cross-correlation,
    to a fraction of a bin)."""
    f = np.nan_to_num(folded - np.nanmean(folded))
    r = reference - reference.mean()
    score = np.real(np.fft.ifft(np.fft.fft(f) * np.conj(np.fft.fft(r))))
    k = int(score.argmax())
    a, b, c = score[k - 1], score[k], score[(k + 1) % len(score)]
    bend = a - 2 * b + c
    return k + (0.5 * (a - c) / bend if bend < 0 else 0.0)


def _wrap(bins: float) -> float:
    return (bins + FOLD_BINS / 2) % FOLD_BINS - FOLD_BINS / 2


def tile_shifts(ink: np.ndarray, row_pitch: float, col_pitch: float, top: float) -> np.ndarray:
    """Per piece of the screen with text: its centre x, y and how far its glyphs sit right of
    and below where the whole screen's grid has them, in pixels; shape (n, 4)."""
    h, w = ink.shape
    ref_y = np.nan_to_num(fold(ink.sum(axis=1), row_pitch, origin=-top))
    ref_x = gap_centre(fold(ink.sum(axis=0), col_pitch))
    step_y, step_x = TILE_ROWS * row_pitch, TILE_COLS * col_pitch
    found = []
    for y0 in np.arange(max(0.0, top), h - row_pitch, step_y):
        for x0 in np.arange(0.0, w - col_pitch, step_x):
            ya, xa = int(y0), int(x0)
            tile = ink[ya : int(y0 + step_y), xa : int(x0 + step_x)]
            if tile.mean() < TILE_INK:
                continue
            dy = _shift(fold(tile.sum(axis=1), row_pitch, origin=ya - top), ref_y)
            dx = gap_centre(fold(tile.sum(axis=0), col_pitch, origin=xa)) - ref_x
            found.append((xa + tile.shape[1] / 2, ya + tile.shape[0] / 2,
                          _wrap(dx) / FOLD_BINS * col_pitch, _wrap(dy) / FOLD_BINS * row_pitch))  # fmt: skip
    return np.array(found, dtype=np.float64).reshape(-1, 4)


def _terms(x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    u, v = 2 * x / w - 1, 2 * y / h - 1
    return np.stack([u**i * v**j for i in range(DEGREE + 1) for j in range(DEGREE + 1 - i)], axis=-1)


def _fit(terms: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """Least squares, leaving out the pieces far off the fit (a line of one repeated glyph,
    a wrapped shift) until none is."""
    keep = np.ones(len(values), dtype=bool)
    for _ in range(4):
        if keep.sum() < MIN_TILES:
            return None
        coef = np.linalg.lstsq(terms[keep], values[keep], rcond=None)[0]
        off = np.abs(terms @ coef - values)
        limit = max(OUTLIER_PX, 3 * float(np.median(off[keep])))
        if np.array_equal(off <= limit, keep):
            break
        keep = off <= limit
    return coef


def straighten(ink: np.ndarray, row_pitch: float, col_pitch: float, top: float) -> np.ndarray:
    """The ink moved so every glyph sits where the whole screen's grid has it (unchanged when
    no part is off by STRAIGHT_PX, or too few pieces hold text to say)."""
    tiles = tile_shifts(ink, row_pitch, col_pitch, top)
    if len(tiles) < MIN_TILES:
        return ink
    h, w = ink.shape
    terms = _terms(tiles[:, 0], tiles[:, 1], w, h)
    coefs = [_fit(terms, tiles[:, 2]), _fit(terms, tiles[:, 3])]
    if any(c is None for c in coefs):
        return ink
    # the field on a coarse mesh, then every pixel's by interpolation
    ys, xs = np.linspace(0, h - 1, 33), np.linspace(0, w - 1, 65)
    mesh = _terms(*np.meshgrid(xs, ys), w, h)
    dx, dy = (mesh @ c for c in coefs)
    if max(np.abs(dx).max(), np.abs(dy).max()) < STRAIGHT_PX:
        return ink
    map_x, map_y = (cv2.resize(d.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
                    for d in (dx, dy))
    map_x += np.arange(w, dtype=np.float32)
    map_y += np.arange(h, dtype=np.float32)[:, None]
    return cv2.remap(ink, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
