"""Read the console as what it is: a grid of identical cells drawn from one bitmap font.

Every occurrence of a glyph on one screen looks the same, so the cells are clustered by
appearance and each cluster is named by a vote: Tesseract's reading of its members, and the
characters the PSOD grammar pins down (the ``0`` and ``x`` of every ``0x``, fixed words such as
``stack:``). Tesseract's systematic confusions (a console zero read as 8, 6 or @) are outvoted
by the grammar, and one right reading of a glyph fixes all its copies. Glyph data comes only
from the image being read.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TypeVar

import cv2
import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .._exec.tesseract import Word
from ..binarise import Grid, text_channel, without_lines
from ..knowledge import _read
from ..parse.lines import is_record_start
from ..repair import lookalikes
from . import context
from .case import case_votes, ink_heights
from .constraints import Settled, decode
from .drift import straighten
from .framebuffer import unshrink
from .glyphs import ALPHABET, TEMPLATE_BLURS, blur_each, centre_all, glyph_bank
from .model import glyph_probabilities
from .period import cut as ink_cut
from .period import fit_period, gap_cut, near_zero
from .tesseract import char_pitch

CELL_W, CELL_H = 10, 20  # each cell is resampled to this many pixels
FONT_H = 16  # font pixels in a console cell's height
SHRUNK = 0.92  # a screen this much smaller than its font's pixels ...
BLANK_INK = 0.25  # a cell whose brightest pixel is below this share of text level is a space
# (or below this many times the brightest pixel of the dimmest cells, up to this many times
# BLANK_INK, most of a screen being blank: a sharpened noisy photo's blank cells carry specks
# up to a quarter of the text's level)
SPECKS, DIMMEST = 1.5, 30
SAME_GLYPHS = (0.98, 0.96, 0.94)  # cosine similarity above which two cells show one glyph:
# tried strictest first; a resampled or blurred screen needs a looser one
MAX_CLUSTERS = 600  # a console has under a hundred glyphs (plus variants); far more: grid is off
MAX_CLUSTER_SHARE, MIN_CLUSTER_LIMIT = 0.6, 64  # ... as are more than this share of the cells
TESSERACT_WEIGHT = 1.0
ALIGNED = 0.6  # a word the grid's own reading agrees with on this share of letters is placed by it
PIN_WEIGHT = 4.0
TWIN_MIN = 2  # cells of each glyph for a cluster to be split in two ...
TWIN_GAP = 4.0  # ... when the gap between them is this many times their spread (in a screenshot:
# a scaled glyph's few phases each a tight group of their own) ...
TWIN_GAP_PHOTO = 2.0  # ... or this many, in a photo (noise spreads one glyph's cells evenly)
TWIN_SEEDS = 4  # the cells least like their cluster each seed one try at splitting it
TWIN_AGAIN = 5  # a split cluster's parts are split again into parts of this many cells
BLEED_INK, BLEED_WIDTH = 0.1, 2  # ink at a cell's side this thin is its neighbour's
EDGE_INK = 0.5  # an edge whose ink is this share of the screen's mean is cut through glyphs
CUT_FIT_LEAD = 0.02  # a font fit this much better picks the other way of cutting the columns
FONT_TRIES = 3  # ways of cutting (the fewest shapes first) a font is matched to, until one is sure
PITCH_SPREAD = 0.006  # the screen found may be this much too wide: the ink says
DRIFT_PX = 1.0  # a refined column pitch this far from the one found, summed over the row, is tried beside it
ROW_SPREAD = 0.03  # ... and part of one, its rows' pitch this far off (a width-snapped photo's)
UNREAD = "\ufffd"  # a cell no reader could name, until it is known to be a speck or a '?'
FONT_MATCH = 0.9  # the screen's font fits its glyph clusters at least this well ...
FONT_LEAD = 0.02  # ... and this much better than any font of another family
KIN = 0.95  # fonts whose same characters are this alike on average are one family
VARIANT = 0.995  # ... and this alike, variants of one font (a VGA cell, a dotted zero)
FONT_SURE = 0.96  # ... and, on a sharp picture, fits this well: its names stand alone
FONT_EXACT = 0.99  # ... or this well, on a screen shrunk below the font's pixels
SURE_WEIGHT = 8.0  # per cell: the screen's own font outweighs everything else ...
IDENTIFIED_WEIGHT = 0.5  # ... when not sure, on a crisp screen half a Tesseract reading ...
BLURRED_WEIGHT = 1.0  # ... and on a blurred one a whole one
MODEL_WEIGHT = 2.0  # per cell: the learned glyph model's probability of each character ...
MODEL_FLOOR = 0.02  # ... of those it gives at least this
DOUBT = 0.3  # a character with less than this share of its cluster's votes is shown as '?' ...
CERTAIN = 0.9  # ... and one with this share is certain
MODEL_SURE_CELLS = 0.98  # a screenshot's cut whose cells the model is this often certain of is kept
SIBLINGS = 3  # how many of a cluster's closest glyphs a cell of it may be named
FONT_MARGIN = 0.02  # similarity lead over the font's runner-up glyph that earns a full vote
TEMPLATE_WEIGHT = 0.5  # per cell: the nearest glyph among other fonts (in some, M looks like K)
TEMPLATE_MARGIN = 0.08  # similarity lead over the runner-up that earns that full vote
GLYPH_LIKE = 0.8  # below this a cluster looks like no glyph of any font: noise, or a cut glyph
CELL_MATCH = 0.9  # a cell this like its best glyph of the screen's font is named by it ...
CELL_MARGIN = 0.005  # ... when no other glyph of the font comes this close
PIN_LIKE = 84  # a reading this like a known word (rapidfuzz ratio) has its letters pinned ...
LETTER_OFF_LIKE = 83  # ... or this like, one letter read as another (see _misread_letter) ...
WRONG_LETTERS = 0.2  # ... if no more than this share of them, in place, are other glyphs
SHIFT = 2  # columns either side of the fuzzy match where the word may sit
LOOSE_MATCH = 0.75  # a cell only this like a glyph is that glyph if nothing else names it
SETTLED_PINS, SETTLED_SHARE = 3, 0.9  # a cluster pinned this often, this unanimously, is settled
AGREED = 0.75  # a cluster whose name has this share of its votes shows the screen's glyph ...
OWN_GLYPH_CELLS = 4  # ... when there are this many such cells of the character
OWN_GLYPH_LIKE = 0.9  # a cluster this like the screen's own glyph of a character ...
OWN_GLYPH_MARGIN = 0.08  # ... and this much more than like any other is that character: ...
OWN_GLYPH_WEIGHT = 4.0  # ... a vote per cell, as much as a pin
UNLIKE_OWN = 0.95  # a cluster split between names, less like the screen's glyph of the first, is not it
SPLIT = 0.4  # ... split: its second name has this share of the first's votes
TWIN_LETTERS = "Iil"  # letters drawn alike, told apart cell by cell by their neighbours
CONTEXT_SHARE = 0.3  # a mark's names with this share of its top name's votes are weighed by context
TWIN_GLYPHS = 0.96  # its own glyphs of two characters this alike are twins ...
OWN_GLYPH_SHARE = 0.6  # ... and a cluster this share of the way from another glyph to its best is it
NAMING_ROUNDS = 3  # namings at most before the grammar's pins settle
TEACH_ROWS = 2  # Tesseract reads pieces of rows that show each glyph this often ...
TEACH_MIN = 3  # ... of the glyphs with this many cells (the grid names their other copies) ...
CLEAN_RARE = 0.34  # ... all of them where no more than this share of the glyphs are that rare ...
TEACH_TOP = 3  # ... and the first rows with text: the banner and the headline, read as words
PIECE_GAP = 2  # Tesseract reads pieces of rows, split where this many columns or more are blank;
PIECE_COST = 3  # ... a piece costs it this many characters' worth more than its text
TEACH_CHARS = 900  # ... and in a screenshot, about this many characters at most
TEACH_CHARS_FONT = 650  # ... or this many, when an installed font is like the screen's
UNREAD_CONTEXT = 6  # Tesseract reads a cell no reader named again with this many columns either side ...
UNREAD_CHARS = 400  # ... this many characters at most

Votes = list[dict[str, float]]  # per cluster: character -> weight
T = TypeVar("T")
HEX_TOKEN = re.compile(r"(?<![0-9A-Za-z_])([0OoQD@8B6G])([xX×wW])(?=[0-9a-zA-Z@#])")


@dataclass(frozen=True)
class CellReading:
    rows: tuple[str, ...]
    clusters: int
    cells: int  # non-blank cells read
    pinned: int  # cells whose character the grammar fixed
    misspelt: int = 0  # known words read with a wrong glyph in them (see misspelt())
    font: str | None = None  # the installed font the screen's glyphs match, if one does
    font_fit: float = 0.0
    font_named: float = 0.0  # share of cells named by their own glyph in that font
    font_sure: bool = False
    cut: CutCells | None = field(default=None, repr=False, compare=False)
    grid_rows: tuple[str, ...] = field(default=(), repr=False)  # as on the grid, before unwrapping
    marked: tuple[str, ...] = ()  # rows with a '?' for each character the readers are not sure of
    certain: float = 0.0  # share of the cells read whose name has CERTAIN of its cluster's votes
    settled: tuple[Settled, ...] = ()  # doubted characters the screen's own consistency changed


def cell_pitch(words: list[Word], scale: float, grid: Grid) -> float | None:
    """Column pitch in flat-screen pixels: the grid's when the whole console is visible, else
    the one Tesseract's word starts agree on."""
    if grid.col_pitch:
        return grid.col_pitch
    pitch = char_pitch(words)
    return pitch / scale if pitch else None


