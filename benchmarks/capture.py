"""Image pipeline on simulated captures: screen location, OCR accuracy, diagnosis and speed.

Run: .venv/bin/python benchmarks/capture.py [--n 240] [--jobs 2] [--quick] [--save-failures DIR]

Renders PSOD texts (corpus/texts plus ../shared/transcripts; PSOD_SHARED overrides ../shared)
with the project's simulator, cycling over texts x fonts x capture kinds (KVM screenshot, mild
phone photo, hard phone photo) with seed = capture index, and runs `psod_ocr.capture.scan` on
each image. Per capture it measures:

- found: scan returned a screen quad;
- corner error: max distance between found and true corner, in % of the true quad's mean
  diagonal; a found quad whose best cyclic rotation matches better counts as wrong orientation
  (the unrotated error is still the one reported);
- CER: Levenshtein distance of the OCR text to the displayed rows / length of the rows (lines
  right-stripped, trailing empty lines dropped);
- type right: diagnosis type equals the text's expected type;
- seconds: wall time of scan().

Prints one table row per capture kind, per font (layout/font) and in total, the worst captures
with what reproduces them, then the real captures in ../shared/real-captures ('?' characters of
the transcription are removed before the CER). `--quick` runs 30 captures. `--save-failures DIR`
writes every failing capture (scan error, corner error >= 1 % or no screen, wrong orientation,
CER > 0.25 or wrong type) as the image plus a JSON with the truth, the OCR text and the params.
The header names the commit under test and warns when psod_ocr/ changed during the run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Any

os.environ["OMP_THREAD_LIMIT"] = "1"  # one Tesseract thread per worker; set before any import

import numpy as np
from common import ROOT, SHARED, code_version, normalise, real_entries, run_all
from rapidfuzz.distance import Levenshtein

from psod_ocr.capture import scan
from psod_ocr.errors import PsodError
from psod_ocr.simulate.capture import simulate
from psod_ocr.simulate.fonts import font_names
from psod_ocr.simulate.result import plain
from psod_ocr.simulate.screen import guess_layout

KINDS = (("kvm_screenshot", "mild"), ("phone_photo", "mild"), ("phone_photo", "hard"))
QUICK_N = 30
CORNER_OK = 1.0  # % of the diagonal
CER_FAIL = 0.25  # a capture above this CER is written by --save-failures
WORST = 5


@dataclass(frozen=True)
class Text:
    """A PSOD text to render and the diagnosis type expected from it."""

    path: Path
    body: str
    expected: str
    layout: str


@dataclass(frozen=True)
class Job:
    """One simulated capture: everything needed to generate (and reproduce) it."""

    index: int
    text: Text
    kind: str
    severity: str
    font: str
    save_dir: Path | None = None

    @property
    def seed(self) -> int:
        return self.index

    @property
    def kind_label(self) -> str:
        return self.kind if self.kind == "kvm_screenshot" else f"{self.kind} {self.severity}"

    @property
    def font_label(self) -> str:
        return f"{self.text.layout}/{self.font}"


@dataclass
class Outcome:
    """What one scan got right and wrong."""

    label: str
    kind_label: str = ""
    font_label: str = ""
    found: bool = False
    corner_err: float | None = None
    wrong_orientation: bool = False
    rotated_err: float | None = None  # corner error of the best cyclic rotation, when better
    quad_outside: bool = False  # the true screen corners lie outside the picture (cropped)
    cer: float = 1.0
    expected: str = ""
    got: str | None = None
    seconds: float = 0.0
    error: str | None = None
    repro: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def type_right(self) -> bool:
        return self.got == self.expected

    @property
    def failed(self) -> bool:
        bad_corner = self.corner_err is None or self.corner_err >= CORNER_OK
        return bool(self.error or bad_corner or self.wrong_orientation or self.cer > CER_FAIL
                    or not self.type_right)


# --- inputs ---------------------------------------------------------------------------------


def _text(path: Path, expected: str | None) -> Text | None:
    if not expected or expected == "not_a_psod":
        return None
    body = path.read_text(encoding="utf-8")
    return Text(path=path, body=body, expected=expected, layout=guess_layout(body))


def load_texts() -> list[Text]:
    """Own corpus (type from each .json) then the shared transcripts (type from the manifest)."""
    texts = []
    for path in sorted((ROOT / "corpus" / "texts").glob("*.txt")):
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        texts.append(_text(path, meta.get("type")))
    folder = SHARED / "transcripts"
    if folder.is_dir():  # a text missing from the manifest has no expected type: skipped
        manifest = folder / "manifest.json"
        entries = json.loads(manifest.read_text("utf-8")) if manifest.exists() else []
        types = {e["file"]: e.get("error_type") for e in entries}
        texts += [_text(path, types.get(path.name)) for path in sorted(folder.glob("*.txt"))]
    return [t for t in texts if t is not None]


def make_jobs(texts: list[Text], n: int, save_dir: Path | None) -> list[Job]:
    """Capture i: text i mod T, kind i mod 3, next font of the text's layout in turn."""
    fonts = {layout: font_names(layout) for layout in ("esxi", "esx_text")}
    used = dict.fromkeys(fonts, 0)
    jobs = []
    for i in range(n):
        text = texts[i % len(texts)]
        kind, severity = KINDS[i % len(KINDS)]
        names = fonts[text.layout]
        font = names[used[text.layout] % len(names)]
        used[text.layout] += 1
        jobs.append(Job(i, text, kind, severity, font, save_dir))
    return jobs


