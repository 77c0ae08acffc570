"""Where a batch's results go: one writer per ``--format``, and the ``--out`` folder.

Writers get the results in the order they should appear (input order, or for ``jsonl`` the
order they finish) and write as soon as they can: text, Markdown, CSV and JSON Lines at once,
JSON and HTML (one document) when the batch ends or is interrupted.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Protocol, TextIO

from .atomic import write_atomically
from .render import md_text, to_markdown, to_text
from .render_html import Entry, html_report
from .report import Report

CSV_FIELDS = ("path", "host", "sha256", "is_psod", "type", "headline", "build", "world", "pcpu",
              "top_frames", "module", "signature", "confidence", "group", "error")  # fmt: skip
TOP_FRAMES = 5


class Writer(Protocol):
    def report(self, name: str, report: Report, group: str | None, host: str | None,
               picture: bytes | None) -> None: ...  # fmt: skip

    def error(self, name: str, message: str, sha256: str | None, host: str | None) -> None: ...

    def close(self) -> None: ...


def csv_row(name: str, report: Report | None, group: str | None = None, host: str | None = None,
            error: str | None = None, sha256: str | None = None) -> dict[str, Any]:  # fmt: skip
    """One input's key fields, for spreadsheets and ``grep``."""
    row: dict[str, Any] = dict.fromkeys(CSV_FIELDS, "")
    row.update(path=name, host=host or "", sha256=sha256 or "", error=error or "", group=group or "")
    if report is None:
        return row
    s, d = report.screen, report.diagnosis
    world = " ".join(str(x) for x in (s.world.id, s.world.name) if x is not None) if s.world else ""
    row.update(
        sha256=report.source.sha256 or sha256 or "",
        is_psod=str(report.is_psod).lower(),
        type=d.type,
        headline=s.message or "",
        build=s.build or "",
        world=world,
        pcpu="" if s.pcpu is None else s.pcpu,
        top_frames=" | ".join(f.label for f in s.frames[:TOP_FRAMES]),
        module=d.faulting_module or "",
        signature=d.signature or "",
        confidence=f"{d.confidence:.2f}",
    )
    return row


class NullWriter:
    """For results that are not printed (the single readings fused into one report)."""

    def report(self, name: str, report: Report, group: str | None, host: str | None,
               picture: bytes | None) -> None:  # fmt: skip
        pass

    def error(self, name: str, message: str, sha256: str | None, host: str | None) -> None:
        pass

    def close(self) -> None:
        pass


class TextWriter:
    """Text or Markdown, each report as it comes; with several inputs each is headed by its
    path, and a report of a screen already shown says which."""

    def __init__(self, out: Any, markdown: bool, lang: str, several: bool) -> None:
        self.out, self.markdown, self.lang, self.several = out, markdown, lang, several
        self.count = 0

    def report(self, name: str, report: Report, group: str | None, host: str | None,
               picture: bytes | None) -> None:  # fmt: skip
        parts = []
        if self.count:
            parts.append("\n")
        if self.several:
            parts.append(f"# {md_text(name)}\n\n" if self.markdown else f"== {name} ==\n")
        parts.append(to_markdown(report, self.lang) if self.markdown else to_text(report, self.lang))
        if group and group != name:
            shown = md_text(group) if self.markdown else group
            note = f"Same screen as {shown} (scan --same-screen merges such photos into one report)."
            parts.append(f"\n{'*' + note + '*' if self.markdown else note}\n")
        self.out("".join(parts))
        self.count += 1

    def error(self, name: str, message: str, sha256: str | None, host: str | None) -> None:
        pass  # said on stderr

    def close(self) -> None:
        pass


