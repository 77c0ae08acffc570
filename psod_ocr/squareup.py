"""Square the flat screen up on its text, where its outline could not.

A photo taken close, with the screen's edges out of the picture, leaves the outline (the
picture's edges) a wrong homography: the rows still converge or tilt and the columns crowd on the
far side, and no grid cuts the cells. The text itself says how to correct it. First the rows'
angle: turned by it the picture's rows of text stand level, where the ink's row profile varies
most; the screen is flattened along them, not along the picture's edges (which would shear
it). Then rows and columns of a console line up only when the screen is square, so a small
correcting homography is searched for that makes their repeats sharpest.
"""

from __future__ import annotations

import cv2
import numpy as np

from .binarise import Grid, text_channel, text_weight, without_lines
from .rectify import Rectified, rectify

WORK_ROW_PX = 10  # the search runs on a copy this many pixels a row
ANGLE_SIDE = 1024  # the rows' angle is found on a copy this many pixels on its longer side ...
MAX_ANGLE = 20.0  # ... among angles this far either way, first in COARSE steps, then FINE ones
COARSE, FINE = 0.5, 0.1
# the correction's parameters (coordinates scaled to -1..1): rotation and shear of the rows,
# shear of the columns, and the two perspective terms; the search starts with these steps
STEPS = np.array([0.02, 0.02, 0.08, 0.08])
ROUNDS = 4  # each round halves the steps
GAIN = 1.15  # the corrected screen's repeats must be this much sharper to be taken
MIN_SHARP = 0.02  # below this the text repeats too little at the grid's pitches to go by


def _homography(p: np.ndarray, w: int, h: int) -> np.ndarray:
    """The correction for parameters ``p`` (in coordinates scaled to -1..1) as a homography
    on the image's pixels."""
    rot, shear, px, py = p
    to_unit = np.array([[2 / w, 0, -1], [0, 2 / h, -1], [0, 0, 1]])
    correction = np.array([[1, shear, 0], [rot, 1, 0], [px, py, 1]])
    return np.linalg.inv(to_unit) @ correction @ to_unit


def _sharpness(ink: np.ndarray, row_pitch: float, col_pitch: float) -> float:
    """How sharply the rows and the columns repeat: each profile's power at its pitch (best
    within 8%) over its total power."""
    score = 0.0
    for axis, pitch in ((1, row_pitch), (0, col_pitch)):
        profile = ink.mean(axis=axis)
        profile = profile - profile.mean()
        n = len(profile)
        spectrum = np.abs(np.fft.rfft(profile, 4 * n)) ** 2
        freq = np.fft.rfftfreq(4 * n)
        band = (freq >= 1 / (pitch * 1.08)) & (freq <= 1 / (pitch * 0.92))
        if band.any():
            score += float(spectrum[band].max() / max(spectrum[1:].sum(), 1e-9))
    return score


def _level(ink: np.ndarray, degrees: float) -> float:
    """How much the row profile of the ink turned by ``degrees`` varies (over its mean)."""
    h, w = ink.shape
    turned = cv2.warpAffine(ink, cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), (w, h))
    profile = turned.sum(axis=1)
    return float(profile.var() / max(float(profile.mean()), 1e-9) ** 2)


def rows_angle(rgb: np.ndarray) -> float:
    """The angle (degrees, counter-clockwise as OpenCV turns) that lays the text's rows level."""
    h, w = rgb.shape[:2]
    f = min(1.0, ANGLE_SIDE / max(h, w))
    small = cv2.resize(rgb, (max(8, round(w * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA)
    ink = without_lines(text_weight(text_channel(small)))
    coarse = np.arange(-MAX_ANGLE, MAX_ANGLE + COARSE / 2, COARSE)
    best = float(coarse[int(np.argmax([_level(ink, a) for a in coarse]))])
    fine = np.arange(best - COARSE, best + COARSE + FINE / 2, FINE)
    return float(fine[int(np.argmax([_level(ink, a) for a in fine]))])


def along_rows(rgb: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Corners (tl, tr, br, bl) of the box around ``corners`` whose sides run along the text's
    rows and across them: a screen whose outline the picture cuts, flattened by its text."""
    h, w = rgb.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), rows_angle(rgb), 1.0)
    pts = np.hstack([corners.astype(np.float64), np.ones((4, 1))]) @ turn.T
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    box = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]])
    return (box @ cv2.invertAffineTransform(turn).T).astype(np.float32)


def flat_along_rows(rgb: np.ndarray, corners: np.ndarray) -> tuple[Rectified, np.ndarray]:
    """The screen within ``corners`` flattened along its text's rows (see along_rows), and the
    box's corners; what lies outside the screen found stays out of it (a bezel's edge is no text)."""
    box = along_rows(rgb, corners)
    inside = cv2.fillConvexPoly(np.zeros(rgb.shape[:2], np.uint8), np.round(corners).astype(np.int32), 1)
    return rectify(rgb * inside[..., None], box), box


def square_up(flat: Rectified, grid: Grid) -> Rectified | None:
    """The flat screen warped so its text rows and columns line up, or None when it already
    is as square as the search can make it (or there is no column pitch to go by)."""
    if not grid.col_pitch:
        return None
    ink = without_lines(text_weight(text_channel(flat.rgb)))
    h, w = ink.shape
    f = min(1.0, WORK_ROW_PX / float(grid.row_pitch))
    sw, sh = max(8, round(w * f)), max(8, round(h * f))
    small = cv2.resize(ink, (sw, sh), interpolation=cv2.INTER_AREA)
    row_pitch, col_pitch = float(grid.row_pitch) * f, float(grid.col_pitch) * f

    def score(p: np.ndarray) -> float:
        warped = cv2.warpPerspective(small, _homography(p, sw, sh), (sw, sh), flags=cv2.INTER_LINEAR)
        return _sharpness(warped, row_pitch, col_pitch)

    best = np.zeros(4)
    start = best_score = score(best)
    if start < MIN_SHARP:  # (a sparse screen, or a pitch that is not the text's)
        return None
    steps = STEPS.copy()
    for _ in range(ROUNDS):
        moved = True
        while moved:  # (a pattern search: each parameter a step either way while that helps)
            moved = False
            for i in range(len(best)):
                for sign in (-1, 1):
                    trial = best.copy()
                    trial[i] += sign * steps[i]
                    s = score(trial)
                    if s > best_score:
                        best, best_score, moved = trial, s, True
        steps /= 2
    if best_score < GAIN * start:
        return None
    pad = flat.pad
    ph, pw = flat.padded.shape[:2]
    # the same correction on the padded screen: shifted by the padding
    shift = np.array([[1, 0, pad], [0, 1, pad], [0, 0, 1]], dtype=np.float64)
    matrix = shift @ _homography(best, w, h) @ np.linalg.inv(shift)
    padded = cv2.warpPerspective(flat.padded, matrix, (pw, ph), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT)  # fmt: skip
    back = flat.homography @ np.linalg.inv(matrix)
    return Rectified(rgb=padded[pad : ph - pad, pad : pw - pad], homography=back, rotation=flat.rotation,
                     certain=flat.certain, padded=padded, pad=pad)  # fmt: skip