def sample_cells(ink: np.ndarray, grid: Grid, col_pitch: float, left: float, pad: int = 0) -> np.ndarray:
    """The screen resampled so every cell is CELL_H x CELL_W: shape (rows, cols, H, W).
    ``ink`` has ``pad`` pixels beyond the screen on each side (a glyph the screen's found
    edge cuts is still whole there); the grid is the screen's."""
    h, w = ink.shape[0] - 2 * pad, ink.shape[1] - 2 * pad
    # a last row or column the fitted grid puts a fraction of a pixel past the edge is whole
    rows = max(1, round((h - grid.top) / grid.row_pitch))
    cols = max(1, round((w - left) / col_pitch))
    sx, sy = CELL_W / col_pitch, CELL_H / grid.row_pitch
    matrix = np.array([[sx, 0, -(left + pad) * sx], [0, sy, -(grid.top + pad) * sy]], dtype=np.float32)
    flat = cv2.warpAffine(ink, matrix, (cols * CELL_W, rows * CELL_H), flags=cv2.INTER_AREA)
    return flat.reshape(rows, CELL_H, cols, CELL_W).transpose(0, 2, 1, 3)


CONSOLE_SIZES = ((128, 48), (80, 25))  # columns, rows of a console in its own framebuffer
NATIVE_LEAD = 0.6  # the framebuffer's pixels are taken when they give this share of the shapes
REPEATS = (0.0, 0.5)  # where a viewer that scales by repeating pixels takes each one from: at
# the start of its place (OpenCV) or its middle (the half pixel's shift of canvas drawing)


def sample_native(ink: np.ndarray, grid: Grid, cell_w: int, pad: int = 0, shift: float = 0.5) -> np.ndarray:
    """A screenshot's console cut back into its framebuffer's own pixels, then resampled as
    sample_cells does. A viewer that scales the console by repeating pixels (1.43x: every
    second or third pixel twice) gives each copy of a glyph its own shape; one pixel of each
    repeat gives the glyph back whole. ``shift``: see REPEATS."""
    h, w = ink.shape[0] - 2 * pad, ink.shape[1] - 2 * pad

    def first_of_repeat(n: int, size: int) -> np.ndarray:
        # (a pixel exactly on a repeat's boundary goes to the later one, as rounding has it)
        at = np.ceil(np.arange(n) * (size / n) - shift + 1e-6)
        return pad + np.clip(at, 0, size - 1).astype(int)

    fb = ink[np.ix_(first_of_repeat(grid.rows * FONT_H, h), first_of_repeat(grid.cols * cell_w, w))]
    return framebuffer_cells(fb, grid.rows, grid.cols)


def framebuffer_cells(fb: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A framebuffer's cells resampled as sample_cells does."""
    # a framebuffer pixel is background or text: what JPEG rings around the glyphs is not,
    # and it would outweigh a thin glyph ('_', '.')
    fb = np.where(fb >= BLANK_INK, fb, 0.0)
    flat = cv2.resize(fb, (cols * CELL_W, rows * CELL_H), interpolation=cv2.INTER_LINEAR)
    return flat.reshape(rows, CELL_H, cols, CELL_W).transpose(0, 2, 1, 3)


def cluster(vectors: np.ndarray, same: float, limit: int) -> np.ndarray | None:
    """Greedy leader clustering by cosine similarity; a label per vector, or None when more
    than ``limit`` clusters are needed."""
    labels = np.empty(len(vectors), dtype=np.int32)
    sums = np.zeros((limit, vectors.shape[1]), dtype=np.float32)  # per cluster, its members' sum
    matrix = np.zeros_like(sums)  # ... as a unit vector
    n = 0
    for i, v in enumerate(vectors):
        if n:
            sims = matrix[:n] @ v
            j = int(sims.argmax())  # (the methods: this loop runs for every cell)
            if sims[j] >= same:
                labels[i] = j
                total = sums[j]
                total += v
                matrix[j] = total / (math.sqrt(total.dot(total)) + 1e-9)
                continue
        if n >= limit:
            return None
        labels[i] = n
        sums[n] = matrix[n] = v
        n += 1
    return labels


def _normalise(patches: np.ndarray) -> np.ndarray:
    v = patches.reshape(len(patches), -1).astype(np.float32)
    v = v - v.mean(axis=1, keepdims=True)
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)


def _word_cells(words: list[Word], scale: float, grid: Grid, pitch: float, left: float,
                guess: tuple[str, ...] = ()):  # fmt: skip
    """(row, col, char, weight) for each character Tesseract read, placed on the grid. A word
    that does not fill its box (a character dropped or added) is aligned with the grid's own
    reading of those cells (``guess``), so the characters after the gap land in their cells."""
    for w in words:
        x = w.left / scale
        y = (w.top + w.height / 2) / scale
        row = int((y - grid.top) // grid.row_pitch)
        col = round((x - left) / pitch)
        span = max(1, round((w.width / scale) / pitch))
        n = len(w.text)
        weight = TESSERACT_WEIGHT * max(w.conf, 10.0) / 100.0
        seen = guess[row][col : col + span].ljust(span) if span != n and 0 <= row < len(guess) else ""
        ops = Levenshtein.opcodes(w.text, seen) if seen and col >= 0 else ()
        if sum(i2 - i1 for op, i1, i2, _, _ in ops if op == "equal") >= ALIGNED * n:
            for op, i1, i2, j1, j2 in ops:
                if op in ("equal", "replace"):
                    for i in range(i1, i2):
                        yield row, col + j1 + (i - i1) * (j2 - j1) // (i2 - i1), w.text[i], weight
            continue
        for i, ch in enumerate(w.text):
            c = col + (i if abs(span - n) <= 1 else int(i * span / n))
            yield row, c, ch, weight


# Shapes that fix characters whatever they were read as: a frame line's two addresses, and
# register values, always written name=0x...
FRAME_SHAPE = re.compile(r"^\s*(\S\S)([0-9a-f#]{6,16})(\S\S)(\S\S)([0-9a-f#]{6,16})")  # (# masks digits)
REGISTER_VALUE = re.compile(r"(?<!\S)(?:r[a-d]x|r[sd]i|rbp|rsp|r\d{1,2}|cr[0-4]|frame|ip|rflags|gs|Kgs"
                            r"|e[a-d]x|e[sd]i|ebp|esp|eip|[defg]s|eflags)"
                            r"(\S)([0OoQD@8B6G9][xX×*%wW][0-9a-f]+)")  # fmt: skip
# A headline's "IP 0x..." and "SP 0x...": the I and S of a register name OCR reads as l, 1, 5
HEADLINE_REGISTER = re.compile(r"\s(?:([Il1|!])|([S5$]))P\s+\S\S[0-9a-fA-F]{4}")
POLL_WORLD = re.compile(r"-po([Il1|!]{2})W\b")  # a NIC's poll world, "vmnic0-pollW"
FRAME_LINE = re.compile(r"(?:^|\)|: )\s*0x([0-9a-fA-F#]{4,16})(.)(\S)0x([0-9a-fA-F#]{4,16})")
# A log line's ISO time stamp: the T between date and time and the closing Z.
TIMESTAMP = re.compile(r"\b[0-9OolI]{4}-[0-9OolI]{2}-[0-9OolI]{2}(.)[0-9OolI]{2}:[0-9OolI]{2}:[0-9OolI]{2}"
                       r"\.[0-9OolI]{3}(.)")  # fmt: skip
LOGEFI = re.compile(r"(.)n\((\d+)(.) Lo.EF(.)(.)")
# A frame's offset into its function: "+0x1a7 stack: 0x..."
FRAME_OFFSET = re.compile(r"[0-9a-zA-Z_#>)](\S)[0O]x[0-9a-fA-F]{1,8} stack: ")
# A frame line's end, "+0x2fb stack: 0x0": the offset's and the stack word's 0x and the colon
# are printed whatever they were read as ("+0h68 stackh 0h0")
FRAME_TAIL = re.compile(r"\+(\S)(\S)\w{1,8} stack(\S) (\S)(\S)(?=\w)")
# A 0x number (its 0 read right or not) up to the next delimiter: what it holds is digits.
HEX_NUMBER = re.compile(r"(?<![0-9A-Za-z_])[^\s:;,.=+@/<>()\[\]\"'a-wyzA-Z]x([^\s:;,.=+@/<>()\[\]\"']+)")
HEX_DIGITS = frozenset("0123456789abcdef")
HEX_SHARE = 0.8  # a glyph this often inside 0x numbers is a hex digit
HEX_CONTEXT = 0.25  # a digit with this share of the top vote names a cluster's cells in 0x numbers
FIXED_PUNCTUATION = ":[=+"  # pinned only where the grammar prints it (a frame's ":[" and "+0x", a
# register's "="): the pin wins over any name
STATE_LINE = re.compile(r"^\s*PCPU\s+\d+:\s?(\S+)\s*$")
# PCPU state letters come from a small alphabet; the look-alikes Tesseract reads instead.
STATE_LETTERS = {"Y": "V", "v": "V", "l": "I", "1": "I", "|": "I", "i": "I", "5": "S", "s": "S",
                 "u": "U", "h": "H"}  # fmt: skip


@cache
def hex_misreads() -> dict[str, str]:
    """What a hex digit is misread as, and the digit (data/confusions.toml)."""
    return dict(_read("confusions.toml")["hex"])


@cache
def pin_words() -> tuple[str, ...]:
    """Text a purple screen prints, spelled as the console shows it: a reading close to one
    of these (four characters or more) pins its characters."""
    data = _read("vocabulary.toml")
    return tuple(w for w in data["screen_tokens"] + data["symbols"] + data["words"] if len(w) >= 4)


def _known_words(text: str):
    """(word, column, score) for each known word a row of text spells, maybe with a few wrong
    glyphs. A grid reading has every character in its cell, so the word is placed where the
    fewest of its letters differ (the fuzzy match may be a column or two off)."""
    for word in pin_words():
        hit = fuzz.partial_ratio_alignment(word, text, score_cutoff=LETTER_OFF_LIKE)
        if hit is None:
            continue
        n = len(word)
        starts = range(max(0, hit.dest_start - SHIFT), min(len(text) - n, hit.dest_start + SHIFT) + 1)
        wrong = {c: sum(a != b for a, b in zip(word, text[c : c + n], strict=True)) for c in starts}
        if wrong:
            c = min(wrong, key=lambda c: (wrong[c], abs(c - hit.dest_start)))
            score = 100 * (1 - wrong[c] / n)
            close = score >= PIN_LIKE or _misread_letter(word, text[c : c + n])
            if wrong[c] <= WRONG_LETTERS * n and close:
                yield word, c, score


def _misread_letter(word: str, seen: str) -> bool:
    """A six-letter word read with one capital or small letter for another (``VHware``): the
    banner's VMware is where a screen shows its M. Not another case of the letter, nor a mark
    (``xmit_frame@`` is no ``frame=``, ``UnregisterDevice`` no ``device``)."""
    (a, b), *more = [(a, b) for a, b in zip(word, seen, strict=True) if a != b] or [("", "")]
    return not more and a.isalpha() and b.isalpha() and a.isupper() == b.isupper()


WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,}")


