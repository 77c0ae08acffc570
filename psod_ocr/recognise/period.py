"""The console's cell period and phase, found on the ink itself."""

from __future__ import annotations

import numpy as np

FOLD_BINS = 32
REFINE_GAIN = 1.2  # a pitch that folds the ink this much more sharply replaces the one found


def fold(profile: np.ndarray, pitch: float, bins: int = FOLD_BINS, origin: float = 0.0) -> np.ndarray:
    """Mean profile by phase within the pitch; NaN for phases no pixel falls on.
    ``origin``: where the profile's first pixel lies (a piece of a longer one)."""
    x = np.arange(len(profile)) + origin
    phase = ((x % pitch) / pitch * bins).astype(int) % bins
    counts = np.bincount(phase, minlength=bins).astype(np.float64)
    sums = np.bincount(phase, weights=profile, minlength=bins)
    return np.divide(sums, counts, out=np.full(bins, np.nan), where=counts > 0)


def gap_centre(folded: np.ndarray) -> float:
    """Where, in bins, the blank gap between glyphs is centred in a profile folded at the
    pitch (circular: the gap may straddle the fold)."""
    bins = len(folded)
    emptiness = np.nan_to_num((np.nanmax(folded) - folded) ** 4)
    angle = 2 * np.pi * (np.arange(bins) + 0.5) / bins
    return float(np.angle((emptiness * np.exp(1j * angle)).sum()) % (2 * np.pi) / (2 * np.pi) * bins)


def gap_cut(profile: np.ndarray, pitch: float) -> float:
    """Where one cell ends and the next begins, judged by the blank gap between glyphs: half a
    font pixel past its middle, since console fonts leave their blank column on the right (and
    a bold font may have none, so the cut must fall after its last column, not through it)."""
    return (gap_centre(fold(profile, pitch)) / FOLD_BINS * pitch + pitch / 16) % pitch


def cut(profile: np.ndarray, pitch: float) -> float:
    """Where one cell ends and the next begins, judged by the ink: half a pitch before its
    (circular) centre, since glyphs sit in the middle of their cells."""
    x = np.arange(len(profile))
    angle = 2 * np.pi * (x % pitch) / pitch
    centre = np.angle((profile * np.exp(1j * angle)).sum()) % (2 * np.pi) / (2 * np.pi) * pitch
    return (centre - pitch / 2) % pitch


def fit_period(profile: np.ndarray, pitch: float, spread: float = 0.03) -> tuple[float, float]:
    """Sharpen a cell pitch on the ink itself, and find where cells start.

    Folding the ink profile at the true pitch stacks every cell's blank gap in one place, so
    the folded profile has its deepest valley there; a wrong pitch smears it. The fold has one
    bin per pixel of the cell (finer bins favour pitches off the pixel grid), and the pitch
    moves only when the valley is clearly deeper (a photo's moire shifts it at random).
    """
    profile = profile.astype(np.float64)

    def contrast(candidate: float) -> float:
        folded = fold(profile, candidate, bins=max(4, int(candidate)))
        return float((np.nanmax(folded) - np.nanmin(folded)) / (np.nanmean(folded) + 1e-9))

    start = contrast(pitch)
    if spread:
        candidates = np.linspace(pitch * (1 - spread), pitch * (1 + spread), 61)
        scores = [contrast(c) for c in candidates]
        if max(scores) >= REFINE_GAIN * start:
            pitch = float(candidates[int(np.argmax(scores))])
    return pitch, near_zero(cut(profile, pitch), pitch)


def near_zero(start: float, pitch: float) -> float:
    """A cell phase as the offset nearest zero (the first cell may start just off-screen)."""
    start %= pitch
    return start - (pitch if start > pitch / 2 else 0.0)
