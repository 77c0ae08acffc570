"""Which inputs of one batch show the same screen (several photos of one crash).

People photograph a purple screen more than once; counting each photo as a crash would skew
``analyze``. Two reports show the same screen when they share the crash signature and the
build and their texts are alike. A repeat of the same crash after a reboot shares signature
and build too, so the values that change from crash to crash (uptime, world ID) must not
disagree where both readings have them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from .report import Report

SIMILAR_TEXT = 70.0  # fuzz.ratio of the two texts
SIMILAR_VALUE = 75.0  # uptime texts: OCR may misread a digit, a different crash differs more


def _uptime(report: Report) -> str | None:
    return report.screen.uptime.text if report.screen.uptime else None


def same_screen(a: Report, b: Report) -> bool:
    """True when ``a`` and ``b`` are readings of one screen (see the module docstring)."""
    if a.source.sha256 and a.source.sha256 == b.source.sha256:
        return True
    if not (a.is_psod and b.is_psod) or a.diagnosis.signature is None:
        return False
    if a.diagnosis.signature != b.diagnosis.signature or a.screen.build != b.screen.build:
        return False
    ua, ub = _uptime(a), _uptime(b)
    if ua and ub and fuzz.ratio(ua, ub) < SIMILAR_VALUE:
        return False
    wa, wb = a.screen.world, b.screen.world
    ids = (wa.id if wa else None, wb.id if wb else None)
    if None not in ids and fuzz.ratio(str(ids[0]), str(ids[1])) < SIMILAR_VALUE:
        return False
    return fuzz.ratio(a.text, b.text) >= SIMILAR_TEXT


@dataclass(frozen=True)
class Member:
    name: str
    report: Report


class Grouper:
    """Assigns each report, in the order given, to the group of the first earlier report that
    shows the same screen; a group is named by its first member's path."""

    def __init__(self) -> None:
        self._groups: list[list[Member]] = []

    def assign(self, name: str, report: Report) -> str | None:
        """The group's name (``name`` itself for the first of a screen); None without a PSOD."""
        if not report.is_psod:
            return None
        for group in self._groups:
            if any(same_screen(m.report, report) for m in group):
                group.append(Member(name, report))
                return group[0].name
        self._groups.append([Member(name, report)])
        return name

    def groups(self) -> list[list[str]]:
        """Groups with more than one member, as input names."""
        return [[m.name for m in g] for g in self._groups if len(g) > 1]
