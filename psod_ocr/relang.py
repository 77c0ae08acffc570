"""A stored report shown in another language, without reading the picture again.

The diagnosis (title, summary, reasons) is worded when a report is made; the classifier is
deterministic, so classifying the stored text again in ``lang`` gives the same verdict in the
other language. The web page and the watcher use this for pictures already in the history.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .classify import classify
from .parse import parse_text
from .report import Report, from_dict


def in_language(obj: dict[str, Any] | Report, lang: str, path: str | None = None) -> Report:
    """``obj`` (a report or its JSON) with its diagnosis in ``lang``; its path ``path`` if given."""
    report = obj if isinstance(obj, Report) else from_dict(obj)
    diagnosis = classify(parse_text(report.text, fuzzy=report.ocr is not None), lang)
    source = report.source if path is None else replace(report.source, path=path)
    return replace(report, diagnosis=diagnosis, source=source)
