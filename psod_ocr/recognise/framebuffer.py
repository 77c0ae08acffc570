"""A screenshot scaled down by dropping pixels, put back on its framebuffer's own pixels.

A viewer that shrinks the console by nearest-pixel sampling (0.85x: about one pixel in seven
dropped, in each direction) gives every copy of a glyph its own shape, as the dropped columns
and rows fall differently in each cell. Which framebuffer pixel each screen pixel shows is
found on the ink (its profile folded at the font's cell size is sharpest there); the pixels a
cell lost are then taken from the other copies of its glyph, which show them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE_SLACK = 4  # the scaled framebuffer may be this many pixels longer or shorter than the screen found
ORIGIN_SLACK = 3  # ... and start this many pixels either side of the screen's edge
SHIFTS = (0.0, 0.5)  # a screen pixel shows the framebuffer pixel its start or its middle falls in
FILL_DISAGREE = 1  # pixels (of those both show) a copy of a glyph may differ on: JPEG's speckle ...
FILL_OVERLAP = 0.6  # ... where both show at least this share of the pixels the copy shows
MAX_GLYPHS = 600  # copies of more shapes than this: no console (see cells.MAX_CLUSTERS)
INK = 0.25  # a cell whose brightest shown pixel is below this is blank (see cells.BLANK_INK)


def _fold_sharpness(profile: np.ndarray, source: np.ndarray, cell: int) -> float:
    """How much of the profile's variance its mean per position in a cell explains."""
    phase = source % cell
    counts = np.bincount(phase, minlength=cell)
    if counts.min() == 0:
        return 0.0
    means = np.bincount(phase, weights=profile, minlength=cell) / counts
    total = float(((profile - profile.mean()) ** 2).sum())
    return float((counts * (means - profile.mean()) ** 2).sum()) / total if total > 0 else 0.0


@dataclass(frozen=True)
class Axis:
    """Where a shrunk framebuffer's pixels are along one axis of the screen."""

    sources: np.ndarray  # per screen pixel, the framebuffer pixel it shows (-1: outside it)
    origin: int  # the screen pixel its first one is at
    scaled: int  # its length on the screen


def pixel_sources(profile: np.ndarray, n: int, cell: int, shrunk: bool = True) -> Axis | None:
    """Per screen pixel along one axis (``profile``: its ink), the framebuffer pixel (of ``n``)
    it shows; None when the screen is no shrunk framebuffer (``shrunk=False``: or one whose
    pixels are repeated, as a viewer that stretches one axis and shrinks the other shows it)."""
    size = len(profile)
    if shrunk and size > n - SIZE_SLACK:
        return None  # not shrunk (or a screen found a few pixels short)
    x = np.arange(size)
    if not shrunk and abs(size - n) <= SIZE_SLACK:
        # shown at its own size: pixel for pixel from the screen's edge (the fold is as sharp
        # at any shift, so it cannot place it)
        return Axis(np.where(x < n, x, -1), 0, n)
    best, best_score = None, 0.0
    for scaled in range(max(1, size - SIZE_SLACK), size + SIZE_SLACK + 1):
        if shrunk and scaled >= n:
            continue  # not shrunk that way
        for origin in range(-ORIGIN_SLACK, ORIGIN_SLACK + 1):
            for shift in SHIFTS:
                source = np.floor((x - origin + shift) * (n / scaled) + 1e-6).astype(int)
                inside = (x >= origin) & (source < n)
                score = _fold_sharpness(profile[inside], source[inside], cell)
                if score > best_score:
                    best_score, best = score, Axis(np.where(inside, source, -1), origin, scaled)
    return best


@dataclass(frozen=True, eq=False)
class Unshrunk:
    framebuffer: np.ndarray
    y: Axis
    x: Axis


