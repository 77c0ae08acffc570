"""How a reading is scored: the rules of ../shared/external-captures/README.md, for every row.

The external captures are scored as the hidden ones are; benchmarks/accuracy.py scores its
simulated and real captures the same way:

- hex exact: the ``0x...`` numbers of the screen's rows with the wrapped rows joined again (a row
  exactly as long as the console is wide runs on into the next); for a photo, only those whose
  every character lies inside the picture (its cell's centre, in console pixels mapped by the
  photo's homography, as truth.json's `text_in_frame` counts them). Score: the share of them
  found, in order, in the reading's text (a longest common subsequence over the lists of numbers);
- symbols exact: the frame symbols (``0x..:[0x..]Symbol``) of those joined rows, found in order
  among the reading's frame symbols (its ``screen.frames[].symbol``), likewise;
- headline exact: the reading's headline (``screen.message``), spaces collapsed, starts with the
  headline's first screen row (``message_line``);
- type right: the reading's diagnosis type is the truth's;
- uncertain: the share of the reading's non-blank characters that are '?', the mark psod-ocr
  gives a cell it could not read (stock Tesseract rarely prints one);
- certain wrong: of the reading's non-blank characters other than '?', the share the alignment
  of its text with the rows (the CER's) finds replaced or extra;
- CER: Levenshtein distance of the reading's text to the rows / their length (lines
  right-stripped, trailing empty lines dropped).

Run this file for its sanity checks (a perfect reading of every external capture scores 100%, but
for symbols the parser keeps once: a backtrace shown twice):
.venv/bin/python benchmarks/external.py
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from common import SHARED, normalise, real_entries
from rapidfuzz.distance import Levenshtein

from psod_ocr import read_text
from psod_ocr.parse.lines import unwrap

HEX = re.compile(r"0x[0-9a-fA-F]+")
FRAME = re.compile(r"0x[0-9a-fA-F]+:\[0x[0-9a-fA-F]+\]([A-Za-z_]\w*)")
# a transcription's '?' is a character nobody could read: numbers and symbols holding one are not scored
HEX_UNKNOWN = re.compile(r"0x[0-9a-fA-F?]+")
FRAME_UNKNOWN = re.compile(r"[0?][x?][0-9a-fA-F?]+:\[[0?][x?][0-9a-fA-F?]+\]([A-Za-z_?][\w?]*)")
FOLDER = SHARED / "external-captures"
VARIANTS = ("kvm_native", "kvm_viewer", "phone", "phone_hard", "phone_closeup")


@dataclass(frozen=True)
class Truth:
    text: str  # the rows as shown, for the CER
    numbers: tuple[str, ...]
    symbols: tuple[str, ...]
    message_line: str | None  # None: no headline to score
    type: str


@dataclass
class Reading:
    """What one engine read: its text and what the parser made of it."""

    text: str = ""
    message: str | None = None
    symbols: list[str | None] = field(default_factory=list)
    type: str | None = None
    seconds: float = 0.0
    error: str | None = None


@dataclass
class Score:
    cer: float
    hex_found: int
    hex_total: int
    sym_found: int
    sym_total: int
    headline: bool | None
    type_right: bool
    unread: int  # '?' characters in the reading's text
    chars: int  # its non-blank characters
    wrong: int  # ... of those not '?', replaced or extra in the alignment with the truth
    seconds: float
    error: str | None


def collapse(text: str) -> str:
    return " ".join(text.split())


def lcs(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two lists."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


# --- truths --------------------------------------------------------------------------------


def joined_rows(rows: Sequence[str], cols: int) -> list[tuple[str, list[tuple[int, int]]]]:
    """The console's lines: a row exactly `cols` long runs on into the next. Each line comes with
    the (row, column) of every character."""
    lines: list[tuple[str, list[tuple[int, int]]]] = []
    text, cells = "", []
    for r, row in enumerate(rows):
        text += row
        cells += [(r, c) for c in range(len(row))]
        if len(row) != cols:
            lines.append((text, cells))
            text, cells = "", []
    if text:
        lines.append((text, cells))
    return lines


def inside(homography: np.ndarray, size: tuple[int, int], cell: tuple[int, int],
           cells: Sequence[tuple[int, int]]) -> np.ndarray:  # fmt: skip
    """For each (row, column): does its character lie inside the picture? It does when its cell's
    centre does (as truth.json's `text_in_frame` counts them)."""
    if not cells:
        return np.zeros(0, bool)
    cw, ch = cell
    rc = np.asarray(cells, np.float64)
    centres = np.c_[(rc[:, 1] + 0.5) * cw, (rc[:, 0] + 0.5) * ch, np.ones(len(rc))]
    mapped = centres @ np.asarray(homography, np.float64).T
    x, y = mapped[:, 0] / mapped[:, 2], mapped[:, 1] / mapped[:, 2]
    w, h = size
    return (x >= 0) & (x < w) & (y >= 0) & (y < h)


# a photo's view of the console: homography from console pixels to the picture's, the picture's
# size (width, height) and the console's cell size (width, height)
View = tuple[np.ndarray, tuple[int, int], tuple[int, int]]


def screen_truth(rows: Sequence[str], cols: int, error_type: str, message_line: str | None,
                 photo: View | None = None) -> Truth:  # fmt: skip
    """The truth of a rendered screen: its rows as shown, `cols` wide; `photo` when part of the
    screen may lie outside the picture."""
    numbers, symbols = [], []
    for text, cells in joined_rows(rows, cols):
        seen = inside(*photo, cells) if photo else np.ones(len(cells), bool)
        numbers += [m.group() for m in HEX.finditer(text) if seen[m.start() : m.end()].all()]
        symbols += [m.group(1) for m in FRAME.finditer(text) if seen[m.start(1) : m.end(1)].all()]
    message = collapse(message_line) if message_line else None
    return Truth("\n".join(rows), tuple(numbers), tuple(symbols), message, error_type)


def transcribed_truth(transcription: str, error_type: str, headline: str | None) -> Truth:
    """A real capture's transcription ('?': a character nobody could read). The console's width
    is not known: its wrapped rows are joined as the parser joins them (psod_ocr.parse.lines)."""
    numbers, symbols = [], []
    for _, text in unwrap(transcription.split("\n")):
        numbers += [m.group() for m in HEX_UNKNOWN.finditer(text) if "?" not in m.group()]
        symbols += [m.group(1) for m in FRAME_UNKNOWN.finditer(text) if "?" not in m.group(1)]
    message = collapse(headline) if headline and "?" not in headline else None
    return Truth(transcription.replace("?", ""), tuple(numbers), tuple(symbols), message, error_type)


def external_entries() -> list[dict[str, Any]]:
    """truth.json's entries (none when ../shared/external-captures is absent)."""
    path = FOLDER / "truth.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else []


def external_view(entry: dict[str, Any]) -> View | None:
    photo = entry.get("photo")
    if not photo:
        return None
    return np.asarray(photo["screen_to_photo"]), tuple(photo["photo_size"]), tuple(entry["cell"])


def external_truth(entry: dict[str, Any]) -> Truth:
    view = external_view(entry)
    return screen_truth(entry["rows"], entry["grid"][0], entry["error_type"], entry["message_line"], view)


# --- scores --------------------------------------------------------------------------------


def wrong_chars(text: str, truth_text: str) -> int:
    """Characters of ``text`` given as read (not blank, not '?') that the alignment with the
    truth replaces or drops."""
    ops = Levenshtein.editops(text, truth_text)
    return sum(op.tag in ("replace", "delete") and not text[op.src_pos].isspace() and text[op.src_pos] != "?"
               for op in ops)  # fmt: skip


def score(truth: Truth, reading: Reading) -> Score:
    truth_text = normalise(truth.text)
    text = normalise(reading.text)
    cer = Levenshtein.distance(text, truth_text) / max(1, len(truth_text))
    got = [s for s in reading.symbols if s]
    headline = None
    if truth.message_line is not None:
        headline = collapse(reading.message or "").startswith(truth.message_line)
    chars = sum(not c.isspace() for c in reading.text)
    return Score(cer, lcs(truth.numbers, HEX.findall(reading.text)), len(truth.numbers),
                 lcs(truth.symbols, got), len(truth.symbols), headline, reading.type == truth.type,
                 reading.text.count("?"), chars, wrong_chars(text, truth_text), reading.seconds,
                 reading.error)  # fmt: skip


def parsed(text: str) -> Reading:
    """A text and what the parser makes of it."""
    report = read_text(text)
    screen = report.screen
    return Reading(text, screen.message, [f.symbol for f in screen.frames], report.diagnosis.type)


# --- sanity checks -------------------------------------------------------------------------


def _check(entries: list[dict[str, Any]]) -> None:
    assert lcs([], ["a"]) == 0 and lcs(list("abcbdab"), list("bdcaba")) == 4
    assert lcs(["0x1", "0x2", "0x3"], ["0x2", "0x1", "0x3"]) == 2  # in order
    for entry in entries:
        truth = external_truth(entry)
        # a perfect reading: the rows with the wrapped ones joined again, as psod-ocr's text has them
        text = "\n".join(line for line, _ in joined_rows(entry["rows"], entry["grid"][0]))
        perfect = score(truth, parsed(text))
        name = entry["image"]
        assert perfect.hex_found == perfect.hex_total, (name, "hex")
        if perfect.sym_found < perfect.sym_total:  # the parser keeps a repeated backtrace once
            print(f"{name}: a perfect reading finds {perfect.sym_found} of {perfect.sym_total} symbols")
        assert perfect.headline in (None, True), (name, "headline")
        assert perfect.type_right and perfect.unread == 0 and perfect.cer < 0.01, name
        empty = score(truth, Reading())
        assert empty.hex_found == empty.sym_found == 0 and empty.headline in (None, False), name
        view = external_view(entry)
        if view is None and truth.numbers:  # the first number misread: one fewer found
            broken = HEX.sub(lambda m: "0xg" + m.group()[2:], text, count=1)
            assert score(truth, parsed(broken)).hex_found == perfect.hex_found - 1, name
        if view is not None and entry.get("text_in_frame") is not None:
            # the share of the rows' characters inside the picture is truth.json's
            cells = [(r, c) for r, row in enumerate(entry["rows"]) for c, ch in enumerate(row) if ch.strip()]
            share = inside(*view, cells).mean()
            assert abs(share - entry["text_in_frame"]) < 1e-9, (name, share, entry["text_in_frame"])
    real = transcribed_truth("0x12?4 0x5678\n0x1:[0x2]Fo?o+0x1\n?x3:[0x4]Bar+0x2\n", "pf14", "#PF ?")
    assert real.numbers == ("0x5678", "0x1", "0x2", "0x1", "0x4", "0x2") and real.symbols == ("Bar",)
    assert real.message_line is None
    for entry in real_entries():
        # a perfect reading of a real capture: its transcription, wrapped rows joined
        text = (SHARED / "real-captures" / entry["transcription"]).read_text("utf-8")
        truth = transcribed_truth(text, entry.get("error_type") or "", entry.get("headline"))
        perfect = score(truth, parsed("\n".join(line for _, line in unwrap(text.split("\n")))))
        assert perfect.hex_found == perfect.hex_total and perfect.type_right, entry["file"]
        if perfect.sym_found < perfect.sym_total or perfect.headline is False:
            found = f"{perfect.sym_found} of {perfect.sym_total} symbols, headline {perfect.headline}"
            print(f"{entry['file']}: a perfect reading finds {found} (the transcription's '?' hide what "
                  "the manifest records)")


def main() -> None:
    entries = external_entries()
    _check(entries)
    totals = {v: 0 for v in VARIANTS}
    numbers = dict(totals)
    for entry in entries:
        totals[entry["variant"]] += 1
        numbers[entry["variant"]] += len(external_truth(entry).numbers)
    print(f"sanity checks passed on {len(entries)} external captures ({FOLDER}) and the real ones")
    print("pictures per variant", totals, "\nscored hex numbers per variant", numbers)


if __name__ == "__main__":
    main()
