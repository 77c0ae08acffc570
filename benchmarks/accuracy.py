"""psod-ocr against stock Tesseract and RapidOCR on a frozen test part, the external and the real captures.

Run: .venv/bin/python benchmarks/accuracy.py [--part test|tune|both] [--jobs 2] [--quick]
     [--rows sim,families,external,real] [--kinds K,...] [--engines E,...] [--bare] [--n N]
     [--json OUT]
(`--part test`, the default: 200 simulated + 532 font-family + 76 external + 8 real captures, every
engine; --quick: 40 simulated, 40 font-family, one external capture per variant and the real ones;
--engines psod-ocr leaves the other readers out; --bare reads as a machine with nothing but the
wheel and Tesseract would: no console fonts for templates, no word list)

Two parts of simulated captures, disjoint in texts and seeds:

- the *test* part (TEST_PART below): fixed once (issue 27) and frozen. Nobody opens it to write
  a rule or set a threshold: its captures, readings and per-capture scores are not looked at, only
  its table, and the README reports its figures only. Its 50 texts (20 of the own corpus, 7 shared
  transcripts, 23 generated screens of a seed nothing else uses) are each rendered in the 4 kinds
  below, in the listed fonts (each layout's fonts in turn), with capture seeds of their own. Its
  texts' and pictures' digests are checked on every run: a change of the simulator, the fonts or
  the texts makes a new test part, which is said (the figures are then not comparable).
- the *tune* part: the other corpus screens and shared transcripts and generated screens of
  seed 0, capture i with seed i (--n captures, default 400). Tune on this part only.

Texts: the shared transcripts (../shared/transcripts; PSOD_SHARED overrides ../shared), the own
corpus (corpus/texts, without not_a_psod and log-form texts) and generated screens
(psod_ocr.simulate.texts). The capture kinds:

- KVM lossless: unscaled PNG screenshot, no window frame, bars, crop, boxes or redaction;
- KVM viewer: a remote-console screenshot, scaled, JPEG/WebP/PNG, maybe a window frame
  (no crop, annotation or redaction, so every character stays visible);
- phone photo: a mild phone photo of a monitor; hard phone photo: a hard one.

Font families (FAMILY_FONTS): the test part's ESXi texts once more as KVM lossless and KVM viewer
captures, the same text and seed in one font of each family: three the glyph model was trained on
and four it never saw (psod_ocr.simulate.glyph_fonts.HELD_OUT), one row each.

Besides, each as its own rows: the external captures (../shared/external-captures: another
renderer and camera, the real ESXi console font; one row per variant) and the real captures
(../shared/real-captures; KVM/console screenshots and phone photos). They are a check: look at
what goes wrong there and fix its cause, never a rule or threshold for one file.

Each capture is read by psod-ocr (`psod_ocr.capture.scan`), by stock Tesseract as a new user
would run it (`image_to_string(rgb, lang="eng", config="--psm 6")` on the whole picture) and,
when the `bench` extra is installed (`pip install -e '.[bench]'`), by RapidOCR (PP-OCRv4 ONNX
detection and recognition as its wheel ships them, one thread, its boxes put back into lines);
the general OCRs' text is then read by `psod_ocr.read_text`. All are timed, and scored as the
external captures' README says (benchmarks/external.py): hex exact, symbols exact, headline
exact, type right, the share of the text's characters reported uncertain ('?'), the share of the
others that are wrong (certain wrong), CER, seconds (median, p95). The truth of a simulated
capture is its rendered rows, the type and headline its text records; of a real capture its
transcription ('?' = a character nobody could read: numbers and symbols holding one are not
scored). The last thing printed is one Markdown table of every row.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import random
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
from common import ROOT, SHARED, code_version, real_entries, run_all
from external import (
    FOLDER,
    VARIANTS,
    Reading,
    Score,
    Truth,
    collapse,
    external_entries,
    external_truth,
    score,
    screen_truth,
    transcribed_truth,
)

from psod_ocr import read_text
from psod_ocr.capture import scan
from psod_ocr.load import load_image
from psod_ocr.recognise.glyphs import ALPHABET, template_fonts
from psod_ocr.simulate.capture import simulate
from psod_ocr.simulate.fonts import available_fonts, font_names, load_font
from psod_ocr.simulate.glyph_fonts import HELD_OUT, OUTLINE_DIRS, outline_font
from psod_ocr.simulate.screen import LAYOUTS, guess_layout, wrap_text
from psod_ocr.simulate.texts import generate_texts

__all__ = ["Score", "Truth", "print_table", "reading_of", "row", "score", "simulated_truth"]  # for fuse.py

# --- the frozen test part --------------------------------------------------------------------
# Chosen once for issue 27 (corpus and transcripts drawn with random.Random("psod-ocr issue 27
# test part"), 5 text-mode and 15 framebuffer corpus screens) and frozen: never opened to write
# a rule or set a threshold. Do not edit it; a new test part is a new benchmark.


@dataclass(frozen=True)
class Part:
    corpus: tuple[str, ...]  # corpus/texts file names
    transcripts: tuple[str, ...]  # ../shared/transcripts file names
    generated_seed: int  # psod_ocr.simulate.texts.generate_texts(generated, seed=generated_seed)
    generated: int
    capture_seed: int  # capture i is simulated with seed capture_seed + i
    fonts: dict[str, tuple[str, ...]]  # per layout, taken in turn
    texts_digest: str  # sha256 of the texts (name, type, headline, printed text), in order
    pictures_digest: str  # sha256 of the captures' picture digests, in order


TEST_PART = Part(
    corpus=("003_esx35_lost_heartbeat_cos.txt", "004_esx35_cos_oops_wrapped.txt",
            "008_esx35_not_implemented.txt", "012_esx41_lost_heartbeat.txt", "014_esx41_nmi_lint1.txt",
            "019_esxi51_gp13_vmm.txt", "022_esxi55_spin_deadlock.txt", "024_esxi55_ud6.txt",
            "025_esxi60_nmi_lint1.txt", "027_esxi60_panic_dlmalloc.txt", "028_esxi60_other_cropped_top.txt",
            "029_esxi65_assert_cpusched.txt", "034_esxi67_oom_heap.txt", "038_esxi70_assert_vmk_assert.txt",
            "039_esxi70_mce_pcpu.txt", "046_esxi80_hw_incompat_wrapped.txt", "047_esxi80_not_implemented.txt",
            "049_esxi80_module_panic_tcpip4.txt", "051_esxi80_gp13_nenic.txt", "066_headline_only_gp13.txt"),
    transcripts=("002_lost_heartbeat_esx35_vmnixhbd.txt", "020_bt_esxi60_vmkdrv_masked.txt",
                 "025_mce_log_esxi7_srar_masked.txt", "029_pf14_esxi701_fdsaio.txt",
                 "037_not_implemented_world_c2307_ilo.txt", "051_mce_pcpu5_netcoalesce2_nvme.txt",
                 "059_tlb_ack_pcpu0.txt"),
    generated_seed=27,  # tune: 0; psod_ocr's letter pairs: 1; benchmarks/fuse.py: 2
    generated=23,
    capture_seed=270_000,
    fonts={"esxi": ("esxi-like", "Lat15-TerminusBold16", "Lat15-Terminus16", "Lat15-Fixed16", "Lat15-VGA16",
                    "lat0-16", "altb-8x16", "LatArCyrHeb-16", "grcourier"),
           "esx_text": ("default8x16", "Lat15-VGA16", "cp850-8x16", "iso01a-8x16")},
    texts_digest="48ebb6bc1def7c27",
    pictures_digest="388d4b6103aeb51b",
)  # fmt: skip
# Font families: the test part's ESXi screens as KVM captures once more in each family's font, the
# same text and seed in every font. The glyph model never saw the held-out families
# (psod_ocr.simulate.glyph_fonts.HELD_OUT); the trained ones are beside them for comparison.
FAMILY_FONTS = {"terminus": "Lat15-Terminus16", "vga": "Lat15-VGA16", "esxi-like": "esxi-like",
                "fixed": "Lat15-Fixed16", "courier": "grcourier", "spleen": "spleen-8x16",
                "vera": "outline:DejaVuSansMono@8x16"}  # fmt: skip
FAMILY_KINDS = ("KVM lossless", "KVM viewer")
FAMILY_SEED = 280_000
TUNE_FAMILY_SEED = 180_000
TUNE_SEED = 0  # the tune part's generated texts; its capture i has seed i
MIN_TUNE_TEXTS = 300
FULL_N = 400  # tune captures
QUICK_N = 40
STOCK, RAPID, OURS = "stock tesseract", "rapidocr", "psod-ocr"
HAVE_RAPID = importlib.util.find_spec("rapidocr_onnxruntime") is not None  # the 'bench' extra
ENGINES = (STOCK, RAPID, OURS) if HAVE_RAPID else (STOCK, OURS)
LOSSLESS = {"scale": (1.0, 1.0), "fmt": "png", "chrome": None, "letterbox": None, "crop": False,
            "annotate": False, "redact": 0}  # fmt: skip
VISIBLE = {"crop": False, "annotate": False, "redact": 0}
KINDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "KVM lossless": ("kvm_screenshot", "mild", LOSSLESS),
    "KVM viewer": ("kvm_screenshot", "mild", VISIBLE),
    "phone photo": ("phone_photo", "mild", {}),
    "hard phone photo": ("phone_photo", "hard", {}),
}
REAL_KINDS = {"KVM/console": "kvm_screenshot", "photo": "phone_photo"}
SHARED_GLYPHS = 0.5  # a font sharing this share of its glyphs with a template font is not held out


# --- texts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A PSOD text to render: `printed` is what the console printed (before its hard wrap)."""

    name: str
    source: str  # transcript | corpus | generated
    printed: str
    layout: str
    type: str  # what the text's source records
    message: str | None  # its headline, as the source records it


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