class JsonWriter:
    """One report object for one input, an array for several (written at the end)."""

    def __init__(self, out: Any, several: bool) -> None:
        self.out, self.several = out, several
        self.objs: list[dict[str, Any]] = []

    def report(self, name: str, report: Report, group: str | None, host: str | None,
               picture: bytes | None) -> None:  # fmt: skip
        self.objs.append(report.to_dict())

    def error(self, name: str, message: str, sha256: str | None, host: str | None) -> None:
        pass

    def close(self) -> None:
        if self.several:
            self.out(json.dumps(self.objs, indent=2, ensure_ascii=False) + "\n")
        elif self.objs:
            self.out(json.dumps(self.objs[0], indent=2, ensure_ascii=False) + "\n")


class JsonLinesWriter:
    """One line per input as it finishes: the report object plus ``group``, or for an input
    that could not be read ``{"path", "error"}``."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def _line(self, obj: dict[str, Any]) -> None:
        self.out(json.dumps(obj, ensure_ascii=False) + "\n", flush=True)

    def report(self, name: str, report: Report, group: str | None, host: str | None,
               picture: bytes | None) -> None:  # fmt: skip
        self._line({**report.to_dict(), "group": group})

    def error(self, name: str, message: str, sha256: str | None, host: str | None) -> None:
        self._line({"path": name, "error": message})

    def close(self) -> None:
        pass


class CsvWriter:
    """A header, then one row per input (an unreadable one with only ``error`` filled in)."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self._buf = _Line()
        self._csv = csv.DictWriter(self._buf, fieldnames=CSV_FIELDS, lineterminator="\n")
        self._csv.writeheader()
        self._flush()

    def _flush(self) -> None:
        self.out(self._buf.take(), flush=True)

    def report(self, name: str, report: Report, group: str | None, host: str | None,
               picture: bytes | None) -> None:  # fmt: skip
        self._csv.writerow(csv_row(name, report, group, host))
        self._flush()

    def error(self, name: str, message: str, sha256: str | None, host: str | None) -> None:
        self._csv.writerow(csv_row(name, None, host=host, error=message, sha256=sha256))
        self._flush()

    def close(self) -> None:
        pass


class _Line:
    """A tiny file for csv.writer to write into, emptied after each row."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


class HtmlWriter:
    """One self-contained page for the whole batch, written at the end."""

    def __init__(self, out: Any, lang: str) -> None:
        self.out, self.lang = out, lang
        self.entries: list[Entry] = []

    def report(self, name: str, report: Report, group: str | None, host: str | None,
               picture: bytes | None) -> None:  # fmt: skip
        self.entries.append(Entry(name, report, picture=picture, group=group))

    def error(self, name: str, message: str, sha256: str | None, host: str | None) -> None:
        self.entries.append(Entry(name, error=message))

    def close(self) -> None:
        self.out(html_report(self.entries, self.lang))


def writer(fmt: str, out: Any, lang: str, several: bool) -> Writer:
    """The writer for ``--format``; ``out(text, flush=False)`` writes to standard output."""
    if fmt in ("text", "md"):
        return TextWriter(out, fmt == "md", lang, several)
    if fmt == "json":
        return JsonWriter(out, several)
    if fmt == "jsonl":
        return JsonLinesWriter(out)
    if fmt == "csv":
        return CsvWriter(out)
    if fmt == "html":
        return HtmlWriter(out, lang)
    raise ValueError(f"unknown format {fmt!r}")


class OutDir:
    """``--out DIR``: ``<stem>.json`` (the report) and ``<stem>.annotated.png`` per input, each
    written atomically (a link already there is replaced, not written through)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, stem: str, report: Report | None, png: bytes | None) -> list[Path]:
        written = []
        if report is not None:
            path = self.folder / f"{stem}.json"
            write_atomically(path, report.to_json() + "\n")
            written.append(path)
        if png is not None:
            path = self.folder / f"{stem}.annotated.png"
            write_atomically(path, png)
            written.append(path)
        return written


def stdout_writer(stream: TextIO) -> Any:
    """``out(text, flush=False)`` over a stream."""

    def out(text: str, flush: bool = False) -> None:
        stream.write(text)
        if flush:
            stream.flush()

    return out
