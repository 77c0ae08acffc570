"""The batch output formats on text reports (no OCR): CSV fields, JSON Lines, escaped HTML."""

from __future__ import annotations

import csv
import io
import json

from crafted import screen

from psod_ocr import read_text
from psod_ocr.outputs import CSV_FIELDS, stdout_writer, writer
from psod_ocr.render_html import Entry, html_report

REPORT = read_text(screen(world="lpfc_worker", frames=("lpfc_sli_handle_ring@(lpfc)#<None>", "vmkWorldFunc")),
                   path="esx01/psod.jpg")  # fmt: skip


def written(fmt: str, several: bool = True) -> str:
    buf = io.StringIO()
    w = writer(fmt, stdout_writer(buf), "en", several)
    w.report("esx01/psod.jpg", REPORT, "esx01/first.jpg", "esx01", None)
    w.error("bad.png", "bad.png: corrupt or truncated image", "ab" * 32, None)
    w.close()
    return buf.getvalue()


def test_csv_has_the_key_fields_and_a_row_per_input():
    rows = list(csv.DictReader(io.StringIO(written("csv"))))
    assert tuple(rows[0]) == CSV_FIELDS and len(rows) == 2
    good, bad = rows
    assert good["path"] == "esx01/psod.jpg" and good["host"] == "esx01" and good["is_psod"] == "true"
    assert good["type"] == "pf14" and good["build"] == "19193900" and good["pcpu"] == "3"
    assert good["world"] == "2099652 lpfc_worker" and good["module"] == "lpfc"
    assert good["top_frames"] == "lpfc_sli_handle_ring@lpfc | vmkWorldFunc@vmkernel"
    assert good["signature"].startswith("pf14-") and good["group"] == "esx01/first.jpg"
    assert good["error"] == ""
    assert float(good["confidence"]) > 0.5
    assert bad["error"] == "bad.png: corrupt or truncated image"
    assert bad["type"] == "" and bad["sha256"] == "ab" * 32


def test_json_lines_one_object_per_input():
    report, error = (json.loads(line) for line in written("jsonl").splitlines())
    assert report["diagnosis"]["type"] == "pf14" and report["group"] == "esx01/first.jpg"
    assert error == {"path": "bad.png", "error": "bad.png: corrupt or truncated image"}


def test_json_is_an_array_for_several_inputs_and_an_object_for_one():
    assert isinstance(json.loads(written("json")), list)
    assert isinstance(json.loads(written("json", several=False)), dict)


def test_text_heads_each_report_with_its_path_and_names_the_same_screen():
    out = written("text")
    assert out.startswith("== esx01/psod.jpg ==\nVerdict: Page fault")
    assert "Same screen as esx01/first.jpg" in out and "bad.png" not in out


def test_html_is_one_self_contained_escaped_page():
    hostile = read_text(screen().replace("hostd-worker", "<script>alert(1)</script>"), path="<b>x</b>.png")
    page = html_report([Entry("<b>x</b>.png", hostile, picture=b"\xff\xd8\xff fake jpeg"),
                        Entry("bad & <i>.png", error="bad & <i>.png: empty file")])  # fmt: skip
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;.png" in page
    assert "bad &amp; &lt;i&gt;.png: empty file" in page
    assert page.count("src='data:image/jpeg;base64,") == 1 and "http" not in page.split("<body>")[0]