@cache
def _vocabulary_words() -> dict[int, frozenset[str]]:
    """Known words (letters, digits, '_'; four or more) by length."""
    words = {w for text in pin_words() for w in WORD.findall(text)}
    return {n: frozenset(w for w in words if len(w) == n) for n in {len(w) for w in words}}


def misspelt(texts: list[str]) -> int:
    """Words a reading spells one letter off a known word, where the wrong letter is not even
    a look-alike of the right one (``staek`` for ``stack``): a sign that glyphs were named
    wrongly throughout."""
    count = 0
    for text in texts:
        for token in WORD.findall(text):
            known = _vocabulary_words().get(len(token), frozenset())
            if token in known:
                continue
            for word in known:
                wrong = [(a, b) for a, b in zip(token, word, strict=True) if a != b]
                if len(wrong) == 1:
                    seen, right = wrong[0]
                    if seen not in lookalikes().get(right, "") + right.swapcase():
                        count += 1
                        break
    return count


def _pins(texts: list[str]) -> dict[tuple[int, int], str]:
    """Characters the grammar fixes in a reading of the grid: the ``0x`` of hex numbers,
    the ``:[`` and ``]`` around a frame's addresses, and the letters of known words."""
    return {(r, c): ch for r, text in enumerate(texts) for c, ch in _row_pins(text).items()}


def _hex_cells(texts: list[str]) -> frozenset[tuple[int, int]]:
    """The cells of every ``0x`` number's digits, whatever they were read as."""
    return frozenset((r, c) for r, text in enumerate(texts) for c in _row_hex(text))


@lru_cache(maxsize=4096)
def _row_hex(text: str) -> tuple[int, ...]:
    return tuple(c for m in HEX_NUMBER.finditer(text) if len(m.group(1)) <= 16
                 for c in range(m.start(1), m.end(1)))  # fmt: skip


@lru_cache(maxsize=4096)
def _row_pins(text: str) -> dict[int, str]:
    """The pins of one row, by column (a row read again unchanged is not matched again)."""
    pins: dict[int, str] = {}
    if not text.strip():
        return pins
    m = FRAME_SHAPE.match(text)
    if m:  # "??451a5f31be80:[??410080e53ab2]": only a frame line looks like this
        # (a screen whose first column is cut off shows "x451a5f31be80:[": the x and a digit)
        cut = m.group(1)[0] in "xX" and m.group(1)[1] in HEX_DIGITS
        for group, chars in (((1, "x") if cut else (1, "0x")), (3, ":["), (4, "0x")):
            for i, ch in enumerate(chars):
                pins[m.start(group) + i] = ch
        # a 64-bit frame pointer and IP have as many digits; "]" may be misread as a digit
        pointer = len(m.group(2)) + cut
        width = pointer if pointer >= 10 else len(m.group(5))
        pins[m.start(5) + width] = "]"
    for m in REGISTER_VALUE.finditer(text):
        pins[m.start(1)] = "="
        pins[m.start(2)] = "0"
        pins[m.start(2) + 1] = "x"
    for m in HEX_TOKEN.finditer(text):
        pins[m.start(1)] = "0"
        pins[m.start(2)] = "x"
    for m in HEADLINE_REGISTER.finditer(text):
        pins[m.start(1) if m.group(1) else m.start(2)] = "I" if m.group(1) else "S"
    for m in POLL_WORLD.finditer(text):
        pins[m.start(1)] = pins[m.start(1) + 1] = "l"
    m = TIMESTAMP.search(text)
    if m:
        pins[m.start(1)] = "T"
        pins[m.start(2)] = "Z"
    m = LOGEFI.search(text)
    if m:  # "In(14) LogEFI[" or "In(14) LogEFI:" (I and l look alike: left to the votes)
        pins[m.start(3)] = ")"
        if m.group(5) != ":":
            pins[m.start(5)] = "["
    m = FRAME_LINE.search(text)
    if m:
        pins[m.start(2)] = ":"
        pins[m.start(3)] = "["
        # 64-bit frame pointer and IP have the same number of digits: "]" follows the IP.
        width = len(m.group(1)) if len(m.group(1)) >= 10 else len(m.group(4))
        pins[m.start(4) + width] = "]"
    m = FRAME_OFFSET.search(text)
    if m:
        pins[m.start(1)] = "+"
    m = FRAME_TAIL.search(text)
    if m:
        for group, ch in enumerate("0x:0x", start=1):
            pins[m.start(group)] = ch
    m = STATE_LINE.match(text)
    if m:
        for i, ch in enumerate(m.group(1)):
            if ch in STATE_LETTERS or ch in "ISUVH":
                pins[m.start(1) + i] = STATE_LETTERS.get(ch, ch)
    # known text: where two words claim a cell, the closer match (then the longer word) wins
    claims: dict[int, tuple[float, int]] = {}
    for word, start, score in _known_words(text):
        for i, ch in enumerate(word):
            c = start + i
            if (score, len(word)) > claims.get(c, (0.0, 0)):
                claims[c] = (score, len(word))
                pins[c] = ch
    return pins


