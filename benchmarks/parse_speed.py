"""Parse speed: screens parsed and classified per second on the shared transcripts.

Run: .venv/bin/python benchmarks/parse_speed.py [--repeat N]
Prints one row per text source and a total, measured on this machine now.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from psod_ocr import read_text

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PSOD_SHARED", ROOT.parent / "shared"))


def sources() -> dict[str, list[str]]:
    found = {
        "shared transcripts": sorted((SHARED / "transcripts").glob("*.txt")),
        "real-capture transcriptions": sorted((SHARED / "real-captures").glob("*.txt")),
        "own corpus": sorted((ROOT / "corpus" / "texts").glob("*.txt")),
    }
    return {k: [p.read_text("utf-8") for p in v] for k, v in found.items() if v}


def measure(texts: list[str], repeat: int) -> list[float]:
    for text in texts:  # warm caches (data files, compiled patterns)
        read_text(text)
    times = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            read_text(text)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()
    rows = []
    everything: list[float] = []
    for name, texts in sources().items():
        times = measure(texts, args.repeat)
        everything += times
        rows.append((name, len(texts), times))
    rows.append(("all", sum(r[1] for r in rows), everything))
    print(f"{'texts':<30} {'n':>4} {'parses/s':>10} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for name, n, times in rows:
        ordered = sorted(times)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"{name:<30} {n:>4} {len(times) / sum(times):>10.0f} "
              f"{statistics.median(times) * 1e3:>10.3f} {p95 * 1e3:>8.3f} {ordered[-1] * 1e3:>8.3f}")


if __name__ == "__main__":
    main()
