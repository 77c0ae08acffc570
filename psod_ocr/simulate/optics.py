"""Camera effects on a photographed screen: colour cast, vignetting, glare, blur and noise.

Colour casts matter: cameras turn the #AA00AA magenta violet-blue (about 136,0,241) or pink, so
a reader that keys on exact VGA colours fails on photos. Low-frequency effects are computed on a
small grid and upscaled; everything stays uint8 through OpenCV to keep 12 MP photos fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "CASTS",
    "GlareSpot",
    "apply_cast",
    "defocus",
    "lens_distortion",
    "light_maps",
    "motion_blur",
    "sensor",
]

_DEMOSAIC = getattr(cv2, "COLOR_BayerRGGB2RGB_EA", cv2.COLOR_BayerBG2RGB_EA)

# Colour matrices (rows: output R, G, B from input R, G, B) measured against real captures:
# "violet" maps (170, 0, 170) to about (136, 0, 241); "pink" lifts red and a little green.
CASTS: dict[str, np.ndarray] = {
    "none": np.eye(3),
    "violet": np.array([[0.80, 0.00, 0.00], [0.00, 0.92, 0.00], [0.05, 0.05, 1.37]]),
    "pink": np.array([[1.25, 0.05, 0.05], [0.20, 0.90, 0.12], [0.00, 0.00, 0.95]]),
    "warm": np.array([[1.10, 0.00, 0.00], [0.00, 1.00, 0.00], [0.00, 0.00, 0.85]]),
    "cool": np.array([[0.88, 0.00, 0.00], [0.00, 0.97, 0.00], [0.00, 0.00, 1.12]]),
}


@dataclass(frozen=True)
class GlareSpot:
    """A reflection on the screen glass: centre and radii in image pixels, strength 0..255."""

    x: float
    y: float
    rx: float
    ry: float
    angle: float
    strength: float


def apply_cast(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 3x3 colour matrix to an RGB uint8 image (saturating)."""
    return cv2.transform(image, matrix.astype(np.float32))


def light_maps(
    size: tuple[int, int], vignette: float, spots: list[GlareSpot], step: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Full-size uint8 maps: vignetting gain (x255) and additive glare, from a coarse grid."""
    w, h = size
    lw, lh = max(2, w // step), max(2, h // step)
    ys, xs = np.mgrid[0:lh, 0:lw].astype(np.float32)
    xs, ys = (xs + 0.5) * w / lw, (ys + 0.5) * h / lh
    r2 = ((xs - w / 2) ** 2 + (ys - h / 2) ** 2) / ((w / 2) ** 2 + (h / 2) ** 2)
    gain = np.clip(1 - vignette * r2, 0, 1)
    glare = np.zeros((lh, lw), np.float32)
    for spot in spots:
        a = np.radians(spot.angle)
        dx, dy = xs - spot.x, ys - spot.y
        along = (dx * np.cos(a) + dy * np.sin(a)) / max(spot.rx, 1)
        across = (-dx * np.sin(a) + dy * np.cos(a)) / max(spot.ry, 1)
        glare += spot.strength * np.exp(-2.5 * (along**2 + across**2) ** 0.8)
    gain_map = cv2.resize((gain * 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    glare_map = cv2.resize(np.clip(glare, 0, 255).astype(np.uint8), (w, h),
                           interpolation=cv2.INTER_LINEAR)
    return gain_map, glare_map


def defocus(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian defocus blur (sigma in pixels); no-op below a quarter pixel."""
    if sigma < 0.25:
        return image
    return cv2.GaussianBlur(image, (0, 0), sigma)


def lens_distortion(image: np.ndarray, k1: float) -> np.ndarray:
    """A phone lens's leftover radial distortion: straight lines bow a little (what the
    camera's own correction leaves of it)."""
    if abs(k1) < 1e-4:
        return image
    h, w = image.shape[:2]
    # each output pixel takes the ideal point the lens sends there (two fixed-point steps)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy, norm = w / 2, h / 2, (w * w + h * h) / 4
    ux, uy = xs - cx, ys - cy
    for _ in range(2):
        scale = 1 + k1 * (ux * ux + uy * uy) / norm
        ux, uy = (xs - cx) / scale, (ys - cy) / scale
    return cv2.remap(image, ux + cx, uy + cy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def motion_blur(image: np.ndarray, length: float, angle: float) -> np.ndarray:
    """Camera shake: average along a line of `length` pixels at `angle` degrees."""
    if length < 1.5:
        return image
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    dx, dy = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    half = (length - 1) / 2
    for t in np.linspace(-half, half, max(2, int(length * 2))):
        kernel[int(np.rint(c + t * dy)), int(np.rint(c + t * dx))] += 1
    kernel /= kernel.sum()
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT)


def sensor(image: np.ndarray, rng: np.random.Generator, noise_sigma: float) -> np.ndarray:
    """Sample through an RGGB Bayer mosaic, add read/shot noise, and demosaic.

    The colour filter samples each channel on a 2-px lattice, which beats against the LCD
    stripes: that is where the large coloured moiré bands of real photos come from. Noise is
    drawn at half resolution and interpolated (cheap, and phone noise is correlated after the
    denoiser anyway).
    """
    h, w = image.shape[:2]
    mosaic = np.empty((h, w), np.uint8)
    mosaic[0::2, 0::2] = image[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = image[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = image[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = image[1::2, 1::2, 2]
    if noise_sigma > 0:
        small = rng.standard_normal(((h + 1) // 2, (w + 1) // 2), dtype=np.float32)
        noise = cv2.resize(small * noise_sigma, (w, h), interpolation=cv2.INTER_LINEAR)
        mosaic = cv2.add(mosaic, noise, dtype=cv2.CV_8U)
    return cv2.cvtColor(mosaic, _DEMOSAIC)
