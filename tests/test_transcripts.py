"""Every shared transcript and real-capture transcription parses as its manifest says."""

from __future__ import annotations

import re

import pytest
from conftest import SHARED, need_shared, shared_manifest

from psod_ocr import read_text
from psod_ocr.report import validate

TRANSCRIPTS = shared_manifest("transcripts")
CAPTURES = shared_manifest("real-captures")


def _world(expected: str | None):
    """Manifest 'id:name' -> (id or None, name or None); masked ids read as None."""
    if expected is None:
        return None
    wid, _, name = expected.partition(":")
    wid = wid.strip()
    return (int(wid) if wid.isdigit() else None, name.strip() or None)


def _readable_symbols(report) -> list[str]:
    return [f.symbol for f in report.screen.frames if f.symbol and f.symbol != "Unknown"]


@pytest.mark.parametrize("entry", TRANSCRIPTS, ids=[e["file"] for e in TRANSCRIPTS])
def test_transcript(entry):
    text = (need_shared("transcripts") / entry["file"]).read_text("utf-8")
    report = read_text(text, path=entry["file"])
    validate(report.to_dict())
    screen = report.screen
    assert report.diagnosis.type == entry["error_type"]
    assert screen.message == entry["error_message"]
    assert screen.pcpu == entry["pcpu"]
    want = _world(entry["world"])
    if want is None:
        assert screen.world is None or screen.world.name is None
    else:
        assert (screen.world.id, screen.world.name) == want
    top = entry["top_frames"]
    assert _readable_symbols(report)[: len(top)] == top
    if entry["build"] and entry["build"] in text:
        assert screen.build == entry["build"]


def _headline_matches(got: str | None, want: str | None) -> bool:
    """Compare with the transcription's '?' (unreadable in the image) as a wildcard."""
    if want is None or got is None:
        return got == want
    pattern = "".join("." if c == "?" else re.escape(c) for c in got)
    return re.fullmatch(pattern, want) is not None


@pytest.mark.parametrize("entry", CAPTURES, ids=[e["file"] for e in CAPTURES])
def test_real_capture_transcription(entry):
    text = (need_shared("real-captures") / entry["transcription"]).read_text("utf-8")
    report = read_text(text, path=entry["transcription"])
    validate(report.to_dict())
    assert report.diagnosis.type == entry["error_type"]
    assert _headline_matches(report.screen.message, entry["headline"])
    if entry["build"] and entry["build"] in text:
        assert report.screen.build == entry["build"]


def test_package_schema_is_the_shared_contract():
    shared = SHARED / "schema" / "psod-report.schema.json"
    if not shared.exists():
        pytest.skip("shared schema not available")
    from importlib import resources

    ours = resources.files("psod_ocr").joinpath("data/psod-report.schema.json").read_text("utf-8")
    assert ours == shared.read_text("utf-8")
