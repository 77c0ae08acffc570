"""The web package's small parts in-process: labels the page uses exist in both languages, and
what a client sends is only ever a label."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from psod_ocr import knowledge
from psod_ocr.analyze import rules
from psod_ocr.web.upload import ApiError, host_of, label_of, lang_of, spool

STATIC = Path(__file__).resolve().parent.parent / "psod_ocr" / "web" / "static"


def page_labels() -> set[str]:
    """Every label key the HTML and JS ask for (data-i18n attributes and PSOD.t("...") calls)."""
    keys = set()
    for path in STATIC.iterdir():
        text = path.read_text("utf-8")
        keys |= set(re.findall(r'data-i18n(?:-placeholder)?="([^"]+)"', text))
        keys |= set(re.findall(r'PSOD\.t\("([^"]+)"', text))
        keys |= set(re.findall(r'"((?:[ra]\.|col_)[a-z_]+)"', text))  # keys handed around as data
        keys |= set(re.findall(r'copy\("\w+", "(\w+)"\)', text))
    return keys


def test_every_label_the_page_uses_exists_in_both_languages():
    tables = {"": knowledge.web_text(), "r.": knowledge.ui_text(), "a.": rules().text}
    known = {prefix + key for prefix, table in tables.items() for key in table}
    missing = sorted(page_labels() - known)
    assert not missing, missing
    for key, entry in knowledge.web_text().items():
        assert set(entry) == {"en", "ja"} and all(entry.values()), key


def test_a_file_name_becomes_a_label_never_a_path():
    assert label_of("../../etc/passwd") == "passwd"
    assert label_of("C:\\Users\\me\\IMG_1.HEIC") == "IMG_1.HEIC"
    assert label_of("..") == "upload" and label_of(None) == "upload" and label_of("a/") == "upload"
    assert label_of("bad\x00name\x1b.png") == "badname.png"
    assert len(label_of("x" * 1000 + ".png")) == 200


def test_host_and_lang_fields():
    assert host_of(None) is None and host_of("  ") is None and host_of(" esx01 ") == "esx01"
    for bad in ("a\nb", "x" * 300):
        with pytest.raises(ApiError) as err:
            host_of(bad)
        assert err.value.status == 400
    assert lang_of(None) == "en" and lang_of("ja") == "ja"
    with pytest.raises(ApiError):
        lang_of("de")


def test_spool_counts_hashes_and_refuses_past_the_limit(tmp_path):
    got = spool(io.BytesIO(b"abc" * 10), tmp_path, 100, "a.png")
    assert got.size == 30 and got.path.parent == tmp_path and got.path.read_bytes() == b"abc" * 10
    with pytest.raises(ApiError) as err:
        spool(io.BytesIO(b"x" * 101), tmp_path, 100, "big.png")
    assert err.value.status == 413
    with pytest.raises(ApiError) as err:
        spool(io.BytesIO(b""), tmp_path, 100, "empty.png")
    assert err.value.status == 422
    assert [p.name for p in tmp_path.iterdir()] == [got.path.name]  # refused ones leave nothing
