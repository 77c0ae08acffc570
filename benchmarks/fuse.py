"""Several photos of one screen: the best single photo against the fused reading (`--same-screen`).

Run: .venv/bin/python benchmarks/fuse.py [--n 12] [--jobs 2] [--photos 3] [--severity hard]

N generated screens (psod_ocr.simulate.texts, `--seed`, default 2: psod_ocr.fuse was developed
looking at seeds 0 and 1), each in one installed console font and photographed `--photos` times
as hard phone photos (psod_ocr.simulate, a different seed per photo: angle, glare, blur, moiré
and noise all change). Each photo is read by psod-ocr; the
readings of one screen are fused by psod_ocr.fuse.fuse_reports. A second experiment cuts the
a mild photo of each screen into a top and a bottom part (62 % of the picture each, so they
share some rows) and fuses the two parts.

Scores are those of benchmarks/accuracy.py (benchmarks/external.py: hex, symbols and headline
exact, type right, CER, against the rendered rows). Rows: `first photo` (what one photo gives),
`best single photo` (per screen the photo with the lowest CER, an oracle no user has), `fused`.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from dataclasses import dataclass
from multiprocessing import Pool
from typing import Any

from accuracy import (  # sets OMP_THREAD_LIMIT
    Score,
    Truth,
    print_table,
    reading_of,
    row,
    score,
    simulated_truth,
)
from common import code_version
from PIL import Image

from psod_ocr.capture import scan
from psod_ocr.fuse import fuse_reports
from psod_ocr.report import Report
from psod_ocr.simulate.capture import simulate
from psod_ocr.simulate.fonts import available_fonts
from psod_ocr.simulate.screen import guess_layout
from psod_ocr.simulate.texts import generate_texts

PART = 0.62  # share of the picture's height each part of a cut photo keeps


@dataclass(frozen=True)
class Job:
    screen: int
    photo: int
    text: str
    font: str
    severity: str


@dataclass(frozen=True)
class Read:
    screen: int
    photo: int  # -1: a mild photo cut into a top and a bottom part
    reports: tuple[Report, ...]  # the photo, or its two parts
    seconds: float  # reading them
    truth: Truth


def _cut(rgb: Any, top: bool) -> bytes:
    h = rgb.shape[0]
    keep = rgb[: round(h * PART)] if top else rgb[h - round(h * PART) :]
    buf = io.BytesIO()
    Image.fromarray(keep).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def run_job(job: Job) -> Read:
    cut = job.photo < 0
    seed = 1000 * job.screen + (999 if cut else job.photo)
    severity = "mild" if cut else job.severity
    sim = simulate(job.text, "phone_photo", seed=seed, font=job.font, severity=severity)
    cap = sim.capture
    start = time.perf_counter()
    if cut:
        reports = tuple(scan(_cut(cap.rgb, top), name=f"screen{job.screen}-{'top' if top else 'bottom'}.jpg")
                        for top in (True, False))  # fmt: skip
    else:
        reports = (scan(cap.image_bytes, name=f"screen{job.screen}-photo{job.photo}.jpg"),)
    seconds = time.perf_counter() - start
    return Read(job.screen, job.photo, reports, seconds, simulated_truth(sim, cap.size))


def jobs_for(n: int, photos: int, severity: str, seed: int = 2) -> list[Job]:
    jobs = []
    for i, gen in enumerate(generate_texts(n, seed=seed)):
        fonts = available_fonts(guess_layout(gen.printed))
        font = fonts[i % len(fonts)]
        jobs += [Job(i, k, gen.printed, font, severity) for k in range(-1, photos)]
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12, help="screens (default 12)")
    parser.add_argument("--photos", type=int, default=3, help="photos per screen (default 3)")
    parser.add_argument("--severity", choices=("mild", "hard"), default="hard")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=2,
                        help="texts seed (default 2; fuse.py was developed on seeds 0 and 1)")  # fmt: skip
    args = parser.parse_args()
    print(f"psod_ocr commit {code_version()}")
    print(f"{args.n} screens x {args.photos} {args.severity} phone photos, {args.jobs} workers")
    start = time.perf_counter()
    with Pool(args.jobs) as pool:
        reads = pool.map(run_job, jobs_for(args.n, args.photos, args.severity, args.seed), chunksize=1)
    by_screen: dict[int, list[Read]] = {}
    for r in reads:
        by_screen.setdefault(r.screen, []).append(r)
    first: list[Score] = []
    best: list[Score] = []
    fused: list[Score] = []
    part_best: list[Score] = []
    parts_fused: list[Score] = []
    fuse_ms = []
    for screen in sorted(by_screen):
        cut, *group = sorted(by_screen[screen], key=lambda r: r.photo)
        truth = group[0].truth
        singles = [score(truth, reading_of(r.reports[0], r.seconds)) for r in group]
        first.append(singles[0])
        best.append(min(singles, key=lambda s: s.cer))
        t = time.perf_counter()
        together = fuse_reports([r.reports[0] for r in group])
        fuse_ms.append((time.perf_counter() - t) * 1000)
        fused.append(score(truth, reading_of(together, sum(r.seconds for r in group) + fuse_ms[-1] / 1000)))
        half = cut.seconds / 2
        part_best.append(min((score(truth, reading_of(p, half)) for p in cut.reports), key=lambda s: s.cer))
        parts_fused.append(score(cut.truth, reading_of(fuse_reports(cut.reports), cut.seconds)))
    print(f"\n{args.photos} whole-screen photos of each screen")
    print_table("reading", [("first photo", row(first)), ("best single photo", row(best)),
                            (f"fused ({args.photos} photos)", row(fused))])  # fmt: skip
    print(f"\na mild photo cut into a top and a bottom part ({PART:.0%} of the height each)")
    print_table("reading", [("better part alone", row(part_best)), ("parts fused", row(parts_fused))])
    fusing = statistics.median(fuse_ms)
    print(f"\nmedian s of a fused row: reading all its pictures, plus fusing ({fusing:.0f} ms median); "
          f"wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