def unshrink(ink: np.ndarray, rows: int, cols: int, cell_w: int, cell_h: int) -> Unshrunk | None:
    """The framebuffer (rows x cols cells) behind a screen shrunk by dropping pixels, its lost
    pixels filled in from other copies of the same glyph; None when it was not shrunk so."""
    fb_h, fb_w = rows * cell_h, cols * cell_w
    h, w = ink.shape
    # (one axis may be shown at its size or stretched, when the other is shrunk)
    y = pixel_sources(ink.sum(axis=1).astype(np.float64), fb_h, cell_h, shrunk=w >= fb_w)
    x = pixel_sources(ink.sum(axis=0).astype(np.float64), fb_w, cell_w, shrunk=h >= fb_h)
    if y is None or x is None or (y.scaled >= fb_h and x.scaled >= fb_w):
        return None
    ys, xs = y.sources, x.sources
    fb = np.zeros((fb_h, fb_w), dtype=np.float32)
    shown_y, shown_x = np.zeros(fb_h, dtype=bool), np.zeros(fb_w, dtype=bool)
    ry, rx = np.flatnonzero(ys >= 0), np.flatnonzero(xs >= 0)
    fb[np.ix_(ys[ry], xs[rx])] = ink[np.ix_(ry, rx)]
    shown_y[ys[ry]], shown_x[xs[rx]] = True, True
    filled = fill_dropped(fb, shown_y, shown_x, cell_w, cell_h)
    return None if filled is None else Unshrunk(filled, y, x)


def fill_dropped(fb: np.ndarray, rows_shown: np.ndarray, cols_shown: np.ndarray, cell_w: int,
                 cell_h: int) -> np.ndarray | None:  # fmt: skip
    """Cells grouped as copies of one glyph (leader clustering: a cell joins the group whose
    pixels, where both show them, it matches as ink or background but for the fewest, at most
    FILL_DISAGREE, and the largest of those); a pixel a cell lost takes its group's mean.
    Nearest-pixel scaling copies the pixels it keeps: copies of one glyph agree exactly where
    both show, and a likeness short of that (a cosine) takes an 'o' for an 'e' whose bar the
    dropped row held."""
    rows, cols = fb.shape[0] // cell_h, fb.shape[1] // cell_w
    cells = fb.reshape(rows, cell_h, cols, cell_w).transpose(0, 2, 1, 3).reshape(rows * cols, -1)
    shown = rows_shown.reshape(rows, 1, cell_h, 1) & cols_shown.reshape(1, cols, 1, cell_w)
    shown = shown.reshape(rows * cols, -1)
    inked = np.flatnonzero(cells.max(axis=1) >= INK)
    bits = np.packbits(cells >= 0.5, axis=1)  # ink or background, 8 pixels a byte
    seen = np.packbits(shown, axis=1)
    size = cells.shape[1]
    sums, counts = np.zeros((MAX_GLYPHS, size), np.float32), np.zeros((MAX_GLYPHS, size), np.float32)
    group_bits = np.zeros((MAX_GLYPHS, bits.shape[1]), np.uint8)
    covered = np.zeros_like(group_bits)
    members = np.zeros(MAX_GLYPHS, int)
    labels = np.empty(len(inked), dtype=int)
    n = 0
    for i, cell in enumerate(inked):
        both = covered[:n] & seen[cell]
        differ = np.bitwise_count((group_bits[:n] ^ bits[cell]) & both).sum(axis=1)
        overlap = np.bitwise_count(both).sum(axis=1)
        ok = np.flatnonzero((differ <= FILL_DISAGREE) & (overlap >= FILL_OVERLAP * shown[cell].sum()))
        if len(ok):
            j = int(ok[np.lexsort((-members[ok], differ[ok]))[0]])  # the closest, then the largest
        elif n < MAX_GLYPHS:
            j, n = n, n + 1
        else:
            return None
        labels[i] = j
        members[j] += 1
        sums[j] += np.where(shown[cell], cells[cell], 0.0)
        counts[j] += shown[cell]
        mean = sums[j] / np.maximum(counts[j], 1.0)
        group_bits[j], covered[j] = np.packbits(mean >= 0.5), np.packbits(counts[j] > 0)
    means = sums[:n] / np.maximum(counts[:n], 1.0)
    lost = ~shown[inked] & (counts[labels] > 0)
    cells[inked] = np.where(lost, means[labels], cells[inked])
    return cells.reshape(rows, cols, cell_h, cell_w).transpose(0, 2, 1, 3).reshape(fb.shape)
