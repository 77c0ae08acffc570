"""psod-ocr against stock Tesseract, side by side, on simulated and real captures.

Run: .venv/bin/python benchmarks/accuracy.py [--quick] [--jobs 2] [--n N] [--json OUT]
(full run: 400 captures, about 20 minutes with 2 workers; --quick: 40 captures, 2-3 minutes)

Texts: the shared transcripts (../shared/transcripts; PSOD_SHARED overrides ../shared), the own
corpus (corpus/texts, without not_a_psod and log-form texts) and generated screens
(psod_ocr.simulate.texts) up to at least 300 texts. Capture i renders text i with the next
installed font of its layout and captures it as kind i mod 4:

- KVM lossless: unscaled PNG screenshot, no window frame, bars, crop, boxes or redaction;
- KVM viewer: a remote-console screenshot, scaled, JPEG/WebP/PNG, maybe a window frame
  (no crop, annotation or redaction, so every character stays visible);
- phone photo: a mild phone photo of a monitor; hard phone photo: a hard one.

Each capture is read by psod-ocr (`psod_ocr.capture.scan`) and by stock Tesseract as a new user
would run it (`image_to_string(rgb, lang="eng", config="--psm 6")` on the whole picture, then
`psod_ocr.read_text` on its text), both timed. Against the rendered rows (the ground truth):

- CER: Levenshtein distance / truth length (lines right-stripped, trailing empty lines dropped);
- hex exact: share of the truth's hex tokens (0x[0-9a-f]+) found exactly in the matching OCR
  line (non-empty lines, best ratio within 3 lines of the same index, else the best line
  overall); only tokens fully inside the picture and not split by the console's wrap; texts
  with masked '#' characters are left out;
- symbols exact: share of the truth's frames whose symbol equals the OCR frame at that index;
- headline exact: the OCR headline equals the truth's (captures whose truth has a headline);
- type right: the diagnosis type equals the truth's; median s: seconds per image.

The real captures (../shared/real-captures/manifest.json) are scored the same way against their
transcriptions ('?' = unknown character: removed before the CER, hex tokens with '?' dropped).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from multiprocessing import Pool
from pathlib import Path
from typing import Any

os.environ["OMP_THREAD_LIMIT"] = "1"  # one Tesseract thread per worker; set before any import

import cv2
import numpy as np
import pytesseract
from common import ROOT, SHARED, code_version, normalise, real_entries, run_all
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from psod_ocr import read_text
from psod_ocr.capture import scan
from psod_ocr.load import load_image
from psod_ocr.parse.lines import unwrap
from psod_ocr.recognise.glyphs import ALPHABET, template_fonts
from psod_ocr.simulate.capture import simulate
from psod_ocr.simulate.fonts import available_fonts, font_names, load_font
from psod_ocr.simulate.screen import LAYOUTS, guess_layout, wrap_text
from psod_ocr.simulate.texts import generate_texts

MIN_TEXTS = 300
QUICK_N = 40
FULL_N = 400
STOCK, OURS = "stock tesseract", "psod-ocr"
ENGINES = (STOCK, OURS)
LOSSLESS = {"scale": (1.0, 1.0), "fmt": "png", "chrome": None, "letterbox": None, "crop": False,
            "annotate": False, "redact": 0}  # fmt: skip
VISIBLE = {"crop": False, "annotate": False, "redact": 0}
KINDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "KVM lossless": ("kvm_screenshot", "mild", LOSSLESS),
    "KVM viewer": ("kvm_screenshot", "mild", VISIBLE),
    "phone photo": ("phone_photo", "mild", {}),
    "hard phone photo": ("phone_photo", "hard", {}),
}
SHARED_GLYPHS = 0.5  # a font sharing this share of its glyphs with a template font is not held out
HEX = re.compile(r"0x[0-9a-f]+")
HEX_UNKNOWN = re.compile(r"0x[0-9a-f?]+")
MASKED = re.compile(r"#(?![A-Z]{2}\b)")  # a masked character, not the '#' of '#PF', '#GP' ...
WINDOW = 3  # lines either side of the same index where the matching OCR line is looked for
LINE_MATCH = 60  # below this ratio in the window, the best line overall is taken
SURE_MATCH = 90  # a line matched this closely tells how far the reading's lines are shifted


# --- texts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A PSOD text to render: `printed` is what the console printed (before its hard wrap)."""

    name: str
    source: str  # transcript | corpus | generated
    printed: str
    layout: str
    hex_scored: bool = True  # False for transcripts with masked ('#') characters


