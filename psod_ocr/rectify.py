"""Warp the found screen to a flat, upright rectangle.

Perspective is undone with the quad's homography. Which way is up is decided from the text:
on a purple screen the text hugs the top-left (every PSOD writes from row 0, column 0), and
the yellow banner, when there is one, is the top line.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_SIDE = 3072  # enough for 128 columns at 24 px a cell


@dataclass(frozen=True)
class Rectified:
    rgb: np.ndarray  # the flat screen, upright
    homography: np.ndarray  # 3x3, rectified -> input coordinates
    rotation: int  # degrees the warped screen was turned clockwise to stand upright


def _size(quad: np.ndarray) -> tuple[int, int]:
    tl, tr, br, bl = quad
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(8, round(width * scale)), max(8, round(height * scale))


def warp(rgb: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, h = _size(quad)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    forward = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    flat = cv2.warpPerspective(rgb, forward, (w, h), flags=cv2.INTER_AREA,
                               borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    return flat, np.linalg.inv(forward)


def text_weight(rgb: np.ndarray) -> np.ndarray:
    """How text-like each pixel is: the background's green channel is near zero."""
    g = rgb[..., 1].astype(np.float32)
    return np.clip((g - 60.0) / 120.0, 0.0, 1.0)


def yellow_weight(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    return np.clip((np.minimum(r, g) - b - 40.0) / 80.0, 0.0, 1.0)


def upright_rotation(flat: np.ndarray) -> int:
    """Clockwise turn (0/90/180/270) that puts the text upright."""
    text = text_weight(flat)
    if text.sum() < 50:
        return 0
    h, w = text.shape
    # Text lines run along rows: the row profile is far spikier than the column profile.
    rows = text.mean(axis=1)
    cols = text.mean(axis=0)
    rows_spiky = np.std(np.diff(rows)) / (rows.mean() + 1e-6)
    cols_spiky = np.std(np.diff(cols)) / (cols.mean() + 1e-6)
    turned = rows_spiky < cols_spiky * 0.8  # lines run vertically: a quarter turn out
    yellow = yellow_weight(flat)
    ys, xs = np.nonzero(yellow > 0.5)
    if turned:
        if len(xs) > 30:  # the banner is the top line: it lies on the left or right edge
            return 90 if xs.mean() < w / 2 else 270
        cx = (text.sum(axis=0) * np.arange(w)).sum() / text.sum()
        return 90 if cx < w / 2 else 270
    if len(ys) > 30:
        return 0 if ys.mean() < h / 2 else 180
    cy = (text.sum(axis=1) * np.arange(h)).sum() / text.sum()
    cx = (text.sum(axis=0) * np.arange(w)).sum() / text.sum()
    return 180 if (cy > h * 0.6 and cx > w * 0.55) else 0


def rotate(rgb: np.ndarray, degrees: int) -> np.ndarray:
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(rgb, codes[degrees]) if degrees in codes else rgb


def rectify(rgb: np.ndarray, quad: np.ndarray) -> Rectified:
    flat, back = warp(rgb, quad)
    turn = upright_rotation(flat)
    return Rectified(rgb=np.ascontiguousarray(rotate(flat, turn)), homography=back, rotation=turn)
