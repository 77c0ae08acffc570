"""Which character fits between its neighbours, by the letter pairs PSOD screens print.

A console glyph the readers split between two names (a held-out font's '-' that a template
calls '+') is settled by where its copies stand: a PSOD prints '+' before '0x' and hardly
anywhere else, never '{', and '-' between words and numbers. The pair counts
(data/letter_pairs.json) come from the project's own generated screens, every generation and
crash type; scripts/count-letter-pairs.py writes them again.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from functools import cache
from importlib import resources
from itertools import pairwise

SAMPLE_TEXTS = 400  # generated screens the pairs are counted in (about 550,000 characters)
SAMPLE_SEED = 1
DATA = "data/letter_pairs.json"
SMOOTHING = 0.5  # added to every pair's count: a pair never seen is rare, not impossible
EDGE = " "  # beyond the text, and between rows, stands a space


def count_pairs(texts: Iterable[str]) -> dict[str, int]:
    """How often each two characters stand side by side ("ab": n), a space beyond each line."""
    pairs: Counter = Counter()
    for text in texts:
        for line in text.split("\n"):
            pairs.update(a + b for a, b in pairwise(f"{EDGE}{line}{EDGE}"))
    return dict(sorted(pairs.items()))


def sample_pairs() -> dict[str, int]:
    """The pair counts of the generated sample, as data/letter_pairs.json holds them."""
    from ..simulate.texts import generate_texts

    return count_pairs(t.printed for t in generate_texts(SAMPLE_TEXTS, seed=SAMPLE_SEED))


@cache
def _pairs() -> tuple[Counter, Counter]:
    data = json.loads(resources.files("psod_ocr").joinpath(DATA).read_text("utf-8"))
    pairs = Counter({(k[0], k[1]): n for k, n in data["pairs"].items()})
    firsts: Counter = Counter()
    for (a, _), n in pairs.items():
        firsts[a] += n
    return pairs, firsts


def printed(ch: str) -> bool:
    """Does a PSOD print this character at all? ('&', '~', '{' it does not.)"""
    return _pairs()[1][ch] > 0


def _log_follows(first: str, second: str) -> float:
    """log P(second | first), smoothed over the characters seen."""
    pairs, firsts = _pairs()
    return math.log((pairs[(first, second)] + SMOOTHING) / (firsts[first] + SMOOTHING * len(firsts)))


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