def _screen_text(name: str, source: str, body: str, kind: str, message: str | None) -> Text:
    layout = guess_layout(body)
    return Text(name, source, console_lines(body, LAYOUTS[layout].cols), layout, kind, message)


def shared_texts() -> list[Text]:
    folder = SHARED / "transcripts"
    if not (folder / "manifest.json").exists():
        return []
    entries = json.loads((folder / "manifest.json").read_text("utf-8"))
    return [_screen_text(e["file"], "transcript", (folder / e["file"]).read_text("utf-8"), e["error_type"],
                         e.get("error_message")) for e in entries]  # fmt: skip


def corpus_texts() -> list[Text]:
    texts = []
    for path in sorted((ROOT / "corpus" / "texts").glob("*.txt")):
        meta = json.loads(path.with_suffix(".json").read_text("utf-8"))
        if meta.get("type") != "not_a_psod" and meta.get("form") != "log":
            body = path.read_text("utf-8")
            texts.append(_screen_text(path.name, "corpus", body, meta["type"], meta.get("message")))
    return texts


def generated(n: int, seed: int) -> list[Text]:
    return [Text(g.name, "generated", g.printed, guess_layout(g.printed), g.expected["type"],
                 g.expected.get("message")) for g in generate_texts(n, seed=seed)]  # fmt: skip


