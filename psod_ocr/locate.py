"""Find the purple screen in a photo or screenshot: its four corners, clockwise from top-left.

The background of a purple screen is saturated magenta (violet or pink under a camera's colour
cast) with a green channel near zero, and nothing else in a server room looks like that over a
large, convex, four-cornered area. Text and glare punch holes in the region; they are closed
and filled before the outline is fitted.

A picture without colour (a greyscale file) keeps the screen's layout, not its purple: there the
screen is a large region of one ground level holding rows of light text, found the same way
(find_screen_by_layout), and its edges are where that ground's lightness begins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from .lens import distort_points, undistort_points

WORK_SIDE = 1000  # locate on a copy this long on its longer side
MIN_AREA_FRACTION = 0.04  # a screen smaller than this share of the picture is not read
JOINED_FILL = 0.85  # pieces of one screen split by a drawn line fill their joint hull
PIECE = 0.02  # a piece of the screen's region this large (share of the largest) may be part of it
# purple pixels in two groups this far apart in mean brightness, the dimmer at least this share
# of them: a room lit by the screen (real captures' screens, vignetted, measure 1.1-1.4)
LIT_APART, ROOM_SHARE = 1.8, 0.05
TEXT_CONTRAST = 30  # green levels a text stroke stands above its surroundings
ENVELOPE = 1.5  # outline points this close to the hull (px, work copy) trace the screen's edge
TEXT_SHARE = 0.002  # share of a screen's pixels that are text strokes, at least
SIDE_TEXT = 0.2  # a piece beside the screen holds text when this share of the screen's density
EDGE_SAMPLES = 120  # places along each side where the edge is found again at full resolution
EDGE_REACH = 3.0  # ... looking this many work-copy pixels either side of the side found there
EDGE_KEEP = 0.25  # ... a side is refitted when the edge is found in this share of them
EDGE_INWARD = 1.0  # picture pixels inside the fitted side beyond which an edge point is a glyph's
EDGE_REFITS = 3  # ... refitted without them this many times at most
EDGE_CONTRAST = 40  # purple levels (see _edge_points) the inside must stand above the outside
LIGHT_CONTRAST = 16  # ... grey levels, in a picture without colour
UPRIGHT_SLACK = 0.005  # share of its size a fitted quad may be off its bounding box and be one ...
UPRIGHT_REACH, UPRIGHT_FILL = 0.04, 0.99  # ... or this share when its region fills this much of the box
SOLID = 0.2  # the box is over the rows and columns the region fills this share of (of the fullest)
UNSCALED_WIDTH = 1014  # px: an upright screenshot this wide (ESXi's console: 1024) was not scaled down
# In a picture without colour a screen's ground is looked for within this share of the level
# around its text either way, or this many levels (a glare spot nearly doubles it), and parted
# from what is beyond by a step of more than this many levels from one pixel to the next (its
# edge: 6 and more; a lossless viewer's frame 6 levels darker than the ground is left out, 4 not)
GROUND_SPREAD, GROUND_SPREAD_MIN, GROUND_STEP = 1.0, 12, 4
GROUND_QUARTILES = (25, 75)  # the screen's ground's own spread: its middle half, widened by as much
TEXT_REACH = 7  # px: the text's strokes, the halo about them and the step they make in the ground


@dataclass(frozen=True)
class ScreenQuad:
    corners: np.ndarray  # 4x2 float32, input pixel coordinates, clockwise from top-left
    area_fraction: float  # share of the picture the screen covers
    fill: float  # purple (or ground) share of the quad (how screen-like the region is)
    touches_border: bool  # part of the screen is cut off by the picture's edge
    found_by: str = "purple"  # or "layout": a picture without colour (see CUES)

    def as_list(self) -> list[list[float]]:
        return [[round(float(x), 1), round(float(y), 1)] for x, y in self.corners]


def saturation(rgb: np.ndarray) -> np.ndarray:
    """Purple saturation: how far green sits below the weaker of red and blue, relative to it.

    A dim corner of the screen stays saturated; a room lit by its glow is washed with grey;
    pure red or blue things are excluded by requiring red and blue to be comparable.
    """
    r = rgb[..., 0].astype(np.float32)
    g = rgb[..., 1].astype(np.float32)
    b = rgb[..., 2].astype(np.float32)
    lo = np.minimum(r, b)
    hi = np.maximum(r, b)
    sat = (lo - g) / np.maximum(lo, 1.0)
    sat[(lo <= 30) | (lo * 10 < hi * 4)] = 0.0
    return sat


PURPLE_LEVEL = 0.5  # saturation above which a pixel is screen purple (measured on captures)


def purple_mask(rgb: np.ndarray, level: float = PURPLE_LEVEL) -> np.ndarray:
    """Pixels whose colour is the purple-screen background, under any plausible cast."""
    return saturation(rgb) > level


def _lit_purple(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The purple pixels that are the screen's, not a room's lit purple by it: when they fall
    into a bright and a far dimmer group, the bright one. (A screen's own vignetting dims it
    gradually: no two groups.)"""
    light = np.minimum(rgb[..., 0], rgb[..., 2])
    values = light[mask]
    if len(values) < 2:
        return mask
    split, _ = cv2.threshold(values.reshape(-1, 1), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    dim, lit = values[values <= split], values[values > split]
    if len(dim) >= ROOM_SHARE * len(values) and len(lit) and lit.mean() >= LIT_APART * dim.mean():
        return mask & (light > split)
    return mask  # (the very array: nothing to look at again)


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


def _hull(region: np.ndarray) -> np.ndarray:
    """Convex hull of a region, from its outline (far fewer points than its pixels)."""
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return cv2.convexHull(np.vstack(contours))


def _solidity(region: np.ndarray) -> float:
    return float(region.sum() / max(1.0, cv2.contourArea(_hull(region))))


def _holds_text(region: np.ndarray, ink: np.ndarray | None, beside: np.ndarray | None = None) -> bool:
    """Whether a region holds text strokes; ``beside`` a screen's region, a fair share of the
    screen's own density of them (a purple wall's edge against the bezel shows a few)."""
    if ink is None:
        return True
    floor = TEXT_SHARE if beside is None else max(TEXT_SHARE, SIDE_TEXT * float(ink[beside > 0].mean()))
    return float(ink[region > 0].mean()) >= floor


def _drawn_apart(a: np.ndarray, b: np.ndarray, mask: np.ndarray, bright: np.ndarray | None, k: int) -> bool:
    """Whether what parts two regions is a bright drawn line (an annotation), not the dark
    bezel between a screen and the purple-lit room."""
    if bright is None:
        return False
    near = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * k + 1, 2 * k + 1))
    a, b = a.astype(np.uint8), b.astype(np.uint8)
    gap = (cv2.dilate(a, near) > 0) & (cv2.dilate(b, near) > 0) & (mask == 0)
    return bool(gap.any()) and float(bright[gap].mean()) >= 0.5


