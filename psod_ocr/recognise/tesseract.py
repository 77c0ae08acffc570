"""Screen rows from Tesseract's words, placed on the console's character grid.

Tesseract finds words; the grid says which screen row and column each starts at, so spacing
(``PCPU  0:``), indentation and lines the console hard-wrapped come back as on the screen.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace

import numpy as np

from .._exec import tesseract
from ..binarise import Binarised

WIDTHS = (128, 80)
SPLIT_GAP = 0.9  # words split by Tesseract stand closer than this share of a cell
CROP_MARGIN = 16  # white pixels kept around the boxes read


@dataclass(frozen=True)
class Recognition:
    rows: tuple[str, ...]  # screen rows, wrapped lines joined
    mean_confidence: float | None
    words: tuple[tesseract.Word, ...]
    col_pitch: float | None  # OCR-image pixels per character


def char_pitch(words: list[tesseract.Word]) -> float | None:
    """The column pitch that puts word starts on whole columns (column 0 at x = 0).

    Word boxes are tight on the ink, so width/length only brackets the pitch; the phase
    coherence of the word starts picks it out.
    """
    widths = [w.width / len(w.text) for w in words if len(w.text) >= 4]
    if not widths:
        return None
    rough = statistics.median(widths)
    lefts = np.array([w.left for w in words], dtype=np.float64)
    candidates = np.linspace(rough * 0.95, rough * 1.25, 121)
    coherence = [abs(np.exp(2j * np.pi * lefts / p).mean()) for p in candidates]
    return float(candidates[int(np.argmax(coherence))])


def _lines(words: list[tesseract.Word]) -> list[list[tesseract.Word]]:
    """Tesseract's lines, in screen order; pieces of one screen row (Tesseract splits a row
    at wide gaps into blocks) are merged when they sit at the same height."""
    groups: dict[tuple[int, int, int], list[tesseract.Word]] = {}
    for w in words:
        groups.setdefault((w.block, w.par, w.line), []).append(w)
    lines = sorted(groups.values(), key=lambda ws: statistics.median(w.top + w.height / 2 for w in ws))
    height = statistics.median(w.height for w in words)
    merged: list[list[tesseract.Word]] = []
    for ws in lines:
        y = statistics.median(w.top + w.height / 2 for w in ws)
        if merged and abs(y - statistics.median(w.top + w.height / 2 for w in merged[-1])) < 0.5 * height:
            merged[-1].extend(ws)
        else:
            merged.append(list(ws))
    return merged


def assemble_rows(words: list[tesseract.Word], bin_: Binarised) -> tuple[list[str], float | None]:
    """Place words on rows and columns; keep blank screen rows; join rows that ran to the
    console's last column (the console hard-wraps long lines)."""
    if not words:
        return [], None
    char_w = char_pitch(words)
    pitch = bin_.grid.row_pitch * bin_.scale if bin_.grid else None
    width = round(bin_.image.shape[1] / char_w) if char_w else None
    console = next((c for c in WIDTHS if width and abs(width - c) <= 2), None)
    out: list[str] = []
    previous_y: float | None = None
    joining = False
    for ws in _lines(words):
        line, right = "", None
        for w in sorted(ws, key=lambda w: w.left):
            col = round(w.left / char_w) if char_w else len(line) + (1 if line else 0)
            # a word Tesseract split in two ("Except ion") has no blank cell in the middle: its
            # halves fall in neighbouring cells, less than a cell of ink gap apart (a space
            # leaves a whole cell and its neighbours' margins)
            split = (char_w is not None and right is not None and col <= len(line)
                     and w.left - right < SPLIT_GAP * char_w)  # fmt: skip
            line += " " * max(0 if split or not line else 1, col - len(line)) + w.text
            right = w.left + w.width
        y = statistics.median(w.top + w.height / 2 for w in ws)
        if joining:
            out[-1] += line.lstrip()
        else:
            if previous_y is not None and pitch:
                out.extend([""] * max(0, round((y - previous_y) / pitch) - 1))
            out.append(line.rstrip())
        joining = console is not None and len(line) >= console - 1
        previous_y = y
    return out, char_w


Box = tuple[float, float, float, float]  # top, bottom, left, right


def recognise(bin_: Binarised, boxes: list[Box] | None = None) -> Recognition:
    """Read the binarised screen; with ``boxes`` (in flat-screen pixels), only those: the rest
    is blanked, and Tesseract's time grows with the text it reads."""
    image, x0, y0 = bin_.image, 0, 0
    if boxes is not None:
        keep = np.zeros(image.shape, dtype=bool)
        for top, bottom, left, right in np.clip(np.array(boxes).reshape(-1, 4) * bin_.scale, 0, None):
            keep[int(top) : int(np.ceil(bottom)), int(left) : int(np.ceil(right))] = True
        image = np.where(keep, image, np.uint8(255))
        rows, cols = np.flatnonzero(keep.any(axis=1)), np.flatnonzero(keep.any(axis=0))
        if len(rows):  # and only the part that holds them: less to encode and lay out
            y0, x0 = max(0, rows[0] - CROP_MARGIN), max(0, cols[0] - CROP_MARGIN)
            image = image[y0 : rows[-1] + CROP_MARGIN + 1, x0 : cols[-1] + CROP_MARGIN + 1]
    words = [replace(w, left=w.left + x0, top=w.top + y0) for w in tesseract.run(image, psm=6)]
    rows, char_w = assemble_rows(words, bin_)
    chars = sum(len(w.text) for w in words)
    conf = sum(w.conf * len(w.text) for w in words) / chars if chars else None
    return Recognition(rows=tuple(rows), mean_confidence=conf, words=tuple(words), col_pitch=char_w)
