"""From the flat colour screen to black text on white at the scale Tesseract reads best.

The green channel separates text from the magenta background under every colour cast seen
(background green is near zero, white and yellow text have it high). Uneven lighting (a
vignette, a glare spot) is flattened by subtracting a large-scale background estimate before
the threshold; moiré is averaged out by a blur the size of a glyph stroke.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

TARGET_ROW_PX = 40  # text row height handed to Tesseract (an x-height of about 20 px)


@dataclass(frozen=True)
class Grid:
    row_pitch: float  # pixels from one text row to the next in the flat screen
    col_pitch: float | None  # pixels a character cell is wide, when it could be measured
    rows: int
    cols: int | None
    top: float  # y of the first row's top edge
    left: float  # x of the first column


@dataclass(frozen=True)
class Binarised:
    image: np.ndarray  # uint8, black (0) text on white (255), scaled for OCR
    scale: float  # OCR image pixels per flat-screen pixel
    threshold: float
    grid: Grid | None


def text_channel(rgb: np.ndarray) -> np.ndarray:
    """Text brightness: green, with the large-scale background subtracted."""
    g = rgb[..., 1].astype(np.float32)
    h, w = g.shape
    k = max(15, (min(h, w) // 12) | 1)
    background = cv2.morphologyEx(g, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.blur(background, (k, k))
    return np.clip(g - background, 0, 255)


def _pitch_from_lines(rows: np.ndarray) -> float | None:
    """Row pitch from where the text lines are: the spacing of line centres, refined over
    the whole span (blank screen rows between lines count as whole multiples)."""
    on = rows > 0.15 * rows.max()
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    if on[0]:
        edges = np.r_[-1, edges]
    if on[-1]:
        edges = np.r_[edges, len(rows) - 1]
    starts, ends = edges[0::2] + 1, edges[1::2]
    keep = (ends - starts) >= 2
    centres = ((starts + ends) / 2.0)[keep]
    if len(centres) < 3:
        return None
    diffs = np.diff(centres)
    base = float(np.percentile(diffs, 25))
    close = diffs[(diffs > 0.7 * base) & (diffs < 1.3 * base)]
    if len(close) < 2 or base < 5:
        return None
    pitch = float(np.median(close))
    span = centres[-1] - centres[0]
    steps = round(span / pitch)
    return span / steps if steps else pitch


def estimate_grid(ink: np.ndarray) -> Grid | None:
    """Row pitch from the spacing of text lines (or, failing that, the autocorrelation of
    the row profile); the column pitch likewise from the column profile, if regular."""
    h, w = ink.shape
    rows = ink.mean(axis=1).astype(np.float64)
    if rows.max() <= 0:
        return None
    pitch = _pitch_from_lines(rows) or _period(rows, lo=6, hi=max(8, h // 4))
    if pitch is None:
        return None
    # Phase: the offset that puts most ink inside rows rather than between them.
    phases = np.arange(0, pitch, 0.5)
    inside = [rows[(np.arange(h) - p) % pitch < pitch * 0.8].sum() for p in phases]
    top = float(phases[int(np.argmax(inside))])
    cols = ink.mean(axis=0).astype(np.float64)
    col_pitch = _period(cols, lo=4, hi=max(6, int(pitch)))
    return Grid(
        row_pitch=pitch,
        col_pitch=col_pitch,
        rows=round((h - top) / pitch),
        cols=round(w / col_pitch) if col_pitch else None,
        top=top,
        left=0.0,
    )


def _period(profile: np.ndarray, lo: int, hi: int) -> float | None:
    x = profile - profile.mean()
    if not np.any(x):
        return None
    ac = np.correlate(x, x, mode="full")[len(x) - 1 :]
    ac /= ac[0]
    hi = min(hi, len(ac) - 2)
    if hi <= lo:
        return None
    seg = ac[lo : hi + 1]
    best = float(seg.max())
    if best < 0.15:
        return None
    # The first local peak nearly as high as the best: multiples of the period peak too.
    peaks = [i for i in range(1, len(seg) - 1) if seg[i] >= seg[i - 1] and seg[i] >= seg[i + 1]]
    i = next((i for i in peaks if seg[i] >= 0.8 * best), int(np.argmax(seg)))
    k = lo + i
    # Parabolic refinement of the peak for sub-pixel pitch.
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    denom = a - 2 * b + c
    return float(k + (0.5 * (a - c) / denom if denom else 0.0))


def binarise(rgb: np.ndarray, row_px: int = TARGET_ROW_PX) -> Binarised:
    text = text_channel(rgb)
    grid = estimate_grid(cv2.GaussianBlur(text, (0, 0), 1.0))
    scale = 1.0
    if grid is not None:
        scale = row_px / grid.row_pitch
    scale = float(np.clip(scale, 0.5, 4.0))
    h, w = text.shape
    big = cv2.resize(text, (max(1, round(w * scale)), max(1, round(h * scale))),
                     interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)  # fmt: skip
    stroke = max(0.5, row_px / 40)
    big = cv2.GaussianBlur(big, (0, 0), stroke * 0.6)
    u8 = np.clip(big, 0, 255).astype(np.uint8)
    thr, bw = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return Binarised(image=bw, scale=scale, threshold=float(thr), grid=grid)