def _screen_blob(
    mask: np.ndarray, k: int, ink: np.ndarray | None = None, bright: np.ndarray | None = None
) -> np.ndarray | None:
    """The screen's region once text holes are filled and bridges thinner than ``k`` (a bezel
    gap, a cable) are cut, grown back to the mask's own pixels so the cut does not round
    its outline.

    The screen is the largest region that is solid (a wall lit purple around the monitor has
    the monitor as a hole in it) and holds text; failing that, simply the largest.
    """
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    border = {"borderType": cv2.BORDER_CONSTANT, "borderValue": 0}
    filled = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, **border)  # fill the text
    opened = cv2.morphologyEx(filled, cv2.MORPH_OPEN, kernel, **border)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    if count < 2:
        return None
    order = list(1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA]))
    floor = MIN_AREA_FRACTION * mask.size

    def screen_like(label: int) -> bool:
        region = (labels == label).astype(np.uint8)
        return _solidity(region) >= 0.85 and _holds_text(region, ink)

    first = next((label for label in order[:4] if stats[label, cv2.CC_STAT_AREA] >= floor
                  and screen_like(label)), order[0])  # fmt: skip
    order.remove(first)
    order.insert(0, first)
    blob = (labels == order[0]).astype(np.uint8)
    # An annotation line drawn across the screen splits it: take in the other large pieces
    # that hold text too or are parted from it by a drawn line (not a wall or a desk beside
    # the screen) when together they still make one solid, convex region.
    for other in order[1:6]:
        if stats[other, cv2.CC_STAT_AREA] < 0.05 * stats[order[0], cv2.CC_STAT_AREA]:
            break
        piece = (labels == other).astype(np.uint8)
        if _solidity(piece) < 0.85:
            continue
        if not _holds_text(piece, ink, blob) and not _drawn_apart(blob, piece, mask, bright, k):
            continue
        joined = blob | piece
        inside = np.zeros_like(joined)
        cv2.fillConvexPoly(inside, _hull(joined), 1)
        if (filled & inside).sum() >= JOINED_FILL * inside.sum():
            blob = joined
    grow = cv2.getStructuringElement(cv2.MORPH_RECT, (k + 2, k + 2))
    region = mask & cv2.dilate(blob, grow)
    # Grown back, the region may fall apart where the closing bridged a gap: beside the
    # largest piece, keep the large pieces that hold text or are parted from it by a drawn
    # line (an annotation), not a purple desk bridged to the screen across a thin bezel.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(region, connectivity=8)
    if count <= 2:
        return region
    main = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    keep = labels == main
    for other in range(1, count):
        piece = labels == other
        if other == main or stats[other, cv2.CC_STAT_AREA] < PIECE * stats[main, cv2.CC_STAT_AREA]:
            continue
        if _holds_text(piece, ink, labels == main) or _drawn_apart(labels == main, piece, mask, bright, k):
            keep |= piece
    return keep.astype(np.uint8)


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    (vx1, vy1, x1, y1), (vx2, vy2, x2, y2) = a, b
    det = vx1 * vy2 - vy1 * vx2
    if abs(det) < 1e-6:
        return None
    t = ((x2 - x1) * vy2 - (y2 - y1) * vx2) / det
    return np.array([x1 + t * vx1, y1 + t * vy1], dtype=np.float32)


