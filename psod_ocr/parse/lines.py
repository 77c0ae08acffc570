"""Turn raw text (a transcribed screen, a log, OCR output) into clean lines.

Log forms carry a prefix on every line (timestamp, ``cpuN:world)``, ``In(14) LogEFI:``); screens
hard-wrap long lines at the console width. Both are undone here so the grammar sees one screen
line per record, and the prefix's CPU and world stay available.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANSI = re.compile(r"(?:\x1b|\^\[)\[[0-9;?]*[A-Za-z]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A vmkernel log prefix: up to three tokens (timestamp, host, "vmkernel:", "In(14) LogEFI:"),
# then "cpuN:world)" with an optional "opID=..." before the parenthesis (N may hold a misread
# digit, "cpud8:": the rest of the prefix says what it is).
CPU_PREFIX = re.compile(
    r"^(?P<pre>(?:\S+\s+){0,3}?)cpu(?P<cpu>[0-9#]\w{0,3}|\w[0-9#]\w{0,2}):(?P<world>[0-9#]+)(?:\s+opID=\S+)?\)"
)
LOGEFI_PREFIX = re.compile(r"^(?:\S+\s+)?In\(\d+\)\s+LogEFI(?:\[[0-9#]+\])?:\s?")
# Some logs put the uptime or an ISO time before a bare message.
WIDTHS = (128, 80)


@dataclass(frozen=True)
class Line:
    """One logical line: ``text`` without log prefix; ``number`` counts input lines from 1."""

    number: int
    text: str
    logged: bool = False
    cpu: int | None = None
    world: int | None = None


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def strip_prefix(raw: str, number: int) -> Line:
    text = raw
    logged = False
    cpu = world = None
    m = LOGEFI_PREFIX.match(text)
    if m:
        text, logged = text[m.end() :], True
    m = CPU_PREFIX.match(text)
    if m and (not m.group("pre") or m.group("pre").endswith((" ", "\t"))):
        text, logged = text[m.end() :], True
        cpu, world = _int(m.group("cpu")), _int(m.group("world"))
    return Line(number, text.strip(), logged, cpu, world)


def is_record_start(raw: str) -> bool:
    """A line that starts a new record and so is never the tail of a wrapped line."""
    s = raw.lstrip()
    return bool(
        CPU_PREFIX.match(s)
        or LOGEFI_PREFIX.match(s)
        or re.match(r"(?:0x[0-9a-fA-F]+|#+) ?: ?\[", s)
        or re.match(r"\*?PCPU ?\d+[: ]", s)
        or re.match(r"(?:@BlueScreen|VMware ESX|Code start|base fs|[a-z][a-zA-Z0-9]{1,5}\S0x)", s)  # cr0=0x
        or re.match(r"(?:LBR: from|PTEs:|FSbase|Backtrace for|Saved backtrace|Coredump|Module\(s\))", s)
    )


def _fills_row(raw: str, widths: tuple[int, ...]) -> bool:
    return len(raw) in widths or len(raw.rstrip()) in widths


def unwrap(raws: list[str]) -> list[tuple[int, str]]:
    """Join lines the console hard-wrapped at its width; keep the first line's number.

    A screen line of exactly the width continues on the next row; one that fills the row
    exactly leaves an empty row after it, which is dropped.
    """
    # A screen wider than 80 columns (any longer line) is the 128-column one: a line of
    # exactly 80 characters there is just a line.
    widths = (128,) if any(len(r.rstrip()) > 80 for r in raws) else WIDTHS
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(raws):
        number, text, row = i + 1, raws[i], raws[i]
        while _fills_row(row, widths) and i + 1 < len(raws):
            row = raws[i + 1]
            if not row.strip():
                i += 1  # the empty row after a line that filled the screen width
                break
            if is_record_start(row):
                break
            text += row
            i += 1
        out.append((number, text))
        i += 1
    return out


def split_lines(text: str) -> list[Line]:
    text = ANSI.sub("", text)
    text = CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    return [strip_prefix(raw, number) for number, raw in unwrap(text.split("\n"))]