@dataclass(frozen=True)
class FontMatch:
    """How the screen's glyph clusters compare with the installed fonts' glyphs."""

    votes: list[dict[str, float]]  # per cluster
    font: str | None  # the screen's font, when one fits it closely
    fit: float
    cell_names: dict[int, str]  # per cell, when the font is known: its own glyph's name
    loose_names: dict[int, str]  # the same for cells only loosely like a glyph (faint, worn by JPEG)
    sure: bool  # the font fits so closely that its names need no other reader
    sharp: bool = False  # templates less blurred than the bluntest fit it best: no worn photo
    model: np.ndarray | None = None  # per cluster: the glyph model's probabilities (model.LABELS)
    model_votes: list[dict[str, float]] = field(default_factory=list)  # per cluster, from those
    model_fallback: bool = False  # its votes count only where no other reader's do (a photo)
    model_sure: bool = False  # a screenshot's cells the model names alone, without templates
    heights: np.ndarray | None = None  # per cluster: its glyph's height (see case.ink_heights)


def without_bleed(patches: np.ndarray) -> np.ndarray:
    """Cells without the thin slivers of their neighbours' ink along their left and right
    edges (blur spreads them in), which outweigh a small glyph such as '.' or ':'."""
    n, h, w = patches.shape
    if n == 0:
        return patches
    # one labelling for all: the cells stacked, a blank row between each and the next
    stack = np.zeros((n, h + 1, w), dtype=np.uint8)
    stack[:, :h] = patches >= BLEED_INK
    _, labels, stats, _ = cv2.connectedComponentsWithStats(stack.reshape(-1, w), connectivity=8)
    x, width = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_WIDTH]
    sliver = (width <= BLEED_WIDTH) & ((x == 0) | (x + width == w))
    sliver[0] = False  # the background
    cut = sliver[labels.reshape(n, h + 1, w)[:, :h]]
    return np.where(cut, np.zeros((), patches.dtype), patches)


def match_fonts(patches: np.ndarray, labels: np.ndarray, n_clusters: int, cell_w: int, shrunk: bool = False,
                small: np.ndarray | None = None, photo: bool = False) -> FontMatch:  # fmt: skip
    """Votes per cluster from installed console fonts' glyphs (see glyphs.py); when one font
    fits the whole screen, every cell is also named by that font alone, which tells apart
    glyphs too alike to be clustered apart (an ``l`` and an ``I`` one pixel apart).
    ``small``: the cells with far less ink than a glyph (see _cluster_cells)."""
    votes: list[dict[str, float]] = [{} for _ in range(n_clusters)]
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    # a neighbour's edge bleeding in outweighs a small glyph ('.', '_'): named without it
    clean = without_bleed(patches)
    members = np.zeros((n_clusters, len(clean)), np.float32)
    members[labels, np.arange(len(clean))] = 1.0 / counts[labels]
    means = (members @ clean.reshape(len(clean), -1)).reshape(n_clusters, *clean.shape[1:])
    model = glyph_probabilities(means)
    heights = ink_heights(means)
    model_votes = [{ch: MODEL_WEIGHT * float(p) * counts[k] for ch, p in zip(ALPHABET, model[k], strict=False)
                    if p >= MODEL_FLOOR} for k in range(n_clusters)]  # fmt: skip
    # (a screenshot's glyphs the model is sure of need no templates: they are the fallback)
    model_sure = not photo and _model_sure(model, labels) >= MODEL_SURE_CELLS
    if model_sure or glyph_bank(cell_w, (CELL_W, CELL_H)) is None:
        return FontMatch(votes, None, 0.0, {}, {}, False, model=model, model_votes=model_votes,
                         model_fallback=photo, model_sure=model_sure, heights=heights)  # fmt: skip
    scale = (CELL_W / cell_w, CELL_H / 16)
    centroids = centre_all(means)

    def fit(blur: float, fonts: np.ndarray | None = None):
        bank = glyph_bank(cell_w, (CELL_W, CELL_H), blur)
        sims = bank.similarity(centroids, scale, fonts)  # (clusters, fonts, chars)
        return bank, sims, (sims.max(axis=2) * counts[:, None]).sum(axis=0) / counts.sum()

    # Templates blurred as much as the screen is fit it best: a scaled, compressed '8' is more
    # like a sharp slashed '0' than a sharp '8', and a blurred photo fits no sharp font.
    fits = [fit(blur) for blur in TEMPLATE_BLURS]
    sharp_fit = fits[0][2]
    blunt = max(range(len(fits)), key=lambda i: float(fits[i][2].max()))
    bank, sims, font_fit = fits[blunt]
    sharp = blunt < len(fits) - 1  # no worn photo: the bluntest templates are not the best fit
    f = int(np.argmax(font_fit))
    # The screen is in font f when f fits clearly better than any font of another family; a
    # font merely like the screen's (ESXi's own is none of the installed ones) fits about as
    # well as other families do.
    others = bank.kinship[f] < KIN
    rival = float(font_fit[others].max()) if others.any() else 0.0
    identified = font_fit[f] >= FONT_MATCH and font_fit[f] - rival >= FONT_LEAD
    # Sure only on a sharp picture: a font that is not the screen's can still lead the others
    # (X11 Fixed against Terminus), but it does not fit a crisp screen closely.
    sure = identified and sharp_fit[f] >= (FONT_EXACT if shrunk else FONT_SURE)
    # The screen's font and its variants (ESXi draws Terminus with a dotted zero) name the glyphs.
    variants = bank.kinship[f] >= VARIANT
    if not identified:
        bank, sims, font_fit = fits[0]
    table = sims[:, variants].max(axis=1) if identified else sims.max(axis=1)
    if identified:
        # not sure on a crisp screen: as likely another font of its family (X11 Fixed for Terminus)
        unsure = IDENTIFIED_WEIGHT if sharp else BLURRED_WEIGHT
        weight, margin = (SURE_WEIGHT if sure else unsure), FONT_MARGIN
    else:
        weight, margin = TEMPLATE_WEIGHT, TEMPLATE_MARGIN
    for k, (c1, c2) in enumerate(np.argsort(-table, axis=1)[:, :2]):
        strength = min(1.0, float(table[k, c1] - table[k, c2]) / margin)
        if strength > 0 and table[k, c1] >= GLYPH_LIKE:
            votes[k][ALPHABET[c1]] = weight * strength * counts[k]
    cell_names: dict[int, str] = {}
    loose_names: dict[int, str] = {}
    if sure:
        # A cell may differ from its cluster's name only among the glyphs closest to the
        # cluster's shape: it splits near-twins the clustering merged, nothing more.
        near = np.argsort(-table, axis=1)[:, :SIBLINGS]
        own = bank.similarity(clean, scale, variants).max(axis=1)
        if small is not None and small.any():
            # A small mark spreads more under a scaler or JPEG than the letters do: a '.' is
            # then more like the screen's ',' than its '.', but not like a '.' as blurred.
            centred = centre_all(clean[small])
            banks = [glyph_bank(cell_w, (CELL_W, CELL_H), blur) for blur in TEMPLATE_BLURS]
            own[small] = np.max([b.similarity(centred, scale, variants).max(axis=1) for b in banks], axis=0)
        for i, c1 in _named(own, near, labels, LOOSE_MATCH):
            (cell_names if own[i, c1] >= CELL_MATCH else loose_names)[i] = ALPHABET[c1]
    return FontMatch(votes, bank.fonts[f] if identified else None, float(font_fit[f]), cell_names,
                     loose_names, sure, sharp, model, model_votes, photo, heights=heights)  # fmt: skip


def _named(own: np.ndarray, near: np.ndarray, labels: np.ndarray, least: float):
    """Cells whose best glyph is at least ``least`` alike, clearly the best, and among the
    closest glyphs of their cluster: (cell, glyph)."""
    top2 = np.argsort(-own, axis=1)[:, :2]
    for i, (c1, c2) in enumerate(top2):
        if own[i, c1] >= least and own[i, c1] - own[i, c2] >= CELL_MARGIN and c1 in near[labels[i]]:
            yield i, int(c1)


def _cluster_votes(labels, index, tess_votes, pins, fonts: FontMatch, screen=None) -> Votes:
    """Per cluster, each character's votes: the fonts' and the glyph model's (in a photo, the
    model's only where no other reader speaks), Tesseract's readings of its cells, the screen's
    own glyphs (``screen``, see screen_votes) and the grammar's pins. A pinned letter is pinned
    as a letter, not as a case: a known word ("heartbeat") may stand capitalised, so its pin
    goes to the case the readers prefer."""
    cluster_votes = [dict(v) for v in fonts.votes]
    for k, extra in enumerate(screen or ()):
        _add(cluster_votes[k], extra)
    for cell, i in index.items():
        _add(cluster_votes[labels[i]], tess_votes.get(cell, {}))
    for k, extra in enumerate(fonts.model_votes):
        if not fonts.model_fallback or not any(v > 0 for v in cluster_votes[k].values()):
            _add(cluster_votes[k], extra)
    read = [dict(v) for v in cluster_votes]
    for cell, i in index.items():
        if cell in pins:
            _add(cluster_votes[labels[i]], {_readers_case(pins[cell], read[labels[i]]): PIN_WEIGHT})
    return cluster_votes


