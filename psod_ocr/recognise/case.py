"""A letter's case from the screen's own heights.

Many fonts draw ``c o s u v w x z`` as their capitals made smaller, and a glyph namer that has
not seen the font cannot tell the two apart from one cell: the size is all that differs. The
screen itself says which it is. Letters named without doubt show how tall this screen's
lowercase letters are (the x-height: ``a e m n r``) and how tall its capitals; a cluster named
as one of the twins takes the case whose height it has. Heights, not tops: a scaled screen's
rows fall on its pixels at different phases, and the same glyph's top moves with them.
"""

from __future__ import annotations

import numpy as np

TWINS = "cosuvwxz"  # lowercase letters whose capital is drawn alike, taller (none with a descender)
X_HEIGHT = "aemnr"  # lowercase letters that reach the x-height, none of them a twin
CAPITALS = "ABDEFHKLMNPRT"  # capitals that reach the cap height, none of them a twin
INK = 0.5  # a cell's row is inked from this share of its brightest pixel
AGREED = 0.75  # a cluster whose name has this share of its votes shows that letter's height ...
LEAST_CELLS = 4  # ... when there are this many such cells of each height
GAP = 1.5  # pixels between the two heights, at least, for height to tell case
LEAD = 1.0  # pixels nearer to one height than the other a cluster's height must be

Votes = list[dict[str, float]]


def ink_heights(cells: np.ndarray) -> np.ndarray:
    """Each cell's height of ink, between where its rows' brightest pixels first and last reach
    INK of the cell's brightest (between rows, where they cross it: a blurred screen's glyphs of
    the two cases may be a pixel apart); NaN for a blank cell."""
    rows = cells.max(axis=2)
    peak = rows.max(axis=1, keepdims=True)
    level = rows / np.where(peak > 0, peak, 1.0)
    inked = (level >= INK) & (peak > 0)
    n, size = level.shape
    first = inked.argmax(axis=1)
    last = size - 1 - inked[:, ::-1].argmax(axis=1)
    k = np.arange(n)
    above = level[k, np.maximum(first - 1, 0)]
    below = level[k, np.minimum(last + 1, size - 1)]
    rise, fall = np.maximum(level[k, first] - above, 1e-6), np.maximum(level[k, last] - below, 1e-6)
    top = first - np.where(first > 0, (level[k, first] - INK) / rise, 0.0)
    bottom = last + np.where(last < size - 1, (level[k, last] - INK) / fall, 0.0)
    return np.where(inked.any(axis=1), bottom - top, np.nan)


def _height(heights: np.ndarray, counts: np.ndarray, names: list[str | None], letters: str) -> float | None:
    """The median height of the clusters named as one of ``letters``, weighed by their cells."""
    chosen = [k for k, name in enumerate(names) if name and name in letters and not np.isnan(heights[k])]
    if sum(int(counts[k]) for k in chosen) < LEAST_CELLS:
        return None
    values = np.repeat(heights[chosen], counts[chosen])
    return float(np.median(values))


def case_votes(heights: np.ndarray, counts: np.ndarray, cluster_votes: Votes) -> Votes:
    """Per cluster named as a twin letter: its votes for the other case moved to the case its
    height shows. Only the case changes: what the letter's votes weigh against a digit or a
    mark (a ``0`` in a font whose ``O`` is like it) stays as it was."""
    out: Votes = [{} for _ in cluster_votes]
    tops = [max(votes, key=votes.get) if votes else None for votes in cluster_votes]
    # (the letters whose height is known: their name has AGREED of their cluster's votes)
    agreed = [name if name and 0 < votes[name] >= AGREED * sum(v for v in votes.values() if v > 0) else None
              for name, votes in zip(tops, cluster_votes, strict=True)]  # fmt: skip
    small, capital = _height(heights, counts, agreed, X_HEIGHT), _height(heights, counts, agreed, CAPITALS)
    if small is None or capital is None or capital - small < GAP:
        return out
    for k, (name, votes) in enumerate(zip(tops, cluster_votes, strict=True)):
        if name is None or name.lower() not in TWINS or np.isnan(heights[k]):
            continue
        to_small, to_capital = abs(heights[k] - small), abs(heights[k] - capital)
        if to_small + LEAD <= to_capital:
            case, other = name.lower(), name.upper()
        elif to_capital + LEAD <= to_small:
            case, other = name.upper(), name.lower()
        else:
            continue
        moved = votes.get(other, 0.0)
        if moved > 0:
            out[k] = {other: -moved, case: moved}
    return out
