"""Writing a file the safe way: every report, picture and cache file psod-ocr leaves behind."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TEMP_NAME_CHARS = 32  # of the target's name in the temporary one: long names stay under NAME_MAX


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to a hidden temporary file beside ``path`` and rename it
    over ``path``: a reader never sees half a file, a process killed mid-write leaves the old
    one, and a symlink at ``path`` is replaced, never written through. The temporary file is
    removed when writing fails. Permissions follow the umask, as for a plain ``open``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp, fd = _create_beside(path)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_beside(path: Path) -> tuple[Path, int]:
    """A new hidden file in ``path``'s folder (O_EXCL: never an existing file or link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.name[:TEMP_NAME_CHARS]}.{secrets.token_hex(6)}.tmp")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