def _readers_case(ch: str, votes: dict[str, float]) -> str:
    """A letter in the case its cluster's votes prefer; any other character as it is."""
    return ch.swapcase() if ch.isalpha() and votes.get(ch.swapcase(), 0.0) > votes.get(ch, 0.0) else ch


def _fair(votes: dict[str, float]) -> list[str]:
    """The names with a fair share (CONTEXT_SHARE) of the top name's votes."""
    top = max(votes.values(), default=0.0)
    return [ch for ch, w in votes.items() if w > 0 and w >= CONTEXT_SHARE * top]


def _add(votes: dict[str, float], extra: dict[str, float]) -> None:
    for ch, weight in extra.items():
        votes[ch] = votes.get(ch, 0.0) + weight


def screen_votes(
    vectors: np.ndarray, labels: np.ndarray, cluster_votes: Votes, font_votes: Votes = (),
    sharp: bool = False,
) -> Votes:
    """Votes from the screen's own glyphs. The clusters whose name the readers agree on show
    how this screen draws those characters, blurred and compressed as every other cell is:
    a cluster too small or too worn for the readers to agree on is named by the one of them
    it is clearly most like, which tells an '8' from a '0' where no sharp template can."""
    n_clusters = len(cluster_votes)
    counts = np.bincount(labels, minlength=n_clusters)
    sums: dict[str, np.ndarray] = {}
    sizes: Counter = Counter()
    for k, votes in enumerate(cluster_votes):
        total = sum(votes.values())
        if total <= 0:
            continue
        ch = max(votes, key=votes.get)
        if votes[ch] >= AGREED * total:
            sums[ch] = sums.get(ch, 0.0) + vectors[labels == k].sum(axis=0)
            sizes[ch] += int(counts[k])
    chars = [ch for ch in sums if sizes[ch] >= OWN_GLYPH_CELLS]
    out: Votes = [{} for _ in range(n_clusters)]
    if len(chars) < 2:
        return out
    templates = np.stack([sums[ch] for ch in chars])
    templates /= np.linalg.norm(templates, axis=1, keepdims=True) + 1e-9
    centroids = np.stack([vectors[labels == k].mean(axis=0) for k in range(n_clusters)])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-9
    sims = centroids @ templates.T
    order = np.argsort(-sims, axis=1)
    between = templates @ templates.T
    for k in range(n_clusters):
        top, runner = order[k, 0], order[k, 1]
        if sharp:
            # On a crisp screen the margin is over the characters it draws unlike the best one
            # (where its I and l are one shape, a cluster like both is still clearly no 1).
            runner = next((j for j in order[k, 1:] if between[top, j] < TWIN_GLYPHS), None)
            if runner is None:
                continue
        # Two glyphs the screen draws much alike (blurred for clustering, an l and a 1; on a
        # blurred photo, its o and n) need less of one; not twins on a worn screen, which it
        # cannot tell apart at all (an I and an l).
        margin = OWN_GLYPH_MARGIN
        if sharp or between[top, runner] < TWIN_GLYPHS:
            margin = min(margin, OWN_GLYPH_SHARE * (1 - between[top, runner]))
        best, second = sims[k, top], sims[k, runner]
        # the fonts' or the readers' name for it, when the screen shows no agreed glyph of that
        # character to compare with: the screen's glyphs cannot speak against it
        named = {max(v, key=v.get) for v in (font_votes[k] if k < len(font_votes) else {},
                                             cluster_votes[k]) if v}  # fmt: skip
        if not named <= set(chars):
            continue
        if best >= OWN_GLYPH_LIKE and best - second >= margin:
            out[k][chars[top]] = OWN_GLYPH_WEIGHT * float(counts[k])
            continue
        # A cluster the readers split between two names is not the first when it is clearly
        # unlike the screen's agreed glyph of it (a blurred '8' the templates take for a '0',
        # next to the screen's own '0'): that name's votes are taken back. Not when it is even
        # less like the second's agreed glyph: a glyph's variants scaled apart are alike too.
        votes = cluster_votes[k]
        ranked = sorted(votes, key=votes.get, reverse=True)
        if len(ranked) < 2 or ranked[0] not in chars:
            continue
        name, other = ranked[0], ranked[1]
        own = sims[k, chars.index(name)]
        split = votes[name] < AGREED * sum(votes.values()) and votes[other] >= SPLIT * votes[name]
        if split and own < UNLIKE_OWN and (other not in chars or sims[k, chars.index(other)] > own):
            out[k][name] = -votes[name]
    return out


def _name_cells(labels, index, tess_votes, pins, n_clusters, shape, faint, fonts: FontMatch,
                screen=None, hex_cells=frozenset()):  # fmt: skip
    """Each cluster takes the character with the most votes among its cells; a cell its own
    font glyph names differently keeps that name. Also each cell's share of its cluster's votes
    (1 where the grammar or the screen's font settled it), and the cluster's shares per name for
    the cells with less than CERTAIN."""
    cluster_votes = _cluster_votes(labels, index, tess_votes, pins, fonts, screen)
    names = [max(v, key=v.get) if v else None for v in cluster_votes]
    # a glyph the grammar pins one way wherever it is pinned is that character: its cells are
    # not named by a font's glyph, which may be a look-alike in a font that is not the screen's
    settled = np.zeros(n_clusters, dtype=bool)
    tally: dict[int, Counter] = {}
    for cell, ch in pins.items():
        if cell in index:
            tally.setdefault(int(labels[index[cell]]), Counter())[ch] += 1
    for k, counts in tally.items():
        ch, n = counts.most_common(1)[0]
        if n >= SETTLED_PINS and n >= SETTLED_SHARE * counts.total():
            names[k], settled[k] = _readers_case(ch, cluster_votes[k]), True
    # a glyph seen (almost) only inside 0x numbers is a hex digit: the best voted one
    in_hex = np.bincount([labels[index[cell]] for cell in hex_cells if cell in index], minlength=n_clusters)
    for k in np.flatnonzero(in_hex >= HEX_SHARE * np.bincount(labels, minlength=n_clusters)):
        if names[k] in HEX_DIGITS or settled[k]:
            continue
        # a misreading OCR is known for ('S' for 5) says which digit; else the votes do
        names[k] = _hex_name(names[k], cluster_votes[k], share=0.0) or names[k]
    _settle_by_context(names, cluster_votes, settled, labels, index)
    grid_chars = np.full(shape, " ", dtype="<U1")
    sure = np.ones(shape)
    shares = [_share(votes, name) for votes, name in zip(cluster_votes, names, strict=True)]
    twins: dict[tuple[int, int], dict[str, float]] = {}
    for (r, c), i in index.items():
        own = not settled[labels[i]] and fonts.cell_names.get(i)
        name = own or names[labels[i]]
        if fonts.sure and faint[i] and i not in fonts.cell_names:
            # a blurred '.' or '_' beside text, or a smudge: the font has no glyph like it, or
            # it stands alone on the screen
            alone = (r, c - 1) not in index and (r, c + 1) not in index
            name = " " if alone else fonts.loose_names.get(i, " ")
        elif name is None:  # no reader named its cluster: its own reading, else its font glyph
            own = tess_votes.get((r, c))
            loose = fonts.loose_names.get(i) or (UNREAD if not faint[i] else " ")
            name = max(own, key=own.get) if own else loose
        if (r, c) in hex_cells and name not in HEX_DIGITS and not settled[labels[i]]:
            # a cluster that holds two glyphs a blur made alike (8 and #): in a 0x number, the
            # digit among its names
            name = _hex_name(name, cluster_votes[labels[i]]) or name
        # The grammar settles what a look-alike glyph (or fixed punctuation) was; not a
        # letter's case, which a console font draws at two sizes ("successful", "Successful").
        pinned = pins.get((r, c))
        if (pinned and name and (name in lookalikes().get(pinned, "") or pinned in FIXED_PUNCTUATION)
                and (name.swapcase() != pinned or pinned in "xX")):  # fmt: skip
            name = pinned
        grid_chars[r, c] = name
        if not (settled[labels[i]] or name == pinned or own or name not in TWIN_LETTERS):
            twins[(r, c)] = cluster_votes[labels[i]]
        if not (settled[labels[i]] or name == pinned or (own and fonts.sure)):
            # (as sure as its cluster's vote was: a digit the grammar put for a look-alike
            # the cluster was voted, 5 for S, is as sure as that vote)
            sure[r, c] = shares[labels[i]]
    _twins_by_context(grid_chars, twins)
    totals = [sum(max(w, 0.0) for w in v.values()) for v in cluster_votes]
    dists = [{ch: w / t for ch, w in v.items() if w > 0} for v, t in zip(cluster_votes, totals, strict=True)]
    odds = {(r, c): dists[labels[i]] for (r, c), i in index.items() if sure[r, c] < CERTAIN}
    return _drop_stray_marks(grid_chars), sure, odds


