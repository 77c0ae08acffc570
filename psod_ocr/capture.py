"""The whole job for a picture: load, locate, rectify, binarise, recognise, parse, classify.

Reads top to bottom as the pipeline; each stage is a function of its own module and records
what it decided (the quad, the rotation, the grid, timings) in the report.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz

from ._exec import tesseract
from .binarise import binarise
from .classify import classify
from .deblur import estimate_shake, sharpen, unshake
from .lens import estimate_bend
from .load import LoadedImage, load_image
from .locate import ScreenQuad, bent_corners, find_screen, find_screen_by_layout
from .parse import parse_text
from .recognise.cells import CellReading, Span, read_cells, teaching_spans, unread_spans
from .recognise.tesseract import recognise
from .rectify import rectify, turned_over
from .repair import repair_text
from .report import OcrResult, Repair, Report, Source, uncertain_share
from .squareup import flat_along_rows, square_up

ENGINE_MODEL = "eng"
FONT_READS = 0.85  # share of cells an installed font must name for the grid to read alone ...
CERTAIN_READS = 0.98  # ... or share of them the readers are certain of, in a screenshot ...
MISSPELT_MAX = 2  # ... and how many known words it may misspell (see cells.misspelt)
TEACH_FIT = 0.8  # how alike an installed font's glyphs the cells must be to be taught
UPRIGHT_SCORE = 12  # a reading with this much PSOD grammar (a known headline's worth) is upright
NO_SCREEN = "no purple screen found in the picture"
LAYOUT = "rows of light text on a darker ground"
BY_LAYOUT = f"the picture has no colour: the screen was found by its layout ({LAYOUT}), not by its purple"
NO_LAYOUT = f"the picture has no colour: the screen was looked for by its layout ({LAYOUT}), in vain"


class _Clock:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = round(self.times.get(stage, 0.0) + (now - self._t) * 1000, 1)
        self._t = now


def guess_kind(image: LoadedImage, quad: ScreenQuad | None) -> str:
    """A camera's EXIF or a tilted screen outline says photo; a square-on screen, a screenshot."""
    if image.camera or image.orientation != 1:
        return "phone_photo"
    if quad is None:
        return "unknown"
    c = quad.corners
    skew = max(abs(c[0][1] - c[1][1]), abs(c[3][1] - c[2][1]), abs(c[0][0] - c[3][0]),
               abs(c[1][0] - c[2][0]))  # fmt: skip
    return "phone_photo" if skew > 0.01 * max(image.width, image.height) else "kvm_screenshot"


CONSOLE_ASPECTS = (4 / 3, 16 / 10, 16 / 9, 720 / 400)


def _whole_frame(image: LoadedImage, quad: ScreenQuad) -> bool:
    """A screenshot that is exactly the console framebuffer fills the picture edge to edge."""
    c = quad.corners
    w = (c[1][0] - c[0][0] + c[2][0] - c[3][0]) / 2
    h = (c[3][1] - c[0][1] + c[2][1] - c[1][1]) / 2
    fills = w >= 0.98 * image.width and h >= 0.98 * image.height
    return fills and any(abs(w / h - a) < 0.03 * a for a in CONSOLE_ASPECTS)


@dataclass
class Stages:
    """The pictures each stage made, for ``--debug-dir``."""

    image: np.ndarray | None = None
    quad: np.ndarray | None = None
    rectified: np.ndarray | None = None
    binarised: np.ndarray | None = None
    grid: object = None
    words: tuple = field(default_factory=tuple)
    scale: float = 1.0


HEX_VALUE = re.compile(r"^0x[0-9a-f]+$")


def grammar_score(text: str) -> int:
    """How much of a reading obeys the purple-screen grammar: lines only a PSOD prints, frames
    whose addresses are clean hex, register values that are numbers, a known headline."""
    parsed = parse_text(text, fuzzy=True)
    s = parsed.screen
    score = parsed.evidence
    score += sum(2 for f in s.frames if f.ip and HEX_VALUE.match(f.ip) and f.symbol)
    score += sum(1 for v in s.registers.values() if HEX_VALUE.match(v) or v.isdigit())
    if parsed.headline is not None:  # the line that matters most
        score += 12 if parsed.headline.exact else 6
    if s.build:
        score += 2
    return score


