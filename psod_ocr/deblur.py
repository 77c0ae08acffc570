"""Take back some of a photo's defocus before the text is read.

An out-of-focus phone photo spreads each one-pixel stroke of the console font over several
pixels: strokes run together, Otsu's threshold makes blobs and no glyph matches its template.
The blur is measured on the text itself (a step edge of contrast C blurred by a Gaussian of
sigma s is at most C / (s * sqrt(2 pi)) steep), and undone by a Wiener filter of that sigma.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from .binarise import text_channel
from .rectify import Rectified

EDGE_SIGMA = 1.3  # what the steepest edges measure on a sharp photo (strokes, resampling)
MIN_DEFOCUS = 2.0  # a blur (sigma, pixels) beyond that worth taking back ...
NOISE = 0.01  # ... by a Wiener filter with this noise-to-signal ratio (more rings, less sharpens)


def estimate_blur(rgb: np.ndarray) -> float:
    """The text's blur as a Gaussian sigma in pixels, from its steepest edges."""
    text = cv2.GaussianBlur(text_channel(rgb), (0, 0), 0.7)  # (noise makes no edge steep)
    gx = cv2.Sobel(text, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(text, cv2.CV_32F, 0, 1, ksize=3) / 8
    # (every third pixel each way holds the same share of edges, and is faster to sort)
    steepest = float(np.percentile(cv2.magnitude(gx, gy)[::3, ::3], 99.5))
    level = float(np.percentile(text[::3, ::3], 99.5))
    return level / (np.sqrt(2 * np.pi) * max(steepest, 1e-6))


def wiener(channel: np.ndarray, sigma: float, noise: float = NOISE) -> np.ndarray:
    """``channel`` (uint8) with a Gaussian blur of ``sigma`` taken back."""
    h, w = channel.shape
    size = (cv2.getOptimalDFTSize(h), cv2.getOptimalDFTSize(w))
    fy = np.fft.fftfreq(size[0])[:, None]
    fx = np.fft.rfftfreq(size[1])[None, :]
    otf = np.exp(-2 * np.pi**2 * sigma**2 * (fx**2 + fy**2))
    spectrum = np.fft.rfft2(channel.astype(np.float32), s=size)
    sharp = np.fft.irfft2(spectrum * otf / (otf**2 + noise), s=size)[:h, :w]
    return np.clip(sharp, 0, 255).astype(np.uint8)


def sharpen(flat: Rectified) -> Rectified | None:
    """The flat screen with its defocus taken back, or None when it is sharp enough."""
    blur = estimate_blur(flat.rgb)
    defocus = float(np.sqrt(max(0.0, blur**2 - EDGE_SIGMA**2)))
    if defocus < MIN_DEFOCUS:
        return None
    padded = flat.padded.copy()
    padded[..., 1] = wiener(padded[..., 1], defocus)  # (text_channel reads green alone)
    pad, (h, w) = flat.pad, padded.shape[:2]
    return replace(flat, padded=padded, rgb=padded[pad : h - pad, pad : w - pad])
