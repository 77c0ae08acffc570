"""Warp the found screen to a flat, upright rectangle.

Perspective is undone with the quad's homography. Which way is up is decided from the text:
on a purple screen the text hugs the top-left (every PSOD writes from row 0, column 0), and
the yellow banner, when there is one, is the top line.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .binarise import text_channel, without_lines
from .lens import picture_map, undistort_points

MAX_SIDE = 3072  # enough for 128 columns at 24 px a cell
PAD = 0.01  # share of the width also warped beyond each side: about a column


@dataclass(frozen=True)
class Rectified:
    rgb: np.ndarray  # the flat screen, upright
    homography: np.ndarray  # 3x3, rectified -> input coordinates
    rotation: int  # degrees the warped screen was turned clockwise to stand upright
    certain: bool  # False when the layout cues were weak (one or two lines of text)
    # ``rgb`` with ``pad`` pixels more of the picture on every side: a quad found a little
    # inside the screen (glyphs and a blurred bezel eat into its edge) cuts the first column's
    # glyphs, and the cell reader needs them whole.
    padded: np.ndarray
    pad: int
    exact: bool = False  # the picture's own pixels (a screenshot's screen, cropped)


def _size(quad: np.ndarray) -> tuple[int, int]:
    tl, tr, br, bl = quad
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(8, round(width * scale)), max(8, round(height * scale))


def whole_pixels(quad: np.ndarray) -> bool:
    """Is the quad an upright box on whole pixels, as large as its flat screen? (A
    screenshot's: it is cropped, not resampled.)"""
    w, h = _size(quad)
    x0, y0 = quad[0]
    box = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]]
    return bool(np.allclose(quad, box, atol=0.01) and np.allclose(quad[0], np.round(quad[0]), atol=0.01))


def _upright(quad: np.ndarray) -> bool:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    return max(abs(x0 - x3), abs(x1 - x2), abs(y0 - y1), abs(y2 - y3)) < 0.01


