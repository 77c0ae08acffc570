"""Generated synthetic screens (psod_ocr.simulate.texts) read as their expected reading says."""

from __future__ import annotations

import pytest

from psod_ocr import read_text
from psod_ocr.knowledge import DIAGNOSIS_TYPES
from psod_ocr.simulate.screen import LAYOUTS, guess_layout, wrap_text
from psod_ocr.simulate.texts import GENERATIONS, generate_text, generate_texts

N = 300
TEXTS = generate_texts(N, seed=0)


def _frames(report) -> list[str]:
    return [f.symbol for f in report.screen.frames if f.symbol and f.symbol != "Unknown"]


def test_every_generation_and_type_is_generated():
    assert {t.expected["type"] for t in TEXTS} == set(DIAGNOSIS_TYPES) - {"not_a_psod"}
    want = {(g.name, kind) for g in GENERATIONS.values() for kind in g.types}
    made = {(g, kind) for t in TEXTS for g, kind in want if t.name.endswith(f"_{g}_{kind}")}
    assert len(want) <= N
    assert made == want


def test_generation_is_deterministic():
    again = generate_texts(20, seed=0)
    assert [(t.name, t.text, t.expected) for t in again] == [(t.name, t.text, t.expected) for t in TEXTS[:20]]
    assert generate_texts(5, seed=1)[0].text != TEXTS[0].text


@pytest.mark.parametrize("index", range(0, N, 25))
def test_text_fits_its_screen_and_renders_as_written(index):
    text = TEXTS[index]
    layout = LAYOUTS[guess_layout(text.printed)]
    rows, _ = wrap_text(text.printed, layout.cols)
    while rows and not rows[-1]:
        rows.pop()
    assert len(rows) <= layout.rows
    assert "\n".join(rows) + "\n" == text.text
    want_text_mode = text.expected["generation"] in ("esx3", "esx4")
    assert (layout.name == "esx_text") == want_text_mode


def test_generated_texts_read_as_expected():
    wrong = []
    for text in TEXTS:
        report = read_text(text.text, path=text.name)
        want = text.expected
        got = {
            "type": report.diagnosis.type,
            "message": report.screen.message,
            "build": report.screen.build,
            "top_frames": _frames(report)[: len(want["top_frames"])],
        }
        for key, value in got.items():
            if value != want[key]:
                wrong.append(f"{text.name} {key}: got {value!r}, want {want[key]!r}")
    assert not wrong, "\n".join(wrong[:20])


def test_unknown_pair_is_refused():
    import random

    with pytest.raises(ValueError, match="shows no"):
        generate_text("esx3", "crashme", random.Random(0))