# --- measures -------------------------------------------------------------------------------


def cer(found: str, truth: str) -> float:
    found, truth = normalise(found), normalise(truth)
    return Levenshtein.distance(found, truth) / max(1, len(truth))


def corner_error(found: np.ndarray, true: np.ndarray) -> tuple[float, float | None]:
    """Max corner distance in % of the true diagonal; also that of the best cyclic rotation of
    `found` when it fits better than `found` as given (a wrong orientation), else None."""
    diagonal = (np.linalg.norm(true[2] - true[0]) + np.linalg.norm(true[3] - true[1])) / 2
    errors = [100 * float(np.linalg.norm(np.roll(found, -turn, axis=0) - true, axis=1).max()) / diagonal
              for turn in range(4)]  # fmt: skip
    best = min(errors)
    return errors[0], best if best < errors[0] else None


def quad_outside(quad: np.ndarray, size: tuple[int, int]) -> bool:
    width, height = size
    return bool((quad < -0.5).any() or (quad[:, 0] > width + 0.5).any()
                or (quad[:, 1] > height + 0.5).any())


def timed_scan(source: str | Path | bytes, name: str) -> tuple[Any, float, str | None]:
    """scan() and its wall time; a raised error comes back as text (the report is then None)."""
    start = time.perf_counter()
    try:
        report = scan(source, name=name, lang="en")
    except PsodError as error:
        return None, time.perf_counter() - start, f"{type(error).__name__}: {error}"
    except Exception as error:  # a crash is a result here, not a reason to stop the benchmark
        return None, time.perf_counter() - start, f"crash {type(error).__name__}: {error}"
    return report, time.perf_counter() - start, None


def score(outcome: Outcome, report: Any, truth: str, true_quad: np.ndarray | None) -> None:
    """Fill found, corner error, CER and type from a report (None when scan raised)."""
    if report is None:
        return
    outcome.got = report.diagnosis.type
    outcome.cer = cer(report.ocr.raw_text or "", truth)
    quad = report.ocr.screen_quad
    outcome.found = quad is not None
    if quad is not None and true_quad is not None:
        outcome.corner_err, outcome.rotated_err = corner_error(np.asarray(quad, float), true_quad)
        outcome.wrong_orientation = outcome.rotated_err is not None


# --- workers --------------------------------------------------------------------------------


def repro_command(job: Job) -> str:
    kind = ["--kind", job.kind] + (["--severity", job.severity] if job.kind == "phone_photo" else [])
    text = os.path.relpath(job.text.path, ROOT)
    return " ".join([".venv/bin/python -m psod_ocr.simulate", "--text", text, *kind,
                     "--seed", str(job.seed), "--font", job.font, "--out", "capture.img"])