def test_texts() -> list[Text]:
    """The test part's texts, in a fixed order (shuffled once, so a quick run sees every source)."""
    by_name = {t.name: t for t in shared_texts() + corpus_texts()}
    missing = [n for n in TEST_PART.transcripts + TEST_PART.corpus if n not in by_name]
    if missing:
        raise SystemExit(f"the test part's texts {missing} are missing (is {SHARED} there?)")
    texts = [by_name[n] for n in TEST_PART.transcripts + TEST_PART.corpus]
    texts += generated(TEST_PART.generated, TEST_PART.generated_seed)
    random.Random(TEST_PART.capture_seed).shuffle(texts)
    return texts


def tune_texts(minimum: int) -> list[Text]:
    """Every text not in the test part, then generated screens of the tune seed up to `minimum`."""
    frozen = {t.printed for t in test_texts()}
    texts = [t for t in shared_texts() + corpus_texts() if t.printed not in frozen]
    texts += [t for t in generated(max(0, minimum - len(texts)), TUNE_SEED) if t.printed not in frozen]
    random.Random(0).shuffle(texts)  # a quick run sees every source
    return texts


def texts_digest(texts: list[Text]) -> str:
    digest = hashlib.sha256()
    for t in texts:
        digest.update(json.dumps([t.name, t.type, t.message, t.printed]).encode())
    return digest.hexdigest()[:16]


