"""Fusing readings of one screen (texts only, no OCR), and recognising photos of one screen."""

from __future__ import annotations

from dataclasses import replace

from crafted import screen

from psod_ocr import read_text
from psod_ocr.fuse import Reading, align_lines, fuse_reports, fuse_texts, fused_sha256, vote_line
from psod_ocr.groups import Grouper, same_screen
from psod_ocr.report import OcrResult, Report

TRUTH = screen(frames=("Heap_Free", "Net_PortDisconnect", "Portset_DeliverFrames", "vmkWorldFunc"))
LINES = TRUTH.splitlines()


def misread(text: str, *swaps: tuple[str, str]) -> str:
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_identical_readings_fuse_to_themselves():
    fused = fuse_texts([Reading(TRUTH, 0.9), Reading(TRUTH, 0.5)])
    assert fused.text == TRUTH and fused.notes == ()
    assert all(line.sources == (0, 1) for line in fused.lines)


def test_each_character_goes_to_the_majority():
    # Three readings, each wrong somewhere else: the vote gets every character right.
    a = misread(TRUTH, ("0x42001c2b3c4d", "0x42OO1c2b3c4d"), ("uptime", "uptlme"))
    b = misread(TRUTH, ("2099652", "2O99652"), ("Heap_Free", "Heap_Fre"))
    c = misread(TRUTH, ("cr3=0x1b3a2000", "cr3=0xlb3a2000"), ("stack: 0x1", "stack 0x1"))
    fused = fuse_texts([Reading(a, 0.9), Reading(b, 0.8), Reading(c, 0.7)])
    assert fused.text == TRUTH


def test_an_unreadable_character_loses_to_any_reading_of_it():
    assert vote_line([("0x4?80 ab?", 0.9), ("0x4180 abc", 0.2)])[0] == "0x4180 abc"
    text, agreement = vote_line([("hello wrld", 0.9), ("hello world", 0.8), ("helo world", 0.7)])
    assert text == "hello world" and 0 < agreement <= 1


def test_a_clearer_reading_outvotes_a_blurred_one():
    assert vote_line([("rflags=0x10202", 0.8), ("rfiags=0x1O2O2", 0.3)])[0] == "rflags=0x10202"
    assert vote_line([("rflags=0x10202", 0.3), ("rfiags=0x1O2O2", 0.8)])[0] == "rfiags=0x1O2O2"


def test_top_and_bottom_halves_are_joined_on_their_overlap():
    top = "\n".join(LINES[:7]) + "\n"  # banner .. first frame
    bottom = "\n".join(LINES[5:]) + "\n"  # code start .. last frame: two lines shared
    for order in ([top, bottom], [bottom, top]):
        fused = fuse_texts([Reading(t, w) for t, w in zip(order, (0.9, 0.8), strict=True)])
        assert fused.text == TRUTH and fused.notes == ()


def test_halves_without_a_shared_line_are_joined_banner_first():
    top, bottom = "\n".join(LINES[:5]), "\n".join(LINES[5:])
    fused = fuse_texts([Reading(bottom, 0.9, "b.jpg"), Reading(top, 0.5, "a.jpg")])
    assert fused.text == TRUTH
    assert fused.notes == ("a.jpg shares no line with the others: joined above",)


def test_noise_that_shares_no_line_and_reads_as_no_screen_is_left_out():
    noise = "Wnchdeed 10000 Behan meet a'n Dantes\nHO LUSH A TEE waCiccdee-See SOFA?\nPd ae\n"
    fused = fuse_texts([Reading(TRUTH, 0.5), Reading(noise, 0.9, "blurred.jpg")])
    assert fused.text == TRUTH
    (note,) = fused.notes
    assert note == "blurred.jpg shares no line with the others and reads as no purple screen: left out"