def save_failure(job: Job, sim: Any, report: Any, outcome: Outcome) -> None:
    stem = f"{job.index:03d}_{job.kind_label.replace(' ', '_')}_{job.font}"
    job.save_dir.mkdir(parents=True, exist_ok=True)
    (job.save_dir / f"{stem}.{sim.capture.format}").write_bytes(sim.capture.image_bytes)
    info = {"text": job.text.path.name, "repro": outcome.repro, "error": outcome.error,
            "corner_err": outcome.corner_err, "cer": outcome.cer, "expected": outcome.expected,
            "got": outcome.got, "true_quad": sim.capture.quad.tolist(),
            "found_quad": report and report.ocr.screen_quad, "params": plain(sim.capture.params),
            "truth": sim.screen.text, "ocr": report and report.ocr.raw_text}
    (job.save_dir / f"{stem}.json").write_text(json.dumps(info, indent=1, default=str), "utf-8")


def run_job(job: Job) -> Outcome:
    """Generate one capture, scan it and score it (runs in a pool worker)."""
    sim = simulate(job.text.body, job.kind, seed=job.seed, font=job.font, severity=job.severity)
    outcome = Outcome(label=f"#{job.index} {job.text.path.name}", kind_label=job.kind_label,
                      font_label=job.font_label, expected=job.text.expected,
                      repro=repro_command(job), params=plain(sim.capture.params))
    outcome.quad_outside = quad_outside(sim.capture.quad, sim.capture.size)
    report, outcome.seconds, outcome.error = timed_scan(sim.capture.image_bytes, f"sim{job.index}")
    score(outcome, report, "\n".join(sim.screen.rows), np.asarray(sim.capture.quad, float))
    if job.save_dir is not None and outcome.failed:
        save_failure(job, sim, report, outcome)
    return outcome


def run_real(entry: dict[str, Any]) -> Outcome:
    """Scan one real capture listed in the shared manifest and score it."""
    folder = SHARED / "real-captures"
    truth = (folder / entry["transcription"]).read_text(encoding="utf-8").replace("?", "")
    outcome = Outcome(label=entry["file"], kind_label=entry.get("kind") or "",
                      expected=entry.get("error_type") or "")
    report, outcome.seconds, outcome.error = timed_scan(folder / entry["file"], entry["file"])
    score(outcome, report, truth, None)
    return outcome


# --- tables ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, 100 * share)) if values else math.nan


def pct(flags: Iterable[bool]) -> float:
    flags = list(flags)
    return 100 * sum(flags) / len(flags) if flags else math.nan


# (header, format) per column; the values come from sim_row in the same order
SIM_COLUMNS = (("n", "d"), ("found%", ".1f"), ("corner med%", ".2f"), ("corner max%", ".2f"),
               ("corner<1%", ".1f"), ("rot", "d"), ("CER med", ".3f"), ("CER mean", ".3f"),
               ("type%", ".1f"), ("med s", ".2f"), ("p95 s", ".2f"), ("errors", "d"))


def sim_row(outcomes: list[Outcome]) -> list[Any]:
    """Corner figures count only captures that show the whole screen: a cropped screenshot
    has no visible corners to compare (its quad is the visible purple, checked by eye)."""
    whole = [o for o in outcomes if not o.quad_outside]
    corners = [o.corner_err for o in whole if o.corner_err is not None]
    cers = [o.cer for o in outcomes]
    secs = [o.seconds for o in outcomes]
    return [len(outcomes), pct(o.found for o in outcomes),
            statistics.median(corners) if corners else math.nan, max(corners, default=math.nan),
            pct(o.corner_err is not None and o.corner_err < CORNER_OK for o in whole),
            sum(o.wrong_orientation for o in outcomes), statistics.median(cers),
            statistics.fmean(cers), pct(o.type_right for o in outcomes), statistics.median(secs),
            percentile(secs, 0.95), sum(bool(o.error) for o in outcomes)]


def cell(value: Any, fmt: str) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return format(value, fmt)


