"""The data files load, agree with each other, and a broken one fails with file and entry."""

from __future__ import annotations

import re

import pytest

from psod_ocr import knowledge
from psod_ocr.report import schema


def test_types_match_the_schema_enum():
    enum = schema()["properties"]["diagnosis"]["properties"]["type"]["enum"]
    assert list(knowledge.DIAGNOSIS_TYPES) == enum


def test_all_files_load():
    assert knowledge.headline_rules()
    assert knowledge.diagnoses()
    assert knowledge.known_issues()
    assert knowledge.modules().is_vmware("vmkernel")
    assert set(knowledge.coredump_phrases()) == {"started", "completed", "failed", "other"}


def test_kb_ids_are_numbers_with_https_urls():
    for kb_id, info in knowledge.kb_titles().items():
        assert re.fullmatch(r"\d+", kb_id)
        assert info["url"].startswith("https://knowledge.broadcom.com/")


def test_module_knowledge():
    mods = knowledge.modules()
    assert mods.is_vmware("com.vmware.driverAPI") and mods.is_vmware("vmw_ahci")
    assert mods.is_vmware("vnkusb")  # one misread letter of vmkusb
    assert not mods.is_vmware("qfle3") and not mods.is_vmware("lpfc")


def test_bad_regex_names_file_and_entry():
    with pytest.raises(knowledge.DataFileError, match=r"data/x\.toml #1: bad regex"):
        knowledge._compile("([", "data/x.toml #1")


def test_macros_expand():
    pat = knowledge._compile("in world {world}", "t", {"world": r"(?P<w>\d+)"})
    assert pat.search("in world 42")["w"] == "42"