# --- jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A simulated capture."""

    index: int
    part: str
    text: Text
    kind: str
    font: str
    seed: int


@dataclass(frozen=True)
class External:
    entry: dict[str, Any]


@dataclass(frozen=True)
class Real:
    entry: dict[str, Any]


def test_jobs() -> list[Job]:
    """Every test text in every kind; each layout's listed fonts in turn."""
    missing = {f for names in TEST_PART.fonts.values() for f in names} - set(available_fonts())
    if missing:
        raise SystemExit(f"the test part's fonts {sorted(missing)} are not installed")
    used = dict.fromkeys(TEST_PART.fonts, 0)
    jobs = []
    for text in test_texts():
        for kind in KINDS:
            fonts = TEST_PART.fonts[text.layout]
            font = fonts[used[text.layout] % len(fonts)]
            used[text.layout] += 1
            jobs.append(Job(len(jobs), "test", text, kind, font, TEST_PART.capture_seed + len(jobs)))
    return jobs


def family_jobs(part: str = "test") -> list[Job]:
    """The part's ESXi texts (the tune part's: as many as the test part has), each as every
    FAMILY_KINDS capture in every FAMILY_FONTS font."""
    texts = [t for t in test_texts() if t.layout == "esxi"]
    if part == "tune":
        texts = [t for t in tune_texts(MIN_TUNE_TEXTS) if t.layout == "esxi"][: len(texts)]
    jobs = []
    for i, text in enumerate(texts):
        for k, kind in enumerate(FAMILY_KINDS):
            seed = FAMILY_SEED + len(FAMILY_KINDS) * i + k
            seed += TUNE_FAMILY_SEED - FAMILY_SEED if part == "tune" else 0
            label = "families" if part == "test" else "tune families"
            jobs += [Job(len(jobs), label, text, kind, family, seed) for family in FAMILY_FONTS]
    return jobs


def family_font(family: str) -> Any:
    """A family's font for the simulator: a console font's name, or an outline font drawn into
    8x16 cells as the glyph model's training draws it."""
    name = FAMILY_FONTS[family]
    if not name.startswith("outline:"):
        return name
    face, cell = name.removeprefix("outline:").split("@")
    for path in (p for d in OUTLINE_DIRS if d.is_dir() for p in d.rglob(face + ".ttf")):
        font = outline_font(path, tuple(int(v) for v in cell.split("x")))
        if font is not None:
            return font
    raise SystemExit(f"the outline font {face} is not installed (fonts-dejavu-core)")


def tune_jobs(n: int) -> list[Job]:
    """Capture i: text i mod T, kind i mod 4, the next installed font of the layout for that kind."""
    texts = tune_texts(MIN_TUNE_TEXTS)
    fonts = {layout: available_fonts(layout) for layout in LAYOUTS}
    used: dict[tuple[str, str], int] = {}
    jobs = []
    for i in range(n or max(FULL_N, len(texts))):
        text, kind = texts[i % len(texts)], list(KINDS)[i % len(KINDS)]
        k = used.get((text.layout, kind), 0)
        used[(text.layout, kind)] = k + 1
        names = fonts[text.layout]
        jobs.append(Job(i, "tune", text, kind, names[k % len(names)], i))
    return jobs


# --- truths --------------------------------------------------------------------------------