def print_table(title: str, columns: tuple[tuple[str, str], ...],
                rows: list[tuple[str, list[Any]]]) -> None:
    """Left-aligned labels, right-aligned cells, every column as wide as its widest entry."""
    header = [title, *(head for head, _ in columns)]
    body = [[label, *(cell(v, fmt) for (_, fmt), v in zip(columns, values, strict=True))]
            for label, values in rows]  # fmt: skip
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    for line in [header, *body]:
        cells = (c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True))
        print("  ".join([line[0].ljust(widths[0]), *cells]))


def grouped(outcomes: list[Outcome], key: Callable[[Outcome], str]) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(key(outcome), []).append(outcome)
    return [(name, sim_row(members)) for name, members in groups.items()]


def compact(params: dict[str, Any]) -> str:
    """The capture options in one line: floats rounded, long lists left out."""
    options = params.get("options", params)

    def short(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 2)
        if isinstance(v, list):
            return [short(x) for x in v] if len(v) <= 4 else "..."
        return v

    return json.dumps({k: short(v) for k, v in options.items()}, separators=(",", ":"))


def describe(outcome: Outcome) -> str:
    corner = "not found" if not outcome.found else f"corner {outcome.corner_err:.2f}%"
    rotated = f"wrong orientation (rotated: {outcome.rotated_err or 0:.2f}%)"
    flags = [f for f, on in ((rotated, outcome.wrong_orientation),
                             ("true quad outside picture", outcome.quad_outside)) if on]
    head = (f"{outcome.label} [{outcome.kind_label}, {outcome.font_label}] {corner}, "
            f"CER {outcome.cer:.3f}, type {outcome.got} (want {outcome.expected})")
    lines = [head + "".join(f", {f}" for f in flags)]
    if outcome.error:
        lines.append(f"    error: {outcome.error}")
    return "\n".join([*lines, f"    {outcome.repro}", f"    options {compact(outcome.params)}"])


def print_worst(outcomes: list[Outcome]) -> None:
    by_corner = sorted(outcomes, key=lambda o: -math.inf if o.corner_err is None else -o.corner_err)
    by_cer = sorted(outcomes, key=lambda o: -o.cer)
    for title, ranked in (("corner error (not found first)", by_corner), ("CER", by_cer)):
        print(f"\nWorst {WORST} by {title}:")
        for outcome in ranked[:WORST]:
            print(describe(outcome))


def print_simulated(outcomes: list[Outcome]) -> None:
    rows = grouped(outcomes, lambda o: o.kind_label)
    print_table("capture kind", SIM_COLUMNS, [*rows, ("total", sim_row(outcomes))])
    print()
    print_table("font (layout/font)", SIM_COLUMNS,
                [*sorted(grouped(outcomes, lambda o: o.font_label)), ("total", sim_row(outcomes))])
    outside = [o for o in outcomes if o.quad_outside]
    print(f"\ncorner err: % of the true diagonal, over found screens; corner<1%: share of all "
          f"captures; rot: wrong orientation count. {len(outside)} captures are cropped (true "
          f"corners outside the picture) and left out of the corner columns.")
    print_worst(outcomes)


REAL_COLUMNS = (("kind", "s"), ("found", "s"), ("CER", ".3f"), ("type", "s"), ("want", "s"),
                ("seconds", ".2f"))


def print_real(outcomes: list[Outcome]) -> None:
    rows = [(o.label, [o.kind_label, "yes" if o.found else "NO", o.cer, o.got or o.error or "-",
                       o.expected, o.seconds]) for o in outcomes]
    print_table("real capture", REAL_COLUMNS, rows)
    print(f"total: n {len(outcomes)}, found {pct(o.found for o in outcomes):.0f}%, CER median "
          f"{statistics.median([o.cer for o in outcomes]):.3f} mean "
          f"{statistics.fmean([o.cer for o in outcomes]):.3f}, type right "
          f"{pct(o.type_right for o in outcomes):.0f}%, median "
          f"{statistics.median([o.seconds for o in outcomes]):.2f} s")


# --- main -----------------------------------------------------------------------------------


def code_stamp() -> dict[str, int]:
    """Modification times of the package's files, to notice edits made while the run goes on."""
    return {str(p): p.stat().st_mtime_ns for p in sorted((ROOT / "psod_ocr").rglob("*.py"))}


