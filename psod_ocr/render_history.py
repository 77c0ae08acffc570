"""The stored history as a table, and pattern analysis as text (verdict first, then why, then
the crashes compared) and Markdown."""

from __future__ import annotations

from typing import Any

from .analyze import COLUMNS, Analysis, rules
from .render import _pad, _width, format_uptime, md_text

HISTORY_COLUMNS = ("id", "created", "host", "type", "build", "world", "pcpu", "signature", "headline")
HEADLINE_WIDTH = 60


def _label(key: str, lang: str) -> str:
    return rules().text[key][lang]


def _headline(analysis: Analysis, lang: str) -> str:
    n = len(analysis.evidence)
    count = _label("crashes", lang).format(n=n)
    return f"{_label('title', lang)}: {_label(analysis.verdict, lang)} ({count})"


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    uptime = row.get("uptime_seconds")
    return (
        row.get("crash_time") or "-",
        format_uptime(uptime, "") if uptime is not None else "-",
        row.get("build") or "-",
        row.get("type") or "-",
        row.get("world") or "-",
        "-" if row.get("pcpu") is None else str(row["pcpu"]),
        row.get("signature") or "-",
        " | ".join(row.get("top_frames") or ()) or "-",
    )


def analysis_to_text(analysis: Analysis, lang: str = "en") -> str:
    out = [_headline(analysis, lang), "", _label("reasons", lang)]
    out += [f"  - {r.text[lang]}" for r in analysis.reasons]
    if analysis.evidence:
        head = tuple(_label(f"col_{c}", lang) for c in COLUMNS)
        rows = [head, *(_cells(row) for row in analysis.evidence)]
        out += ["", _label("evidence", lang), *("  " + line for line in _table(rows))]
    return "\n".join(out) + "\n"


def analysis_to_markdown(analysis: Analysis, lang: str = "en") -> str:
    """The reasons quote worlds, modules and signatures as read: they are escaped like the cells."""
    out = [f"## {md_text(_headline(analysis, lang))}", "", f"### {_label('reasons', lang)}", ""]
    out += [f"- {md_text(r.text[lang])}" for r in analysis.reasons]
    if analysis.evidence:
        out += ["", f"### {_label('evidence', lang)}", ""]
        out.append("| " + " | ".join(_label(f"col_{c}", lang) for c in COLUMNS) + " |")
        out.append("|" + "---|" * len(COLUMNS))
        out += ["| " + " | ".join(md_text(c) for c in _cells(row)) + " |" for row in analysis.evidence]
    return "\n".join(out) + "\n"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Columns padded to their widest cell; the last one is left ragged."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1] for r in rows]


def history_to_text(summaries: list[dict[str, Any]]) -> str:
    """One line per stored report (``StoredReport.summary()``), oldest first."""
    if not summaries:
        return "(no reports stored)\n"
    rows = [HISTORY_COLUMNS]
    for s in summaries:
        headline = s.get("headline") or "-"
        if len(headline) > HEADLINE_WIDTH:
            headline = headline[: HEADLINE_WIDTH - 3] + "..."
        cells = [s.get(c) for c in HISTORY_COLUMNS[:-1]]
        rows.append((*("-" if v is None else str(v) for v in cells), headline))
    return "\n".join(_table(rows)) + "\n"