def first_row(message: str, rows: list[str]) -> str | None:
    """The headline's first screen row: from where the message starts in a row, to the row's end
    (or the message's, when the row goes on)."""
    wanted = collapse(message)
    for row in rows:
        line = collapse(row)
        at = line.find(wanted[:24]) if line else -1
        if at >= 0 and wanted.startswith(line[at:]):
            return line[at:]
        if at >= 0 and line[at:].startswith(wanted):
            return wanted
    return None


def simulated_truth(sim: Any, size: tuple[int, int], kind: str | None = None,
                    message: str | None = None) -> Truth:  # fmt: skip
    """The rendered rows as truth; the type and headline the text records (by default those the
    parser reads in the rows). Numbers and symbols count only where they are inside the picture."""
    screen = sim.screen
    if kind is None:
        report = read_text("\n".join(screen.rows))
        kind, message = report.diagnosis.type, report.screen.message
    fb = np.array([[0, 0], [screen.cols * screen.cell_w, 0],
                   [screen.cols * screen.cell_w, screen.rows_n * screen.cell_h],
                   [0, screen.rows_n * screen.cell_h]], dtype=np.float32)  # fmt: skip
    homography = cv2.getPerspectiveTransform(fb, np.asarray(sim.capture.quad, dtype=np.float32))
    headline = first_row(message, screen.rows) if message else None
    view = (homography, size, (screen.cell_w, screen.cell_h))
    return screen_truth(screen.rows, screen.cols, kind, headline, view)


def real_truth(entry: dict[str, Any]) -> Truth:
    text = (SHARED / "real-captures" / entry["transcription"]).read_text("utf-8")
    return transcribed_truth(text, entry.get("error_type") or "", entry.get("headline"))


# --- engines -------------------------------------------------------------------------------


def read_ours(source: bytes | Path, name: str) -> Reading:
    start = time.perf_counter()
    try:
        report = scan(source, name=name)
    except Exception as error:  # a crash is a result here
        return Reading(seconds=time.perf_counter() - start, error=f"{type(error).__name__}: {error}")
    return reading_of(report, time.perf_counter() - start)


def reading_of(report: Any, seconds: float = 0.0) -> Reading:
    """What psod-ocr read, as scored: the report's text and its parse."""
    found = report.screen
    return Reading(report.text or "", found.message, [f.symbol for f in found.frames], report.diagnosis.type,
                   seconds)  # fmt: skip


def read_stock(source: bytes | Path, name: str) -> tuple[Reading, tuple[int, int]]:
    """Stock Tesseract on the whole decoded picture, then the text parser on its output."""
    start = time.perf_counter()
    try:
        image = load_image(source, name=name)
        text = pytesseract.image_to_string(image.rgb, lang="eng", config="--psm 6")
        reading = parsed(text, start)
    except Exception as error:
        return Reading(seconds=time.perf_counter() - start, error=f"{type(error).__name__}: {error}"), (0, 0)
    return reading, (image.width, image.height)


def parsed(text: str, start: float) -> Reading:
    """A general OCR's text, read by psod-ocr's text parser as if the user had pasted it."""
    report = read_text(text)
    symbols = [f.symbol for f in report.screen.frames]
    return Reading(text, report.screen.message, symbols, report.diagnosis.type, time.perf_counter() - start)


@cache
def _rapid() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)  # one core a worker, as the others


def rapid_lines(boxes: list[Any]) -> str:
    """RapidOCR's boxes as the screen's lines: top to bottom, a box joining the line whose
    middle is within half a box height of its own, left to right within a line."""
    lines: list[tuple[float, float, list[tuple[float, str]]]] = []  # middle, height, (left, text)
    for points, text, _ in sorted(boxes, key=lambda b: sum(p[1] for p in b[0]) / 4):
        ys, xs = [p[1] for p in points], [p[0] for p in points]
        middle, height = sum(ys) / 4, max(ys) - min(ys)
        if lines and abs(lines[-1][0] - middle) < max(lines[-1][1], height) / 2:
            lines[-1][2].append((min(xs), text))
        else:
            lines.append((middle, height, [(min(xs), text)]))
    return "\n".join(" ".join(t for _, t in sorted(parts)) for _, _, parts in lines)