def keep_headline(chosen: str, other: str) -> str:
    """Words are what Tesseract reads best: when only its reading has a recognisable
    headline, that line replaces the chosen reading's version of it."""
    if parse_text(chosen, fuzzy=True).headline is not None:
        return chosen
    theirs = parse_text(other, fuzzy=True)
    line_no = theirs.screen.message_line
    if theirs.headline is None or line_no is None:
        return chosen
    headline = other.split("\n")[line_no - 1]
    lines = chosen.split("\n")
    best = max(range(len(lines)), key=lambda i: fuzz.ratio(lines[i], headline), default=None)
    if best is None or fuzz.ratio(lines[best], headline) < 60:
        return chosen
    lines[best] = headline
    return "\n".join(lines)


@dataclass(frozen=True)
class Reading:
    text: str
    model: str
    confidence: float | None
    score: int
    grid: object
    sure: bool = False  # read by an installed font alone, every glyph fitting it
    repairs: tuple[Repair, ...] = ()  # characters the screen's own consistency settled


def settled_repairs(cells: CellReading, lines: list[str] | None = None) -> tuple[Repair, ...]:
    """The characters the screen's consistency settled, as repairs of the lines they are on
    (``lines``: the reading as it stands, when a line was taken from another reader)."""
    lines = list(cells.marked) if lines is None else lines
    by_line: dict[int, list] = {}
    for s in cells.settled:
        by_line.setdefault(s.cell[0], []).append(s)
    out = []
    for n, changes in sorted(by_line.items()):
        after = lines[n] if n < len(lines) else ""
        if any(after[s.cell[1]: s.cell[1] + 1] != s.after for s in changes):
            continue  # (the line another reader's)
        before = list(after)
        for s in changes:
            before[s.cell[1]] = s.before
        out.append(Repair(n + 1, "".join(before), after, "address digits",
                          "; ".join(s.evidence for s in changes)))  # fmt: skip
    return tuple(out)


def _bands(grid, spans: list[Span]) -> list[tuple[float, float, float, float]]:
    """The boxes on the flat screen that hold these pieces of rows."""
    return [(grid.top + r * grid.row_pitch, grid.top + (r + 1) * grid.row_pitch,
             grid.left + (a - 0.5) * grid.col_pitch, grid.left + (b + 0.5) * grid.col_pitch)
            for r, a, b in spans]  # fmt: skip


def grid_words(cells: CellReading, scale: float) -> list[tesseract.Word]:
    """The grid's reading as word boxes in the OCR image's pixels, as Tesseract gives them: the
    annotated picture places its rows and marks by them when Tesseract read nothing."""
    grid = cells.cut.grid
    words = []
    for r, row in enumerate(cells.grid_rows):
        for m in re.finditer(r"\S+(?: \S+)*", row):
            left, top = grid.left + (m.start() - 0.5) * grid.col_pitch, grid.top + r * grid.row_pitch
            words.append(tesseract.Word(m.group(), round(left * scale), round(top * scale),
                              round(len(m.group()) * grid.col_pitch * scale), round(grid.row_pitch * scale),
                              100.0, 1, 1, r))  # fmt: skip
    return words


def read_unread(flat, bin_, cells: CellReading, words: list, taught: list[Span] | None) -> CellReading:
    """Cells no reader named ('?': a glyph too rare to be taught, or one no font has) are read
    by Tesseract once more, in pieces of their words; the grid is named again with those too."""
    spans = unread_spans(cells.grid_rows) if cells.cut is not None else []
    if not spans:
        return cells
    rec = recognise(bin_, _bands(cells.cut.grid, spans))
    again = read_cells(flat.padded, bin_.grid, [*words, *rec.words], bin_.scale, flat.pad,
                       None if taught is None else [*taught, *spans], cells.grid_rows,
                       native=flat.exact)  # fmt: skip
    return again or cells


