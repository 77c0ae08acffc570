"""The batch output formats on text reports (no OCR): CSV fields, JSON Lines, escaped HTML,
Markdown that text read from a picture cannot break out of."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import CORPUS
from crafted import report, screen
from markdown_it import MarkdownIt
from markdown_it.token import Token

from psod_ocr import read_text
from psod_ocr.analyze import analyze
from psod_ocr.outputs import CSV_FIELDS, stdout_writer, writer
from psod_ocr.render import code_span, to_markdown
from psod_ocr.render_history import analysis_to_markdown
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


EVIL_WORLD = "evil`<img src=x onerror=alert(1)>"
EVIL_DUMP_LINE = "Coredump to disk. `<i>x</i>`` [a](https://example.com)"


def tokens(md: str) -> list[Token]:
    """Every token of the Markdown as CommonMark with tables reads it, nested ones included."""

    def walk(level: list[Token]):
        for t in level:
            yield t
            yield from walk(t.children or [])

    return list(walk(MarkdownIt("commonmark").enable("table").parse(md)))


def inert(md: str) -> list[Token]:
    """The tokens, after checking that no raw HTML, picture or link but a KB one came of it."""
    found = tokens(md)
    assert not [t.content for t in found if t.type in ("html_inline", "html_block", "image")]
    links = [t.attrs["href"] for t in found if t.type == "link_open"]
    assert all(str(href).startswith("https://knowledge.broadcom.com/") for href in links)
    return found


def shown(inline: Token) -> str:
    """The text an inline token shows (escapes undone, code spans as their content)."""
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))


def hostile_report():
    """A real screen (corpus 011) whose world name and dump line hold backticks and HTML."""
    text = (CORPUS / "011_esx41_pf14_qla2xxx_world.txt").read_text()
    text = text.replace("qla2xxx_dpc", EVIL_WORLD).replace("Coredump to disk.", EVIL_DUMP_LINE)
    return read_text(text, path="esx01/psod.png")


def test_markdown_code_spans_hold_backticks_and_html_as_they_are():
    r = hostile_report()
    assert r.screen.world.name.startswith("evil`<") and EVIL_WORLD in r.screen.message
    spans = [t.content for t in inert(to_markdown(r)) if t.type == "code_inline"]
    assert r.screen.message in spans and f"{r.screen.world.id} {r.screen.world.name}" in spans
    assert EVIL_DUMP_LINE in spans


@pytest.mark.parametrize("value", ["a`b", "`start", "end`", "``", "a ``` b", " both ", "<i>x</i> & `"])
def test_a_code_span_shows_exactly_its_value(value):
    (span,) = [t for t in tokens(f"- {code_span(value)}") if t.type == "code_inline"]
    assert span.content == value


def test_markdown_paths_and_text_outside_code_spans_are_escaped():
    name, group = "<b>x</b>`[a](https://example.com).png", "first & <i>only</i>*.png"
    buf = io.StringIO()
    md = writer("md", stdout_writer(buf), "en", several=True)
    md.report(name, hostile_report(), group, None, None)
    md.close()
    found = inert(buf.getvalue())
    heading = found[found.index(next(t for t in found if t.type == "heading_open")) + 1]
    assert shown(heading) == name
    assert any(shown(t) == f"Same screen as {group} (scan --same-screen merges such photos into one report)."
               for t in found if t.type == "inline")  # fmt: skip


def test_analysis_markdown_escapes_worlds_in_reasons_and_cells():
    world = "evil`<b>x</b>|[a](https://example.com)"
    a = analyze([report(screen(world=world, pcpu=1)), report(screen(world=world, pcpu=1))])
    assert any(r.params.get("world") == world for r in a.reasons)
    found = inert(analysis_to_markdown(a))
    texts = [shown(t) for t in found if t.type == "inline"]
    assert any(f"in the world {world}:" in t for t in texts)  # a reason
    assert texts.count(world) == 2  # the evidence table's world cells
    assert "Heap_Free@vmkernel | Net_PortDisconnect@vmkernel | vmkWorldFunc@vmkernel" in texts
