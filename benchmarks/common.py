"""What the benchmarks share: where data lives, text normalisation, the pool loop, the commit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PSOD_SHARED", ROOT.parent / "shared"))


def normalise(text: str) -> str:
    """Right-strip every line and drop the empty lines at the end."""
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def real_entries() -> list[dict[str, Any]]:
    """The real captures' manifest entries (none when ../shared is absent)."""
    manifest = SHARED / "real-captures" / "manifest.json"
    return json.loads(manifest.read_text("utf-8"))["images"] if manifest.exists() else []


def run_all(pool: Any, worker: Any, items: list[Any]) -> list[Any]:
    """Map in the pool in input order, reporting progress on stderr."""
    outcomes = []
    for outcome in pool.imap(worker, items):
        outcomes.append(outcome)
        if len(outcomes) % 10 == 0 or len(outcomes) == len(items):
            print(f"  {len(outcomes)}/{len(items)}", file=sys.stderr, flush=True)
    return outcomes


def code_version() -> str:
    """The commit measured, and whether psod_ocr/ had uncommitted changes."""

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return run.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "psod_ocr")
    return commit + (" (psod_ocr/ has uncommitted changes)" if dirty else "")
