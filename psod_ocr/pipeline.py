"""The whole job for text input: parse, classify, and wrap the result in a ``Report``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .classify import classify
from .parse import parse_text
from .report import Report, Source


def read_text(text: str, path: str = "-", lang: str = "en") -> Report:
    """Read a transcribed screen or a log excerpt into a report. Never raises on content."""
    parsed = parse_text(text)
    diagnosis = classify(parsed, lang=lang)
    kind = "log" if parsed.screen.form == "log" else "text"
    source = Source(path=path, kind=kind, sha256=hashlib.sha256(text.encode()).hexdigest())
    warnings = list(parsed.warnings)
    if diagnosis.type == "not_a_psod":
        warnings.append("no purple diagnostic screen found in the text")
    return Report(
        source=source,
        text=text,
        screen=parsed.screen,
        diagnosis=diagnosis,
        warnings=tuple(warnings),
    )


def scan_image(source: str | Path | bytes, name: str | None = None, lang: str = "en") -> Report:
    """Read a photo or screenshot of a purple screen into a report.

    Raises ``ImageLoadError`` for input that is not a readable image; a picture without a
    purple screen is a report of type ``not_a_psod`` with a warning.
    """
    from .capture import scan

    return scan(source, name=name, lang=lang)
