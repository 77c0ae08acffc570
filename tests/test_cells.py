"""The cell grid's own steps on small cases: rows the console wrapped, and clusters that hold
two glyphs a few pixels apart."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from psod_ocr._exec.tesseract import Word
from psod_ocr.binarise import Grid
from psod_ocr.recognise.cells import (
    REPEATS,
    TEACH_CHARS,
    TEACH_CHARS_FONT,
    TWIN_GAP_PHOTO,
    CutCells,
    FontMatch,
    _cluster_cells,
    _name_cells,
    _normalise,
    _pins,
    _row_hex,
    _settle_by_context,
    _word_cells,
    cut_cells,
    match_fonts,
    misspelt,
    sample_cells,
    sample_native,
    screen_votes,
    split_twins,
    teaching_spans,
    unread_spans,
    unwrap_rows,
    without_bleed,
)
from psod_ocr.recognise.glyphs import blur_each
from psod_ocr.recognise.period import fit_period
from psod_ocr.simulate import available_fonts
from psod_ocr.simulate.screen import render_screen

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "texts"


def test_a_row_filled_to_the_last_column_continues_on_the_next():
    assert unwrap_rows(["a" * 128, "bc", "short", "d"], 128) == ["a" * 128 + "bc", "short", "d"]


def test_a_row_wrapped_where_its_last_column_is_a_space_keeps_the_space():
    first = "ASSERT /build/mts/release/bora-151353/bora/vmkernel/storage/vscsi/vscsi.c:15356"
    assert len(first) == 79
    assert unwrap_rows([first, "bugNr=225300"], 80) == [first + " bugNr=225300"]
    assert unwrap_rows(["a" * 128, "b" * 127, "c"], 128) == ["a" * 128 + "b" * 127 + " c"]


def test_a_full_row_is_not_joined_to_a_short_line_after_it_or_on_an_unknown_width():
    # a line of exactly 80 characters leaves the cursor on the next row: the blank row goes
    assert unwrap_rows(["x" * 80, "", "y"], 80) == ["x" * 80, "y"]
    assert unwrap_rows(["x" * 78, "y"], 80) == ["x" * 78, "y"]
    assert unwrap_rows(["x" * 100, "y"], 100) == ["x" * 100, "y"]


def _glyph(waist: bool) -> np.ndarray:
    """A dotted zero, or (waist) an eight that differs from it in a few pixels."""
    g = np.zeros((20, 10), np.float32)
    g[3:17, 1:3] = g[3:17, 7:9] = 1.0
    g[3:5, 2:8] = g[15:17, 2:8] = 1.0
    g[9:11, 4:6] = 1.0
    if waist:
        g[9:11, 1:9] = 1.0
    return g


def _cells(n_zero: int, n_eight: int, noise: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cells = [_glyph(False)] * n_zero + [_glyph(True)] * n_eight
    return _normalise(np.stack([c + rng.normal(0, noise, c.shape).astype(np.float32) for c in cells]))


def test_two_glyphs_a_few_pixels_apart_in_one_cluster_are_split():
    vectors = _cells(40, 4, noise=0.05)
    labels = split_twins(vectors, np.zeros(len(vectors), np.int32))
    assert len(set(labels[:40])) == 1 and len(set(labels[40:])) == 1 and labels[0] != labels[40]


def test_in_a_photo_two_glyphs_whose_cells_spread_nearly_into_each_other_are_split():
    # noise spreads the cells of a zero and of an eight evenly towards each other: the empty gap
    # left between them is a photo's two glyphs, but in a screenshot a scaled glyph's phases
    zero, eight = _glyph(False), _glyph(True)
    rng = np.random.default_rng(0)
    spread = np.concatenate([np.linspace(0, 0.35, 40), np.linspace(0.65, 1, 8)])
    noise = rng.normal(0, 0.01, (len(spread), *zero.shape)).astype(np.float32)
    vectors = _normalise(zero + spread[:, None, None] * (eight - zero) + noise)
    start = np.zeros(len(vectors), np.int32)
    assert set(split_twins(vectors, start)) == {0}
    labels = split_twins(vectors, start, TWIN_GAP_PHOTO)
    assert len(set(labels[:40])) == 1 and len(set(labels[40:])) == 1 and labels[0] != labels[40]


def test_three_glyphs_a_few_pixels_apart_in_one_cluster_are_split_in_three():
    # an l, an I and a 1 of one font: the first split leaves two of them together
    stem = np.zeros((20, 10), np.float32)
    stem[3:17, 4:6] = 1.0
    ell, eye, one = stem.copy(), stem.copy(), stem.copy()
    ell[3:5, 2:4] = 1.0
    eye[3:5, 2:8] = eye[15:17, 2:8] = 1.0
    one[5:7, 2:4] = one[15:17, 2:8] = 1.0
    rng = np.random.default_rng(4)
    glyphs = [ell] * 30 + [eye] * 8 + [one] * 12
    vectors = _normalise(np.stack([g + rng.normal(0, 0.03, g.shape).astype(np.float32) for g in glyphs]))
    labels = split_twins(vectors, np.zeros(len(vectors), np.int32))
    groups = [set(labels[:30]), set(labels[30:38]), set(labels[38:])]
    assert all(len(g) == 1 for g in groups) and len(set.union(*groups)) == 3


def test_one_glyph_with_noise_stays_one_cluster():
    vectors = _cells(44, 0, noise=0.15, seed=3)
    assert set(split_twins(vectors, np.zeros(len(vectors), np.int32))) == {0}


def test_the_grammar_pins_the_0x_and_brackets_of_a_frame_line_and_a_known_symbols_letters():
    line = "8x4391a7c2e5d0;(8x41802c4b7e19]PanlcvPanicInt@vmkerne1#nover+0x46 stack: 0x0"
    pins = _pins([line])
    fixed = "".join(pins.get((0, c), ch) for c, ch in enumerate(line))
    assert fixed.startswith("0x4391a7c2e5d0:[0x41802c4b7e19]PanicvPanicInt@vmkernel#nover")


def test_a_known_word_is_pinned_where_its_letters_sit_and_a_frames_offset_takes_its_plus():
    # '@' read as 0, '#' as l and '+' as r: the fuzzy match of "@vmkernel#nover" starts a column
    # late, but a grid keeps every glyph in its cell, so the pins go where the letters agree.
    line = "0x453cb192d9c0:[0x42002ff1736a]CrashMe_VsiCommandSet0vmkernellnoverr0x23a stack: 0x0"
    pins = _pins([line])
    fixed = "".join(pins.get((0, c), ch) for c, ch in enumerate(line))
    assert fixed.endswith("CrashMe_VsiCommandSet@vmkernel#nover+0x23a stack: 0x0")
    # a known word with one wrong glyph in twelve is pinned, with three it is not
    assert _pins(["    BootVMKexnel"]).get((0, 12)) == "r"
    assert _pins(["    BaatVMKexnel"]) == {}
    # a six-letter word with one letter read as another: the banner's M, which a held-out font
    # may draw like a template's H; not the other case of a letter, nor a mark
    assert _pins(["VHware ESXi 6.7.0"]).get((0, 1)) == "M"
    assert (0, 12) not in _pins(["  UnregisterDevice@vmkernel"])
    assert _pins(["  ixgbe_xmit_frame@<None>"]).get((0, 18)) != "="


def test_a_frame_lines_offset_and_stack_word_keep_their_0x_and_colon_however_read():
    row = "0x4539753f39a0:[0x42002cdaad50]DevFSFileClose@vmkernel#nover+0h68 stackh 0h0"
    pins = _pins([row])
    plus = row.index("+")
    assert [pins[(0, plus + i)] for i in (1, 2, 11, 13, 14)] == list("0x:0x")


def test_a_headlines_ip_and_sp_and_a_poll_world_are_pinned():
    line = "#DF Exception 8 lP 0x418027952156 5P 0x41246489a8e0 in world 2137321:vmnic0-poIIW"
    pins = _pins([line])
    fixed = "".join(pins.get((0, c), ch) for c, ch in enumerate(line))
    assert "8 IP 0x418027952156 SP 0x41246489a8e0" in fixed and fixed.endswith("vmnic0-pollW")


def _enlarged_profile(scale: float, cells: int = 128) -> np.ndarray:
    """The column ink of a console line (a glyph in columns 1..6 of each 8-pixel cell) after
    the picture was enlarged by ``scale`` with nearest-neighbour sampling."""
    native = np.tile(np.array([0, 5, 5, 5, 5, 5, 5, 0], dtype=float), cells)
    x = np.arange(int(len(native) * scale))
    return native[np.minimum((x / scale).astype(int), len(native) - 1)]


def test_a_pitch_a_few_tenths_of_a_percent_off_is_corrected_on_the_ink():
    profile = _enlarged_profile(1.4811)
    pitch, _ = fit_period(profile, 8 * 1.4811 * 1.003, spread=0.006)
    assert pitch == pytest.approx(8 * 1.4811, rel=0.0015)  # drifts under a fifth of a cell


def test_a_right_pitch_stays_put():
    assert fit_period(_enlarged_profile(1.0), 8.0, spread=0.006)[0] == 8.0
    enlarged = fit_period(_enlarged_profile(1.4811), 8 * 1.4811, spread=0.006)[0]
    assert enlarged == pytest.approx(8 * 1.4811, rel=0.0015)


def _named(pins: dict[tuple[int, int], str], votes: dict[str, float]) -> str:
    """Two cells of one cluster, named from the cluster's votes and the grammar's pins."""
    fonts = FontMatch(votes=[votes], font=None, fit=0.0, cell_names={}, loose_names={}, sure=False)
    chars, _, _ = _name_cells(np.array([0, 0]), {(0, 0): 0, (0, 1): 1}, {}, pins, 1, (1, 2),
                        np.array([False, False]), fonts)  # fmt: skip
    return "".join(chars[0])


def test_a_pinned_cell_takes_the_pin_over_a_look_alike_reading_only():
    assert _named({(0, 1): "I"}, {"1": 9.0}) == "1I"  # the I of "IP 0x..." read as 1
    assert _named({(0, 1): "0"}, {"8": 9.0}) == "80"  # a dotted zero read as 8
    assert _named({(0, 1): "x"}, {"l": 9.0}) == "ll"  # an x is never drawn like an l


def test_a_full_row_followed_by_a_line_of_its_own_is_not_joined():
    assert unwrap_rows(["x" * 128, "cr0=0x8001003d cr2=0x0"], 128) == ["x" * 128, "cr0=0x8001003d cr2=0x0"]
    assert unwrap_rows(["x" * 128, "cr0*0x8001003d"], 128) == ["x" * 128, "cr0*0x8001003d"]
    # ... even with its register's zero read as a letter
    assert unwrap_rows(["x" * 127, "crO=0x8001003d cr2=0x0"], 128) == ["x" * 127, "crO=0x8001003d cr2=0x0"]
    # ... as an LBR line after a headline one column short of the row (ESX 4's 80 columns)
    headline = "@BlueScreen: Spin count exceeded (SCSIPathLock) - possible deadlock with PCPU 1"
    assert unwrap_rows([headline, "LBR: from 0x41802a92d9ef to 0x41802a92d9f5"], 80)[0] == headline


def test_an_x_read_as_w_still_pins_its_hex_prefix():
    line = "rax=@w0 rbx=0we37"
    pins = _pins([line])
    assert "".join(pins.get((0, c), ch) for c, ch in enumerate(line)) == "rax=0x0 rbx=0xe37"


def test_a_faint_mark_alone_is_a_speck_and_beside_text_a_small_glyph():
    # cells 0-1: "a." (the dot faint); cell 2, far off on the same row: a faint smudge
    fonts = FontMatch(votes=[{"a": 9.0}, {".": 1.0}], font="f", fit=0.99, cell_names={0: "a"},
                      loose_names={1: ".", 2: "`"}, sure=True)  # fmt: skip
    index = {(0, 0): 0, (0, 1): 1, (0, 9): 2}
    chars, _, _ = _name_cells(np.array([0, 1, 1]), index, {}, {}, 2, (1, 12), np.array([False, True, True]),
                           fonts)
    assert "".join(chars[0]).rstrip() == "a."


def test_a_tick_or_dot_named_far_from_any_text_is_dropped_but_not_one_beside_text():
    # "addr 0x1d8" then, far to its right, a speck a cluster took for '`'; and " - " in a headline
    row = "addr 0x1d8" + " " * 20 + "`" + " " * 5 + "a - b."
    index = {(0, c): i for i, c in enumerate(c for c, ch in enumerate(row) if ch != " ")}
    names = [ch for ch in row if ch != " "]
    fonts = FontMatch(votes=[{ch: 9.0} for ch in names], font=None, fit=0.0, cell_names={}, loose_names={},
                      sure=False)  # fmt: skip
    chars, _, _ = _name_cells(np.arange(len(names)), index, {}, {}, len(names), (1, len(row)),
                        np.zeros(len(names), dtype=bool), fonts)  # fmt: skip
    assert "".join(chars[0]) == row.replace("`", " ")


def test_a_known_word_one_wrong_letter_off_is_counted_as_misspelt_unless_a_look_alike():
    assert misspelt(["0x4539:[0x4200]Panic_NoSave@vmkernel#nover+0x27c stack: 0x0"]) == 0
    assert misspelt(["0x4539:[0x4200]Panic_NoSave@vmkernel#nover+0x27c staek: 0x0"]) == 1  # c -> e
    assert misspelt(["PanicvPanlcInt vmkerne1"]) == 0  # i -> l, l -> 1: look-alikes, left to the pins


def test_a_frames_colon_and_bracket_take_the_pin_even_from_an_unlike_name():
    # the font named the worn ':' an 'i': between a frame's two addresses only ":[" is printed
    assert _named({(0, 1): ":"}, {"i": 9.0}) == "i:"


def test_a_cell_no_reader_named_takes_its_loose_font_glyph():
    fonts = FontMatch(votes=[{}], font="f", fit=0.97, cell_names={}, loose_names={0: "_"}, sure=True)
    index = {(0, 0): 0, (0, 1): 1}
    chars, _, _ = _name_cells(np.array([0, 0]), index, {}, {}, 1, (1, 2), np.array([False, False]), fonts)
    assert "".join(chars[0]) == "_?"  # the other cell, unnamed and not faint, stays unread


def test_a_registers_equals_sign_and_hex_prefix_are_pinned_on_32_and_64_bit_screens():
    line = "frame*0x2f09bcc ip*0x75be7d cr2*0x0 eax;@x2878 es=8x4028 rdi*@x0"
    pins = _pins([line])
    fixed = "".join(pins.get((0, c), ch) for c, ch in enumerate(line))
    assert fixed == "frame=0x2f09bcc ip=0x75be7d cr2=0x0 eax=0x2878 es=0x4028 rdi=0x0"
    assert _named({(0, 1): "="}, {"*": 9.0}) == "*="  # '=' is fixed punctuation: the pin wins


def test_a_known_words_pin_does_not_change_a_letters_case():
    # "Disk dump successful." against the known "Successful.": a console draws s and S apart
    assert _named({(0, 1): "S"}, {"s": 9.0}) == "ss"
    assert _named({(0, 1): "x"}, {"X": 9.0}) == "Xx"  # but a hex prefix is always a small x


def test_a_cluster_the_grammar_pins_one_way_throughout_is_that_character():
    # A near font named every cell of a plain zero 'O'; wherever the grammar pins one (the 0 of
    # each 0x) it is '0': so is the whole cluster, its unpinned cells too.
    n = 6
    fonts = FontMatch(votes=[{"O": 40.0}], font="f", fit=0.98, cell_names=dict.fromkeys(range(n), "O"),
                      loose_names={}, sure=True)  # fmt: skip
    index = {(0, c): c for c in range(n)}
    pins = {(0, 0): "0", (0, 2): "0", (0, 4): "0"}
    chars, _, _ = _name_cells(np.zeros(n, dtype=int), index, {}, pins, 1, (1, n), np.zeros(n, dtype=bool),
                              fonts)
    assert "".join(chars[0]) == "0" * n
    # pinned both ways (an 'O' of a word, the '0' of a number): not settled, the font names it
    pins[(0, 5)] = "O"
    chars, _, _ = _name_cells(np.zeros(n, dtype=int), index, {}, pins, 1, (1, n), np.zeros(n, dtype=bool),
                              fonts)
    assert "".join(chars[0]) == "0O0O0O"


def test_a_worn_cluster_is_named_by_the_screen_glyph_it_is_clearly_most_like():
    rng = np.random.default_rng(0)
    eight, zero, other = (rng.normal(size=200) for _ in range(3))
    zero = 0.5 * eight + zero  # alike, as a slashed 0 and an 8 are
    noisy = [glyph + 0.3 * rng.normal(size=200) for glyph in [eight] * 6 + [zero] * 6]
    # clusters 0 and 1: the readers agree (8, 0); cluster 2: one worn 8 a sharp template took
    # for a 0; cluster 3: a glyph of which the screen has no agreed example
    vectors = _normalise(np.stack([*noisy, eight + 0.3 * rng.normal(size=200), other]))
    labels = np.array([0] * 6 + [1] * 6 + [2, 3])
    votes = screen_votes(vectors, labels, [{"8": 40.0, "B": 2.0}, {"0": 40.0}, {"0": 1.0}, {"W": 0.5}])
    assert max(votes[2], key=votes[2].get) == "8" and votes[2]["8"] > 1.0
    assert votes[3] == {}


def test_on_a_worn_screen_a_cluster_clearly_nearer_its_o_than_its_n_is_an_o():
    # blurred bold glyphs: the screen's o and n are much alike, so a few worn o cells (split
    # off the rest, read as n) are named by the margin between those two, not a fixed one
    rng = np.random.default_rng(3)
    o, n = rng.normal(size=200), rng.normal(size=200)
    n = o + 0.4 * n
    members = [g + 0.05 * rng.normal(size=200) for g in [o] * 6 + [n] * 6]
    worn = [o + 0.2 * rng.normal(size=200) for _ in range(2)]
    vectors = _normalise(np.stack([*members, *worn]))
    labels = np.array([0] * 6 + [1] * 6 + [2] * 2)
    centre = _normalise(vectors[labels == 2].mean(axis=0, keepdims=True))[0]
    own = [float(centre @ _normalise(vectors[labels == k].sum(axis=0, keepdims=True))[0]) for k in (0, 1)]
    assert 0.04 < own[0] - own[1] < 0.08  # under the fixed margin
    votes = screen_votes(vectors, labels, [{"o": 40.0}, {"n": 40.0}, {"n": 0.3, "m": 0.2}])
    assert set(votes[2]) == {"o"}


def test_a_weakly_named_cluster_unlike_the_screens_glyph_of_its_name_loses_that_name():
    rng = np.random.default_rng(1)
    zero, eight, six = (rng.normal(size=200) for _ in range(3))
    eight = zero + 0.6 * eight  # a blurred 8, about 0.85 like the screen's 0
    six = zero + 0.45 * six
    zeros = [zero + 0.1 * rng.normal(size=200) for _ in range(8)]
    sixes = [six + 0.1 * rng.normal(size=200) for _ in range(8)]
    variant = zero + 0.5 * rng.normal(size=200)  # a 0 scaled apart from the others
    vectors = _normalise(np.stack([*zeros, *sixes, eight, variant]))
    labels = np.array([0] * 8 + [1] * 8 + [2, 3])
    # cluster 2: the templates call it a 0 and Tesseract an 8 (no agreed 8 on the screen);
    # cluster 3: a 0 the votes split with a 6, but far less like the screen's 6 than its 0
    votes = screen_votes(vectors, labels, [{"0": 40.0}, {"6": 40.0}, {"0": 1.5, "8": 1.3},
                                           {"0": 1.5, "6": 1.0}])  # fmt: skip
    assert votes[2] == {"0": -1.5}
    assert votes[3] == {}


def test_on_a_sharp_screen_a_cluster_clearly_no_1_is_named_l_though_its_i_and_l_are_twins():
    # A crisp screen whose I and l are one shape, and whose 1 is much like them: a few cells
    # of l Tesseract took for 1 sit close to both l and I, and clearly away from 1.
    rng = np.random.default_rng(2)
    ell, capital_i, one, other = (rng.normal(size=200) for _ in range(4))
    capital_i, one = ell + 0.2 * capital_i, ell + 0.33 * one
    members = [g + 0.05 * rng.normal(size=200) for g in [ell] * 6 + [capital_i] * 6 + [one] * 6 + [other] * 6]
    vectors = _normalise(np.stack([*members, *(ell + 0.1 * rng.normal(size=200) for _ in range(3))]))
    labels = np.array([0] * 6 + [1] * 6 + [2] * 6 + [3] * 6 + [4] * 3)
    agreed = [{"l": 40.0}, {"I": 40.0}, {"1": 40.0}, {"e": 40.0}, {"1": 1.2, "I": 0.6}]
    # worn photo: the margin is too small to name it; the readers' 1, split with an I, is taken
    # back all the same, as it is less like the screen's 1 than its I
    assert screen_votes(vectors, labels, agreed)[4] == {"1": -1.2}
    assert set(screen_votes(vectors, labels, agreed, sharp=True)[4]) == {"l"}
    # ... but not where the readers name a character the screen shows no agreed glyph of
    agreed[4] = {"|": 2.0}
    assert screen_votes(vectors, labels, agreed, sharp=True)[4] == {}


def _named_in_context(rows: list[str], votes: dict[str, dict[str, float]], named: dict[str, str],
                      settled: str = "") -> dict[str, str]:
    """Each glyph of ``rows`` a cluster of its own, first named as ``named`` says (else as
    itself), with ``votes`` (else five for itself): its name after _settle_by_context."""
    cells = [(r, c) for r, row in enumerate(rows) for c in range(len(row))]
    index = {cell: i for i, cell in enumerate(cells)}
    chars = sorted({ch for row in rows for ch in row})
    labels = np.array([chars.index(rows[r][c]) for r, c in index])
    names = [named.get(ch, ch) for ch in chars]
    _settle_by_context(names, [votes.get(ch, {ch: 5.0}) for ch in chars],
                       np.array([ch in settled for ch in chars]), labels, index)  # fmt: skip
    return dict(zip(chars, names, strict=True))


def test_a_mark_the_readers_split_takes_the_name_that_fits_where_its_copies_stand():
    # "build-5" and "helper34-1": a held-out font's '-' that a template calls '+' (2.3 votes
    # to 1.7); beside it a '+' before "0x" that Tesseract also doubted.
    rows = ["build-5", "x34-1", "c+0x"]
    votes = {"-": {"+": 2.3, "-": 1.7}, "+": {"+": 3.0, "-": 2.0}, "b": {"b": 5.0, "-": 4.0}}
    names = _named_in_context(rows, votes, {"-": "+"})
    assert all(ch == name for ch, name in names.items())  # and letters stay letters
    # a glyph the grammar settled keeps its name
    assert _named_in_context(rows, votes, {"-": "+"}, settled="-")["-"] == "+"
    # a mark no PSOD prints ('&' for a held-out font's A) may turn out a letter; one it does not
    votes = {"&": {"&": 3.0, "A": 1.0}, "_": {"_": 3.0, "f": 2.5}}
    names = _named_in_context(["BH_Drain&nd", "Disable&ll"], votes, {})
    assert names["&"] == "A" and names["_"] == "_"


def test_a_grid_fitted_a_fraction_of_a_pixel_in_keeps_the_screens_last_row_and_column():
    # the period fit puts a 1024x768 console's grid 0.7 px down and 0.2 px right: the 128th
    # column (where a wrapped headline's last digit stands) is still cut
    ink = np.zeros((768, 1024), dtype=np.float32)
    cells = sample_cells(ink, Grid(16.0, 8.0, 48, 128, 0.74, 0.22), 8.0, 0.22)
    assert cells.shape[:2] == (48, 128)


def test_a_glyph_seen_only_inside_0x_numbers_is_a_hex_digit():
    # Three cells of one glyph, each inside a 0x number: a name no hex digit has gives way to
    # the digit OCR is known to misread it for, else to the best voted digit.
    index = {(0, c): i for i, c in enumerate((2, 5, 8))}
    digits = frozenset(index)

    def named(votes: dict[str, float], hex_cells=digits) -> str:
        fonts = FontMatch(votes=[votes], font=None, fit=0.0, cell_names={}, loose_names={}, sure=False)
        chars, _, _ = _name_cells(np.zeros(3, dtype=int), index, {}, {}, 1, (1, 9), np.zeros(3, dtype=bool),
                               fonts, hex_cells=hex_cells)  # fmt: skip
        return "".join(chars[0]).replace(" ", "")

    assert named({"S": 9.0, "3": 1.0}) == "555"  # S is a known misreading of 5
    assert named({"#": 9.0, "8": 2.0, "B": 1.0}) == "888"  # '#' is not: the votes say 8
    assert named({"e": 9.0}) == "eee"
    # Once in three inside a number, the glyph is a '#'; a blur may have made an 8 and a '#'
    # one cluster, so in the number a digit with a fair share of the votes names that cell.
    once = frozenset(list(index)[:1])
    assert named({"#": 9.0, "8": 1.0}, once) == "###"
    assert named({"#": 9.0, "8": 4.0}, once) == "8##"
    assert named({"#": 9.0, "S": 1.0}, once) == "###"  # a digit a misreading stands for: in its
    assert named({"S": 9.0, "#": 1.0}, once) == "5SS"  # name, not among its votes


def test_the_digits_of_a_0x_number_are_found_whatever_they_were_read_as():
    row = "cr0=0x8O01#03d ip=0x41S1)Sym_Name@vmkernel stack: 0x4$0, 0x41801f1079cdgSymbolName@x"
    digits = "".join(row[c] for c in _row_hex(row))
    # a number runs to the next delimiter; one that runs on too long has lost its ']' (not digits)
    assert digits == "8O01#03d" + "41S1" + "4$0"
    # a prefix whose 0 was misread still starts a number; a word's x does not
    assert "".join(row[c] for row in ["frame=#x4l22#5 x86_64 Index"] for c in _row_hex(row)) == "4l22#5"


def _cut(rows: list[str], font: str | None = None) -> CutCells:
    """A screen whose glyph clusters are its characters (``font``: an installed font like it)."""
    chars = sorted({ch for row in rows for ch in row if ch != " "})
    cells = [(r, c, ch) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch != " "]
    labels = np.array([chars.index(ch) for _, _, ch in cells])
    fonts = FontMatch(votes=[{} for _ in chars], font=font, fit=0.0, cell_names={}, loose_names={},
                      sure=False)  # fmt: skip
    index = {(r, c): i for i, (r, c, _) in enumerate(cells)}
    return CutCells(grid=None, shape=(len(rows), max(map(len, rows))), index=index,
                    faint=np.zeros(len(cells), dtype=bool), labels=labels, fonts=fonts,
                    vectors=np.zeros((len(cells), 1)))  # fmt: skip


def test_tesseract_reads_pieces_that_show_each_common_glyph_twice_and_the_first_rows_whole():
    rows = ["VMware", "#PF", "cr0 x  y", *["1111 2222   5555"] * 6, "3333", "3333   1111", "q", "4444", "44"]
    spans = teaching_spans(_cut(rows))
    assert spans[:4] == [(0, 0, 6), (1, 0, 3), (2, 0, 5), (2, 7, 8)]
    read = ["".join(rows[r][a:b] for r2, a, b in spans if r2 == r) for r in range(len(rows))]
    shown = {ch: sum(text.count(ch) > 0 for text in read) for ch in "12345q"}
    assert min(shown[ch] for ch in "12345") >= 2 and shown["q"] == 0  # q (one cell): the grid's
    # a row is read in pieces split at wider gaps: '1111 2222' without the 5s, or the 5s alone
    assert any(b - a < len(rows[r].rstrip()) for r, a, b in spans if r > 2)
    assert sum(b - a for _, a, b in spans) < sum(len(row) for row in rows) / 2


def test_on_a_clean_screen_tesseract_also_reads_rare_glyphs_among_text_but_no_lone_speck():
    # Few rare glyphs: they are characters (a held-out font's W), not a blur's variants.
    rows = [*["1111 2222   5555"] * 6, "3333", "11W11", "q", "4444", "44", "3333"]
    read = {rows[r][a:b] for r, a, b in teaching_spans(_cut(rows))}
    assert "11W11" in read and "q" not in read
    # many rare glyphs (a scaled screen's variants): only the common ones are taught
    rows += ["abcdefghijklmnop"]
    assert "11W11" not in {rows[r][a:b] for r, a, b in teaching_spans(_cut(rows))}


def test_in_a_screenshot_tesseract_reads_at_most_about_its_budget():
    # glyphs in hundreds of variants (a resampled screen's): teaching each twice reads most of it
    rng = np.random.default_rng(5)
    rows = ["".join(chr(0x100 + int(k)) for k in rng.integers(0, 600, size=60)) for _ in range(40)]
    rows = ["  ".join(row[i : i + 6] for i in range(0, 60, 6)) for row in rows]
    read = sum(b - a for _, a, b in teaching_spans(_cut(rows), screenshot=True))
    assert TEACH_CHARS <= read <= TEACH_CHARS + 6
    assert sum(b - a for _, a, b in teaching_spans(_cut(rows))) > 1.5 * TEACH_CHARS  # a photo: no cap
    # an installed font like the screen's names most cells: fewer are read
    with_font = sum(b - a for _, a, b in teaching_spans(_cut(rows, "Lat15-Terminus16"), screenshot=True))
    assert TEACH_CHARS_FONT <= with_font <= TEACH_CHARS_FONT + 6


def test_cells_that_nearly_all_differ_are_not_clustered_a_grid_off_the_console_cuts_glyphs():
    rng = np.random.default_rng(3)
    noise = rng.random((6, 40, 20, 10)).astype(np.float32)
    assert _cluster_cells(noise) is None
    # the same number of cells showing a few glyphs cluster
    glyphs = rng.random((5, 20, 10)).astype(np.float32)
    found = _cluster_cells(glyphs[rng.integers(0, 5, size=(6, 40))])
    assert found is not None and found[4].max() + 1 == 5


def test_a_sharpened_noisy_screens_specks_in_blank_cells_are_not_taken_for_glyphs():
    rng = np.random.default_rng(5)
    cells = (rng.random((6, 40, 20, 10)) * 0.3).astype(np.float32)  # specks up to 0.3 everywhere
    glyphs = (rng.random((5, 20, 10)) > 0.6).astype(np.float32)
    inked = rng.random((6, 40)) < 0.3
    cells[inked] = glyphs[rng.integers(0, 5, size=int(inked.sum()))]
    found = _cluster_cells(cells)
    assert found is not None and len(found[1]) == inked.sum() and found[4].max() + 1 == 5


def test_a_neighbours_sliver_at_a_cells_side_is_removed_but_not_a_small_glyph():
    cells = np.zeros((3, 20, 10), dtype=np.float32)
    cells[0, 5:15, 0] = 1.0  # a neighbour's edge bled in
    cells[1, 16:18, 4:6] = 1.0  # a '.'
    cells[2, 5:15, 0:4] = 1.0  # a glyph's stroke at the side: wider than a sliver
    clean = without_bleed(cells)
    assert not clean[0].any()
    assert np.array_equal(clean[1:], cells[1:])


def test_a_glyph_the_fonts_name_and_the_screen_has_no_example_of_gets_no_screen_vote():
    # The screen's agreed H is the nearest of its own glyphs to a lone N (alike, as the two
    # are); the fonts call that cluster N, of which the screen shows no agreed example: the
    # screen cannot tell, and stays silent.
    rng = np.random.default_rng(1)
    h, other = rng.normal(size=200), rng.normal(size=200)
    n = h + 0.2 * rng.normal(size=200)
    vectors = _normalise(np.stack([*(h + 0.2 * rng.normal(size=200) for _ in range(6)),
                                   *(other + 0.2 * rng.normal(size=200) for _ in range(6)), n]))  # fmt: skip
    labels = np.array([0] * 6 + [1] * 6 + [2])
    agreed = [{"H": 40.0}, {"e": 40.0}, {"H": 0.5}]
    assert set(screen_votes(vectors, labels, agreed)[2]) == {"H"}
    assert screen_votes(vectors, labels, agreed, [{"H": 6.0}, {"e": 6.0}, {"N": 0.5}])[2] == {}
    assert screen_votes(vectors, labels, agreed, [{"H": 6.0}, {"e": 6.0}, {"e": 0.5}])[2] != {}


def test_a_word_tesseract_read_a_letter_short_lands_in_its_cells_by_the_grids_reading():
    # "LinuxCharIoctl" in a box of 14 cells, read "inuxCharIoctl": placed by position, every
    # letter after the gap would vote for the cell before its own
    grid = Grid(row_pitch=16.0, col_pitch=8.0, rows=1, cols=40, top=0.0, left=0.0)
    word = Word(text="inuxCharIoctl", left=8 * 4, top=2, width=8 * 14, height=12, conf=90.0, block=1, par=1,
                line=1)  # fmt: skip
    guess = ("    LinuxCbarIoctI",)
    placed = {c: ch for _, c, ch, _ in _word_cells([word], 1.0, grid, 8.0, 0.0, guess)}
    assert "".join(placed.get(c, " ") for c in range(4, 18)) == " inuxCharIoctl"
    # without the grid's reading the letters are placed one cell early
    placed = {c: ch for _, c, ch, _ in _word_cells([word], 1.0, grid, 8.0, 0.0)}
    assert "".join(placed.get(c, " ") for c in range(4, 18)) == "inuxCharIoctl "


@pytest.mark.skipif(not available_fonts("esxi"), reason="console fonts not installed")
@pytest.mark.parametrize("scale", [1.17, 1.43, 1.6])
@pytest.mark.parametrize("scaler", ["opencv", "pillow"])
def test_a_console_scaled_by_repeating_pixels_is_cut_back_into_its_own_pixels(scale, scaler):
    # OpenCV repeats each pixel from the start of its place, Pillow (like a canvas) from its
    # middle: one of the two ways of taking one pixel of each repeat gives the glyphs back
    text = "VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]\n#PF Exception 14 in world 2099012:vmnic2"
    fb = render_screen(text, available_fonts("esxi")[0]).image
    ink = fb[..., 1].astype(np.float32) / 255
    size = (round(1024 * scale), round(768 * scale))
    if scaler == "opencv":
        scaled = cv2.resize(ink, size, interpolation=cv2.INTER_NEAREST)
    else:
        scaled = np.asarray(Image.fromarray(ink).resize(size, Image.NEAREST))
    own = sample_native(ink, Grid(16, 8, 48, 128, 0, 0), 8)
    grid = Grid(size[1] / 48, size[0] / 128, 48, 128, 0, 0)
    assert min(float(np.abs(sample_native(scaled, grid, 8, 0, shift) - own).max()) for shift in REPEATS) == 0


def test_a_frame_line_whose_first_column_is_cut_off_is_pinned_where_its_characters_are():
    # "0x4122..." shown as "x4122...": the frame pointer has lost a digit's place, not a digit,
    # so the x is pinned (not the digit after it), and "]" after the IP's twelve digits
    row = "x412213907ce8:[0x41803726cd62)Panic@vmkernel#nover+0xa9 stack: 0x4180375e6b8b"
    pins = _pins([row])
    assert pins[(0, 0)] == "x" and (0, 1) not in pins
    assert pins[(0, row.index(")"))] == "]"


def test_a_frame_line_with_masked_addresses_still_pins_its_brackets():
    # a posted screen's addresses masked with '#': the bracket after the IP is still pinned
    row = "cpu12:2098)0x############:[0x############IVmMemPf_PreallocRange@vmkernel#nover+0x45 stack: ..."
    assert _pins([row])[(0, row.index("IVm"))] == "]"


@pytest.mark.skipif(not available_fonts("esxi"), reason="console fonts not installed")
def test_a_screen_shrunk_below_its_fonts_pixels_is_not_named_by_the_font_alone():
    # at 0.85x a smoothly scaled glyph has lost rows: its font still fits best, but no longer
    # tells an 8 from a 3 on its own
    lines = ["VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]",
             "#PF Exception 14 in world 2099012:vmnic2 IP 0x42001cd5e8f5 addr 0x18"]
    lines += [f"0x453a{i:02x}1b2c3d40:[0x420012345678]VmMemCow_Frame{i}@vmkernel#nover+0x42 stack: 0x1"
              for i in range(12)]  # fmt: skip
    font = available_fonts("esxi")[0]
    fb = render_screen("\n".join(lines), font).image
    for scale, native in ((1.0, True), (0.85, False)):
        image = cv2.resize(fb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
        cut = cut_cells(image, Grid(h / 48, w / 128, 48, 128, 0.0, 0.0), w / 128, 0, native=native)
        assert cut.fonts.font is not None  # identified either way
        assert cut.fonts.sure == native


def test_tesseract_reads_again_the_unread_cells_with_a_few_columns_of_their_word():
    rows = ("0x453a58412cf0:[0x420014c468ed]UserMem?MapPages@vmkernel#nover", "", "?", "ab??cd  ?x")
    spans = unread_spans(rows)
    assert spans == [(0, 32, 45), (2, 0, 1), (3, 0, 10)]  # the two of row 3 overlap: one piece
    assert unread_spans(("no unread cell here",)) == []


@pytest.mark.skipif("altb-8x16" not in available_fonts("esxi"), reason="altb-8x16 not installed")
def test_a_whole_consoles_own_pitch_is_tried_where_the_ink_folds_best_a_little_off_it():
    # smoothly scaled by 1.122: the fold of the ink peaks 0.2% off the console's own pitch,
    # 2.5 px across the screen, and the glyphs cut there fall into over 300 shapes
    from psod_ocr.binarise import binarise
    from psod_ocr.load import load_image
    from psod_ocr.locate import find_screen
    from psod_ocr.rectify import rectify
    from psod_ocr.simulate import simulate

    text = (CORPUS / "033_esxi67_pf14_i40en.txt").read_text()
    sim = simulate(text, "kvm_screenshot", seed=2, font="altb-8x16", scale=(1.122, 1.122),
                   interpolation="cubic", fmt="png", chrome=None, letterbox=None, crop=False,
                   annotate=False, redact=0)  # fmt: skip
    image = load_image(sim.capture.image_bytes, name="sim.png")
    flat = rectify(image.rgb, find_screen(image.rgb).corners)
    grid = binarise(flat.rgb).grid
    cut = cut_cells(flat.padded, grid, grid.col_pitch, flat.pad, flat.exact)
    assert cut.grid.col_pitch == pytest.approx(flat.rgb.shape[1] / 128, rel=1e-4)
    assert cut.fonts.font == "altb-8x16" and cut.fonts.sure


@pytest.mark.skipif(not available_fonts("esxi"), reason="console fonts not installed")
def test_a_small_mark_blurred_more_than_the_letters_is_named_by_templates_as_blurred():
    # a scaler and JPEG spread a '.' more than a letter: it is then more like the sharp ','
    # than the sharp '.', though clearly a blurred '.'
    font = "Lat15-Terminus16" if "Lat15-Terminus16" in available_fonts("esxi") else available_fonts("esxi")[0]
    lines = ["VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]",
             "#PF Exception 14 in world 2099012:vmnic2 IP 0x42001cd5e8f5 addr 0x18",
             "Code start: 0x420005800000 VMK uptime: 91:03:45:39.816"]
    lines += [f"0x453a{i:02x}1b2c3d40:[0x420012345678]VmMemCow_Frame{i}@vmkernel#nover+0x42 stack: 0x1"
              for i in range(12)]  # fmt: skip
    ink = render_screen("\n".join(lines), font).image[..., 1].astype(np.float32) / 255
    cells = sample_cells(ink, Grid(16, 8, 48, 128, 0, 0), 8, 0)
    where = [(r, c) for r, row in enumerate(lines) for c, ch in enumerate(row) if ch != " "]
    chars = [lines[r][c] for r, c in where]
    patches = np.stack([cells[r, c] for r, c in where])
    dots = np.array([ch == "." for ch in chars])
    patches[dots] = blur_each(patches[dots], 1.0)
    patches[dots] /= patches[dots].max(axis=(1, 2), keepdims=True)
    alphabet = sorted(set(chars))
    labels = np.array([alphabet.index(ch) for ch in chars])
    fonts = match_fonts(patches, labels, len(alphabet), 8, small=dots)
    assert fonts.sure
    named = [fonts.cell_names.get(i, fonts.loose_names.get(i)) for i in np.flatnonzero(dots)]
    assert named == ["."] * int(dots.sum())
