"""Shared test helpers: where the third-party reference data lives, and schema validation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from psod_ocr.report import validate

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PSOD_SHARED", ROOT.parent / "shared"))
CORPUS = ROOT / "corpus" / "texts"


def shared_manifest(sub: str) -> list[dict]:
    """Entries of ../shared/<sub>/manifest.json, or [] when the shared data is absent."""
    path = SHARED / sub / "manifest.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text("utf-8"))
    return data["images"] if isinstance(data, dict) else data


def need_shared(sub: str) -> Path:
    path = SHARED / sub
    if not path.exists():
        pytest.skip(f"shared reference data not found at {path}")
    return path


@pytest.fixture(autouse=True)
def history_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every psod-ocr it starts) keeps reports in its own throwaway database,
    never in the user's data folder."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    monkeypatch.setenv("PSOD_OCR_DB", str(path))
    return path


@pytest.fixture
def valid():
    """Validate a report dict (or list of them) against the schema and return it."""

    def check(obj):
        for item in obj if isinstance(obj, list) else [obj]:
            validate(item)
        return obj

    return check