def _twins_by_context(grid_chars: np.ndarray, twins: dict[tuple[int, int], dict[str, float]]) -> None:
    """A letter a font draws nearly as another (ESXi's I and l, scaled) is, cell by cell, the
    one of the two its cluster's readers gave votes that fits between its neighbours (``PCI``,
    ``Intel``, ``received``): one cluster may hold copies of both."""
    for (r, c), votes in twins.items():
        # (between the names with a fair share of the top one's votes, as for a mark)
        names = [ch for ch in _fair(votes) if ch in TWIN_LETTERS]
        if len(names) < 2:
            continue
        around = [(grid_chars[r, c - 1] if c > 0 else " ",
                   grid_chars[r, c + 1] if c + 1 < grid_chars.shape[1] else " ")]  # fmt: skip
        grid_chars[r, c] = max(names, key=lambda ch: math.log(votes[ch]) + context.fit(ch, around))


def _share(votes: dict[str, float], name: str | None) -> float:
    """How sure the readers together are of a cluster's name: its share of the cluster's votes."""
    total = sum(max(v, 0.0) for v in votes.values())
    return max(votes.get(name, 0.0), 0.0) / total if total > 0 else 0.0


def _settle_by_context(names: list, cluster_votes: Votes, settled: np.ndarray, labels, index) -> None:
    """A mark the readers split between names ('+' and '-', '}' and ')') takes the one that
    fits where its copies stand (see context.py); letters and digits, and which glyph is a
    mark at all, are left to the words and numbers around them."""
    cells_of: dict[int, list[tuple[int, int]]] = {}
    for (r, c), i in index.items():
        cells_of.setdefault(int(labels[i]), []).append((r, c))

    def name_at(r: int, c: int) -> str | None:
        i = index.get((r, c))
        return " " if i is None else names[labels[i]]

    for k, votes in enumerate(cluster_votes):
        if settled[k] or names[k] not in votes or names[k].isalnum() or not cells_of.get(k):
            continue
        # (a mark no PSOD prints, such as a held-out font's A taken for '&', may be a letter)
        unprinted = not context.printed(names[k])
        candidates = [ch for ch in _fair(votes) if unprinted or not ch.isalnum()]
        if len(candidates) < 2:
            continue
        around = [(name_at(r, c - 1), name_at(r, c + 1)) for r, c in cells_of[k]]
        # the votes' odds against how well each fits, per copy: a large glyph is not outvoted
        # by its count of neighbours
        names[k] = max(candidates, key=lambda ch: math.log(votes[ch]) + context.fit(ch, around) / len(around))


def _hex_name(name: str | None, votes: dict[str, float], share: float = HEX_CONTEXT) -> str | None:
    """The hex digit a glyph read as ``name`` is, inside a 0x number: the one OCR is known to
    misread as it, else the best voted digit if it has ``share`` of the top vote."""
    if name in hex_misreads():
        return hex_misreads()[name]
    digits = {ch: w for ch, w in votes.items() if ch in HEX_DIGITS}
    if not digits:
        return None
    best = max(digits, key=digits.get)
    return best if digits[best] >= share * max(votes.values()) else None


SPECK = re.compile(r"[`'^~.,_\-:;\"]")
SPECK_GAP = 3  # blank columns either side of a speck


def _drop_stray_marks(grid_chars: np.ndarray) -> np.ndarray:
    """An unreadable cell with no readable text beside it is a speck (moire, glare, a smudge
    on the glass), not a character: it becomes a space. Beside text it is shown as '?'. A dot,
    tick or dash with no text within SPECK_GAP columns is a speck too."""
    rows = ["".join(row) for row in grid_chars]
    for r, row in enumerate(rows):
        for m in re.finditer(f"{UNREAD}+", row):
            near = row[max(0, m.start() - 1) : m.start()] + row[m.end() : m.end() + 1]
            grid_chars[r, m.start() : m.end()] = " " if not near.strip() else "?"
        for m in SPECK.finditer(row):  # a console prints no lone mark
            near = row[max(0, m.start() - SPECK_GAP) : m.start()] + row[m.end() : m.end() + SPECK_GAP]
            if not near.strip():
                grid_chars[r, m.start()] = " "
    return grid_chars


def _two_means(x: np.ndarray, seeds: np.ndarray) -> tuple[float, np.ndarray] | None:
    """Cells split by two-means from the centre and each of ``seeds`` at once: the widest
    empty gap between two groups against their spread, and which cells form the second
    group; None when every seed's split leaves fewer than TWIN_MIN cells on a side."""
    centre = x.mean(axis=0)
    first = np.repeat(centre[None], len(seeds), axis=0)
    second = seeds.astype(x.dtype)
    alive = np.ones(len(seeds), dtype=bool)
    for _ in range(5):
        # nearer the second seed than the first (the squared distances' difference, expanded)
        other = x @ (second - first).T > ((second * second).sum(axis=1) - (first * first).sum(axis=1)) / 2
        n_other = other.sum(axis=0)
        alive &= (n_other >= TWIN_MIN) & (n_other <= len(x) - TWIN_MIN)
        if not alive.any():
            return None
        both = np.maximum(n_other, 1)[:, None], np.maximum(len(x) - n_other, 1)[:, None]
        second = (other.T.astype(x.dtype) @ x) / both[0]
        first = ((~other).T.astype(x.dtype) @ x) / both[1]
    best = None
    for k in np.flatnonzero(alive):
        axis = (second[k] - first[k]) / (np.linalg.norm(second[k] - first[k]) + 1e-9)
        mine = other[:, k]
        one, two = x[~mine] @ axis, x[mine] @ axis
        within = np.sqrt((one.var() * len(one) + two.var() * len(two)) / len(x))
        gap = float((two.min() - one.max()) / max(within, 1e-3))
        if best is None or gap > best[0]:
            best = (gap, mine)
    return best


def split_twins(vectors: np.ndarray, labels: np.ndarray, gap: float = TWIN_GAP) -> np.ndarray:
    """Split clusters that hold two glyphs a few pixels apart (ESXi's dotted 0 and its 8):
    seeded from the cells least like the rest, two glyphs fall into two groups with an empty
    gap between them, where cells of one glyph, however noisy, spread evenly."""
    labels = labels.copy()
    next_label = int(labels.max()) + 1
    todo = [(k, TWIN_MIN) for k in range(next_label)]
    while todo:
        k, least = todo.pop()
        members = np.flatnonzero(labels == k)
        if len(members) < 2 * least:
            continue
        x = vectors[members]
        far = np.argsort(-np.linalg.norm(x - x.mean(axis=0), axis=1))[:TWIN_SEEDS]
        found = _two_means(x, x[far])
        if found is not None and found[0] > gap and least <= found[1].sum() <= len(members) - least:
            labels[members[found[1]]] = next_label
            # either part may hold two glyphs still (ESXi's l, I and 1), if both are common
            todo += [(k, TWIN_AGAIN), (next_label, TWIN_AGAIN)]
            next_label += 1
    return labels


def _cluster_cells(cells: np.ndarray):
    """The cells with ink, and which of them show the same glyph."""
    rows, cols = cells.shape[:2]
    # ink only at a cell's left or right edge bleeds from its neighbours: a space
    peak = cells[:, :, :, 1:-1].reshape(rows, cols, -1).max(axis=2)
    specks = SPECKS * float(np.percentile(peak, DIMMEST))
    where = np.argwhere(peak >= np.clip(specks, BLANK_INK, SPECKS * BLANK_INK))
    if not len(where):
        return None
    patches = cells[where[:, 0], where[:, 1]]
    # A cell with far less ink than a glyph and no reading is noise in a space, not a glyph.
    mass = patches.reshape(len(patches), -1).sum(axis=1)
    faint = mass < 0.35 * float(np.median(mass))
    # a grid off the console's (a pitch found at a multiple of the rows') cuts through glyphs:
    # nearly every cell its own shape
    limit = min(MAX_CLUSTERS, max(MIN_CLUSTER_LIMIT, round(MAX_CLUSTER_SHARE * len(patches))))
    for same, blur in zip(SAME_GLYPHS, (0.5, 0.8, 1.1), strict=True):
        vectors = _normalise(blur_each(patches, blur))
        labels = cluster(vectors, same, limit)
        if labels is not None:
            return cells, where, patches, faint, labels, vectors
    return None


