"""Square the flat screen up on its text, where its outline could not.

A photo taken close, with the screen's edges out of the picture, leaves the outline (the
picture's edges) a wrong homography: the rows still converge or tilt and the columns crowd on the
far side, and no grid cuts the cells. The text itself says how to correct it: rows and
columns of a console line up only when the screen is square, so a small correcting
homography is searched for that makes their repeats sharpest.
"""

from __future__ import annotations

import cv2
import numpy as np

from .binarise import Grid, text_channel, text_weight, without_lines
from .rectify import Rectified

WORK_ROW_PX = 10  # the search runs on a copy this many pixels a row
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
