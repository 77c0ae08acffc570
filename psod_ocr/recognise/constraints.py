"""The screen's own consistency settles digits its readers doubt.

A purple screen prints a few dozen kernel addresses from a handful of regions (the code from
``Code start``, a world's stack, the heap): an address shares its top digits with the others of
its region, and the same address often stands twice (a frame's pointer as the word on the
frame before it, the faulting IP in the registers and the backtrace). So the digits that the
screen's other addresses show after the same leading digits are a prior for a doubted digit;
combined with the readers' odds for that cell it either settles the digit or leaves it doubted.
The prior is measured on the screen itself, so it is sharp where a region's addresses all agree
(the top digits) and flat where they differ (the low ones), and it only ever speaks for cells
the readers were not sure of, and named. Short numbers count too, among the numbers as short
(a register's or a stack word's ``0x0``, an offset).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEX = "0123456789abcdef"
HEX_NUMBER = re.compile(r"(?<![0-9A-Za-z_])0x([0-9A-Za-z?\ufffd]{1,16})(?![0-9A-Za-z_])")
FLOOR = 0.01  # the readers' odds of a digit they did not name (a cell may be misnamed outright)
PRIOR_WEIGHT = 1.0  # the prior counts the peers' digits plus this many spread over all 16
SETTLE = 0.9  # a doubted digit the odds and the prior give this much is that digit


Cell = tuple[int, int]  # line, column of the text
Odds = dict[Cell, dict[str, float]]  # the readers' share of each name, for the cells they doubt


@dataclass(frozen=True)
class Settled:
    """A doubted character the constraints changed."""

    cell: Cell
    before: str
    after: str
    share: float  # of the new digit, after the prior
    evidence: str


@dataclass(frozen=True)
class Decoded:
    lines: tuple[str, ...]
    settled: tuple[Settled, ...]
    doubtful: frozenset[Cell]  # cells to show as '?'


def as_digits(odds: dict[str, float], misreads: dict[str, str]) -> dict[str, float]:
    """The odds of a cell inside a 0x number, over hex digits only: a name OCR is known to
    misread a digit as (``O`` for 0) counts for that digit."""
    out: dict[str, float] = {}
    for ch, p in odds.items():
        digit = ch if ch in HEX else misreads.get(ch, ch.lower() if ch.lower() in HEX else None)
        if digit is not None and p > 0:
            out[digit] = out.get(digit, 0.0) + p
    total = sum(out.values())
    return {d: p / total for d, p in out.items()} if total > 0 else {}


@dataclass
class _Address:
    line: int
    start: int  # column of the first digit
    digits: list[str]  # current digit per position ('?' when none)
    doubted: list[dict[str, float] | None]  # per position: the readers' odds, None when sure


def _addresses(lines: list[str], odds: Odds, misreads: dict[str, str]) -> list[_Address]:
    found = []
    for n, line in enumerate(lines):
        for m in HEX_NUMBER.finditer(line):
            digits, doubted = [], []
            for k, ch in enumerate(m.group(1)):
                cell = (n, m.start(1) + k)
                if cell in odds or ch in "?\ufffd":
                    p = as_digits(odds.get(cell, {}), misreads)
                    digits.append(max(p, key=p.get) if p else "?")
                    doubted.append(p)
                else:
                    digit = ch if ch in HEX else misreads.get(ch)
                    if digit is None:
                        break
                    digits.append(digit)
                    doubted.append(None)
            else:
                found.append(_Address(n, m.start(1), digits, doubted))
    return found


def _prior(peers: list[str]) -> dict[str, float]:
    counts = {d: peers.count(d) for d in HEX}
    total = len(peers) + PRIOR_WEIGHT
    return {d: (counts[d] + PRIOR_WEIGHT / len(HEX)) / total for d in HEX}


def decode(lines: list[str], odds: Odds, misreads: dict[str, str], doubtful: frozenset[Cell] = frozenset(),
           ) -> Decoded:
    """Each doubted digit of an address, weighed by the digits that the screen's addresses of
    the same length and the same leading digits show, each read for sure, in that place.
    ``doubtful``: the cells the readers alone would show as '?'; an address's digits are judged
    again here."""
    lines = list(lines)
    addresses = _addresses(lines, odds, misreads)
    settled: list[Settled] = []
    doubtful = set(doubtful)
    for a in addresses:
        for j, p in enumerate(a.doubted):
            if not p:
                continue  # (sure; or no reader named it: the prior alone would invent it)
            head = a.digits[:j]
            peers = [b.digits[j] for b in addresses if b is not a and len(b.digits) == len(a.digits)
                     and b.doubted[j] is None and b.digits[:j] == head]  # fmt: skip
            prior = _prior(peers)
            joint = {d: max(p.get(d, 0.0), FLOOR) * prior[d] for d in HEX}
            total = sum(joint.values())
            best = max(joint, key=joint.get)
            share = joint[best] / total
            cell = (a.line, a.start + j)
            if not (share >= SETTLE and peers):
                continue  # (as doubtful as the readers found it)
            doubtful.discard(cell)
            before = lines[a.line][cell[1]]
            if best != before:  # (another digit, or the digit a letter read there stands for)
                value, start = "0x" + "".join(a.digits), "0x" + "".join(head)
                evidence = (f"digit {j + 1} of {value}: read {before!r}; {peers.count(best)} of "
                            f"{len(peers)} numbers as long starting {start} have {best!r} there")  # fmt: skip
                settled.append(Settled(cell, before, best, round(share, 3), evidence))
                a.digits[j] = best
                lines[a.line] = lines[a.line][: cell[1]] + best + lines[a.line][cell[1] + 1 :]
    return Decoded(tuple(lines), tuple(settled), frozenset(doubtful))
