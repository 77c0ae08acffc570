"""Pictures of each stage for ``--debug-dir``: what was found, so a bad reading can be seen."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .atomic import write_atomically
from .capture import Stages

PREVIEW_SIDE = 1600


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def quad_overlay(image: np.ndarray, quad: np.ndarray | None) -> np.ndarray:
    scale = min(1.0, PREVIEW_SIDE / max(image.shape[:2]))
    out = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if quad is not None:
        pts = (quad * scale).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [pts], True, (0, 255, 0), max(2, round(3 * scale * 2)))
        cv2.circle(out, tuple(int(v) for v in pts[0, 0]), 8, (255, 255, 0), -1)  # top-left
    return out


def grid_overlay(rectified: np.ndarray, grid, words, scale: float) -> np.ndarray:
    out = rectified.copy()
    if grid is not None:
        y = grid.top
        while y < out.shape[0]:
            cv2.line(out, (0, int(y)), (out.shape[1], int(y)), (0, 200, 255), 1)
            y += grid.row_pitch
    for w in words:
        x0, y0 = int(w.left / scale), int(w.top / scale)
        x1, y1 = int((w.left + w.width) / scale), int((w.top + w.height) / scale)
        colour = (0, 255, 0) if w.conf >= 80 else (255, 160, 0) if w.conf >= 50 else (255, 0, 0)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, 1)
    return out


def write_stages(stages: Stages, directory: Path, stem: str) -> list[Path]:
    """One PNG per stage, each written atomically like every other file psod-ocr leaves."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    pictures = {
        "1-quad": None if stages.image is None else quad_overlay(stages.image, stages.quad),
        "2-rectified": stages.rectified,
        "3-binarised": stages.binarised,
        "4-grid": None if stages.rectified is None
        else grid_overlay(stages.rectified, stages.grid, stages.words, stages.scale),
    }
    for name, picture in pictures.items():
        if picture is None:
            continue
        path = directory / f"{stem}.{name}.png"
        ok, png = cv2.imencode(".png", picture if picture.ndim == 2 else _bgr(picture))
        if not ok:
            raise OSError(f"cannot encode {path.name}")
        write_atomically(path, png.tobytes())
        written.append(path)
    return written