def read_screen(flat, stages: Stages, clock: _Clock | None = None, outline: bool = True) -> Reading:
    """Binarise, then Tesseract and the cell grid; the reading that fits the grammar wins.
    ``outline``: the screen's whole outline was in the picture to flatten it by."""
    clock = clock or _Clock()
    if not flat.exact:
        flat = sharpen(flat) or flat  # an out-of-focus photo's blur, taken back
    bin_ = binarise(flat.rgb, photo=not flat.exact)
    if not outline and not flat.exact and bin_.grid is not None:
        # a photo taken close, the screen's edges out of it: squared up on its text
        square = square_up(flat, bin_.grid)
        if square is not None:
            flat, bin_ = square, binarise(square.rgb, photo=True)
    stages.rectified = flat.rgb
    stages.binarised, stages.grid, stages.scale = bin_.image, bin_.grid, bin_.scale
    clock.lap("binarise")
    cells = None
    if bin_.grid is not None and bin_.grid.col_pitch:
        # The whole console is in view: if an installed font fits its glyphs, the grid alone
        # reads it, and Tesseract (most of the time spent) is not needed.
        cells = read_cells(flat.padded, bin_.grid, [], bin_.scale, flat.pad, native=flat.exact)
        clock.lap("recognise")
        # (or, in a screenshot, the readers without Tesseract are certain of nearly every cell)
        if cells is not None and cells.misspelt <= MISSPELT_MAX and (
                (cells.font_sure and cells.font_named >= FONT_READS)
                or (flat.exact and cells.certain >= CERTAIN_READS)):  # fmt: skip
            cells = read_unread(flat, bin_, cells, [], [])
            text = "\n".join(cells.rows)
            score = grammar_score(text)
            if parse_text(text, fuzzy=True).evidence:
                stages.words = grid_words(cells, bin_.scale)
                by_font = cells.font_sure and cells.font_named >= FONT_READS
                namer, share = (cells.font, cells.font_named) if by_font else ("glyph model", cells.certain)
                return Reading("\n".join(cells.marked), f"cell grid ({namer})", round(100 * share, 1),
                               score, bin_.grid, sure=True, repairs=settled_repairs(cells))  # fmt: skip
    taught = bands = None
    guess = cells.grid_rows if cells is not None else ()
    if cells is not None and cells.cut is not None and cells.font_fit >= TEACH_FIT:
        # Tesseract reads only what shows the grid each common glyph; the grid names the rest
        # (when the cells look like a console font's: else Tesseract's reading may be all)
        taught = teaching_spans(cells.cut, screenshot=flat.exact)
        bands = _bands(cells.cut.grid, taught)
    rec = recognise(bin_, bands)
    repairs: tuple[Repair, ...] = ()
    stages.words = rec.words
    clock.lap("recognise")
    text, model = "\n".join(rec.rows), ENGINE_MODEL
    score = grammar_score(text)
    if bin_.grid is not None:
        cells = read_cells(flat.padded, bin_.grid, list(rec.words), bin_.scale, flat.pad, taught, guess,
                           native=flat.exact)  # fmt: skip
        if cells is not None:
            cells = read_unread(flat, bin_, cells, list(rec.words), taught)
            cell_text = "\n".join(cells.rows)
            cell_score = grammar_score(cell_text)
            # (a Tesseract that read only the teaching spans has no reading of the rest)
            if cell_score > score or (taught is not None and cell_score == score):
                cell_text = keep_headline("\n".join(cells.marked), text)
                text, model, score = cell_text, f"{ENGINE_MODEL} + cell grid", cell_score
                repairs = settled_repairs(cells, cell_text.split("\n"))
        clock.lap("cells")
    return Reading(text, model, rec.mean_confidence, score, bin_.grid, repairs=repairs)


def _better(flat, reading: Reading, other_flat, stages: Stages, clock: _Clock, outline: bool,
            ties: bool = True):  # fmt: skip
    """The flat screen and reading that fit the grammar better: ``other_flat`` is read too.
    ``ties``: at an equal score Tesseract's confidence decides (else the first reading stays)."""
    other_stages = Stages()
    other = read_screen(other_flat, other_stages, clock, outline)
    mine = (reading.score, (reading.confidence or 0) if ties else np.inf)
    if (other.score, other.confidence or 0) <= mine:
        return flat, reading
    for name in ("rectified", "binarised", "grid", "words", "scale"):
        setattr(stages, name, getattr(other_stages, name))
    return other_flat, other