def warp(rgb: np.ndarray, quad: np.ndarray, pad: int = 0, bend: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The quad warped to an upright rectangle, with ``pad`` pixels beyond it on each side;
    and the homography from the rectangle (without the pad) back to the picture.
    With a lens's ``bend`` (see lens.py) the homography goes to the picture as a straight lens
    would have taken it."""
    if bend:
        quad = undistort_points(quad, bend, (rgb.shape[1], rgb.shape[0]))
    w, h = _size(quad)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    forward = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    back = np.linalg.inv(forward)
    if whole_pixels(quad) and not bend:  # a crop, no resampling
        xi, yi = round(float(quad[0][0])), round(float(quad[0][1]))
        a, b = max(0, yi - pad), min(rgb.shape[0], yi + h + pad)
        c, d = max(0, xi - pad), min(rgb.shape[1], xi + w + pad)
        crop = cv2.copyMakeBorder(np.ascontiguousarray(rgb[a:b, c:d]), a - (yi - pad),
                                  yi + h + pad - b, c - (xi - pad), xi + w + pad - d,
                                  cv2.BORDER_CONSTANT, value=0)  # fmt: skip
        return crop, back
    shift = np.array([[1, 0, pad], [0, 1, pad], [0, 0, 1]], dtype=np.float64)
    if bend:
        # (perspective and bend taken back in one resampling)
        where = picture_map(back @ np.linalg.inv(shift), bend, (rgb.shape[1], rgb.shape[0]),
                            (w + 2 * pad, h + 2 * pad))  # fmt: skip
        flat = cv2.remap(rgb, where[..., 0], where[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
        return flat, back
    # beyond the picture: black (replicated edge pixels would draw streaks from the glyphs
    # that touch it)
    flat = cv2.warpPerspective(rgb, shift @ forward, (w + 2 * pad, h + 2 * pad), flags=cv2.INTER_AREA,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
    return flat, back


def text_weight(rgb: np.ndarray) -> np.ndarray:
    """How text-like each pixel is: green above the local background (the magenta background
    has almost none; a glare spot has plenty, but it is large and smooth and so subtracted)."""
    return np.clip(text_channel(rgb) / 80.0, 0.0, 1.0)


def yellow_weight(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    return np.clip((np.minimum(r, g) - b - 40.0) / 80.0, 0.0, 1.0)


def _small(rgb: np.ndarray, side: int = 1024) -> np.ndarray:
    """A blurred, reduced copy: enough for layout cues, and it averages moiré away."""
    scale = min(1.0, side / max(rgb.shape[:2]))
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (0, 0), 0.8)


def _lines_run_along_rows(text: np.ndarray, lead: float = 0.8) -> bool:
    """Text lines are horizontal: the row profile alternates ink/gap far more than columns
    (``lead`` times as much, at least)."""

    def contrast(profile: np.ndarray) -> float:
        profile = cv2.GaussianBlur(profile.reshape(-1, 1).astype(np.float32), (1, 0), 1.0).ravel()
        return float(np.std(np.diff(profile)) / (profile.mean() + 1e-6))

    return contrast(text.mean(axis=1)) >= lead * contrast(text.mean(axis=0))


def _bands(text: np.ndarray) -> list[tuple[int, int]]:
    """Text lines as (first row, last row) runs of rows that hold ink."""
    ink = (text > 0.5).sum(axis=1)
    on = ink >= max(2, 0.12 * ink.max())
    edges = np.flatnonzero(np.diff(np.r_[0, on.astype(np.int8), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[0::2], edges[1::2], strict=True) if b - a >= 3]


def _left_aligned(text: np.ndarray) -> float | None:
    """> 1 when the text lines share their left edge (as on every purple screen), < 1 when
    they share the right edge (the screen is upside down); None without enough lines.

    Lines are counted, not measured: wrapped lines reach the right edge too, but far fewer
    of them than start at the left.
    """
    w = text.shape[1]
    margin = max(2, w // 100)  # a border at the very edge is not text
    inner = text[:, margin : w - margin] > 0.5
    lefts, rights = [], []
    for a, b in _bands(text[:, margin : w - margin]):
        cols = np.flatnonzero(inner[a : b + 1].sum(axis=0) >= 1)
        if len(cols) >= 2:
            lefts.append(cols[0])
            rights.append(cols[-1])
    if len(lefts) < 3:
        return None
    lefts_a, rights_a = np.array(lefts, float), np.array(rights, float)
    tol = max(3.0, w / 200)
    at_left = np.mean(lefts_a <= np.percentile(lefts_a, 10) + tol)
    at_right = np.mean(rights_a >= np.percentile(rights_a, 90) - tol)
    return float((at_left + 0.05) / (at_right + 0.05))


def _margins(text: np.ndarray) -> float | None:
    """> 1 when the text sits nearer the left edge than the right (text starts at the left
    and rarely fills the width, even on the centred boot-time error screen)."""
    h, w = text.shape
    inner = text[h // 33 : h - h // 33, w // 33 : w - w // 33]  # not the frame line
    cols = np.flatnonzero((inner > 0.5).sum(axis=0) >= 2) + w // 33
    if len(cols) < 10:
        return None
    left, right = cols[0], w - 1 - cols[-1]
    return float((right + 0.02 * w) / (left + 0.02 * w))


ROWS_CLEAR = 1.5  # a portrait screen whose lines run along its rows this clearly was cropped
MARGINS_SURE = 2.5  # the text's right margin this many times its left one (or less than 1/this)


def upright_rotation(flat: np.ndarray) -> tuple[int, bool]:
    """Clockwise turn (0/90/180/270) that puts the text upright.

    Every purple screen writes its lines from the left edge, so the turn that left-aligns the
    lines wins; the yellow banner (top line) decides when alignment cannot, then the margins.
    Also says whether the cues were clear (False for a line or two of text).
    """
    small = _small(flat)
    weight = text_weight(small)
    text = without_lines(weight)
    if text.sum() < 50:
        return 0, False
    h, w = text.shape
    # screens are landscape: a portrait one is lying on its side, unless it was cropped and
    # its lines say so clearly (and a landscape one cut from a screen lying on its side)
    if h > 1.25 * w:
        quarter = 0 if _lines_run_along_rows(text, ROWS_CLEAR) else 90
    elif w > 1.25 * h:
        quarter = 0 if _lines_run_along_rows(text, 1 / ROWS_CLEAR) else 90
    else:
        quarter = 0 if _lines_run_along_rows(text) else 90
    upright = rotate(small, quarter)
    text = without_lines(rotate(weight, quarter))
    aligned, margins = _left_aligned(text), _margins(text)
    # margins far apart say clearly which side the lines start at (a blurred photo's lines
    # align only weakly)
    clear = None if margins is None or 1 / MARGINS_SURE < margins < MARGINS_SURE else margins > 1
    if aligned is not None and not 0.7 < aligned < 1.4:
        left = aligned >= 1.4
        return (quarter if left else (quarter + 180) % 360), not 0.4 < aligned < 2.5 or clear == left
    ys, _ = np.nonzero(yellow_weight(upright) > 0.5)
    h = upright.shape[0]
    top, bottom = int((ys < 0.15 * h).sum()), int((ys > 0.85 * h).sum())
    if max(top, bottom) > 30 and max(top, bottom) >= 3 * min(top, bottom):  # the banner row
        return (quarter if top > bottom else (quarter + 180) % 360), len(_bands(text)) >= 3
    if margins is not None and not 0.7 < margins < 1.4:
        return (quarter if margins >= 1.4 else (quarter + 180) % 360), False
    return quarter, False


def rotate(rgb: np.ndarray, degrees: int) -> np.ndarray:
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(rgb, codes[degrees]) if degrees in codes else rgb


def _inner(padded: np.ndarray, pad: int) -> np.ndarray:
    h, w = padded.shape[:2]
    return np.ascontiguousarray(padded[pad : h - pad, pad : w - pad])


def rectify(rgb: np.ndarray, quad: np.ndarray, bend: float = 0.0) -> Rectified:
    if _upright(quad) and not bend:
        # a screenshot's screen, whose edge JPEG or scaling blurred: found a fraction of a
        # pixel off the whole pixels it starts on
        quad = np.round(quad).astype(quad.dtype)
    pad = round(PAD * _size(quad)[0])
    padded, back = warp(rgb, quad, pad, bend)
    turn, certain = upright_rotation(_inner(padded, pad))
    padded = np.ascontiguousarray(rotate(padded, turn))
    return Rectified(rgb=_inner(padded, pad), homography=back, rotation=turn, certain=certain,
                     padded=padded, pad=pad, exact=whole_pixels(quad) and not bend)  # fmt: skip


def turned_over(r: Rectified) -> Rectified:
    """The same screen the other way up (for when the layout cues were weak)."""
    return Rectified(rgb=np.ascontiguousarray(rotate(r.rgb, 180)), homography=r.homography,
                     rotation=(r.rotation + 180) % 360, certain=False,
                     padded=np.ascontiguousarray(rotate(r.padded, 180)), pad=r.pad,
                     exact=r.exact)  # fmt: skip
