"""A photographed console's cells drift off any one straight grid: a lens bends straight rows
(barrel distortion), a screen's outline found a little off leaves the rest. Each piece of the
screen says how far its glyphs sit from the grid; a smooth field through those straightens it."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .period import FOLD_BINS, fold, gap_centre

TILE_ROWS, TILE_COLS = 3, 16  # a piece of the screen: enough cells to fold, small against the bend
TILE_INK = 0.03  # a piece with less ink than this share of its area has too few glyphs to say
DEGREE = 2  # the field's polynomial degree in x and y: a lens's bend, not a wave
ROWS_LIKE = 0.8  # a piece's rows folded at least this like the screen's say where they are
MIN_TILES = 8  # pieces with text needed to fit it
OUTLIER_PX = 1.5  # a piece this far from the fit (or 3 median deviations) is left out of it
STRAIGHT_PX = 1.0  # a field that moves no part of the screen this far is left alone


def _shift(folded: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """How many bins the folded profile lies after the reference (circular cross-correlation,
    to a fraction of a bin), and how alike the two are there (1: the same shape)."""
    f = np.nan_to_num(folded - np.nanmean(folded))
    r = np.nan_to_num(reference - np.nanmean(reference))
    score = np.real(np.fft.ifft(np.fft.fft(f) * np.conj(np.fft.fft(r))))
    k = int(score.argmax())
    a, b, c = score[k - 1], score[k], score[(k + 1) % len(score)]
    bend = a - 2 * b + c
    like = b / (np.linalg.norm(f) * np.linalg.norm(r) + 1e-12)
    return k + (0.5 * (a - c) / bend if bend < 0 else 0.0), float(like)


def _wrap(bins: float) -> float:
    return (bins + FOLD_BINS / 2) % FOLD_BINS - FOLD_BINS / 2


def tile_shifts(ink: np.ndarray, row_pitch: float, col_pitch: float, top: float) -> np.ndarray:
    """Per piece of the screen with text: its centre x, y, how far its glyphs sit right of and
    below where the whole screen's grid has them in pixels, and how alike its folded ink is to
    the whole screen's across and down (a blurred or noisy piece's is not); shape (n, 6)."""
    h, w = ink.shape
    ref_y = np.nan_to_num(fold(ink.sum(axis=1), row_pitch, origin=-top))
    ref_x = fold(ink.sum(axis=0), col_pitch)
    step_y, step_x = TILE_ROWS * row_pitch, TILE_COLS * col_pitch
    found = []
    for y0 in np.arange(max(0.0, top), h - row_pitch, step_y):
        for x0 in np.arange(0.0, w - col_pitch, step_x):
            ya, xa = int(y0), int(x0)
            tile = ink[ya : int(y0 + step_y), xa : int(x0 + step_x)]
            if tile.mean() < TILE_INK:
                continue
            dy, like_y = _shift(fold(tile.sum(axis=1), row_pitch, origin=ya - top), ref_y)
            across = fold(tile.sum(axis=0), col_pitch, origin=xa)
            dx = gap_centre(across) - gap_centre(ref_x)
            like_x = _shift(across, ref_x)[1]
            found.append((xa + tile.shape[1] / 2, ya + tile.shape[0] / 2,
                          _wrap(dx) / FOLD_BINS * col_pitch, _wrap(dy) / FOLD_BINS * row_pitch,
                          like_x, like_y))  # fmt: skip
    return np.array(found, dtype=np.float64).reshape(-1, 6)


def _terms(x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    u, v = 2 * x / w - 1, 2 * y / h - 1
    return np.stack([u**i * v**j for i in range(DEGREE + 1) for j in range(DEGREE + 1 - i)], axis=-1)


def _fit(terms: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """Least squares, leaving out the pieces far off the fit (a line of one repeated glyph,
    a wrapped shift) until none is."""
    # (first without the pieces far from the rest: a fit through them is no guide)
    spread = np.abs(values - np.median(values))
    keep = spread <= max(OUTLIER_PX, 3 * float(np.median(spread)))
    for _ in range(6):
        if keep.sum() < MIN_TILES:
            return None
        coef = np.linalg.lstsq(terms[keep], values[keep], rcond=None)[0]
        off = np.abs(terms @ coef - values)
        limit = max(OUTLIER_PX, 3 * float(np.median(off[keep])))
        if np.array_equal(off <= limit, keep):
            break
        keep = off <= limit
    return coef


@dataclass(frozen=True, eq=False)
class Field:
    """How far the glyphs sit right of and below the grid, anywhere on the screen: per
    direction, its polynomial and the box of the pieces it was fitted to (beyond that box, as
    at its edge: a polynomial there is a guess, and there are no glyphs to move)."""

    parts: tuple[tuple[np.ndarray, tuple[float, float, float, float]], ...]
    shape: tuple[int, int]  # the screen's height, width

    def at(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        h, w = self.shape
        return tuple(_terms(np.clip(x, x0, x1), np.clip(y, y0, y1), w, h) @ coef
                     for coef, (x0, x1, y0, y1) in self.parts)  # fmt: skip


def drift_field(ink: np.ndarray, row_pitch: float, col_pitch: float, top: float) -> Field | None:
    """The smooth field through the pieces' shifts; None when too few pieces say."""
    tiles = tile_shifts(ink, row_pitch, col_pitch, top)
    # (a piece whose rows fold unlike the screen's is blurred or noisy past saying where they are)
    parts = []
    for use, values in ((np.ones(len(tiles), bool), tiles[:, 2]), (tiles[:, 5] >= ROWS_LIKE, tiles[:, 3])):
        if use.sum() < MIN_TILES:
            return None
        coef = _fit(_terms(tiles[use, 0], tiles[use, 1], ink.shape[1], ink.shape[0]), values[use])
        if coef is None:
            return None
        x, y = tiles[use, 0], tiles[use, 1]
        parts.append((coef, (x.min(), x.max(), y.min(), y.max())))
    return Field(tuple(parts), ink.shape)


def straighten(ink: np.ndarray, row_pitch: float, col_pitch: float, top: float) -> np.ndarray:
    """The ink moved so every glyph sits where the whole screen's grid has it (unchanged when
    no part is off by STRAIGHT_PX, or too few pieces hold text to say)."""
    field = drift_field(ink, row_pitch, col_pitch, top)
    if field is None:
        return ink
    # the field on a coarse mesh, then every pixel's by interpolation
    h, w = ink.shape
    dx, dy = field.at(*np.meshgrid(np.linspace(0, w - 1, 65), np.linspace(0, h - 1, 33)))
    if max(np.abs(dx).max(), np.abs(dy).max()) < STRAIGHT_PX:
        return ink
    map_x, map_y = (cv2.resize(d.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
                    for d in (dx, dy))
    map_x += np.arange(w, dtype=np.float32)
    map_y += np.arange(h, dtype=np.float32)[:, None]
    return cv2.remap(ink, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
