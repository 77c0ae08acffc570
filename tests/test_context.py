"""The letter-pair context the cell recogniser settles a disputed mark by."""

from __future__ import annotations

import json
from importlib import resources

from psod_ocr.recognise import context


def test_the_shipped_pair_counts_are_those_the_generator_gives_now():
    shipped = json.loads(resources.files("psod_ocr").joinpath(context.DATA).read_text("utf-8"))
    assert shipped["pairs"] == context.sample_pairs(), "run scripts/count-letter-pairs.py"


def test_a_dash_fits_between_a_word_and_a_number_and_a_plus_before_0x():
    assert context.fit("-", [("4", "1")]) > context.fit("+", [("4", "1")])
    assert context.fit("+", [("c", "0")]) > context.fit("-", [("c", "0")])
    assert context.fit(")", [("1", ".")]) > context.fit("}", [("1", ".")])
    assert context.fit("(", [("T", "s")]) > context.fit("{", [("T", "s")])
    # an unknown neighbour is left out, not guessed
    assert context.fit("-", [(None, None)]) == 0.0


def test_a_psod_prints_no_braces_tilde_or_ampersand():
    assert not any(context.printed(ch) for ch in "{}~&")
    assert all(context.printed(ch) for ch in "-+()[]@#:=_!")