def refine_quad(quad: np.ndarray, outline: np.ndarray) -> np.ndarray:
    """Fit a straight line to each side of the outline and intersect neighbours: a corner
    hidden by a text glyph, glare or a cut-off edge is then where its sides meet."""
    pts = outline.reshape(-1, 2).astype(np.float32)
    lines = []
    for i in range(4):
        p, q = quad[i], quad[(i + 1) % 4]
        d = q - p
        length = float(np.hypot(*d))
        if length < 4:
            return quad
        u = d / length
        rel = pts - p
        along = rel @ u
        across = np.abs(rel[:, 0] * u[1] - rel[:, 1] * u[0])
        near = (across < max(2.0, 0.02 * length)) & (along > 0.1 * length) & (along < 0.9 * length)
        if near.sum() < 5:
            return quad
        lines.append(cv2.fitLine(pts[near], cv2.DIST_HUBER, 0, 0.01, 0.01).ravel())
    corners = [_intersect(lines[i - 1], lines[i]) for i in range(4)]
    if any(c is None for c in corners):
        return quad
    refined = np.array(corners, dtype=np.float32)
    # Trust the fit only if it moved corners a little (a few percent of the size).
    size = float(np.hypot(*(quad[2] - quad[0])))
    if np.max(np.linalg.norm(refined - quad, axis=1)) > 0.05 * size:
        return quad
    return refined


def purple_level(rgb: np.ndarray) -> np.ndarray:
    """Red and blue over green: purple as a blur (or JPEG's colour bleed) mixes it, linearly
    (saturation, a ratio, stays high far into a blurred edge)."""
    rgb = rgb.astype(np.float32)
    return (rgb[..., 0] + rgb[..., 2]) / 2 - rgb[..., 1]


def lightness(rgb: np.ndarray) -> np.ndarray:
    """Grey level: a picture without colour sets its screen apart by this alone (the ground's
    grey is lighter than a bezel's, a viewer's black bars, or the black beyond the picture)."""
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)


@dataclass(frozen=True)
class Cue:
    """How the screen's ground stands above what is beyond its edge: the level, which
    percentile of the levels just inside a side is the ground's (its glyphs lie off it), and
    how far above the outside's it must be for the edge to be found there."""

    level: Callable[[np.ndarray], np.ndarray]
    ground: float
    contrast: float


# glyphs are not purple: the upper quartile inside is the ground; they are lighter than a grey
# screen's ground: the lower quartile is. (A grey screen's ground, about 70, stands about as far
# above a bezel's as it is above black; purple's level is 170.)
CUES = {"purple": Cue(purple_level, 75, EDGE_CONTRAST), "layout": Cue(lightness, 25, LIGHT_CONTRAST)}