def console_lines(text: str, width: int) -> str:
    """Undo the console's hard wrap of a screen transcript, so rendering wraps it only once.

    A row that fills the width continues on the next row, unless that row is empty (the empty
    row a line of exactly the width leaves). Returns the text unchanged when re-wrapping the
    result would not give the same rows (a transcript that did not keep the console's rows).
    """
    rows = text.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    lines, i = [], 0
    while i < len(rows):
        line, last = rows[i], rows[i]
        i += 1
        while len(last) == width and i < len(rows):
            last = rows[i]
            i += 1
            if not last:
                break
            line += last
        lines.append(line)
    printed = "\n".join(lines) + "\n"
    again, _ = wrap_text(printed, width)
    return printed if again == rows else text


def _screen_text(name: str, source: str, body: str, hex_scored: bool = True) -> Text:
    layout = guess_layout(body)
    return Text(name, source, console_lines(body, LAYOUTS[layout].cols), layout, hex_scored)


def load_texts(minimum: int) -> list[Text]:
    """Shared transcripts, own corpus screens, then generated screens up to `minimum` texts."""
    texts = []
    folder = SHARED / "transcripts"
    if (folder / "manifest.json").exists():
        for entry in json.loads((folder / "manifest.json").read_text("utf-8")):
            body = (folder / entry["file"]).read_text("utf-8")
            masked = bool(entry.get("masked")) or bool(MASKED.search(body))
            texts.append(_screen_text(entry["file"], "transcript", body, hex_scored=not masked))
    for path in sorted((ROOT / "corpus" / "texts").glob("*.txt")):
        meta = json.loads(path.with_suffix(".json").read_text("utf-8"))
        if meta.get("type") != "not_a_psod" and meta.get("form") != "log":
            texts.append(_screen_text(path.name, "corpus", path.read_text("utf-8")))
    for gen in generate_texts(max(0, minimum - len(texts)), seed=0):
        texts.append(Text(gen.name, "generated", gen.printed, guess_layout(gen.printed)))
    random.Random(0).shuffle(texts)  # a quick run sees every source
    return texts


# --- jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    index: int
    text: Text
    kind: str
    font: str


def make_jobs(texts: list[Text], n: int) -> list[Job]:
    """Capture i: text i mod T, kind i mod 4, the next installed font of the layout for that kind."""
    fonts = {layout: available_fonts(layout) for layout in LAYOUTS}
    used: dict[tuple[str, str], int] = {}
    jobs = []
    for i in range(n):
        text, kind = texts[i % len(texts)], list(KINDS)[i % len(KINDS)]
        k = used.get((text.layout, kind), 0)
        used[(text.layout, kind)] = k + 1
        names = fonts[text.layout]
        jobs.append(Job(i, text, kind, names[k % len(names)]))
    return jobs


# --- truth and scores ----------------------------------------------------------------------


@dataclass
class Truth:
    text: str
    message: str | None
    symbols: list[str | None]
    type: str
    # non-empty truth rows, their scored hex tokens, and the whole line when the console
    # wrapped it over several rows (a reader may join them or not)
    hex_lines: list[tuple[str, list[str], str | None]]


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
    seconds: float
    error: str | None


def _symbols(frames: Any) -> list[str | None]:
    return [f.symbol for f in frames]


def _match_line(line: str, ocr: list[str], near: int) -> int:
    """The OCR line that reads ``line``: the closest within WINDOW lines of ``near``, else
    the closest anywhere."""
    window = range(max(0, near - WINDOW), min(len(ocr), near + WINDOW + 1))
    best = max(window, key=lambda k: fuzz.ratio(line, ocr[k]), default=None)
    if best is None or fuzz.ratio(line, ocr[best]) < LINE_MATCH:
        best = max(range(len(ocr)), key=lambda k: fuzz.ratio(line, ocr[k]))
    return best


def hex_score(truth: Truth, text: str) -> tuple[int, int]:
    ocr = [line.strip() for line in text.split("\n") if line.strip()]
    if not ocr:
        return 0, sum(len(tokens) for _, tokens, _ in truth.hex_lines)
    found = total = 0
    shift = 0  # how many lines the reading is ahead (+) or behind: joined or missed lines
    for index, (line, tokens, whole) in enumerate(truth.hex_lines):
        k = _match_line(line, ocr, index + shift)
        if fuzz.ratio(line, ocr[k]) >= SURE_MATCH:
            shift = k - index
        if not tokens:
            continue
        got = set(HEX.findall(ocr[k]))
        if whole:
            got |= set(HEX.findall(ocr[_match_line(whole, ocr, index + shift)]))
        found += sum(token in got for token in tokens)
        total += len(tokens)
    return found, total


