"""Take back some of a photo's defocus and camera shake before the text is read.

An out-of-focus phone photo spreads each one-pixel stroke of the console font over several
pixels: strokes run together, Otsu's threshold makes blobs and no glyph matches its template.
The blur is measured on the text itself (a step edge of contrast C blurred by a Gaussian of
sigma s is at most C / (s * sqrt(2 pi)) steep), and undone by a Wiener filter of that sigma.

A shaken photo smears every glyph along one line: edges across the smear get as wide as it is
long, edges along it stay sharp, so the widths of edges by their direction give the smear's
direction. Its length shows in the spectrum, which the smear multiplies by sinc(length x f)
along that direction: the first zero, at f = 1 / length, is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .binarise import text_channel
from .rectify import Rectified

EDGE_SIGMA = 1.3  # what the steepest edges measure on a sharp photo (strokes, resampling)
MIN_DEFOCUS = 1.0  # a blur (sigma, pixels) beyond that worth taking back (a small screen's
# strokes are two or three pixels wide: a pixel of blur runs them together) ...
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


ANGLE_BINS = 24  # edge directions, 7.5 degrees each
MIN_SHAKE = 1.1  # edges across the smear this much wider (pixels) than along it: a shaken photo
# (a sharp photo's edges facing up or down measure up to 1.5 px wider than the rest: a smear
# within VERTICAL degrees of upright must be wider than that to count)
MIN_SHAKE_VERTICAL, VERTICAL = 1.6, 20.0
SHAKE_LENGTHS = np.arange(3.0, 20.0, 0.25)  # smears (pixels) the spectrum is fitted with
SHAKE_NOISE = 0.02  # (sinc's zeros make the filter ring more than a Gaussian's)
SPECTRUM_SIDE = 1536  # the top-left square of the screen (where the text is) whose spectrum ...
SPECTRUM_ACROSS = 0.06  # ... is averaged over frequencies this close to the smear's line ...
SPECTRUM_STEPS = 96  # ... in this many steps along it, up to 0.5 cycles a pixel ...
PERIODS = (3.2, 60.0)  # ... and fitted over these periods (pixels)
SINC_FLOOR = 0.03  # (the noise and the text's own spectrum fill the sinc's zeros)


@dataclass(frozen=True)
class Shake:
    angle: float  # degrees, image axes (y down), modulo 180
    length: float  # pixels
    anisotropy: float  # how much wider edges across the smear are than along it (pixels)


def _frequencies(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    return np.fft.fftfreq(size[0])[:, None], np.fft.rfftfreq(size[1])[None, :]


def wiener(channel: np.ndarray, sigma: float, noise: float = NOISE, shake: Shake | None = None) -> np.ndarray:
    """``channel`` (uint8) with a Gaussian blur of ``sigma`` (and a ``shake``) taken back."""
    h, w = channel.shape
    size = (cv2.getOptimalDFTSize(h), cv2.getOptimalDFTSize(w))
    fy, fx = _frequencies(size)
    otf = np.exp(-2 * np.pi**2 * sigma**2 * (fx**2 + fy**2))
    if shake is not None:
        a = np.radians(shake.angle)
        otf = otf * np.sinc(shake.length * (fx * np.cos(a) + fy * np.sin(a)))
    spectrum = np.fft.rfft2(channel.astype(np.float32), s=size)
    sharp = np.fft.irfft2(spectrum * otf / (otf**2 + noise), s=size)[:h, :w]
    return np.clip(sharp, 0, 255).astype(np.uint8)


def edge_widths(rgb: np.ndarray, bins: int = ANGLE_BINS) -> np.ndarray:
    """How wide the text's steepest edges are (sigma-like, pixels) by the direction they
    face, in ``bins`` steps over 180 degrees; NaN where too few edges face that way."""
    text = cv2.GaussianBlur(text_channel(rgb), (0, 0), 0.7).astype(np.float32)
    gx = cv2.Sobel(text, cv2.CV_32F, 1, 0, ksize=3)[::2, ::2] / 8
    gy = cv2.Sobel(text, cv2.CV_32F, 0, 1, ksize=3)[::2, ::2] / 8
    magnitude = cv2.magnitude(gx, gy)
    edges = magnitude > np.percentile(magnitude, 90)
    facing = (np.degrees(np.arctan2(gy[edges], gx[edges])) % 180 * bins / 180).astype(int) % bins
    slopes = magnitude[edges]
    level = float(np.percentile(text[::3, ::3], 99.5) - np.percentile(text[::3, ::3], 50))
    widths = np.full(bins, np.nan)
    for b in range(bins):
        s = slopes[facing == b]
        if len(s) > 50:
            widths[b] = level / (np.sqrt(2 * np.pi) * max(float(np.percentile(s, 98)), 1e-6))
    return widths


def smear_direction(widths: np.ndarray) -> tuple[float, float]:
    """The direction edges are widest across (degrees) and by how much (pixels): widths^2 =
    a + b cos^2(direction - angle), fitted linearly through cos and sin of twice the angle."""
    angles = np.radians((np.arange(len(widths)) + 0.5) * 180 / len(widths))
    ok = np.isfinite(widths)
    if ok.sum() < 6:
        return 0.0, 0.0
    a = angles[ok]
    basis = np.stack([np.ones_like(a), np.cos(2 * a), np.sin(2 * a)], axis=1)
    (_, c, s), *_ = np.linalg.lstsq(basis, widths[ok] ** 2, rcond=None)
    return float(np.degrees(np.arctan2(s, c) / 2) % 180), float(np.sqrt(2 * np.hypot(c, s)))


def smear_length(channel: np.ndarray, angle: float) -> float:
    """The smear's length along ``angle``: the sinc whose first zero best fits the log
    spectrum there (over a smooth quadratic for the text's own spectrum)."""
    x = channel[:SPECTRUM_SIDE, :SPECTRUM_SIDE].astype(np.float32)
    h, w = x.shape
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    power = np.log(np.abs(np.fft.rfft2((x - x.mean()) * window)) ** 2 + 1)
    fy, fx = _frequencies((h, w))
    a = np.radians(angle)
    along = np.abs(fx * np.cos(a) + fy * np.sin(a))
    across = np.abs(fy * np.cos(a) - fx * np.sin(a))
    near = (across < SPECTRUM_ACROSS) & (along < 0.5)
    steps = np.linspace(0, 0.5, SPECTRUM_STEPS + 1)
    slot = np.digitize(along[near], steps) - 1
    count = np.bincount(slot, minlength=SPECTRUM_STEPS + 1)[:SPECTRUM_STEPS]
    total = np.bincount(slot, power[near], minlength=SPECTRUM_STEPS + 1)[:SPECTRUM_STEPS]
    curve = total / np.maximum(count, 1)
    f = (steps[:-1] + steps[1:]) / 2
    keep = (f > 1 / PERIODS[1]) & (f < 1 / PERIODS[0]) & (count > 0)
    f, curve = f[keep], curve[keep]
    best, best_length = np.inf, 0.0
    for length in SHAKE_LENGTHS:
        model = np.log(np.sinc(length * f) ** 2 + SINC_FLOOR)
        basis = np.stack([np.ones_like(f), f, f**2, model], axis=1)
        coef, *_ = np.linalg.lstsq(basis, curve, rcond=None)
        residual = float(((basis @ coef - curve) ** 2).sum())
        if coef[3] > 0 and residual < best:
            best, best_length = residual, float(length)
    return best_length


def estimate_shake(rgb: np.ndarray) -> Shake | None:
    """The camera shake that smeared the text, or None when its edges are as sharp every way."""
    angle, anisotropy = smear_direction(edge_widths(rgb))
    if anisotropy < (MIN_SHAKE_VERTICAL if abs(angle - 90) < VERTICAL else MIN_SHAKE):
        return None
    length = smear_length(text_channel(rgb), angle)
    return Shake(angle, length, anisotropy) if length else None


def unshake(flat: Rectified, shake: Shake) -> Rectified:
    """The flat screen with a camera shake taken back."""
    return _with_text(flat, wiener(flat.padded[..., 1], 0.0, SHAKE_NOISE, shake))


def _with_text(flat: Rectified, green: np.ndarray) -> Rectified:
    padded = flat.padded.copy()
    padded[..., 1] = green  # (text_channel reads green alone)
    pad, (h, w) = flat.pad, padded.shape[:2]
    return replace(flat, padded=padded, rgb=padded[pad : h - pad, pad : w - pad])


def sharpen(flat: Rectified) -> Rectified | None:
    """The flat screen with its defocus taken back, or None when it is sharp enough."""
    blur = estimate_blur(flat.rgb)
    defocus = float(np.sqrt(max(0.0, blur**2 - EDGE_SIGMA**2)))
    if defocus < MIN_DEFOCUS:
        return None
    return _with_text(flat, wiener(flat.padded[..., 1], defocus))