def _edge_points(rgb: np.ndarray, p: np.ndarray, q: np.ndarray, inward: np.ndarray,
                 reach: float, bend: float = 0.0, cue: Cue = CUES["purple"]) -> np.ndarray:  # fmt: skip
    """Where the screen begins along lines across the side p-q, at full resolution: the first
    place, coming from outside, past halfway between the outside's and the inside's purple
    (or the ``cue``'s level).
    With a lens's ``bend``, p-q and the points are in the picture a straight lens would take."""
    d = q - p
    along = d / np.linalg.norm(d)
    ts = np.linspace(0.06, 0.94, EDGE_SAMPLES) * np.linalg.norm(d)
    offsets = np.arange(-reach, reach + 0.5, 0.5, dtype=np.float32)
    xy = (p + ts[:, None, None] * along + offsets[None, :, None] * inward).astype(np.float32)
    if bend:
        xy = distort_points(xy, bend, (rgb.shape[1], rgb.shape[0])).astype(np.float32)
    rgb_line = cv2.remap(rgb, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    profile = cue.level(rgb_line)
    quarter = len(offsets) // 4
    outside = float(np.median(profile[:, :quarter]))
    inside = float(np.percentile(profile[:, -quarter:], cue.ground))  # glyphs there are off it
    if inside - outside < cue.contrast:
        return np.empty((0, 2), np.float32)
    mid = (inside + outside) / 2
    above = profile >= mid
    first = np.argmax(above, axis=1)
    steady = np.take_along_axis(above, np.minimum(first + 3, len(offsets) - 1)[:, None], axis=1)[:, 0]
    ok = (first > 0) & above[np.arange(len(first)), first] & steady
    rows = np.flatnonzero(ok)
    a, b = profile[rows, first[ok] - 1], profile[rows, first[ok]]
    t = offsets[first[ok] - 1] + 0.5 * (mid - a) / np.maximum(b - a, 1e-6)
    return (p + ts[rows, None] * along + t[:, None] * inward).astype(np.float32)


def refine_full(rgb: np.ndarray, quad: np.ndarray, scale: float, bend: float = 0.0,
                slack: float = 0.0, cue: Cue = CUES["purple"]) -> np.ndarray | None:  # fmt: skip
    """The sides found on the work copy, refitted to the picture's own pixels: a corner off by
    a work-copy pixel is a few picture pixels off, and the glyph grid drifts by that much.
    With a lens's ``bend``, ``quad`` and the corners are in the picture a straight lens would
    take; a corner may then move ``slack`` pixels further."""
    reach = EDGE_REACH / scale + 2
    centre = quad.mean(axis=0)
    lines = []
    for i in range(4):
        p, q = quad[i], quad[(i + 1) % 4]
        d = (q - p) / max(float(np.linalg.norm(q - p)), 1e-6)
        inward = np.array([d[1], -d[0]], np.float32)
        if float(np.dot(centre - p, inward)) < 0:
            inward = -inward
        pts = _edge_points(rgb, p, q, inward, reach, bend, cue)
        if len(pts) < EDGE_KEEP * EDGE_SAMPLES:  # the side as found on the work copy
            lines.append(np.array([*d, *p], np.float32))
            continue
        line = cv2.fitLine(pts, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        # a glyph at the screen's edge moves the edge found inward, never outward: refit
        # without the points that lie inside the line
        for _ in range(EDGE_REFITS):
            vx, vy, x0, y0 = line
            depth = ((pts[:, 0] - x0) * -vy + (pts[:, 1] - y0) * vx) * float(np.dot([-vy, vx], inward))
            outer = pts[depth <= EDGE_INWARD]
            if len(outer) < EDGE_KEEP * EDGE_SAMPLES:
                break
            line = cv2.fitLine(outer, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append(line)
    corners = [_intersect(lines[i - 1], lines[i]) for i in range(4)]
    if any(c is None for c in corners):
        return None
    refined = np.array(corners, dtype=np.float32)
    return refined if np.max(np.linalg.norm(refined - quad, axis=1)) <= reach + slack else None


def bent_corners(rgb: np.ndarray, corners: np.ndarray, bend: float, found_by: str = "purple") -> np.ndarray:
    """A photo's screen corners again, its sides fitted along the curves a lens's ``bend``
    makes of them (the straight sides fitted first meet off the corners, by as much as the
    sides bow). ``found_by``: the ScreenQuad's, whose cue its edges are found by again."""
    size = (rgb.shape[1], rgb.shape[0])
    scale = min(1.0, WORK_SIDE / max(size))
    # (as in _find_in: the sides are refitted on pixel centres, reported on pixel edges)
    seen = corners - 0.5
    ideal = undistort_points(seen, bend, size)
    # (a straight side fitted to a bowed edge meets the next up to about the bow away)
    middles = distort_points((ideal + np.roll(ideal, -1, axis=0)) / 2, bend, size)
    bow = float(np.linalg.norm(middles - (seen + np.roll(seen, -1, axis=0)) / 2, axis=1).max())
    refined = refine_full(rgb, ideal, scale, bend, slack=bow, cue=CUES[found_by])
    if refined is None:
        return corners
    return (distort_points(refined, bend, size) + 0.5).astype(np.float32)


def _solid_box(region: np.ndarray) -> tuple[int, int, int, int]:
    """The region's bounding box (x, y, w, h) over the rows and columns it fills at least
    SOLID of (a screen's edge pixel a scaler half purpled does): a speck JPEG made purple in
    a window's dark border, joined to the screen, does not widen it."""
    cols, rows = region.sum(axis=0), region.sum(axis=1)
    xs = np.flatnonzero(cols >= SOLID * cols.max())
    ys = np.flatnonzero(rows >= SOLID * rows.max())
    return int(xs[0]), int(ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)


def _snap_upright(quad: np.ndarray, hull: np.ndarray, region: np.ndarray) -> np.ndarray:
    """A screenshot's screen is an upright rectangle: when the region is one (its fitted
    sides a few pixels off its bounding box, or its region filling the box), the box is
    exact, whatever text hides its corners."""
    x, y, w, h = _solid_box(region)
    box = np.array([[x, y], [x + w - 1, y], [x + w - 1, y + h - 1], [x, y + h - 1]], np.float32)
    # A screenshot's fitted sides are at most 3 work pixels off its box, a photo's (taken as
    # square on as anyone holds a phone) 9 or more; a screenshot's window may pull one corner
    # further off, but its region still fills its box, which a photo's does not.
    _, _, hull_w, hull_h = cv2.boundingRect(hull)
    off, filled = float(np.max(np.abs(quad - box))), cv2.contourArea(hull) / (hull_w * hull_h)
    near = off <= max(3.0, UPRIGHT_SLACK * max(w, h)) and filled >= 0.97
    boxed = off <= max(8.0, UPRIGHT_REACH * max(w, h)) and filled >= UPRIGHT_FILL
    return box if near or boxed else quad


def _edge_index(profile: np.ndarray, contrast: float = EDGE_CONTRAST) -> int | None:
    """Where a side's purple profile (read from outside in) first passes halfway from the
    outside's level to the inside's: the first pixel of the screen."""
    outside, inside = float(profile[0]), float(profile[-1])
    if inside - outside < contrast:
        return None
    return int(np.argmax(profile >= (outside + inside) / 2))


def exact_box(rgb: np.ndarray, corners: np.ndarray, scale: float, cue: Cue = CUES["purple"]) -> np.ndarray:
    """An upright screenshot's box on the picture's own whole pixels. The work copy's box is
    a pixel or two off, and a box off the pixel grid makes rectify resample the screen:
    every glyph then comes in several shapes."""
    h, w = rgb.shape[:2]
    reach = 2 * int(np.ceil(1 / scale)) + 2
    (x0, y0), (x1, y1) = corners[0], corners[2]
    a, b = int(y0) - reach, int(np.ceil(y1)) + reach
    c, d = int(x0) - reach, int(np.ceil(x1)) + reach
    # beyond the picture is black: a screen that fills the picture ends at its border
    inside = rgb[max(0, a) : min(h, b), max(0, c) : min(w, d)]
    crop = cv2.copyMakeBorder(inside, max(0, -a), max(0, b - h), max(0, -c), max(0, d - w),
                              cv2.BORDER_CONSTANT, value=0)  # fmt: skip
    purple = cue.level(crop)
    ph, pw = purple.shape
    # along the middle of each side (no corner, no chrome's rounded corner), the median
    # across it: text in the first column or row does not move it
    rows, cols = slice(ph // 5, ph - ph // 5), slice(pw // 5, pw - pw // 5)
    width = 2 * reach + 1
    sides = (np.median(purple[rows, :width], axis=0), np.median(purple[rows, pw - width :], axis=0)[::-1],
             np.median(purple[:width, cols], axis=1), np.median(purple[ph - width :, cols], axis=1)[::-1])
    found = [_edge_index(profile, cue.contrast) for profile in sides]
    if None in found:
        return corners
    left, right, top, bottom = found
    ex0, ex1, ey0, ey1 = c + left, c + pw - right, a + top, a + ph - bottom  # pixel edges
    exact = np.array([[ex0, ey0], [ex1, ey0], [ex1, ey1], [ex0, ey1]], dtype=np.float32)
    # a side found no nearer than the work copy's own precision is the same side
    return exact if np.max(np.abs(exact - corners)) <= reach else corners


def _distance_to_outline(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Each point's distance to the nearest side of a closed polygon (as
    cv2.pointPolygonTest measures it, without its sign), for all points at once."""
    a, b = polygon, np.roll(polygon, -1, axis=0)  # each side, from a to b
    side = b - a
    length2 = np.maximum((side * side).sum(axis=1), 1e-12)
    rel = points[:, None, :] - a[None, :, :]
    t = np.clip((rel * side[None]).sum(axis=2) / length2, 0.0, 1.0)
    nearest = rel - t[..., None] * side[None]
    return np.sqrt((nearest * nearest).sum(axis=2)).min(axis=1)


def find_screen(rgb: np.ndarray) -> ScreenQuad | None:
    """The screen's quadrilateral, or None when the picture holds no purple screen.

    A screen found running off the picture may be a room lit purple by it taken in across a
    thin bezel: the screen is then looked for among the brighter purple alone, and taken
    when found whole inside the picture.
    """
    small, scale = _work_copy(rgb)
    purple = purple_mask(small)
    found = _find_in(rgb, small, purple, scale)
    if found is not None and found.touches_border:
        lit = _lit_purple(small, purple)
        inside = _find_in(rgb, small, lit, scale) if lit is not purple else None
        if inside is not None and not inside.touches_border:
            return inside
    return found


def _work_copy(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The picture at most WORK_SIDE long, and its scale."""
    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1 else rgb  # fmt: skip
    return small, scale


def _stroke(small: np.ndarray) -> int:
    """Odd side of the square wider than a text stroke and narrower than a text row."""
    return max(3, round(min(small.shape[:2]) / 80)) | 1


def ground_mask(small: np.ndarray) -> np.ndarray:
    """The pixels of a screen's ground in a picture without colour. With the light strokes
    thinner than a glyph's taken away, the ground is the smooth expanse that holds the most
    text (a room as light beyond the bezel, a viewer's frame a little darker, is parted from
    it by a step), and the ground as light as it that its text joins to it (lossy compression
    rings a line of glyphs with a darker halo: a step too)."""
    grey = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (_stroke(small),) * 2)
    ground = cv2.morphologyEx(grey, cv2.MORPH_OPEN, kernel)
    ink = (cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, kernel) > TEXT_CONTRAST).astype(np.uint8)
    near = cv2.dilate(ink, kernel) > 0
    if not near.any():
        return np.zeros(grey.shape, bool)
    level = float(np.median(ground[near]))
    band = np.abs(ground.astype(np.float32) - level) <= max(GROUND_SPREAD_MIN, GROUND_SPREAD * level)
    steps = cv2.morphologyEx(ground, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    smooth = band & (steps <= GROUND_STEP)
    count, labels = cv2.connectedComponents(smooth.astype(np.uint8), connectivity=4)
    texts = np.bincount(labels[near], minlength=count)
    texts[0] = 0
    if not texts.any():
        return np.zeros(grey.shape, bool)
    main = labels == int(np.argmax(texts))
    # other ground as light as the screen's: within its own spread (a screenshot's is flat, a
    # photo's vignetted), each piece and each pixel of it (not a dark bezel in a room as light)
    lo, hi = np.percentile(ground[main], GROUND_QUARTILES)
    lo, hi = lo - (hi - lo), hi + (hi - lo)
    sizes = np.maximum(np.bincount(labels.ravel(), minlength=count), 1)
    means = np.bincount(labels.ravel(), weights=ground.ravel(), minlength=count) / sizes
    light = ((means >= lo - GROUND_STEP) & (means <= hi + GROUND_STEP))[labels]
    alike = main | (smooth & light & (ground >= lo - GROUND_STEP) & (ground <= hi + GROUND_STEP))
    # text joins the ground either side of it (its strokes and what lies between them, not
    # the darker halo, nor a bezel a glyph in the first column touches)
    text = (cv2.dilate(ink, np.ones((TEXT_REACH, TEXT_REACH), np.uint8)) > 0) & (grey >= lo - GROUND_STEP)
    _, pieces = cv2.connectedComponents((alike | text).astype(np.uint8), connectivity=4)
    screen = (pieces == pieces[main][0]).astype(np.uint8)
    ground_of = screen & alike.astype(np.uint8)
    # ... and is the screen's where its ground surrounds it (not beyond the screen's edge)
    across = cv2.getStructuringElement(cv2.MORPH_RECT, (3 * _stroke(small),) * 2)
    closed = cv2.morphologyEx(ground_of, cv2.MORPH_CLOSE, across, borderType=cv2.BORDER_CONSTANT,
                              borderValue=0)  # fmt: skip
    # (a step marks a pixel either side of it: the ground's own is taken back)
    return (cv2.dilate(ground_of | (closed & screen), np.ones((3, 3), np.uint8)) > 0) & band


def find_screen_by_layout(rgb: np.ndarray) -> ScreenQuad | None:
    """The screen in a picture without colour (see ground_mask), or None: as find_screen
    finds it in its purple, a large solid region that holds text. Whether what was found is a
    purple screen only its text can tell (the caller reads it)."""
    small, scale = _work_copy(rgb)
    return _find_in(rgb, small, ground_mask(small), scale, "layout")


def _find_in(rgb: np.ndarray, small: np.ndarray, purple: np.ndarray, scale: float,
             found_by: str = "purple") -> ScreenQuad | None:  # fmt: skip
    h, w = rgb.shape[:2]
    sh, sw = small.shape[:2]
    cue = CUES[found_by]
    mask = purple.astype(np.uint8)
    speck = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, speck, borderType=cv2.BORDER_REPLICATE)
    k = _stroke(small)
    # text: strokes thinner than k that are brighter in green than around them (white and
    # yellow text, however dim and blurred; a lit wall or desk has none)
    tophat = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    ink = cv2.morphologyEx(small[..., 1], cv2.MORPH_TOPHAT, tophat) > TEXT_CONTRAST
    region = _screen_blob(mask, k, ink, small.max(axis=2) >= 128)
    if region is None or region.sum() < 100:
        return None
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    contour = np.vstack(contours)  # the screen's pieces (see _screen_blob)
    hull = cv2.convexHull(contour)
    area = cv2.contourArea(hull)
    if area < MIN_AREA_FRACTION * sh * sw:
        return None
    # The sides are fitted to the outline where it runs along the hull: glyphs in the first
    # column and row bite into the outline, and a fit through the bites lies inside the screen.
    pts = contour.reshape(-1, 2).astype(np.float32)
    envelope = pts[_distance_to_outline(pts, hull.reshape(-1, 2).astype(np.float32)) <= ENVELOPE]
    quad = refine_quad(order_corners(_quad_from_hull(hull)), envelope if len(envelope) >= 20 else contour)
    snapped = _snap_upright(quad, hull, region)
    upright, quad = snapped is not quad, snapped
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
    # Hull points are pixel centres; the screen's edge is half a pixel further out, and the
    # report uses pixel-edge coordinates (a 1024x768 screenshot spans 0..1024, 0..768).
    centre = quad.mean(axis=0)
    corners = (quad + 0.5 * np.sign(quad - centre) + 0.5) / scale
    if scale < 1 and not upright:
        # a photo's screen, on the picture's pixels (cv2.resize aligns pixel edges); an
        # upright screenshot's box is exact as it is (refitted, viewer captures read no better)
        refined = refine_full(rgb, (quad + 0.5) / scale - 0.5, scale, cue=cue)
        if refined is not None:
            corners = refined + 0.5  # an edge found between two pixel centres
    elif upright and corners[1][0] - corners[0][0] >= UNSCALED_WIDTH:
        # A screenshot no smaller than the console was not scaled down: its edges are sharp and
        # lie between whole pixels (a pixel half purple beside one is JPEG's colour bleed).
        # Scaled down, an edge falls inside a pixel that holds part of the first column.
        corners = exact_box(rgb, corners, scale, cue)
    corners = np.clip(corners, 0, [w, h])
    return ScreenQuad(
        corners=corners.astype(np.float32),
        area_fraction=float(quad_area / (sh * sw)),
        fill=fill,
        touches_border=bool(touches),
        found_by=found_by,
    )