def read_rapid(source: bytes | Path, name: str) -> Reading:
    """RapidOCR (PP-OCRv4 detection and recognition, the ONNX models its package ships) on the
    whole decoded picture, as a user of a general OCR would run it, then the text parser."""
    start = time.perf_counter()
    try:
        image = load_image(source, name=name)
        boxes, _ = _rapid()(cv2.cvtColor(image.rgb, cv2.COLOR_RGB2BGR))
        return parsed(rapid_lines(boxes or []), start)
    except Exception as error:
        return Reading(seconds=time.perf_counter() - start, error=f"{type(error).__name__}: {error}")


@dataclass
class Outcome:
    label: str
    part: str  # test | tune | external | real
    group: str  # capture kind, external variant or real kind
    font: str
    scores: dict[str, Score]
    truth_type: str
    got: dict[str, str | None]
    picture: str = ""  # sha256 of a simulated capture's picture
    texts: dict[str, str] = field(default_factory=dict)  # the readings
    truth_text: str = ""  # the screen's rows as shown


_engines: list[str] = list(ENGINES)  # the ones this run measures (--engines)


def _both(source: bytes | Path, name: str) -> tuple[dict[str, Reading], tuple[int, int]]:
    readings, size = {}, (0, 0)
    if STOCK in _engines:
        readings[STOCK], size = read_stock(source, name)
    if OURS in _engines:
        readings[OURS] = read_ours(source, name)
    if RAPID in _engines:
        readings[RAPID] = read_rapid(source, name)
    return readings, size


def run_item(item: Job | External | Real) -> Outcome:
    picture = ""
    if isinstance(item, External):
        entry = item.entry
        readings, _ = _both(FOLDER / entry["image"], entry["image"])
        truth = external_truth(entry)
        label, part, group, font = entry["image"], "external", entry["variant"], ""
    elif isinstance(item, Real):
        entry = item.entry
        readings, _ = _both(SHARED / "real-captures" / entry["file"], entry["file"])
        truth = real_truth(entry)
        kind = "phone_photo" if entry.get("kind") == "phone_photo" else "kvm_screenshot"
        label, part, group, font = entry["file"], "real", kind, entry.get("kind") or ""
    else:
        job = item
        sim_kind, severity, options = KINDS[job.kind]
        font = family_font(job.font) if job.part.endswith("families") else job.font
        sim = simulate(job.text.printed, sim_kind, seed=job.seed, font=font, severity=severity, **options)
        data = sim.capture.image_bytes
        readings, size = _both(data, f"sim{job.seed}")
        size = size if size != (0, 0) else sim.capture.size
        truth = simulated_truth(sim, size, job.text.type, job.text.message)
        label, part, group = f"#{job.index} {job.text.name}", job.part, job.kind
        font, picture = f"{job.text.layout}/{job.font}", hashlib.sha256(data).hexdigest()
        if job.part.endswith("families"):
            font = job.font
    return Outcome(label, part, group, font, {e: score(truth, r) for e, r in readings.items()}, truth.type,
                   {e: r.type for e, r in readings.items()}, picture,
                   {e: r.text for e, r in readings.items()}, truth.text)  # fmt: skip


def go_bare() -> None:
    """No installed font reaches the reader's templates, no word list its repairs (the workers
    are forked: they inherit this). The simulator still renders with the installed fonts."""
    import psod_ocr._exec.tesseract as tesseract
    import psod_ocr.recognise.glyphs as glyphs
    import psod_ocr.repair as repair

    glyphs.template_fonts = list
    tesseract.word_list = repair.word_list = lambda lang="eng": frozenset()
    print("bare: no template fonts, no word list")


def pictures_digest(outcomes: list[Outcome]) -> str:
    return hashlib.sha256("".join(o.picture for o in outcomes).encode()).hexdigest()[:16]


# --- tables --------------------------------------------------------------------------------

COLUMNS = (("n", "d"), ("hex exact %", ".1f"), ("symbols exact %", ".1f"), ("headline exact %", ".1f"),
           ("type right %", ".1f"), ("uncertain %", ".2f"), ("certain wrong %", ".2f"), ("CER med", ".3f"),
           ("median s", ".2f"), ("p95 s", ".2f"))  # fmt: skip


