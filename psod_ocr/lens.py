"""A phone lens bows straight lines a little (what the camera's own correction leaves of its
barrel or pincushion distortion): a screen's text rows curve, so no one homography lays them
flat and the cell grid drifts off the glyphs across the screen. One radial coefficient about
the picture's centre models it; the one that lays the rows flattest is taken back as the
screen is rectified (rectify.warp)."""

from __future__ import annotations

from itertools import pairwise

import cv2
import numpy as np

from .binarise import text_channel

CANDIDATES = np.linspace(-0.03, 0.03, 13)  # k1 per squared half-diagonal, 0.005 apart
SCORE_WIDTH = 1536  # the flat screen is scored at this width (a row about 18 px high)
MAP_STEP = 8  # pixels between the points its map is computed at
STRIPS = 8  # the flat screen's rows are compared across this many strips side by side
MIN_GAIN = 0.002  # a bend taken back must straighten the rows by this share at least
WORK_SIDE = 2048  # the picture is scored at most this large


def distort_points(points: np.ndarray, k1: float, size: tuple[int, int]) -> np.ndarray:
    """Where a lens with radial distortion ``k1`` (< 0 barrel) puts points of the ideal
    (pinhole) picture of ``size`` (w, h)."""
    centre = np.array(size, dtype=np.float64) / 2
    offset = np.asarray(points, dtype=np.float64) - centre
    r2 = (offset**2).sum(axis=-1, keepdims=True) / (centre**2).sum()
    return centre + offset * (1 + k1 * r2)


def undistort_points(points: np.ndarray, k1: float, size: tuple[int, int]) -> np.ndarray:
    """Where points of the picture lie in the ideal one (distort_points undone, by fixed-point
    steps: the distortion is a small share of the radius)."""
    centre = np.array(size, dtype=np.float64) / 2
    seen = np.asarray(points, dtype=np.float64) - centre
    ideal = seen
    for _ in range(5):
        ideal = seen / (1 + k1 * (ideal**2).sum(axis=-1, keepdims=True) / (centre**2).sum())
    return centre + ideal


def picture_map(back: np.ndarray, k1: float, size: tuple[int, int], out: tuple[int, int]) -> np.ndarray:
    """For each pixel of an ``out`` (w, h) image that homography ``back`` lays on the ideal
    picture of ``size``, where it lies in the picture the lens took: a remap table that
    undoes perspective and bend in one resampling (each one blurs a little)."""
    w, h = out
    # (on a coarse mesh, interpolated: the map is smooth)
    ys, xs = np.mgrid[0 : h + MAP_STEP : MAP_STEP, 0 : w + MAP_STEP : MAP_STEP].astype(np.float32)
    mesh = np.stack([xs, ys], axis=-1).reshape(-1, 1, 2)
    ideal = cv2.perspectiveTransform(mesh, back).reshape(*xs.shape, 2)
    coarse = distort_points(ideal, k1, size).astype(np.float32)
    fx = np.broadcast_to(np.arange(w, dtype=np.float32) / MAP_STEP, (h, w))
    fy = np.broadcast_to(np.arange(h, dtype=np.float32)[:, None] / MAP_STEP, (h, w))
    return cv2.remap(coarse, np.ascontiguousarray(fx), np.ascontiguousarray(fy), cv2.INTER_LINEAR)


def _flat_map(quad: np.ndarray, k1: float, size: tuple[int, int], width: int) -> np.ndarray:
    """For each pixel of the flat screen ``width`` wide, where it lies in the picture."""
    ideal_quad = undistort_points(quad, k1, size)
    tl, tr, br, bl = ideal_quad
    side = np.linalg.norm
    aspect = (side(bl - tl) + side(br - tr)) / (side(tr - tl) + side(br - bl))
    w, h = width, max(8, round(width * aspect))
    rect = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    back = cv2.getPerspectiveTransform(rect, ideal_quad.astype(np.float32))
    return picture_map(back, k1, size, (w, h))


def _sharpness(flat: np.ndarray, across: bool) -> float:
    """How sharply the text rows stand apart: the contrast of the ink's profile down the
    screen (across it, on a screen still lying on its side)."""
    profile = flat.mean(axis=0 if across else 1)
    return float(profile.std() / (profile.mean() + 1e-9))


def _straightness(flat: np.ndarray, across: bool) -> float:
    """How straight the text rows run: how alike the slopes of the ink's profiles down
    neighbouring strips of the screen are, where they lie (a bent row sits higher in one strip
    than the next).
    Each pair counts as much as its fainter strip's ink: a strip right of the text says little."""
    ink = flat.T if across else flat
    width = ink.shape[1]
    profiles = [ink[:, i * width // STRIPS : (i + 1) * width // STRIPS].mean(axis=1) for i in range(STRIPS)]
    # (their slopes: the edges of the rows, which a row sitting a pixel off moves most)
    profiles = [np.diff(p) for p in profiles]
    profiles = [p - p.mean() for p in profiles]
    total = weight = 0.0
    for a, b in pairwise(profiles):
        na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
        if min(na, nb) > 1e-6:
            total += min(na, nb) * float(a @ b) / (na * nb)
            weight += min(na, nb)
    return total / weight if weight else 0.0


def estimate_bend(rgb: np.ndarray, quad: np.ndarray) -> float:
    """The radial coefficient that lays the screen's text rows flattest; 0.0 when none does
    clearly better than leaving the picture as it is."""
    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    text = text_channel(small)
    size = (small.shape[1], small.shape[0])
    corners = np.asarray(quad, dtype=np.float64) * scale
    width = min(SCORE_WIDTH, round(np.linalg.norm(corners[1] - corners[0])))
    flats = {}

    def flat(k1: float) -> np.ndarray:
        if k1 not in flats:
            m = _flat_map(corners, k1, size, width)
            flats[k1] = cv2.remap(text, m[..., 0], m[..., 1], cv2.INTER_LINEAR)
        return flats[k1]

    # (which way the rows run: the screen is not yet turned upright)
    straight = flat(0.0)
    across = _sharpness(straight, True) > _sharpness(straight, False)
    scores = [_straightness(flat(float(k)), across) for k in CANDIDATES]
    best = int(np.argmax(scores))
    # (rows straightest at the range's end have no peak to find: a line or two of text, or
    # a glare spot's speckle, not a lens; real lenses leave less than the range)
    if not 0 < best < len(CANDIDATES) - 1 or scores[best] < (1 + MIN_GAIN) * _straightness(straight, across):
        return 0.0
    # (between the candidates: the peak of the parabola through the best and its neighbours)
    bend = float(CANDIDATES[best])
    a, b, c = scores[best - 1 : best + 2]
    if a - 2 * b + c < 0:
        bend += 0.5 * (a - c) / (a - 2 * b + c) * float(CANDIDATES[1] - CANDIDATES[0])
    return bend