def score(truth: Truth, reading: Reading) -> Score:
    truth_text = normalise(truth.text)
    cer = Levenshtein.distance(normalise(reading.text), truth_text) / max(1, len(truth_text))
    hex_found, hex_total = hex_score(truth, reading.text)
    scored = [(k, s) for k, s in enumerate(truth.symbols) if s and "?" not in s]
    sym_found = sum(1 for k, s in scored if k < len(reading.symbols) and reading.symbols[k] == s)
    headline = None if not truth.message else reading.message == truth.message
    return Score(cer, hex_found, hex_total, sym_found, len(scored), headline,
                 reading.type == truth.type, reading.seconds, reading.error)  # fmt: skip


def _visible(homography: np.ndarray, size: tuple[int, int], box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = box
    corners = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], dtype=np.float64)
    mapped = cv2.perspectiveTransform(corners, homography)[0]
    w, h = size
    return bool((mapped[:, 0] >= -0.5).all() and (mapped[:, 0] <= w + 0.5).all()
                and (mapped[:, 1] >= -0.5).all() and (mapped[:, 1] <= h + 0.5).all())  # fmt: skip


def simulated_truth(sim: Any, size: tuple[int, int], hex_scored: bool) -> Truth:
    """The rendered rows as truth; hex tokens counted only where they are inside the picture."""
    screen = sim.screen
    text = "\n".join(screen.rows)
    report = read_text(text)
    fb = np.array([[0, 0], [screen.cols * screen.cell_w, 0],
                   [screen.cols * screen.cell_w, screen.rows_n * screen.cell_h],
                   [0, screen.rows_n * screen.cell_h]], dtype=np.float32)  # fmt: skip
    homography = cv2.getPerspectiveTransform(fb, np.asarray(sim.capture.quad, dtype=np.float32))
    hex_lines = []
    wrapped = [len(row) == screen.cols and r + 1 < len(screen.rows) and bool(screen.rows[r + 1])
               for r, row in enumerate(screen.rows)]  # fmt: skip
    for r, row in enumerate(screen.rows):
        if not row.strip():
            continue
        tokens = []
        wraps = wrapped[r]
        first = r
        while first > 0 and wrapped[first - 1]:
            first -= 1
        last = r
        while wrapped[last]:
            last += 1
        whole = "".join(screen.rows[first : last + 1]).strip() if last > first else None
        for m in HEX.finditer(row) if hex_scored else ():
            if wraps and m.end() == len(row):
                continue  # split by the console's wrap: a reader may join the rows or not
            box = (m.start() * screen.cell_w, r * screen.cell_h, m.end() * screen.cell_w,
                   (r + 1) * screen.cell_h)  # fmt: skip
            if _visible(homography, size, box):
                tokens.append(m.group())
        hex_lines.append((row.strip(), tokens, whole))
    screen_read = report.screen
    return Truth(text, screen_read.message, _symbols(screen_read.frames), report.diagnosis.type, hex_lines)


def real_truth(transcription: str, entry: dict[str, Any]) -> Truth:
    """A real capture's transcription: '?' marks characters nobody could read."""
    report = read_text(transcription)
    rows = transcription.split("\n")
    # a row the console wrapped, and the one it continues on, are also matched as one line
    whole: dict[int, str] = {}
    wraps: set[int] = set()  # rows the console wrapped: a number at their end continues below
    starts = unwrap(rows)
    for (first, line), (after, _) in zip(starts, [*starts[1:], (len(rows) + 1, "")], strict=True):
        if after - first > 1:
            whole.update(dict.fromkeys(range(first - 1, after - 1), line.strip().replace("?", "")))
            wraps.update(range(first - 1, after - 2))
    hex_lines = []
    for r, row in enumerate(rows):
        if row.strip():
            cut = len(row.rstrip()) if r in wraps else None  # a number ending there is cut in two
            tokens = [m.group() for m in HEX_UNKNOWN.finditer(row) if "?" not in m.group() and m.end() != cut]
            hex_lines.append((row.strip().replace("?", ""), tokens, whole.get(r)))
    return Truth(transcription.replace("?", ""), entry.get("headline"), _symbols(report.screen.frames),
                 entry.get("error_type") or "", hex_lines)  # fmt: skip


# --- engines -------------------------------------------------------------------------------


def read_ours(source: bytes | Path, name: str) -> Reading:
    start = time.perf_counter()
    try:
        report = scan(source, name=name)
    except Exception as error:  # a crash is a result here
        return Reading(seconds=time.perf_counter() - start, error=f"{type(error).__name__}: {error}")
    return reading_of(report, time.perf_counter() - start)


