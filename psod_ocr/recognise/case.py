"""A letter's case from the screen's own heights.

Many fonts draw ``c o s u v w x z`` as their capitals made smaller, and a glyph namer that has
not seen the font cannot tell the two apart from one cell: the size is all that differs. The
screen itself says which it is. Letters named without doubt show where this screen's lowercase
letters start (the x-height: ``a e m n r``) and where its capitals do; a cluster named as one of
the twins takes the case whose height its top is at.
"""

from __future__ import annotations

import numpy as np

TWINS = "copsuvwxyz"  # lowercase letters whose capital is drawn alike, taller
X_HEIGHT = "aemnr"  # lowercase letters that reach the x-height, none of them a twin
CAPITALS = "ABDEFHKLMNPRT"  # capitals that reach the cap height, none of them a twin
INK = 0.5  # a cell's row is inked from this share of its brightest pixel
AGREED = 0.75  # a cluster whose name has this share of its votes shows that letter's height ...
LEAST_CELLS = 4  # ... when there are this many such cells of each height
GAP = 2.0  # pixels between the two heights, at least, for height to tell case
LEAD = 1.0  # pixels nearer to one height than the other a cluster's top must be

Votes = list[dict[str, float]]


def ink_tops(cells: np.ndarray) -> np.ndarray:
    """Each cell's first inked row; NaN for a blank cell."""
    rows = cells.max(axis=2)
    peak = rows.max(axis=1, keepdims=True)
    inked = (rows >= INK * peak) & (peak > 0)
    return np.where(inked.any(axis=1), inked.argmax(axis=1), np.nan)


def _height(tops: np.ndarray, counts: np.ndarray, names: list[str | None], letters: str) -> float | None:
    """The median top of the clusters named as one of ``letters``, weighed by their cells."""
    chosen = [k for k, name in enumerate(names) if name and name in letters and not np.isnan(tops[k])]
    if sum(int(counts[k]) for k in chosen) < LEAST_CELLS:
        return None
    values = np.repeat(tops[chosen], counts[chosen])
    return float(np.median(values))


def case_votes(tops: np.ndarray, counts: np.ndarray, cluster_votes: Votes) -> Votes:
    """Per cluster named as a twin letter: its votes for the other case moved to the case its
    height shows. Only the case changes: what the letter's votes weigh against a digit or a
    mark (a ``0`` in a font whose ``O`` is like it) stays as it was."""
    out: Votes = [{} for _ in cluster_votes]
    names: list[str | None] = []
    for votes in cluster_votes:
        total = sum(v for v in votes.values() if v > 0)
        name = max(votes, key=votes.get) if total > 0 else None
        names.append(name if name is not None and votes[name] >= AGREED * total else None)
    low, high = _height(tops, counts, names, X_HEIGHT), _height(tops, counts, names, CAPITALS)
    if low is None or high is None or low - high < GAP:
        return out
    for k, votes in enumerate(cluster_votes):
        top = max(votes, key=votes.get) if votes else None
        if top is None or top.lower() not in TWINS or np.isnan(tops[k]):
            continue
        to_low, to_high = abs(tops[k] - low), abs(tops[k] - high)
        if to_low + LEAD <= to_high:
            case, other = top.lower(), top.upper()
        elif to_high + LEAD <= to_low:
            case, other = top.upper(), top.lower()
        else:
            continue
        moved = votes.get(other, 0.0)
        if moved > 0:
            out[k] = {other: -moved, case: moved}
    return out