# --- speed: whole processes, one core, side by side -----------------------------------------

SPEED_KINDS = {  # simulator options per KVM kind, as benchmarks/accuracy.py makes them
    "KVM lossless": {"scale": (1.0, 1.0), "fmt": "png", "chrome": None, "letterbox": None, "crop": False,
                     "annotate": False, "redact": 0},
    "KVM viewer": {"crop": False, "annotate": False, "redact": 0},
}  # fmt: skip
SPEED_SEED = 290_000


def one_core() -> list[str]:
    """A command prefix that keeps a process (and its children) on one core, when taskset is there."""
    return ["taskset", "-c", "0"] if shutil.which("taskset") else []


def timed_run(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([*one_core(), *command], env=env, capture_output=True, check=False)
    if done.returncode not in (0, 1):  # 1: read, but no PSOD found
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-300:]}")
    return time.perf_counter() - start


def speed(n: int) -> None:
    """``n`` KVM captures of each kind, each read by a whole ``psod-ocr scan`` process and by a
    whole stock ``tesseract --psm 6`` process, one after the other on one core."""
    texts = load_texts()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    ours_command = [str(Path(sys.executable).parent / "psod-ocr"), "scan", "--no-store", "--jobs", "1"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env["XDG_DATA_HOME"] = tmp  # (nothing stored, nor read from a user's history)
        for kind, options in SPEED_KINDS.items():
            ours, stock = [], []
            for i in range(n):
                text = texts[i % len(texts)]
                sim = simulate(text.body, "kvm_screenshot", seed=SPEED_SEED + i, **options)
                path = Path(tmp) / f"{i}.{sim.capture.format}"
                path.write_bytes(sim.capture.image_bytes)
                ours.append(timed_run([*ours_command, str(path)], env))
                stock.append(timed_run(["tesseract", str(path), "stdout", "--psm", "6"], env))
            ratio = statistics.median(s / o for s, o in zip(stock, ours, strict=True))
            rows.append((kind, [n, statistics.median(ours), percentile(ours, 0.95), statistics.median(stock),
                                percentile(stock, 0.95), ratio]))  # fmt: skip
    columns = (("n", "d"), ("psod-ocr median s", ".2f"), ("p95 s", ".2f"), ("tesseract median s", ".2f"),
               ("p95 s", ".2f"), ("tesseract / psod-ocr", ".2f"))  # fmt: skip
    print(f"\nSpeed: whole processes on one core{'' if one_core() else ' (no taskset: not pinned)'}, "
          "psod-ocr scan against stock tesseract --psm 6 on the same picture\n")
    print_table("capture", columns, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=240, help="simulated captures (default 240)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_N} captures")
    parser.add_argument("--save-failures", type=Path, metavar="DIR",
                        help="write failing captures (image + JSON with truth and params) here")
    parser.add_argument("--speed", type=int, metavar="N",
                        help="only the speed table: N KVM captures of each kind, whole processes on one core")
    args = parser.parse_args()
    if args.speed:
        print(f"psod_ocr {code_version()}")
        speed(args.speed)
        return
    texts = load_texts()
    jobs = make_jobs(texts, QUICK_N if args.quick else args.n, args.save_failures)
    reals = real_entries()
    print(f"{len(jobs)} simulated captures from {len(texts)} texts, {len(reals)} real captures, "
          f"{args.jobs} workers", file=sys.stderr)
    start, version, stamp = time.perf_counter(), code_version(), code_stamp()
    with Pool(args.jobs) as pool:
        simulated = run_all(pool, run_job, jobs)
        real = run_all(pool, run_real, reals)
    print(f"psod_ocr {version}")
    if code_stamp() != stamp:
        print("WARNING: psod_ocr/ changed during the run; the numbers may mix two versions")
    print(f"\nSimulated captures ({len(jobs)}, {len(texts)} texts, seed = capture index)\n")
    print_simulated(simulated)
    if real:
        print(f"\nReal captures ({SHARED / 'real-captures'})\n")
        print_real(real)
    print(f"\nwall time {time.perf_counter() - start:.0f} s with {args.jobs} workers")


if __name__ == "__main__":
    main()
