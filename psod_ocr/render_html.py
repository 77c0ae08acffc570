"""One self-contained HTML page for a batch: something to attach to a ticket or mail around.

Everything is inline (CSS, pictures as base64 data URIs), so the file opens anywhere without
the inputs next to it. Every piece of text comes from a picture or a file name and is escaped.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from html import escape

from .render import _facts, _frame_rows, _label, _verdict
from .report import Report

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2.5em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .6em 0; } td, th { padding: .15em .6em; text-align: left;
  vertical-align: top; border-bottom: 1px solid #eee; }
code, pre, .mono { font-family: ui-monospace, monospace; font-size: 12.5px; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; }
img { max-width: 100%; border: 1px solid #ccc; }
.verdict { font-weight: 600; } .psod { color: #7a1f7a; } .none { color: #666; } .error { color: #b00; }
.warn { color: #8a5a00; } .group { color: #06c; }
"""


@dataclass(frozen=True)
class Entry:
    """One input's part of the page."""

    name: str
    report: Report | None = None
    error: str | None = None
    picture: bytes | None = None  # JPEG of the annotated picture
    group: str | None = None


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td class=mono>{escape(v)}</td></tr>" for k, v in pairs)


def _summary(entries: list[Entry]) -> str:
    rows = []
    for i, e in enumerate(entries):
        if e.report is None:
            what, headline, cls = "error", e.error or "", "error"
        else:
            what, headline = e.report.diagnosis.type, e.report.screen.message or ""
            cls = "psod" if e.report.is_psod else "none"
        group = f"same screen as {e.group}" if e.group and e.group != e.name else ""
        rows.append(f"<tr><td><a href='#input-{i}'>{escape(e.name)}</a></td>"
                    f"<td class={cls}>{escape(what)}</td><td class=mono>{escape(headline)}</td>"
                    f"<td class=group>{escape(group)}</td></tr>")  # fmt: skip
    head = "<tr><th>input</th><th>type</th><th>headline</th><th></th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _section(i: int, e: Entry, lang: str) -> str:
    out = [f"<h2 id='input-{i}'>{escape(e.name)}</h2>"]
    if e.report is None:
        return "".join([*out, f"<p class=error>{escape(e.error or 'not read')}</p>"])
    r, s, d = e.report, e.report.screen, e.report.diagnosis
    out.append(f"<p class='verdict {'psod' if r.is_psod else 'none'}'>{escape(_verdict(r, lang))}</p>")
    if e.group and e.group != e.name:
        out.append(f"<p class=group>The same screen as {escape(e.group)}.</p>")
    if e.picture:
        data = base64.b64encode(e.picture).decode("ascii")
        out.append(f"<p><img alt='annotated picture' src='data:image/jpeg;base64,{data}'></p>")
    out.append(f"<table>{_rows(_facts(r, lang))}</table><p>{escape(d.summary)}</p>")
    if s.details:
        out.append(f"<h3>{escape(_label('details', lang))}</h3><pre>{escape(chr(10).join(s.details))}</pre>")
    if s.frames:
        head = "".join(f"<th>{h}</th>" for h in ("#", "frame", "ip", "symbol", "module", "offset"))
        body = "".join("<tr>" + "".join(f"<td class=mono>{escape(c)}</td>" for c in row) + "</tr>"
                       for row in _frame_rows(s))  # fmt: skip
        out.append(f"<h3>{escape(_label('backtrace', lang))}</h3><table><tr>{head}</tr>{body}</table>")
    if s.registers:
        regs = " ".join(f"{k}={v}" for k, v in s.registers.items())
        out.append(f"<h3>{escape(_label('registers', lang))}</h3><pre>{escape(regs)}</pre>")
    if s.cpus:
        cpus = " ".join(f"{'*' if c.current else ''}{c.pcpu}:{c.world_id}/{c.world_name or ''}"
                        for c in s.cpus)  # fmt: skip
        out.append(f"<h3>{escape(_label('cpus', lang))}</h3><pre>{escape(cpus)}</pre>")
    if s.coredump:
        lines = "\n".join(s.coredump.lines)
        title = f"{_label('coredump', lang)}: {s.coredump.status}"
        out.append(f"<h3>{escape(title)}</h3><pre>{escape(lines)}</pre>")
    if d.kb:
        items = "".join(
            f"<li><a href='{escape(k.url)}'>KB {escape(k.id)}</a> {escape(k.title or '')}</li>" if k.url
            else f"<li>KB {escape(k.id)} {escape(k.title or '')}</li>" for k in d.kb
        )  # fmt: skip
        out.append(f"<h3>{escape(_label('kb', lang))}</h3><ul>{items}</ul>")
    if r.warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in r.warnings)
        out.append(f"<h3>{escape(_label('warnings', lang))}</h3><ul class=warn>{items}</ul>")
    if r.text:
        out.append(f"<details><summary>text read</summary><pre>{escape(r.text)}</pre></details>")
    return "".join(out)


def html_report(entries: list[Entry], lang: str = "en", title: str = "psod-ocr report") -> str:
    """The whole page: a summary table, then one section per input."""
    sections = "".join(_section(i, e, lang) for i, e in enumerate(entries))
    return (f"<!DOCTYPE html>\n<html lang='{escape(lang)}'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1>{_summary(entries)}{sections}</body></html>\n")  # fmt: skip