def reading_of(report: Any, seconds: float = 0.0) -> Reading:
    """What psod-ocr read, as scored: the repaired text (else the raw one) and its parse."""
    text = report.text or (report.ocr.raw_text if report.ocr else "")
    found = report.screen
    return Reading(text, found.message, _symbols(found.frames), report.diagnosis.type, seconds)


def read_stock(source: bytes | Path, name: str) -> tuple[Reading, tuple[int, int]]:
    """Stock Tesseract on the whole decoded picture, then the text parser on its output."""
    start = time.perf_counter()
    try:
        image = load_image(source, name=name)
        text = pytesseract.image_to_string(image.rgb, lang="eng", config="--psm 6")
        report = read_text(text)
    except Exception as error:
        return Reading(seconds=time.perf_counter() - start, error=f"{type(error).__name__}: {error}"), (0, 0)
    reading = Reading(text, report.screen.message, _symbols(report.screen.frames), report.diagnosis.type,
                      time.perf_counter() - start)  # fmt: skip
    return reading, (image.width, image.height)


@dataclass
class Outcome:
    label: str
    kind: str
    font: str
    scores: dict[str, Score]
    truth_type: str
    got: dict[str, str | None]


def run_job(job: Job) -> Outcome:
    sim_kind, severity, options = KINDS[job.kind]
    sim = simulate(job.text.printed, sim_kind, seed=job.index, font=job.font, severity=severity, **options)
    data = sim.capture.image_bytes
    stock, size = read_stock(data, f"sim{job.index}")
    ours = read_ours(data, f"sim{job.index}")
    if size == (0, 0):
        size = sim.capture.size
    truth = simulated_truth(sim, size, job.text.hex_scored)
    return Outcome(f"#{job.index} {job.text.name}", job.kind, f"{job.text.layout}/{job.font}",
                   {STOCK: score(truth, stock), OURS: score(truth, ours)}, truth.type,
                   {STOCK: stock.type, OURS: ours.type})  # fmt: skip


def real_kind(entry: dict[str, Any]) -> str:
    return "phone_photo" if entry.get("kind") == "phone_photo" else "kvm_screenshot"


def run_real(entry: dict[str, Any]) -> Outcome:
    folder = SHARED / "real-captures"
    truth = real_truth((folder / entry["transcription"]).read_text("utf-8"), entry)
    stock, _ = read_stock(folder / entry["file"], entry["file"])
    ours = read_ours(folder / entry["file"], entry["file"])
    scores = {STOCK: score(truth, stock), OURS: score(truth, ours)}
    return Outcome(entry["file"], real_kind(entry), entry.get("kind") or "", scores, truth.type,
                   {STOCK: stock.type, OURS: ours.type})  # fmt: skip


# --- tables --------------------------------------------------------------------------------

COLUMNS = (("n", "d"), ("CER med", ".3f"), ("CER mean", ".3f"), ("hex exact %", ".1f"),
           ("symbols exact %", ".1f"), ("headline exact %", ".1f"), ("type right %", ".1f"),
           ("median s", ".2f"))  # fmt: skip


def _pct(found: int, total: int) -> float:
    return 100 * found / total if total else math.nan


def row(scores: list[Score]) -> list[Any]:
    if not scores:
        return [0] + [math.nan] * (len(COLUMNS) - 1)
    cers = [s.cer for s in scores]
    heads = [s.headline for s in scores if s.headline is not None]
    return [len(scores), statistics.median(cers), statistics.fmean(cers),
            _pct(sum(s.hex_found for s in scores), sum(s.hex_total for s in scores)),
            _pct(sum(s.sym_found for s in scores), sum(s.sym_total for s in scores)),
            _pct(sum(heads), len(heads)), _pct(sum(s.type_right for s in scores), len(scores)),
            statistics.median(s.seconds for s in scores)]  # fmt: skip


def _cell(value: Any, fmt: str) -> str:
    return "-" if isinstance(value, float) and math.isnan(value) else format(value, fmt)


def print_table(title: str, rows: list[tuple[str, list[Any]]]) -> None:
    header = [title, *(name for name, _ in COLUMNS)]
    body = [[label, *(_cell(v, fmt) for (_, fmt), v in zip(COLUMNS, values, strict=True))]
            for label, values in rows]  # fmt: skip
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    for line in [header, *body]:
        cells = (c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True))
        print("  ".join([line[0].ljust(widths[0]), *cells]))