@dataclass(frozen=True, eq=False)  # holds arrays
class CutCells:
    """The screen cut into cells, its glyph clusters and how installed fonts name them: all
    that does not depend on Tesseract's reading."""

    grid: Grid  # with the pitch and phase found on the ink
    shape: tuple[int, int]  # rows, columns
    index: dict[tuple[int, int], int]  # (row, column) of each cell with ink -> its number
    faint: np.ndarray
    labels: np.ndarray
    fonts: FontMatch
    vectors: np.ndarray  # per cell, as clustered (blurred, unit length)


_last_cut: list[tuple[np.ndarray, tuple, CutCells | None]] = []


def _blank_margins(ink: np.ndarray, pad: int) -> np.ndarray:
    """The ``pad`` beyond the screen's left and right sides where glyphs reach that edge (a
    cut-off first column), blank elsewhere: there it shows what surrounds the screen (a
    window frame, a bezel), and a row cut at the top or bottom edge is a rare loss."""
    if pad <= 0:
        return ink
    h, w = ink.shape
    inner = ink[pad : h - pad, pad : w - pad]
    level = EDGE_INK * float(inner.mean())
    out = ink.copy()
    out[:pad] = 0
    out[h - pad :] = 0
    if inner[:, :2].mean() < level:
        out[:, :pad] = 0
    if inner[:, -2:].mean() < level:
        out[:, w - pad :] = 0
    return out


def cut_cells(
    flat_rgb: np.ndarray, grid: Grid, pitch: float, pad: int = 0, native: bool = False
) -> CutCells | None:
    """Cut, cluster and match fonts once per picture: a screen is read with and without
    Tesseract's words (capture.read_screen), and only the naming differs."""
    if _last_cut and _last_cut[0][0] is flat_rgb and _last_cut[0][1] == (grid, pitch, pad, native):
        return _last_cut[0][2]
    # (lit as found, not flattened row by row as for Tesseract: the glyph clusters of a real
    # photo's dense text came out worse)
    ink = text_channel(flat_rgb)
    inner = ink[pad : ink.shape[0] - pad, pad : ink.shape[1] - pad]
    level = float(np.percentile(inner[inner > 0], 99.5)) if np.any(inner > 0) else 1.0
    # without an annotation box's lines, which cross the glyphs of the rows they pass
    ink = without_lines(_blank_margins(np.clip(ink / max(level, 1.0), 0, 1).astype(np.float32), pad))
    inner = ink[pad : ink.shape[0] - pad, pad : ink.shape[1] - pad]
    col_pitch, _ = fit_period(inner.sum(axis=0), pitch, spread=PITCH_SPREAD)
    # (the rows' pitch too, when not the whole console's height gave it)
    whole = (grid.cols, grid.rows) in CONSOLE_SIZES
    row_pitch, top = fit_period(inner.sum(axis=1), grid.row_pitch, spread=0.0 if whole else ROW_SPREAD)
    # font pixels per cell: 8 on ESXi's 128-column console (however the panel stretches it),
    # 9 in the 80-column text mode
    if grid.cols:
        cell_w = 9 if abs(grid.cols - 80) <= 1 else 8
    else:
        cell_w = 9 if col_pitch / row_pitch > 8.5 / 16 else 8
    # Two ways to place the cuts between columns; the one whose cells fall into fewer distinct
    # shapes cut the glyphs cleanly (a cut through a glyph multiplies its variants) ...
    # ... at the pitch the ink folds best at and, when that drifts from the one found by
    # more than a pixel across the screen, at that one too (the fold is a noisy measure)
    # ... and on a photo, also with every glyph moved to where one grid has it (a lens bends
    # the rows, a screen's outline found a little off skews them)
    inks = [ink]
    if not native and (bent := straighten(ink, row_pitch, col_pitch, top + pad)) is not ink:
        inks.append(bent)
    pitches = [col_pitch]
    if grid.cols and abs(col_pitch - pitch) * grid.cols > DRIFT_PX:
        pitches.append(pitch)
    tries = []
    for each_ink in inks:
        profile = each_ink[pad : ink.shape[0] - pad, pad : ink.shape[1] - pad].sum(axis=0)
        for each in pitches:
            for start in (near_zero(ink_cut(profile, each), each), near_zero(gap_cut(profile, each), each)):
                g = Grid(row_pitch, each, grid.rows, grid.cols, top, start)
                found = _cluster_cells(sample_cells(each_ink, g, each, start, pad))
                if found is not None:
                    tries.append((1.0, g, found))
    h, w = inner.shape
    if (native and (grid.cols, grid.rows) in CONSOLE_SIZES
            and (w, h) != (grid.cols * cell_w, grid.rows * FONT_H)):  # fmt: skip
        # ... and a screenshot's own pixels may be its framebuffer's, scaled by repeats (not
        # when it is the framebuffer's own size: there is nothing to undo)
        g = Grid(h / grid.rows, w / grid.cols, grid.rows, grid.cols, 0.0, 0.0)
        found = [f for shift in REPEATS if (f := _cluster_cells(sample_native(ink, g, cell_w, pad, shift)))]
        if found:
            tries.append((NATIVE_LEAD, g, min(found, key=lambda f: int(f[4].max()))))
        if w < grid.cols * cell_w or h < grid.rows * FONT_H:
            # ... or shrunk by dropping pixels (on one axis, or both)
            shrunk = unshrink(inner, grid.rows, grid.cols, cell_w, FONT_H)
            cells = None if shrunk is None else framebuffer_cells(shrunk.framebuffer, grid.rows, grid.cols)
            if cells is not None and (found := _cluster_cells(cells)):
                y, x = shrunk.y, shrunk.x
                g = Grid(y.scaled / grid.rows, x.scaled / grid.cols, grid.rows, grid.cols,
                         float(y.origin), float(x.origin))  # fmt: skip
                tries.append((NATIVE_LEAD, g, found))
    # (the framebuffer's pixels when they give clearly fewer: a smoothly scaled screen's give
    # about as many, sampled rather than averaged)
    tries.sort(key=lambda t: (int(t[2][4].max()) + 1) / t[0])
    cut = None
    for _, g, (cells, where, patches, faint, labels, vectors) in tries[:FONT_TRIES]:
        labels = split_twins(vectors, labels, TWIN_GAP if native else TWIN_GAP_PHOTO)
        # (a screen shrunk below the font's pixels lost some: unless the cells are its font's
        # own, its glyphs no longer tell alike characters apart, whatever font fits them)
        shrunk = g.row_pitch < SHRUNK * FONT_H
        fonts = match_fonts(patches, labels, int(labels.max()) + 1, cell_w, shrunk, faint, photo=not native)
        index = {(int(r), int(c)): i for i, (r, c) in enumerate(where)}
        this = CutCells(g, cells.shape[:2], index, faint, labels, fonts, vectors)
        # ... unless a font fits the other one's glyphs clearly better: on a stretched panel a
        # cut one font pixel off can also give fewer shapes
        if cut is None or (fonts.font is not None and fonts.fit > cut.fonts.fit + CUT_FIT_LEAD):
            cut = this
        # (in a screenshot, also when the glyph model is sure of nearly every cell's glyph)
        if cut.fonts.sure or (cut is this and fonts.model_sure):
            break
    _last_cut[:] = [(flat_rgb, (grid, pitch, pad, native), cut)]
    return cut


def _model_sure(model: np.ndarray | None, labels: np.ndarray) -> float:
    """The share of the cells whose cluster the glyph model gives one character CERTAIN of."""
    if model is None or not len(labels):
        return 0.0
    return float((model.max(axis=1)[labels] >= CERTAIN).mean())