def _pct(found: int, total: int) -> float:
    return 100 * found / total if total else math.nan


def row(scores: list[Score]) -> list[Any]:
    if not scores:
        return [0] + [math.nan] * (len(COLUMNS) - 1)
    heads = [s.headline for s in scores if s.headline is not None]
    seconds = [s.seconds for s in scores]
    return [len(scores), _pct(sum(s.hex_found for s in scores), sum(s.hex_total for s in scores)),
            _pct(sum(s.sym_found for s in scores), sum(s.sym_total for s in scores)),
            _pct(sum(heads), len(heads)), _pct(sum(s.type_right for s in scores), len(scores)),
            _pct(sum(s.unread for s in scores), sum(s.chars for s in scores)),
            _pct(sum(s.wrong for s in scores), sum(s.chars - s.unread for s in scores)),
            statistics.median(s.cer for s in scores), statistics.median(seconds),
            float(np.percentile(seconds, 95))]  # fmt: skip


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


def print_markdown(rows: list[tuple[str, str, list[Any]]]) -> None:
    print("| captures | engine | " + " | ".join(name for name, _ in COLUMNS) + " |")
    print("|---|---|" + "---:|" * len(COLUMNS))
    for label, engine, values in rows:
        cells = (_cell(v, fmt) for (_, fmt), v in zip(COLUMNS, values, strict=True))
        print(f"| {label} | {engine} | " + " | ".join(cells) + " |")


def groups(outcomes: list[Outcome]) -> list[tuple[str, list[Outcome]]]:
    """The table's rows: per part and capture kind, external variant, real kind; and totals."""
    out = []
    for part in ("test", "tune"):
        members = [o for o in outcomes if o.part == part]
        out += [(f"{part}: {kind}", [o for o in members if o.group == kind]) for kind in KINDS]
        out.append((f"{part}: all simulated", members))
    for part in ("families", "tune families"):
        families = [o for o in outcomes if o.part == part]
        for kind in FAMILY_KINDS:
            for family in FAMILY_FONTS:
                held = " (held out)" if family in HELD_OUT else ""
                members = [o for o in families if o.font == family and o.group == kind]
                out.append((f"{part.replace('families', 'family')} {family}{held}: {kind}", members))
    external = [o for o in outcomes if o.part == "external"]
    out += [(f"external: {variant}", [o for o in external if o.group == variant]) for variant in VARIANTS]
    out.append(("external: all", external))
    real = [o for o in outcomes if o.part == "real"]
    out += [(f"real: {name}", [o for o in real if o.group == kind]) for name, kind in REAL_KINDS.items()]
    return [(label, members) for label, members in out if members]


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


def print_fonts(outcomes: list[Outcome]) -> None:
    """psod-ocr per font, all kinds together: the held-out fonts last and marked."""
    for part in ("test", "tune"):
        members = [o for o in outcomes if o.part == part]
        if not members:
            continue
        rows = []
        for layout in LAYOUTS:
            held = held_out(layout)
            for name in [f for f in font_names(layout) if f not in held] + list(held):
                scores = [o.scores[OURS] for o in members if o.font == f"{layout}/{name}"]
                if scores:
                    rows.append((f"{layout}/{name}" + (" [held out]" if name in held else ""), row(scores)))
        print(f"\n{part} part, psod-ocr per font (held out: in none of the cell recogniser's template fonts "
              "and sharing under half their glyphs with any)")
        print_table("font", rows)


