"""Find the purple screen in a photo or screenshot: its four corners, clockwise from top-left.

The background of a purple screen is saturated magenta (violet or pink under a camera's colour
cast) with a green channel near zero, and nothing else in a server room looks like that over a
large, convex, four-cornered area. Text and glare punch holes in the region; they are closed
and filled before the outline is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 1000  # locate on a copy this long on its longer side
MIN_AREA_FRACTION = 0.04  # a screen smaller than this share of the picture is not read


@dataclass(frozen=True)
class ScreenQuad:
    corners: np.ndarray  # 4x2 float32, input pixel coordinates, clockwise from top-left
    area_fraction: float  # share of the picture the screen covers
    fill: float  # purple share of the quad (how screen-like the region is)
    touches_border: bool  # part of the screen is cut off by the picture's edge

    def as_list(self) -> list[list[float]]:
        return [[round(float(x), 1), round(float(y), 1)] for x, y in self.corners]


def purple_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels whose colour is the purple-screen background (under any plausible cast)."""
    r = rgb[..., 0].astype(np.int16)
    g = rgb[..., 1].astype(np.int16)
    b = rgb[..., 2].astype(np.int16)
    lo = np.minimum(r, b)
    hi = np.maximum(r, b)
    return ((lo - g) > 35) & (lo * 10 >= hi * 4) & (hi > 70)


def order_corners(pts: np.ndarray) -> np.ndarray:
    """Four points -> top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(pts, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # counter-clockwise in image coordinates = clockwise visually
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def _quad_from_hull(hull: np.ndarray) -> np.ndarray:
    """The four-cornered polygon that best fits a convex hull."""
    peri = cv2.arcLength(hull, True)
    for frac in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, frac * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
    # More than four corners (a cut-off corner, rounded edges): fit lines to the hull's
    # dominant sides via the minimum-area rectangle, then pull each corner to the hull.
    box = cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
    pts = hull.reshape(-1, 2).astype(np.float32)
    return np.array([pts[np.argmin(((pts - c) ** 2).sum(axis=1))] for c in box], np.float32)


def _drop_dim_spill(small: np.ndarray, mask: np.ndarray, region: np.ndarray, k: int) -> np.ndarray:
    """Cut the screen's glow on the bezel or a wall: purple too, but much dimmer."""
    inside = (region > 0) & (mask > 0)
    if inside.sum() < 100:
        return region
    level = np.maximum(small[..., 0], small[..., 2]).astype(np.float32)
    bright = level >= 0.55 * float(np.median(level[inside]))
    core = (mask > 0) & bright & (region > 0)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    core = cv2.morphologyEx(core.astype(np.uint8), cv2.MORPH_CLOSE, kernel,
                            borderType=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
    count, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    if count < 2:
        return region
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return (labels == best).astype(np.uint8)


def find_screen(rgb: np.ndarray) -> ScreenQuad | None:
    """The screen's quadrilateral, or None when the picture holds no purple screen."""
    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1 else rgb  # fmt: skip
    sh, sw = small.shape[:2]
    mask = purple_mask(small).astype(np.uint8)
    k = max(3, round(min(sh, sw) / 60)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    # Outside the picture is not purple: a constant border keeps a thin viewer frame out.
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    if count < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = (labels == best).astype(np.uint8)
    region = _drop_dim_spill(small, mask, region, k)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    contour = max(contours, key=cv2.contourArea)
    hull = cv2.convexHull(contour)
    area = cv2.contourArea(hull)
    if area < MIN_AREA_FRACTION * sh * sw:
        return None
    quad = order_corners(_quad_from_hull(hull))
    quad_area = cv2.contourArea(quad.reshape(-1, 1, 2))
    if quad_area <= 0:
        return None
    filled = np.zeros_like(mask)
    cv2.fillConvexPoly(filled, quad.astype(np.int32), 1)
    fill = float((mask & filled).sum() / max(1, filled.sum()))
    if fill < 0.35:  # mostly not purple: a few purple things, not a screen
        return None
    x, y, bw, bh = cv2.boundingRect(hull)
    touches = x <= 1 or y <= 1 or x + bw >= sw - 1 or y + bh >= sh - 1
    # Hull points are pixel centres; the screen's edge is half a pixel further out.
    centre = quad.mean(axis=0)
    quad = quad + 0.5 * np.sign(quad - centre)
    corners = np.clip(quad / scale, 0, [w, h])
    return ScreenQuad(
        corners=corners.astype(np.float32),
        area_fraction=float(quad_area / (sh * sw)),
        fill=fill,
        touches_border=bool(touches),
    )
