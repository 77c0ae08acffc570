"""A letter's case from the screen's own heights: a glyph namer that has not seen a font takes
its small ``u`` for a ``U``; the screen's lowercase and capital letters show which it is."""

from __future__ import annotations

import numpy as np
import pytest

from psod_ocr.capture import scan
from psod_ocr.recognise.case import case_votes, ink_heights
from psod_ocr.simulate import simulate
from psod_ocr.simulate.fonts import find_font_file
from psod_ocr.simulate.texts import generate_texts

LOSSLESS = {"scale": (1.0, 1.0), "fmt": "png", "chrome": None, "letterbox": None, "crop": False,
            "annotate": False, "redact": 0}  # fmt: skip


def _cell(top: int, bottom: int = 16) -> np.ndarray:
    cell = np.zeros((20, 10), np.float32)
    cell[top:bottom, 2:8] = 1.0
    return cell


def test_a_cells_height_runs_over_its_rows_with_half_its_brightest_ink():
    faint = _cell(6, 14)
    faint[4] = 0.2  # a JPEG's ringing above the glyph
    blurred = _cell(6, 14)
    blurred[5] = blurred[14] = 0.75  # 3/4 lit: the half level is crossed 2/3 of the way in
    heights = ink_heights(np.stack([_cell(3), faint, blurred, np.zeros((20, 10), np.float32)]))
    assert heights[:3] == pytest.approx([13, 8, 14 + 1 / 3 - (4 + 2 / 3)]) and np.isnan(heights[3])


def test_a_twin_letter_takes_the_case_its_height_shows():
    # clusters: a, e, A, E (the screen's two heights), then u as tall as the capitals, C as
    # the small letters, an o between the two, and a zero whose readers half take it for an O
    heights = np.array([8, 8, 12, 12, 12, 8, 10, 12], dtype=float)
    counts = np.array([5, 5, 5, 5, 3, 2, 2, 4])
    votes = [{"a": 2.0}, {"e": 2.0}, {"A": 2.0}, {"E": 2.0}, {"u": 1.9, "U": 0.1}, {"C": 2.0, "c": 0.5},
             {"o": 2.0, "O": 1.0}, {"O": 2.0, "o": 0.5, "0": 1.9}]  # fmt: skip
    out = case_votes(heights, counts, votes)
    assert out[4] == {"u": -1.9, "U": 1.9} and out[5] == {"C": -2.0, "c": 2.0}
    assert out[6] == {} and all(v == {} for v in out[:4])
    assert out[7] == {"o": -0.5, "O": 0.5}  # the zero's own votes are left as they were


def test_height_says_nothing_where_the_screen_shows_no_two_heights():
    votes = [{"a": 2.0}, {"A": 2.0}, {"u": 2.0}]
    assert case_votes(np.array([8.0, 9.0, 9.0]), np.array([5, 5, 2]), votes) == [{}, {}, {}]  # 1 px apart
    assert case_votes(np.array([8.0, 12.0, 12.0]), np.array([2, 5, 2]), votes) == [{}, {}, {}]  # 2 cells of a


def test_a_font_the_model_never_saw_keeps_its_capitals():
    # Spleen draws its U as a taller u: read alone, the glyph model takes one for the other
    if find_font_file("spleen-8x16") is None:
        pytest.skip("fonts-spleen is not installed")
    read = []
    for text in generate_texts(8, seed=77):
        if "*PCPU" in text.printed:
            sim = simulate(text.printed, "kvm_screenshot", seed=5, font="spleen-8x16", **LOSSLESS)
            read.append(scan(sim.capture.image_bytes, name="shot.png").text)
    assert len(read) >= 3
    assert not any("PCPu" in text for text in read)