def read_cells(
    flat_rgb: np.ndarray, grid: Grid, words: list[Word], scale: float, pad: int = 0,
    read: list[Span] | None = None, guess: tuple[str, ...] = (), native: bool = False,
) -> CellReading | None:
    """Read the grid; ``words`` (Tesseract's) may be empty when the grid's pitch is known.
    ``flat_rgb`` may reach ``pad`` pixels beyond the screen on each side (see sample_cells);
    ``native``: it is a screenshot's own pixels (see sample_native)."""
    pitch = cell_pitch(words, scale, grid)
    cut = cut_cells(flat_rgb, grid, pitch, pad, native) if pitch is not None else None
    if cut is None:
        return None
    index, fonts, n_clusters = cut.index, cut.fonts, int(cut.labels.max()) + 1
    tess_votes: dict[tuple[int, int], dict[str, float]] = {}
    for r, c, ch, weight in _word_cells(words, scale, cut.grid, cut.grid.col_pitch, cut.grid.left, guess):
        if (r, c) in index:
            tess_votes.setdefault((r, c), {})
            tess_votes[(r, c)][ch] = tess_votes[(r, c)].get(ch, 0.0) + weight
    if read is not None:  # Tesseract read a sample of each glyph's cells: it speaks for all
        cell_labels = cut.labels[list(index.values())]
        seen = {(r, c) for r, a, b in read for c in range(a, b)}
        shown = [cell in seen for cell in index]
        factor = (np.bincount(cell_labels, minlength=n_clusters)
                  / np.maximum(np.bincount(cell_labels[shown], minlength=n_clusters), 1))  # fmt: skip
        tess_votes = {cell: {ch: w * float(factor[cut.labels[index[cell]]]) for ch, w in votes.items()}
                      for cell, votes in tess_votes.items()}  # fmt: skip

    def settle(grammar: tuple[dict, frozenset], screen: Votes | None):
        """Name the clusters, find what the grammar fixes in the result (pins, the digits of 0x
        numbers), rename, until that stays the same."""
        for _ in range(NAMING_ROUNDS):
            pins, hex_cells = grammar
            grid_chars, sure, odds = _name_cells(cut.labels, index, tess_votes, pins, n_clusters, cut.shape,
                                                 cut.faint, fonts, screen, hex_cells)  # fmt: skip
            texts = ["".join(row) for row in grid_chars]
            grammar = (_pins(texts), _hex_cells(texts))
            if grammar == (pins, hex_cells):
                break
        return grid_chars, sure, odds, grammar

    grid_chars, _, _, grammar = settle(({}, frozenset()), None)
    # then again with the screen's own glyphs of the characters named so far
    agreed = _cluster_votes(cut.labels, index, tess_votes, grammar[0], fonts)
    screen = screen_votes(cut.vectors, cut.labels, agreed, fonts.votes, fonts.sharp)
    if fonts.heights is not None:
        counts = np.bincount(cut.labels, minlength=n_clusters)
        for k, extra in enumerate(case_votes(fonts.heights, counts, agreed)):
            _add(screen[k], extra)
    grid_chars, sure, odds, (pins, _) = settle(grammar, screen)
    grid_rows = tuple("".join(row) for row in grid_chars)
    rows = [row.rstrip() for row in grid_rows]
    shown = grid_chars != " "
    doubt = (sure < DOUBT) & shown
    doubtful = in_lines({(int(r), int(c)): True for r, c in np.argwhere(doubt)}, rows, cut.shape[1])
    decoded = decode(unwrap_rows(rows, cut.shape[1]), in_lines(odds, rows, cut.shape[1]), hex_misreads(),
                     frozenset(doubtful))
    texts = list(decoded.lines)
    # (in a screenshot: in a photo the readers split their votes over a worn glyph's copies, and
    # the share of its name says little of whether it is right)
    return CellReading(rows=tuple(texts), clusters=n_clusters, cells=len(index), pinned=len(pins),
                       marked=tuple(mark_doubtful(texts, decoded.doubtful if native else frozenset())),
                       certain=float((sure[shown] >= CERTAIN).mean()) if shown.any() else 0.0,
                       misspelt=misspelt(texts),
                       font=fonts.font, font_fit=round(fonts.fit, 3), font_sure=fonts.sure,
                       font_named=len(fonts.cell_names) / max(1, len(index)), cut=cut,
                       grid_rows=grid_rows, settled=decoded.settled)  # fmt: skip


Span = tuple[int, int, int]  # row, first column, column after the last


def _pieces(cut: CutCells) -> dict[Span, set[int]]:
    """Each row's text split where PIECE_GAP or more columns are blank, with its clusters."""
    pieces: dict[Span, set[int]] = {}
    by_row: dict[int, list[int]] = {}
    for r, c in cut.index:
        by_row.setdefault(r, []).append(c)
    for r, cols in by_row.items():
        cols.sort()
        start = cols[0]
        for a, b in zip(cols, [*cols[1:], None], strict=True):
            if b is None or b - a > PIECE_GAP:
                pieces[(r, start, a + 1)] = {int(cut.labels[cut.index[(r, c)]]) for c in cols
                                              if start <= c <= a}  # fmt: skip
                start = b
    return pieces


def teaching_spans(cut: CutCells, screenshot: bool = False) -> list[Span]:
    """Pieces of rows that between them show every common glyph TEACH_ROWS times (or in all
    its pieces), and the first rows whole: Tesseract's time grows with the text it reads, and
    once it has named a glyph in a few places the grid names the glyph's other copies."""
    pieces = _pieces(cut)
    counts = np.bincount(cut.labels)
    common = counts >= TEACH_MIN
    # on a clean screen the glyphs with few cells among text are rare characters (a held-out
    # font's W), not a blurred glyph's variants: Tesseract reads those too (not a lone speck)
    rare_too = np.mean(~common) <= CLEAN_RARE
    need = Counter(k for labels in pieces.values() if any(common[k] for k in labels)
                   for k in labels if common[k] or rare_too)  # fmt: skip
    need = Counter({k: min(TEACH_ROWS, n) for k, n in need.items()})
    chosen: set[Span] = set()
    # (fewer when an installed font is like the screen's: its glyphs name most cells; 200
    # KVM captures of the accuracy benchmark: two symbols fewer, the slowest 10% faster)
    budget = (TEACH_CHARS_FONT if cut.fonts.font else TEACH_CHARS) if screenshot else math.inf

    def take(span: Span) -> None:
        nonlocal budget
        chosen.add(span)
        budget -= span[2] - span[1]
        need.subtract(k for k in pieces[span] if need[k] > 0)

    top = sorted({r for r, _, _ in pieces})[:TEACH_TOP]
    for span in [s for s in pieces if s[0] in top]:
        take(span)
    while +need and budget > 0:  # the piece that teaches most per character Tesseract must read
        take(max((s for s in pieces if s not in chosen),
                 key=lambda s: sum(need[k] > 0 for k in pieces[s]) / (s[2] - s[1] + PIECE_COST)))  # fmt: skip
    return sorted(chosen)


def unread_spans(grid_rows: tuple[str, ...]) -> list[Span]:
    """Pieces of rows around the cells left unread ('?'), each with a few columns of its word
    either side (Tesseract reads a glyph better within a word): the ones with the most unread
    cells per character first, up to UNREAD_CHARS characters."""
    spans: list[tuple[int, Span]] = []
    for r, row in enumerate(grid_rows):
        for m in re.finditer(r"\?+", row):
            a, b = max(0, m.start() - UNREAD_CONTEXT), min(len(row), m.end() + UNREAD_CONTEXT)
            if spans and spans[-1][1][0] == r and spans[-1][1][2] >= a:  # overlaps the last
                n, (_, a, _) = spans.pop()
                spans.append((n + m.end() - m.start(), (r, a, b)))
            else:
                spans.append((m.end() - m.start(), (r, a, b)))
    spans.sort(key=lambda t: -t[0] / (t[1][2] - t[1][1]))
    chosen, budget = [], UNREAD_CHARS
    for _, span in spans:
        if budget <= 0:
            break
        chosen.append(span)
        budget -= span[2] - span[1]
    return sorted(chosen)


def unwrap_plan(rows: list[str], cols: int) -> list[tuple[int, int]]:
    """Where each row goes when the console's hard wraps are joined again: (line, column of its
    first character). A row joins the one before when that reaches the console's last column
    (or the one before it: the last may hold a space) and it does not start a line of its own,
    as the parser judges."""
    width = next((w for w in (128, 80) if abs(cols - w) <= 1), None)
    plan: list[tuple[int, int]] = []
    line, end, joining = -1, 0, False
    for row in rows:
        if joining and not is_record_start(row):
            start = end + (-end % width)
        else:
            line, start = line + 1, 0
        plan.append((line, start))
        end = start + len(row)
        joining = width is not None and len(row) >= width - 1
    return plan


def unwrap_rows(rows: list[str], cols: int) -> list[str]:
    """The rows with the console's hard wraps joined again (see unwrap_plan); trailing blank
    lines dropped."""
    out: list[str] = []
    for row, (line, start) in zip(rows, unwrap_plan(rows, cols), strict=True):
        if line == len(out):
            out.append(row)
        else:
            out[line] += " " * (start - len(out[line])) + row
    while out and not out[-1].strip():
        out.pop()
    return out


def in_lines(by_cell: dict[tuple[int, int], T], rows: list[str], cols: int) -> dict[tuple[int, int], T]:
    """Values kept by grid cell, kept by (line, column) of unwrap_rows(rows, cols)."""
    plan = unwrap_plan(rows, cols)
    return {(plan[r][0], plan[r][1] + c): v for (r, c), v in by_cell.items() if r < len(plan)}


def mark_doubtful(texts: list[str], doubtful: Iterable[tuple[int, int]]) -> list[str]:
    """``texts`` with a '?' in place of each doubtful (line, column)."""
    chars = [list(t) for t in texts]
    for line, c in doubtful:
        if line < len(chars) and c < len(chars[line]):
            chars[line][c] = "?"
    return ["".join(t) for t in chars]
