"""Which character fits between its neighbours, by the letter pairs PSOD screens print.

A console glyph the readers split between two names (a held-out font's '-' that a template
calls '+') is settled by where its copies stand: a PSOD prints '+' before '0x' and hardly
anywhere else, never '{', and '-' between words and numbers. Pair counts come from the
project's own generated screens (psod_ocr.simulate.texts), every generation and crash type.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from functools import cache
from itertools import pairwise

SAMPLE_TEXTS = 40  # generated screens the pairs are counted in (about 55,000 characters)
SAMPLE_SEED = 1
SMOOTHING = 0.5  # added to every pair's count: a pair never seen is rare, not impossible
EDGE = " "  # beyond the text, and between rows, stands a space


@cache
def _pairs() -> tuple[Counter, Counter]:
    from ..simulate.texts import generate_texts  # the screens a PSOD prints, by generation

    pairs: Counter = Counter()
    singles: Counter = Counter()
    for text in generate_texts(SAMPLE_TEXTS, seed=SAMPLE_SEED):
        for line in text.printed.split("\n"):
            padded = f"{EDGE}{line}{EDGE}"
            pairs.update(pairwise(padded))
            singles.update(padded)
    return pairs, singles


def printed(ch: str) -> bool:
    """Does a PSOD print this character at all? ('&', '~', '{', '|' it does not.)"""
    return _pairs()[1][ch] > 0


def _log_follows(first: str, second: str) -> float:
    """log P(second | first), smoothed over the characters seen."""
    pairs, singles = _pairs()
    return math.log((pairs[(first, second)] + SMOOTHING) / (singles[first] + SMOOTHING * len(singles)))


def fit(ch: str, neighbours: Iterable[tuple[str | None, str | None]]) -> float:
    """How well ``ch`` fits between each (left, right) pair of neighbours: the summed log
    likelihood of the two letter pairs (a neighbour not known, None, is left out)."""
    total = 0.0
    for left, right in neighbours:
        if left is not None:
            total += _log_follows(left, ch)
        if right is not None:
            total += _log_follows(ch, right)
    return total