def test_a_line_only_a_weak_reading_has_between_shared_rows_is_dropped():
    doubled = TRUTH.replace(LINES[3] + "\n", LINES[3] + "\nF1D9On1OOO ride@nR riGeondeirrerere\n")
    fused = fuse_texts([Reading(TRUTH, 0.6), Reading(TRUTH, 0.5), Reading(doubled, 0.2)])
    assert fused.text == TRUTH


def test_one_line_readings_fuse_too():
    readings = ["LINT1 motherboard interrupt", "LlNT1 motherboard interrupt", "LINT1 motherb0ard interrupt"]
    fused = fuse_texts([Reading(text, w) for text, w in zip(readings, (0.5, 0.4, 0.4), strict=True)])
    assert fused.text == "LINT1 motherboard interrupt\n" and fused.notes == ()


def test_line_alignment_is_in_order_with_free_ends():
    rows = ["VMware ESXi 7.0.3", "cr0=0x80010031", "*PCPU9:2099652/lpfc", "Code start: 0x4200"]
    lines = ["*PCPU9:2O99652/lpfc", "Code start: 0x42O0", "0x453a:[0x4200]vmkWorldFunc"]
    assert align_lines(rows, lines) == [(0, None), (1, None), (2, 0), (3, 1), (None, 2)]
    assert align_lines([], ["a"]) == [(None, 0)]


def ocr_report(text: str, path: str, confidence: float) -> Report:
    """A text report dressed as a picture's: what fuse_reports gets from scans."""
    report = read_text(text, path=path)
    ocr = OcrResult(engine="tesseract 5", model="eng", raw_text=text, mean_confidence=confidence)
    return replace(report, source=replace(report.source, kind="phone_photo", sha256=path * 4), ocr=ocr)


def test_fuse_reports_reads_the_fused_text_and_says_what_it_did(valid):
    a = ocr_report(misread(TRUTH, ("Net_PortDisconnect", "Net_PortDlsconnect")), "a.jpg", 80)
    b = ocr_report(misread(TRUTH, ("Heap_Free", "Heap_Fr3e")), "b.jpg", 70)
    c = ocr_report(TRUTH, "c.jpg", 60)
    fused = fuse_reports([a, b, c])
    obj = valid(fused.to_dict())
    assert fused.is_psod and fused.diagnosis.signature == read_text(TRUTH).diagnosis.signature
    assert obj["source"]["paths"] == ["a.jpg", "b.jpg", "c.jpg"] and obj["source"]["kind"] == "phone_photo"
    assert obj["ocr"]["model"].startswith("fused from 3 readings") and obj["ocr"]["screen_quad"] is None
    assert 60 < obj["ocr"]["mean_confidence"] < 80
    assert fused.warnings[0] == "fused from 3 pictures of one screen: a.jpg, b.jpg, c.jpg"
    assert fused.source.sha256 == fused_sha256(["c.jpg" * 4, "a.jpg" * 4, "b.jpg" * 4])  # any order


def test_same_screen_needs_signature_build_and_text_alike():
    one = read_text(TRUTH, path="a.jpg")
    again = read_text(misread(TRUTH, ("cr0=0x80010031", "cr0=0x8OO10031")), path="b.jpg")
    assert same_screen(one, again)
    later = read_text(screen(frames=("Heap_Free", "Net_PortDisconnect", "Portset_DeliverFrames",
                                     "vmkWorldFunc"), uptime="9:11:12:13.014"))  # fmt: skip
    assert not same_screen(one, later)  # the same crash again after a reboot
    other = read_text(screen(kind="gp13"))
    assert not same_screen(one, other)
    grouper = Grouper()
    names = ["a.jpg", "x.jpg", "b.jpg", "notes.txt"]
    reports = [one, other, again, read_text("nothing purple")]
    groups = [grouper.assign(n, r) for n, r in zip(names, reports, strict=True)]
    assert groups == ["a.jpg", "x.jpg", "a.jpg", None]
    assert grouper.groups() == [["a.jpg", "b.jpg"]]
