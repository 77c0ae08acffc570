"""Batch throughput: `psod-ocr scan --jobs 1` and `--jobs 2` against the Tesseract CLI, same images.

Run: .venv/bin/python benchmarks/throughput.py [--n 16] [--repeat 2] [--keep DIR]

Writes N simulated captures (generated texts, seed 0; half KVM screenshots, half mild phone
photos, in the installed console fonts) to a temporary folder, then times, as subprocesses:

- `psod-ocr scan --no-store --format jsonl --jobs 1 DIR` (in-process, one image after another),
- `psod-ocr scan --no-store --format jsonl --jobs 2 DIR` (two worker processes),
- `tesseract IMG stdout --psm 6` on every image one by one (OMP_THREAD_LIMIT=1), the floor
  for one core: psod-ocr runs Tesseract once per image plus its own stages.

Runs are interleaved and repeated (`--repeat`); the table shows the median wall time. Peak
memory is the largest sum of the resident set sizes of the command and all its descendants
(workers, forkserver, Tesseract), sampled every 20 ms with psutil. The issue's target: `--jobs 2`
at least 1.7x the throughput of `--jobs 1` on two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from common import ROOT, code_version

from psod_ocr.simulate.capture import simulate
from psod_ocr.simulate.fonts import available_fonts
from psod_ocr.simulate.screen import guess_layout
from psod_ocr.simulate.texts import generate_texts

SAMPLE_S = 0.02
PSOD_OCR = [sys.executable, "-m", "psod_ocr"]


def write_images(folder: Path, n: int) -> list[Path]:
    paths = []
    for i, gen in enumerate(generate_texts(n, seed=0)):
        fonts = available_fonts(guess_layout(gen.printed))
        kind = "kvm_screenshot" if i % 2 == 0 else "phone_photo"
        cap = simulate(gen.printed, kind, seed=i, font=fonts[i % len(fonts)], severity="mild").capture
        path = folder / f"{i:02d}-{kind}.{'jpg' if cap.format == 'jpeg' else cap.format}"
        path.write_bytes(cap.image_bytes)
        paths.append(path)
    return paths


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # gone meanwhile
            total += p.memory_info().rss
    return total


def measure(commands: list[list[str]], env: dict[str, str]) -> tuple[float, int, list[int]]:
    """Run the commands one after the other: wall seconds, peak tree RSS, exit codes."""
    peak = 0
    codes = []
    start = time.perf_counter()
    for cmd in commands:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        watched = psutil.Process(proc.pid)
        stop = threading.Event()

        def sample(watched: psutil.Process = watched, stop: threading.Event = stop) -> None:
            nonlocal peak
            while not stop.is_set():
                with contextlib.suppress(psutil.Error):
                    peak = max(peak, tree_rss(watched))
                time.sleep(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        codes.append(proc.wait())
        stop.set()
        sampler.join()
    return time.perf_counter() - start, peak, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16, help="images (default 16)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each command (default 2)")
    parser.add_argument("--keep", type=Path, help="write the images here and keep them")
    args = parser.parse_args()
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        sys.exit("tesseract is not installed")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        images = write_images(folder, args.n)
        runs = {
            "psod-ocr scan --jobs 1": [[*PSOD_OCR, "scan", "--no-store", "--format", "jsonl", "--jobs", "1",
                                        str(folder)]],
            "psod-ocr scan --jobs 2": [[*PSOD_OCR, "scan", "--no-store", "--format", "jsonl", "--jobs", "2",
                                        str(folder)]],
            "tesseract CLI, one by one": [[tesseract, str(p), "stdout", "--psm", "6"] for p in images],
        }  # fmt: skip
        print(f"psod_ocr commit {code_version()}; {len(images)} images ({args.n // 2 + args.n % 2} KVM "
              f"screenshots, {args.n // 2} phone photos); {os.cpu_count()} cores; load average before: "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
        results: dict[str, list[tuple[float, int]]] = {name: [] for name in runs}
        for r in range(args.repeat):
            for name, commands in runs.items():
                seconds, peak, codes = measure(commands, env)
                if name.startswith("psod-ocr") and codes[0] not in (0, 1):
                    sys.exit(f"{name} failed with exit code {codes[0]}")
                results[name].append((seconds, peak))
                print(f"  run {r + 1}: {name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    base = statistics.median(s for s, _ in results["psod-ocr scan --jobs 1"])
    header = ("command", "images/min", "median s", "runs s", "peak RSS MB", "vs --jobs 1")
    rows = []
    for name, got in results.items():
        median = statistics.median(s for s, _ in got)
        rows.append((name, f"{len(images) * 60 / median:.1f}", f"{median:.1f}",
                     " ".join(f"{s:.1f}" for s, _ in got), f"{max(p for _, p in got) / 2**20:.0f}",
                     f"{base / median:.2f}x"))  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))
        print("  ".join([row[0].ljust(widths[0]), *cells]))
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
