"""Reading with the glyph model: a screen in a font family it never saw is read without any
installed font or word list, a reader's doubt shows as '?', and the grammar's pins neither set a
letter's case nor take a log line's comma for a frame's colon."""

from __future__ import annotations

import re

import numpy as np
import pytest

import psod_ocr._exec.tesseract as tesseract
import psod_ocr.recognise.glyphs as glyphs
import psod_ocr.repair as repair
from psod_ocr import read_text
from psod_ocr.capture import scan
from psod_ocr.recognise.cells import (
    FontMatch,
    _cluster_votes,
    _pins,
    _twins_by_context,
    in_lines,
    mark_doubtful,
    unwrap_plan,
    unwrap_rows,
)
from psod_ocr.simulate import available_fonts, simulate
from psod_ocr.simulate.glyph_fonts import HELD_OUT, family_of

LOSSLESS = {"scale": (1.0, 1.0), "fmt": "png", "chrome": None, "letterbox": None, "crop": False,
            "annotate": False, "redact": 0}  # fmt: skip
SCREEN = "\n".join([
    "VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]",
    "#PF Exception 14 in world 2097881:vmnic0 IP 0x41802bd7e3cd addr 0x30",
    "PTEs:0x10b3a4023;0x1094c7023;0x0;",
    "cr0=0x80010031 cr2=0x30 cr3=0x10c3f2000 cr4=0x142768",
    "*PCPU3:2097881/vmnic0",
    "PCPU  0: UUUSUUUUUUUU",
    "Code start: 0x418015e00000 VMK uptime: 41:07:55:18.342",
    "0x4539a1d1bd40:[0x41802bd7e3cd]ixgben_tx_clean@(ixgben)#<None>+0x9d stack: 0x43125c8e3a80",
    "0x4539a1d1bdb0:[0x41802bd6f1a8]ixgben_poll@(ixgben)#<None>+0x5c stack: 0x4539a1d1be00",
    "0x4539a1d1be30:[0x418015f2c0de]NetPollWorldCallback@vmkernel#nover+0x1b2 stack: 0x0",
    "base fs=0x0 gs=0x418040c00000 Kgs=0x0",
    "Coredump to disk. Slot 1 of 1 on device naa.600508b1001c8f2e.",
])  # fmt: skip
HEX = re.compile(r"0x[0-9a-f]+")


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with the wheel and Tesseract only: no console font for the templates, no word
    list unpacked from Tesseract's model."""
    monkeypatch.setattr(glyphs, "template_fonts", list)
    monkeypatch.setattr(tesseract, "word_list", lambda lang="eng": frozenset())
    monkeypatch.setattr(repair, "word_list", lambda lang="eng": frozenset())


@pytest.mark.parametrize("font", ["Lat15-Fixed16", "grcourier"])
def test_a_screenshot_in_a_held_out_font_is_read_by_the_model_with_no_font_installed(bare, font):
    if font not in available_fonts("esxi"):
        pytest.skip(f"{font} is not installed")
    assert family_of(f"psf:{font}") in HELD_OUT
    glyphs.glyph_bank.cache_clear()
    glyphs._template_cells.cache_clear()
    try:
        sim = simulate(SCREEN, "kvm_screenshot", seed=11, font=font, **LOSSLESS)
        report = scan(sim.capture.image_bytes, name="shot.png")
    finally:
        glyphs.glyph_bank.cache_clear()
        glyphs._template_cells.cache_clear()
    assert report.ocr.model == "cell grid (glyph model)"  # no Tesseract, no font file needed
    assert HEX.findall(report.text) == HEX.findall(SCREEN)
    symbols = [f.symbol for f in report.screen.frames]
    assert symbols == ["ixgben_tx_clean", "ixgben_poll", "NetPollWorldCallback"]
    assert report.diagnosis.type == "pf14"
    assert report.ocr.uncertain_share == 0.0


def test_the_report_says_how_many_characters_are_uncertain():
    sim = simulate(SCREEN, "kvm_screenshot", seed=12, font="esxi-like", **LOSSLESS)
    report = scan(sim.capture.image_bytes, name="shot.png")
    chars = sum(not c.isspace() for c in report.text)
    assert report.ocr.uncertain_share == pytest.approx(report.text.count("?") / chars, abs=1e-4)
    assert "uncertain_share" in report.to_dict()["ocr"]


def test_doubtful_cells_become_question_marks_where_the_wrapped_rows_are_joined():
    rows = ["a" * 127 + "b", "cdef", "", "PCPU 0: x"]
    texts = unwrap_rows(rows, 128)
    assert texts == ["a" * 127 + "bcdef", "", "PCPU 0: x"]
    assert unwrap_plan(rows, 128) == [(0, 0), (0, 128), (1, 0), (2, 0)]
    doubtful = in_lines(dict.fromkeys({(0, 127), (1, 2), (3, 8)}), rows, 128)
    assert set(doubtful) == {(0, 127), (0, 130), (2, 8)}
    marked = mark_doubtful(texts, doubtful)
    assert marked == ["a" * 127 + "?cd?f", "", "PCPU 0: ?"]