@cache
def held_out(layout: str) -> tuple[str, ...]:
    """The benchmark's fonts the cell recogniser never saw: in none of its template fonts
    (psod_ocr/data/glyph_fonts.toml), and sharing under half their glyphs with every one."""
    templates = template_fonts()
    held = []
    for name in available_fonts(layout):
        font = load_font(name)
        shared = max((sum(np.array_equal(font.glyph(c), t.glyph(c)) for c in ALPHABET) for t in templates),
                     default=0)  # fmt: skip
        if shared < SHARED_GLYPHS * len(ALPHABET):
            held.append(name)
    return tuple(held)


def font_rows(outcomes: list[Outcome]) -> list[tuple[str, list[Any]]]:
    """psod-ocr per font: every installed font, the held-out fonts last and marked."""
    rows = []
    for layout in LAYOUTS:
        held = held_out(layout)
        names = [f for f in font_names(layout) if f not in held] + list(held)
        for name in names:
            label = f"{layout}/{name}"
            members = [o.scores[OURS] for o in outcomes if o.font == label]
            if members or name in held:
                mark = " [held out]" if name in held else ""
                rows.append((f"  psod-ocr {label}{mark}", row(members)))
    return rows


def print_simulated(outcomes: list[Outcome]) -> None:
    for kind in KINDS:
        members = [o for o in outcomes if o.kind == kind]
        if not members:
            continue
        tokens = sum(o.scores[STOCK].hex_total for o in members)
        frames = sum(o.scores[STOCK].sym_total for o in members)
        print(f"\n{kind}: {len(members)} captures, {tokens} hex tokens, {frames} frames scored")
        rows = [(engine, row([o.scores[engine] for o in members])) for engine in ENGINES]
        print_table("engine", rows + font_rows(members))
        errors = {e: sum(bool(o.scores[e].error) for o in members) for e in ENGINES}
        if any(errors.values()):
            print(f"errors: {errors}")
    print("\nall simulated captures")
    print_table("engine", [(e, row([o.scores[e] for o in outcomes])) for e in ENGINES])
    held = ", ".join(f"{layout}/{name}" for layout in LAYOUTS for name in held_out(layout))
    print(f"\nHeld out (listed last, marked): {held or 'none'} - in none of the cell recogniser's "
          "template fonts (psod_ocr/data/glyph_fonts.toml) and sharing under half their glyphs with "
          "any of them. Stock Tesseract is font-independent (eng.traineddata).")


def print_real(outcomes: list[Outcome]) -> None:
    rows = []
    for kind in ("kvm_screenshot", "phone_photo"):
        members = [o for o in outcomes if o.kind == kind]
        for engine in ENGINES:
            rows.append((f"{kind} / {engine}", row([o.scores[engine] for o in members])))
    print_table("capture kind / engine", rows)
    print("\nper image (type read by stock / psod-ocr, want; CER stock / psod-ocr):")
    for o in outcomes:
        s, p = o.scores[STOCK], o.scores[OURS]
        print(f"  {o.label} [{o.font}]: {o.got[STOCK]} / {o.got[OURS]}, want {o.truth_type}; "
              f"CER {s.cer:.3f} / {p.cer:.3f}" + (f"; error {p.error}" if p.error else ""))


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_N} captures")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--n", type=int, help=f"simulated captures (default {FULL_N}, at least one per text)")
    parser.add_argument("--json", type=Path, help="write every capture's scores here")
    args = parser.parse_args()
    texts = load_texts(MIN_TEXTS)
    jobs = make_jobs(texts, QUICK_N if args.quick else args.n or max(FULL_N, len(texts)))
    reals = real_entries()
    print(f"psod_ocr commit {code_version()}")
    sources = {s: sum(t.source == s for t in texts) for s in ("transcript", "corpus", "generated")}
    print(f"{len(jobs)} simulated captures from {len(texts)} texts {sources}, {len(reals)} real captures, "
          f"{args.jobs} workers; tesseract {pytesseract.get_tesseract_version()}")
    missing = sorted(set(font_names()) - set(available_fonts()))
    if missing:
        print(f"fonts not installed (skipped): {', '.join(missing)}")
    start = time.perf_counter()
    with Pool(args.jobs) as pool:
        simulated = run_all(pool, run_job, jobs)
        real = run_all(pool, run_real, reals)
    print_simulated(simulated)
    if real:
        print(f"\nReal captures ({SHARED / 'real-captures'}; other kinds counted as kvm_screenshot)\n")
        print_real(real)
    print(f"\nwall time {time.perf_counter() - start:.0f} s with {args.jobs} workers")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in simulated + real], indent=1), "utf-8")


if __name__ == "__main__":
    main()
