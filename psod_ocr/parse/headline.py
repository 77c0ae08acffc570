"""Recognise a headline line against the rules in ``data/headlines.toml``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..knowledge import HeadlineRule, headline_keywords, headline_rules
from .grammar import LOG_MESSAGE_PREFIX

FUZZY_MIN_LEN = 7
FUZZY_CUTOFF = 80.0


@dataclass(frozen=True)
class HeadlineMatch:
    rule: HeadlineRule
    groups: dict[str, str]
    exact: bool  # False when only an approximate match to an example wording was found
    score: float = 100.0


def message_of(text: str) -> str:
    """A log line's message without its ``Module: 1234:`` source prefix."""
    return LOG_MESSAGE_PREFIX.sub("", text, count=1).strip()


def match_headline(text: str) -> HeadlineMatch | None:
    body = message_of(text)
    low = body.lower()
    if not any(word in low for word in headline_keywords()):
        return None
    for rule in headline_rules():
        for pattern in rule.patterns:
            m = pattern.search(body)
            if m:
                groups = {k: v for k, v in m.groupdict().items() if v is not None}
                return HeadlineMatch(rule, groups, exact=True)
    return None


def fuzzy_headline(text: str) -> HeadlineMatch | None:
    """Best approximate match of ``text`` to a rule's example wording (damaged text)."""
    body = message_of(text)
    if len(body) < 4:
        return None
    best: tuple[float, HeadlineRule] | None = None
    for rule in headline_rules():
        for example in rule.examples:
            if len(example) < FUZZY_MIN_LEN:
                continue
            if len(body) <= len(example):
                score = fuzz.ratio(example, body)
            else:
                score = fuzz.partial_ratio(example, body)
            if score >= FUZZY_CUTOFF and (best is None or score > best[0]):
                best = (score, rule)
    if best is None:
        return None
    groups = _loose_groups(best[1], body)
    return HeadlineMatch(best[1], groups, exact=False, score=best[0])


def _loose_groups(rule: HeadlineRule, body: str) -> dict[str, str]:
    """Pull world and PCPU out of a damaged headline where their shape survived."""
    groups: dict[str, str] = {}
    m = re.search(r"in world (?P<world_id>[0-9#]+) ?: ?(?P<world_name>[^\s@]+)", body)
    if m:
        groups.update(m.groupdict())
    m = re.search(r"PCPU ?(?P<pcpu>\d+)", body)
    if m and rule.type in ("tlb_ack", "no_heartbeat", "mce", "spin_deadlock"):
        groups["pcpu"] = m.group("pcpu")
    return groups
