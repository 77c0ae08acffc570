"""What the camera sees on the LCD: the monitor's scaler output, its subpixel stripes, and the
moiré that appears when the camera samples those stripes.

The panel is modelled at its native resolution; each panel pixel is three vertical RGB stripes
with dark gaps between rows. Sampling that periodic pattern at the camera's pixel grid through
the perspective mapping aliases into the curved colour bands seen on real phone photos, without
any hand-drawn moiré texture.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .geometry import warp_points

__all__ = ["PanelSpec", "panel_image", "render_panel", "stripe_contrast", "subpixel_tile"]

_TILE = 12  # tile samples per panel pixel (multiple of 3 for the RGB stripes)


@dataclass(frozen=True)
class PanelSpec:
    """A monitor panel showing the framebuffer.

    `mode`: 'native' (panel = framebuffer aspect, scaled), 'stretch' / 'stretch54' (4:3 filled
    onto a 16:9 / 5:4 panel, cells wider than tall), 'pillarbox' (aspect kept, black side
    bars). `fb_rect` is where the framebuffer lands on the panel (x0, y0, x1, y1, panel px).
    """

    width: int
    height: int
    mode: str
    fb_rect: tuple[float, float, float, float]
    black_level: int = 6


def panel_image(fb: np.ndarray, spec: PanelSpec) -> np.ndarray:
    """The panel's pixels: the framebuffer through the monitor scaler, black elsewhere."""
    panel = np.full((spec.height, spec.width, 3), spec.black_level, dtype=np.uint8)
    x0, y0, x1, y1 = (round(v) for v in spec.fb_rect)
    if (x1 - x0, y1 - y0) == (fb.shape[1], fb.shape[0]):
        scaled = fb
    else:
        scaled = cv2.resize(fb, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    panel[y0:y1, x0:x1] = scaled
    return panel


def subpixel_tile(stripe_amp: float, row_amp: float, exposure: float = 1.0) -> np.ndarray:
    """One panel pixel sampled _TILE x _TILE times: per-channel gain x100 as uint8.

    Channel c peaks over its third of the pixel (R, G, B left to right); rows dim at the edges
    (the black matrix). Gains average to `exposure`, so the mean brightness is kept.
    """
    t = (np.arange(_TILE) + 0.5) / _TILE
    centres = np.array([1, 3, 5]) / 6
    stripes = 1 + stripe_amp * np.cos(2 * np.pi * (t[None, :, None] - centres[None, None, :]))
    rows = 1 + row_amp * np.cos(2 * np.pi * (t[:, None, None] - 0.5))
    gain = stripes * rows * exposure
    return np.clip(np.round(gain * 100), 0, 255).astype(np.uint8)


def _panel_map(
    homography: np.ndarray,
    box: tuple[int, int, int, int],
    scale: float = 1.0,
    step: int = 16,
) -> np.ndarray:
    """cv2.remap map (h, w, 2 float32) of every image pixel in `box` (x0, y0, x1, y1) to panel
    coordinates times `scale`, in the centre convention remap expects (edge coordinate - 0.5).

    The inverse homography is evaluated on a coarse grid and interpolated by cv2.resize: over
    `step` pixels the projective map is linear to well under 1/100 of a panel pixel. Node k sits
    where cv2.resize's centre-aligned interpolation puts source sample k, with one node of margin
    on each side, so the interpolation is exact between nodes.
    """
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    nx, ny = -(-w // step) + 2, -(-h // step) + 2
    rel_x = (np.arange(nx) + 0.5) * step - 0.5 - step
    rel_y = (np.arange(ny) + 0.5) * step - 0.5 - step
    grid = np.stack(np.meshgrid(rel_x + x0 + 0.5, rel_y + y0 + 0.5), axis=-1).reshape(-1, 2)
    uv = warp_points(np.linalg.inv(homography), grid).reshape(ny, nx, 2) * scale - 0.5
    fine = cv2.resize(uv.astype(np.float32), (nx * step, ny * step),
                      interpolation=cv2.INTER_LINEAR)
    return fine[step : step + h, step : step + w]


def stripe_contrast(pitch: float, blur_sigma: float, aperture: float = 0.8) -> float:
    """How much of the subpixel stripes' contrast survives the lens and the pixel aperture.

    `pitch` is camera pixels per panel pixel. The stripes repeat once per panel pixel, so their
    frequency is 1/pitch cycles per camera pixel; a Gaussian lens blur and a box-shaped pixel
    aperture attenuate it. The surviving pattern, sampled at pixel centres, aliases into moiré.
    """
    f = 1.0 / max(pitch, 1e-3)
    return float(np.exp(-2 * (np.pi * blur_sigma * f) ** 2) * abs(np.sinc(aperture * f)))


def render_panel(
    panel: np.ndarray,
    homography: np.ndarray,
    box: tuple[int, int, int, int],
    tile: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Camera view of the lit panel inside `box`: the panel pixel under each camera pixel
    (nearest, as on the LCD), and the subpixel gain (x100) sampled at each camera pixel.
    """
    colour = cv2.remap(panel, _panel_map(homography, box), None, cv2.INTER_NEAREST,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    gain = cv2.remap(tile, _panel_map(homography, box, tile.shape[0]), None, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_WRAP)
    return colour, gain
