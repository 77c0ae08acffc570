"""Tesseract's words placed on the console grid (recognise/tesseract.py assemble_rows)."""

from __future__ import annotations

import numpy as np

from psod_ocr._exec.tesseract import Word
from psod_ocr.binarise import Binarised
from psod_ocr.recognise.tesseract import assemble_rows

PITCH = 20  # OCR-image pixels per console column


def _words(*placed: tuple[str, int, int, int]) -> list[Word]:
    """(text, first column, ink inset on the left, ink inset on the right) on one line."""
    return [Word(text=t, left=col * PITCH + a, top=10, width=len(t) * PITCH - a - b, height=30, conf=90.0,
                 block=1, par=1, line=1) for t, col, a, b in placed]  # fmt: skip


def _row(words: list[Word]) -> str:
    bin_ = Binarised(image=np.full((60, 128 * PITCH), 255, np.uint8), scale=1.0, threshold=0.5, grid=None)
    return assemble_rows(words, bin_)[0][0]


def test_a_word_tesseract_split_in_two_is_one_word_again_and_a_space_stays_a_space():
    # "cont" and "inue." in neighbouring cells; the t's ink ends early and the i's starts late
    row = _row(_words(("cannot", 0, 2, 2), ("cont", 7, 2, 8), ("inue.", 11, 8, 4), ("IPIs", 17, 3, 3)))
    assert row == "cannot continue. IPIs"


def test_words_a_blank_cell_apart_keep_their_space_though_their_ink_is_close():
    row = _row(_words(("Exception", 0, 1, 1), ("14", 10, 1, 1)))
    assert row == "Exception 14"
