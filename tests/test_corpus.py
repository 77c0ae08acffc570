"""Our own texts in corpus/texts (every generation and type) read as their .json says."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS

from psod_ocr import read_text
from psod_ocr.report import validate

CASES = sorted(CORPUS.glob("*.json"))


def _frames(report):
    return [f for f in report.screen.frames if f.symbol and f.symbol != "Unknown"]


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_corpus_text(case):
    want = json.loads(case.read_text("utf-8"))
    report = read_text(case.with_suffix(".txt").read_text("utf-8"), path=case.name)
    validate(report.to_dict())
    s, d = report.screen, report.diagnosis
    got = {
        "type": d.type,
        "message": s.message,
        "product": s.product,
        "version": s.version,
        "build": s.build,
        "world": None if s.world is None else {"id": s.world.id, "name": s.world.name},
        "pcpu": s.pcpu,
        "faulting_module": d.faulting_module,
        "likely_cause": d.likely_cause,
        "uptime_seconds": s.uptime.seconds if s.uptime else None,
        "code_start": s.code_start,
        "coredump_status": s.coredump.status if s.coredump else None,
        "cpus_count": len(s.cpus),
        "pcpu_states_count": len(s.pcpu_states or ""),
        "form": s.form,
    }
    for key, value in got.items():
        if key in want:
            if key == "cpus_count" and want[key] is None:
                want[key] = 0
            assert value == want[key], f"{key}: got {value!r}, want {want[key]!r}"
    if "top_frames" in want:
        top = want["top_frames"]
        assert [f.symbol for f in _frames(report)][: len(top)] == top
    if "frame_modules" in want:
        mods = want["frame_modules"]
        assert [f.module for f in _frames(report)][: len(mods)] == mods
    for reg, value in want.get("registers", {}).items():
        assert s.registers.get(reg) == value, reg


def test_corpus_covers_every_type():
    from psod_ocr.knowledge import DIAGNOSIS_TYPES

    types = {json.loads(c.read_text("utf-8"))["type"] for c in CASES}
    assert types == set(DIAGNOSIS_TYPES)