def _no_screen(src: Source, engine: str, lang: str, clock: _Clock, by_layout: bool) -> Report:
    """The report on a picture that holds no purple screen (``by_layout``: one without
    colour, looked for by its layout)."""
    warnings = (NO_SCREEN, NO_LAYOUT) if by_layout else (NO_SCREEN,)
    parsed = parse_text("")
    ocr = OcrResult(engine=engine, model=ENGINE_MODEL, raw_text="", mean_confidence=None,
                    screen_quad=None, timings_ms=clock.times)  # fmt: skip
    return Report(src, "", parsed.screen, classify(parsed, lang), warnings, ocr)


def scan(
    source: str | Path | bytes, name: str | None = None, lang: str = "en",
    stages: Stages | None = None,
) -> Report:  # fmt: skip
    clock = _Clock()
    image = load_image(source, name=name)
    clock.lap("load")
    stages = stages if stages is not None else Stages()
    stages.image = image.rgb
    warnings: list[str] = []
    quad = find_screen(image.rgb)
    # a picture without colour has no purple to find: its screen is looked for by its layout,
    # and taken only if its text reads as a purple screen's
    by_layout = quad is None and not image.colour
    if by_layout:
        quad = find_screen_by_layout(image.rgb)
    clock.lap("locate")
    kind = guess_kind(image, quad)
    src = Source(path=image.path, kind=kind, sha256=image.sha256, width=image.width,
                 height=image.height)  # fmt: skip
    engine = tesseract.version()
    if quad is None:
        return _no_screen(src, engine, lang, clock, by_layout)
    if by_layout:
        warnings.append(BY_LAYOUT)
    if quad.touches_border and not _whole_frame(image, quad):
        warnings.append("the screen runs off the edge of the picture; some text may be missing")
    # a lens's leftover bend, taken back as the screen is flattened: the rows then lie flat
    # under one homography (a screen running off the picture has no corners to lay them by,
    # and may be cropped off the lens's centre: it is squared up on its text instead)
    lens_bent = kind == "phone_photo" and not quad.touches_border
    bend = estimate_bend(image.rgb, quad.corners) if lens_bent else 0.0
    corners = bent_corners(image.rgb, quad.corners, bend, quad.found_by) if bend else quad.corners
    flat = rectify(image.rgb, corners, bend)
    clock.lap("rectify")
    outline = not quad.touches_border
    reading = read_screen(flat, stages, clock, outline)
    if kind == "phone_photo" and not outline:
        # the picture's edges are part of the outline: the screen flattened along its text's
        # rows instead is read too, and the better reading kept
        along, aligned = flat_along_rows(image.rgb, corners)
        flat, reading = _better(flat, reading, along, stages, clock, outline)
        corners = aligned if flat is along else corners
    if not flat.certain and reading.score < UPRIGHT_SCORE:
        # few lines of text, and no PSOD in them: read it the other way up, keep the better one
        flat, reading = _better(flat, reading, turned_over(flat), stages, clock, outline)
    shake = None if flat.exact or reading.sure else estimate_shake(flat.rgb)
    if shake is not None:
        # a shaken photo: read once more with the smear taken back, keep the better one
        flat, reading = _better(flat, reading, unshake(flat, shake), stages, clock, outline, ties=False)
    corners = np.roll(corners, flat.rotation // 90, axis=0)
    stages.quad = corners
    if reading.grid is None:
        warnings.append("no text rows found on the screen")
    raw, model = reading.text, reading.model
    text, repairs = repair_text(raw)
    repairs = reading.repairs + repairs
    clock.lap("repair")
    unread = text.count("?") if "cell grid" in model else 0
    if unread:
        warnings.append(f"{unread} characters could not be read and are shown as '?'")
    parsed = parse_text(text, fuzzy=True)
    diagnosis = classify(parsed, lang)
    clock.lap("parse")
    if by_layout and not parsed.evidence:
        return _no_screen(replace(src, kind=guess_kind(image, None)), engine, lang, clock, by_layout)
    if not parsed.evidence:
        warnings.append("a purple area was found but no purple-screen text could be read in it")
    ocr = OcrResult(
        engine=engine,
        model=model,
        raw_text=raw,
        mean_confidence=None if reading.confidence is None else round(reading.confidence, 1),
        uncertain_share=uncertain_share(text) if unread else 0.0,
        screen_quad=tuple((round(float(x), 1), round(float(y), 1)) for x, y in corners),
        repairs=repairs,
        timings_ms=clock.times,
    )
    return Report(src, text, parsed.screen, diagnosis, tuple(warnings + list(parsed.warnings)), ocr)
