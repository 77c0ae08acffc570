"""Digits the readers doubt, settled (or not) by the screen's other addresses."""

import pytest

from psod_ocr.capture import settled_repairs
from psod_ocr.recognise.cells import CellReading, hex_misreads
from psod_ocr.recognise.constraints import as_digits, decode

FRAMES = [
    "0x4125f1849a40:[0x41803341fcb9]Panic@vmkernel#nover+0x5f3 stack: 0x0",
    "0x4125f1849af0:[0x41803364a0db]Net_PortCloneFrame@vmkernel#nover+0x2cb stack: 0x4125f1849b50",
    "0x4125f1849bd0:[0x418032c9a676]EtherswitchPortDispatch@vmkernel#nover+0x572 stack: 0xb7",
    "0x4125f1849c00:[0x418033843225]Portset_DeliverFrames@vmkernel#nover+0xf3 stack: 0x0",
]
SPLIT = {"2": 0.55, "z": 0.15, "5": 0.3}  # a cluster the readers put between 2 and 5


def _doubt(line: int, column: int, odds: dict[str, float]):
    return {(line, column): odds}


def test_a_doubted_digit_takes_the_one_its_regions_other_addresses_show():
    lines = list(FRAMES)
    lines[2] = lines[2].replace("0x4125f1849bd0", "0x4122f1849bd0")
    column = lines[2].index("0x4122") + 5  # the fourth digit: '2', 70% by the readers (z is a 2)
    decoded = decode(lines, _doubt(2, column, SPLIT), hex_misreads(), frozenset({(2, column)}))
    assert decoded.lines[2] == FRAMES[2]
    (settled,) = decoded.settled
    assert (settled.cell, settled.before, settled.after) == ((2, column), "2", "5")
    assert "4 of 4 numbers as long starting 0x412 have '5'" in settled.evidence
    assert (2, column) not in decoded.doubtful


def test_a_digit_read_for_sure_is_never_changed():
    lines = list(FRAMES)
    lines[2] = lines[2].replace("0x4125f1849bd0", "0x4122f1849bd0")
    decoded = decode(lines, {}, hex_misreads())
    assert decoded.lines == tuple(lines) and not decoded.settled and not decoded.doubtful


def test_where_the_other_addresses_differ_the_digit_stays_as_the_readers_found_it():
    # the low digits of frame pointers differ from frame to frame: no prior to speak of
    column = FRAMES[1].index("0x4125f1849af0") + 13
    decoded = decode(FRAMES, _doubt(1, column, {"f": 0.6, "e": 0.4}), hex_misreads())
    assert decoded.lines == tuple(FRAMES) and not decoded.settled and not decoded.doubtful
    weak = {"f": 0.25, "e": 0.2, "8": 0.2, "b": 0.2, "c": 0.15}
    decoded = decode(FRAMES, _doubt(1, column, weak), hex_misreads(), frozenset({(1, column)}))
    assert decoded.doubtful == {(1, column)} and decoded.lines == tuple(FRAMES)


def test_a_digit_the_other_addresses_speak_against_is_left_to_the_readers_unless_they_doubt_it():
    lines = list(FRAMES)
    lines[3] = lines[3].replace("0x4125f1849c00", "0x4128f1849c00")  # another region may start 0x4128
    column = lines[3].index("0x4128") + 5
    decoded = decode(lines, _doubt(3, column, {"8": 0.8, "B": 0.1, "3": 0.1}), hex_misreads())
    assert decoded.lines == tuple(lines) and not decoded.settled and not decoded.doubtful
    decoded = decode(lines, _doubt(3, column, {"8": 0.2, "3": 0.2, "6": 0.2, "5": 0.15, "c": 0.25}),
                     hex_misreads(), frozenset({(3, column)}))  # fmt: skip
    assert decoded.lines[3] == FRAMES[3] and not decoded.doubtful


def test_a_short_number_is_weighed_among_the_short_ones_but_a_cell_no_reader_named_stays_unread():
    lines = [*FRAMES, "rax=0x0 rbx=0x0 rcx=0x0 rdx=0xQ"]
    column = lines[4].index("0xQ") + 2
    odds = {"Q": 0.35, "O": 0.25, "D": 0.15, "8": 0.15, "a": 0.1}  # a worn zero, split four ways
    decoded = decode(lines, _doubt(4, column, odds), hex_misreads(), frozenset({(4, column)}))
    assert decoded.lines[4].endswith("rdx=0x0") and not decoded.doubtful
    unread = [*FRAMES, "rax=0x0 rbx=0x0 rcx=0x0 rdx=0x?"]
    decoded = decode(unread, {}, hex_misreads(), frozenset({(4, column)}))
    assert decoded.lines == tuple(unread) and decoded.doubtful == {(4, column)}


def test_a_cell_read_as_a_letter_counts_for_the_digit_ocr_misreads_it_for():
    digits = as_digits({"O": 0.6, "b": 0.3, "#": 0.1}, hex_misreads())
    assert digits == pytest.approx({"0": 2 / 3, "b": 1 / 3})
    assert as_digits({"#": 1.0}, hex_misreads()) == {}


def test_what_was_settled_is_reported_as_a_repair_of_its_line_with_the_evidence():
    lines = list(FRAMES)
    lines[2] = lines[2].replace("0x4125f1849bd0", "0x4122f1849bd0")
    column = lines[2].index("0x4122") + 5
    decoded = decode(lines, _doubt(2, column, SPLIT), hex_misreads())
    cells = CellReading(rows=decoded.lines, clusters=1, cells=1, pinned=0, marked=decoded.lines,
                        settled=decoded.settled)  # fmt: skip
    (repair,) = settled_repairs(cells)
    assert (repair.line, repair.before, repair.after) == (3, lines[2], FRAMES[2])
    assert repair.rule == "address digits" and "have '5' there" in repair.evidence
    # a line another reader gave (Tesseract's headline) carries no repair of the grid's
    assert settled_repairs(cells, [*FRAMES[:2], "something else", FRAMES[3]]) == ()
