"""What ``scan PATH...`` means: files, folders (walked), glob patterns and ``-`` (paths on stdin).

Expansion happens here rather than in the shell because Windows shells and scripts that pass
quoted patterns do not expand them. A path that names nothing is kept as it is, so that the
batch reports it in one line like any other unreadable input instead of failing up front;
a folder that cannot be listed is a line of its own (``Inputs.problems``), never silently empty.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif"}
)
GLOB_CHARS = frozenset("*?[")
# Leading bytes of the formats above, for files in a folder whose name has no known suffix.
SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def looks_like_image(path: Path) -> bool:
    """By suffix, else by the file's first bytes (a phone upload named ``IMG_0042`` still counts)."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError:
        return False
    if head.startswith(SIGNATURES):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


@dataclass
class Inputs:
    names: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line each: a folder not listed

    def cannot_list(self, exc: OSError) -> None:
        self.problems.append(f"{exc.filename}: cannot read folder: {exc.strerror or exc}")


def walk(folder: Path, inputs: Inputs) -> Iterator[str]:
    """Image files below ``folder``, sorted, hidden files and folders skipped."""
    for root, dirs, files in os.walk(folder, onerror=inputs.cannot_list):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not name.startswith(".") and path.is_file() and looks_like_image(path):
                yield str(path)


def _expand(arg: str, inputs: Inputs) -> Iterator[str]:
    path = Path(arg)
    if path.is_dir():
        yield from walk(path, inputs)
    elif not path.exists() and GLOB_CHARS & set(arg):
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            yield arg  # reported as missing, like any path that names nothing
        for match in matches:
            yield from walk(Path(match), inputs) if Path(match).is_dir() else [match]
    else:
        yield arg  # a file named on the command line is tried whatever its suffix


def expand_inputs(args: Iterable[str], stdin: TextIO) -> Inputs:
    """Every input once, in the order given; ``-`` reads one path a line from ``stdin``."""
    inputs = Inputs()
    seen: set[str] = set()
    for arg in args:
        given = [line.strip() for line in stdin.read().splitlines()] if arg == "-" else [arg]
        for one in given:
            for name in _expand(one, inputs) if one else ():
                key = os.path.realpath(name)
                if key not in seen:
                    seen.add(key)
                    inputs.names.append(name)
    return inputs


def output_stems(names: list[str]) -> list[str]:
    """File-name stems for ``--out``: the input's stem, ``-2``, ``-3`` ... when stems repeat."""
    used: set[str] = set()
    stems = []
    for name in names:
        base = Path(name).stem or "input"
        stem, n = base, 1
        while stem in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem)
        stems.append(stem)
    return stems