def print_checks(outcomes: list[Outcome]) -> None:
    """The external and real captures one by one (a check set: look at causes, not files)."""
    for part in ("external", "real"):
        members = [o for o in outcomes if o.part == part]
        if members:
            print(f"\n{part} captures: type by stock / psod-ocr (want); psod-ocr hex, symbols, headline, '?'")
        for o in members:
            s = o.scores[OURS]
            types = f"{o.got.get(STOCK)} / {o.got.get(OURS)} ({o.truth_type})"
            print(f"  {o.label} [{o.font or o.group}]: {types}; "
                  f"hex {s.hex_found}/{s.hex_total}, symbols {s.sym_found}/{s.sym_total}, "
                  f"headline {s.headline}, ? {s.unread}" + (f"; error {s.error}" if s.error else ""))


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("test", "tune", "both"), default="test",
                        help="simulated part (default test: the README's figures; tune on tune)")
    parser.add_argument("--rows", default="sim,families,external,real",
                        help="which captures: any of sim, families, external, real (default all)")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_N} simulated, one external capture per variant")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--n", type=int, help=f"tune captures (default {FULL_N}, at least one per text)")
    parser.add_argument("--json", type=Path, help="write every capture's scores here")
    parser.add_argument("--kinds", help="only these simulated kinds, comma separated (default all: "
                        + ", ".join(KINDS) + "); the others' seeds and fonts stay as they are")
    parser.add_argument("--bare", action="store_true",
                        help="psod-ocr as on a machine with nothing but its wheel and Tesseract: no "
                             "console fonts for templates, no word list unpacked from Tesseract's model")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"which readers, comma separated (default {','.join(ENGINES)})")
    args = parser.parse_args()
    _engines[:] = [e for e in ENGINES if e in args.engines.split(",")]
    rows = set(args.rows.split(","))
    parts = ("test", "tune") if args.part == "both" else (args.part,)
    sims: list[Job] = []
    if "sim" in rows:
        for part in parts:
            jobs = test_jobs() if part == "test" else tune_jobs(args.n or 0)
            if args.kinds:
                jobs = [j for j in jobs if j.kind in args.kinds.split(",")]
            sims += jobs[:QUICK_N] if args.quick else jobs
    if "families" in rows:
        for part in parts:
            sims += family_jobs(part)[: QUICK_N if args.quick else None]
    externals = external_entries() if "external" in rows else []
    if args.quick:
        externals = [next(e for e in externals if e["variant"] == v) for v in VARIANTS if externals]
    reals = real_entries() if "real" in rows else []
    print(f"psod_ocr commit {code_version()}; tesseract {pytesseract.get_tesseract_version()}")
    print(f"{len(sims)} simulated captures ({', '.join(parts)} part), {len(externals)} external, "
          f"{len(reals)} real; {args.jobs} workers")  # fmt: skip
    if "test" in parts and "sim" in rows:
        digest = texts_digest(test_texts())
        same = digest == TEST_PART.texts_digest
        changed = f"NOT the frozen ones ({TEST_PART.texts_digest}): the figures are not comparable"
        print(f"test part texts {digest}: " + ("the frozen ones" if same else changed))
    if args.bare:
        go_bare()
    start = time.perf_counter()
    items: list[Job | External | Real] = [*map(External, externals), *map(Real, reals), *sims]
    with Pool(args.jobs) as pool:
        outcomes = run_all(pool, run_item, items)
    seconds = time.perf_counter() - start
    tests = [o for o in outcomes if o.part == "test"]
    if tests and not args.quick:
        digest = pictures_digest(tests)
        same = digest == TEST_PART.pictures_digest
        changed = f"NOT the frozen ones ({TEST_PART.pictures_digest}): the simulator or a font changed"
        print(f"test part pictures {digest}: " + ("the frozen ones" if same else changed))
    print_fonts(outcomes)
    print_checks(outcomes)
    table = [(label, engine, row([o.scores[engine] for o in members]))
             for label, members in groups(outcomes) for engine in _engines]  # fmt: skip
    print("\nall rows")
    print_table("captures / engine", [(f"{label} / {engine}", values) for label, engine, values in table])
    errors = {e: sum(bool(o.scores[e].error) for o in outcomes) for e in _engines}
    print(f"\nerrors (counted as empty readings): {errors}" if any(errors.values()) else "")
    print(f"psod_ocr commit {code_version()}; wall time {seconds:.0f} s with {args.jobs} workers\n")
    print_markdown(table)
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1), "utf-8")


if __name__ == "__main__":
    main()