def _fonts(votes: list[dict[str, float]]) -> FontMatch:
    return FontMatch(votes=[{} for _ in votes], font=None, fit=0.0, cell_names={}, loose_names={},
                     sure=False, model_votes=votes)  # fmt: skip


def test_a_known_word_pins_its_letters_but_not_their_case():
    # "Heartbeat" at the start of a sentence: the word list knows "heartbeat"
    labels = np.array([0, 1])
    index = {(0, 0): 0, (0, 1): 1}
    votes = _cluster_votes(labels, index, {}, {(0, 0): "h", (0, 1): "e"}, _fonts([{"H": 1.9}, {"e": 1.9}]))
    assert max(votes[0], key=votes[0].get) == "H" and "h" not in votes[0]
    assert max(votes[1], key=votes[1].get) == "e"
    # where the readers have no say, the pin's own case stands
    votes = _cluster_votes(labels, index, {}, {(0, 0): "h"}, _fonts([{}, {}]))
    assert max(votes[0], key=votes[0].get) == "h"


def test_a_log_lines_comma_is_not_pinned_as_a_frames_colon():
    line = "cpu78:2098897)pcpu 118 NMI: stack: 0x95d6ead3470ec8, 0x431c228173a8, 0x0"
    pins = _pins([line])
    comma = line.index(",")
    assert pins.get((0, comma)) != ":"
    frame = "0x4539a1d1bd40:[0x41802bd7e3cd]ixgben_tx_clean@(ixgben)#<None>+0x9d stack: 0x43125c8e3a80"
    pins = _pins([frame])
    assert pins[(0, frame.index(":"))] == ":" and pins[(0, frame.index("["))] == "["


def test_a_letter_drawn_like_another_is_told_apart_by_its_neighbours():
    row = np.array([list("NMI IPI receIved; eIp")])
    votes = {"I": 3.0, "i": 1.5}  # one cluster holds the I's and i's a scaler made alike
    twins = {(0, c): votes for c, ch in enumerate(row[0]) if ch == "I"}
    _twins_by_context(row, twins)
    assert "".join(row[0]) == "NMI IPI received; eip"


def test_a_value_holding_an_uncertain_character_is_not_taken_for_a_number():
    lines = ["VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]",
             "#PF Exception 14 in world 2097881:vmnic0 IP 0x41802bd7e3cd addr 0x30",
             "cr0=0x80010031 cr2=0x3? cr3=0x10c3f2000 cr4=0x142768",
             "Code start: 0x418015e0?000 VMK uptime: 41:07:55:18.342",
             "0x4539a1d1bd40:[0x41802bd7e?cd]ixgben_tx_clean@(ixgben)#<None>+0x9d stack: 0x0"]  # fmt: skip
    report = read_text("\n".join(lines))
    screen = report.screen
    assert screen.code_start is None and screen.frames[0].ip is None
    assert screen.registers["cr2"] == "0x3?"  # registers are kept as shown
    assert any("code start is unreadable" in w for w in report.warnings)
    assert any("IP is unreadable" in w for w in report.warnings)


def test_a_screenshot_the_model_is_sure_of_builds_no_font_templates():
    glyphs.glyph_bank.cache_clear()
    glyphs._template_cells.cache_clear()
    try:
        sim = simulate(SCREEN, "kvm_screenshot", seed=13, font="esxi-like", **LOSSLESS)
        report = scan(sim.capture.image_bytes, name="shot.png")
        built = glyphs._template_cells.cache_info().currsize
    finally:
        glyphs.glyph_bank.cache_clear()
        glyphs._template_cells.cache_clear()
    assert report.ocr.model == "cell grid (glyph model)"
    assert built == 0  # the installed fonts were not read
    assert HEX.findall(report.text) == HEX.findall(SCREEN)


def test_the_log_forms_bluescreen_marker_and_esx3_registers_pin_their_letters():
    line = "Panic Message: @8lueScreen: Failed at bora/modules/vmkernel/x/y.c:478 -- NOT REACHED"
    assert _pins([line])[(0, line.index("@") + 1)] == "B"
    pins = _pins(["gate=0x0 frame=0x343bd78 eip=0x61fafc cr2=0x0", "eax=0x0 ebx=0x0 ecx=0x0 edx=0x0"])
    assert "".join(pins[(0, c)] for c in range(5)) == "gate="
    assert "".join(pins[(1, c)] for c in range(8, 12)) == "ebx="
