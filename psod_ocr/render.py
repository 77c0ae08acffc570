"""Reports as text for a person on call (verdict first) and as Markdown for a ticket."""

from __future__ import annotations

import re
import unicodedata

from . import knowledge
from .report import Report, Screen


def _label(key: str, lang: str) -> str:
    return knowledge.ui_text()[key][lang]


def _width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_uptime(seconds: float | None, text: str) -> str:
    if seconds is None:
        return text
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(days)}d {int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"


def _product(screen: Screen) -> str | None:
    parts = [screen.product, screen.version]
    if screen.build:
        parts.append(f"build {screen.build}")
    parts.append(screen.arch)
    shown = " ".join(p for p in parts if p)
    return shown or None


def _facts(report: Report, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs shown under the verdict, skipping what the screen did not show."""
    s, d = report.screen, report.diagnosis
    world = None
    if s.world:
        world = " ".join(str(x) for x in (s.world.id, s.world.name) if x is not None)
    uptime = format_uptime(s.uptime.seconds, s.uptime.text) if s.uptime else None
    sig = f"{d.signature}  ({' | '.join(d.signature_frames)})" if d.signature else None
    pairs = [
        ("headline", s.message),
        ("product", _product(s)),
        ("world", world),
        ("pcpu", None if s.pcpu is None else str(s.pcpu)),
        ("module", d.faulting_module),
        ("uptime", uptime),
        ("signature", sig),
    ]
    return [(_label(k, lang), v) for k, v in pairs if v]


def _verdict(report: Report, lang: str) -> str:
    d = report.diagnosis
    cause = _label(f"cause_{d.likely_cause}", lang)
    if d.faulting_module:
        cause += f" ({d.faulting_module})"
    return (
        f"{_label('verdict', lang)}: {d.title} [{d.type}] - {_label('cause', lang)}: {cause}"
        f" ({_label('confidence', lang)} {d.confidence:.2f})"
    )


def _frame_rows(screen: Screen) -> list[tuple[str, ...]]:
    return [
        (str(i), f.frame or "", f.ip or "", f.symbol or "?", f.module or "", f.offset or "")
        for i, f in enumerate(screen.frames)
    ]


def to_text(report: Report, lang: str = "en") -> str:
    s, d = report.screen, report.diagnosis
    out = [_verdict(report, lang)]
    if not report.is_psod:
        out += [d.summary, *(f"! {w}" for w in report.warnings)]
        return "\n".join(out) + "\n"
    facts = _facts(report, lang)
    width = max((_width(k) for k, _ in facts), default=0)
    out += [f"{_pad(k, width)} : {v}" for k, v in facts]
    out += ["", d.summary]
    if s.details:
        out += ["", _label("details", lang), *(f"  {x}" for x in s.details)]
    if s.frames:
        out += ["", _label("backtrace", lang)]
        rows = _frame_rows(s)
        widths = [max(len(r[i]) for r in rows) for i in range(6)]
        for r in rows:
            sym = f"{r[3]}@{r[4]}" if r[4] else r[3]
            off = f"+{r[5]}" if r[5] else ""
            out.append(f"  {r[0].rjust(widths[0])} {r[1].ljust(widths[1])} {r[2].ljust(widths[2])} "
                       f"{sym}{off}")  # fmt: skip
    if s.registers:
        out += ["", _label("registers", lang)]
        items = [f"{k}={v}" for k, v in s.registers.items()]
        out += ["  " + " ".join(items[i : i + 4]) for i in range(0, len(items), 4)]
    if s.cpus:
        cpus = " ".join(
            f"{'*' if c.current else ''}{c.pcpu}:{c.world_id}/{c.world_name or ''}" for c in s.cpus
        )
        out += ["", _label("cpus", lang), f"  {cpus}"]
    if s.coredump:
        out += ["", f"{_label('coredump', lang)}: {s.coredump.status}"]
        out += [f"  {x}" for x in s.coredump.lines]
    if d.kb:
        out += ["", _label("kb", lang)]
        out += ["  " + "  ".join(x for x in (f"KB {k.id}", k.title, k.url) if x) for k in d.kb]
    if report.warnings:
        out += ["", _label("warnings", lang), *(f"  ! {w}" for w in report.warnings)]
    return "\n".join(out) + "\n"


# what would start a code span, emphasis, link, raw HTML, entity or table cell
MD_SPECIAL = re.compile(r"[\\`*\[\]<&|]")
BACKTICKS = re.compile(r"`+")
LINE_BREAK = re.compile(r"\r\n?|\n")


def _one_line(text: str) -> str:
    """A line break in a value would end its list item or table row, or start a new block."""
    return LINE_BREAK.sub(" ", text)


def md_text(text: str) -> str:
    """Text read from a picture or given as a path, shown as itself in Markdown: no raw HTML,
    link, code span or table cell can be made of it. ``_`` is left alone (inside a word, as in
    symbol names, it is no emphasis), and so is what only matters at the start of a line."""
    return MD_SPECIAL.sub(lambda m: "\\" + m.group(), _one_line(text))


def code_span(text: str) -> str:
    """``text`` as inline code that nothing in it can end: fenced with one backtick more than
    its longest run of backticks, and padded with a space (which CommonMark strips again) when
    it starts or ends with a backtick, or with a space at both ends."""
    text = _one_line(text)
    fence = "`" * (max((len(run) for run in BACKTICKS.findall(text)), default=0) + 1)
    edges = text[:1] + text[-1:]
    pad = " " if text.strip(" ") and ("`" in edges or edges == "  ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(lines: tuple[str, ...] | list[str]) -> list[str]:
    """Lines as a fenced code block that none of them can close (a fence longer than any run
    of backticks in them)."""
    longest = max((len(run) for line in lines for run in BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence]


def to_markdown(report: Report, lang: str = "en") -> str:
    s, d = report.screen, report.diagnosis
    out = [f"## {md_text(d.title)} ({code_span(d.type)})", "", f"**{md_text(_verdict(report, lang))}**", ""]
    if not report.is_psod:
        out += [md_text(d.summary), "", *(f"- {md_text(w)}" for w in report.warnings)]
        return "\n".join(out) + "\n"
    out += [f"- **{k}**: {code_span(v)}" for k, v in _facts(report, lang)]
    out += ["", md_text(d.summary)]
    if s.details:
        out += ["", f"### {_label('details', lang)}", "", *code_block(s.details)]
    if s.frames:
        out += ["", f"### {_label('backtrace', lang)}", "",
                "| # | frame | ip | symbol | module | offset |", "|---|---|---|---|---|---|"]  # fmt: skip
        out += ["| " + " | ".join(md_text(c) for c in r) + " |" for r in _frame_rows(s)]
    if s.registers:
        regs = " ".join(f"{k}={v}" for k, v in s.registers.items())
        out += ["", f"### {_label('registers', lang)}", "", code_span(regs)]
    if s.coredump:
        out += ["", f"### {_label('coredump', lang)}: {md_text(s.coredump.status)}", ""]
        out += [f"- {code_span(x)}" for x in s.coredump.lines]
    if d.kb:
        out += ["", f"### {_label('kb', lang)}", ""]
        for k in d.kb:
            name = md_text(f"KB {k.id}" + (f": {k.title}" if k.title else ""))
            out.append(f"- [{name}]({k.url})" if k.url else f"- {name}")
    if report.warnings:
        out += ["", f"### {_label('warnings', lang)}", ""]
        out += [f"- {md_text(w)}" for w in report.warnings]
    return "\n".join(out) + "\n"
