"""The web package's small parts in-process: labels the page uses exist in both languages, and
what a client sends is only ever a label."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from psod_ocr import knowledge
from psod_ocr.analyze import rules
from psod_ocr.web.origin import Hosts, allowed_name, foreign, host_name
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


def test_host_names_are_compared_without_port_brackets_or_case():
    assert host_name("LocalHost.:8000") == "localhost" and host_name("[0:0::1]:80") == "::1"
    for bad in ("", "a b", "x@127.0.0.1", "[::1", "[nope]", "127.0.0.1:99999", "host:", "."):
        assert host_name(bad) is None, bad
    assert allowed_name("::1") == allowed_name("[::1]") == "::1"
    assert allowed_name("Proxy.lan:443") == "proxy.lan"
    with pytest.raises(ValueError):
        allowed_name("a b")


def test_which_hosts_are_answered_depends_on_the_bind_address():
    local = Hosts.of("127.0.0.1")
    assert all(local.allows(h) for h in ("localhost", "127.0.0.1:8000", "127.9.9.9", "[::1]:8000"))
    assert not any(local.allows(h) for h in ("attacker.example", "10.0.0.1", "127.0.0.1.nip.io"))
    lan = Hosts.of("192.168.1.5", ["psod.lan"])
    assert lan.allows("192.168.1.5:8000") and lan.allows("psod.lan") and not lan.allows("192.168.1.6")
    every = Hosts.of("0.0.0.0", ["psod.lan"])  # its own addresses are not known: any address will do
    assert every.allows("10.1.2.3:8000") and every.allows("[fe80::1]") and every.allows("psod.lan")
    assert not every.allows("attacker.example") and not Hosts.of("::").allows("esx-host.lan")


def test_only_writes_from_other_sites_are_foreign():
    own = "127.0.0.1:8000"
    assert foreign("POST", own, None, None) is None  # curl, scripts: no browser sent it
    assert foreign("POST", own, "http://127.0.0.1:8000", "same-origin") is None
    assert foreign("post", own, "https://127.0.0.1:8000", None) is None  # TLS ended by a proxy
    assert foreign("GET", own, "http://evil.example", "cross-site") is None  # reading changes nothing
    for origin, site in (("http://evil.example", None), ("null", None), ("http://localhost:8000", None),
                         ("http://127.0.0.1:8000/x", None), (None, "same-site"), (None, "cross-site"),
                         ("http://127.0.0.1:8000", "cross-site")):  # fmt: skip
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert foreign(method, own, origin, site), (method, origin, site)
    assert foreign("POST", None, "http://127.0.0.1:8000", None)  # HTTP/1.0, no Host to compare with
