"""What is done with an uploaded file: nothing the client sends becomes a path.

The file is copied, in chunks, into a file of our own naming in the server's private temporary
folder (hashing and counting as it goes); the client's file name is only a label in the report.
Whether it is an image, and which kind, is decided from the bytes (``load.py``), never the name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..knowledge import LANGS

CHUNK = 1024 * 1024
MAX_LABEL = 200
MAX_HOST = 255
DEFAULT_LABEL = "upload"


class ApiError(Exception):
    """A request that cannot be answered; ``status`` is the HTTP status, the message one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _printable(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c)[0] != "C")


def label_of(filename: str | None) -> str:
    """The client's file name as a label: its last part, printable, not too long."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = _printable(name).strip().lstrip(".")
    return name[:MAX_LABEL] or DEFAULT_LABEL


def host_of(value: object) -> str | None:
    """The host label from the form, or None; control characters or a silly length are refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "host must be a text field")
    host = value.strip()
    if len(host) > MAX_HOST or _printable(host) != host:
        raise ApiError(400, f"host must be at most {MAX_HOST} printable characters")
    return host or None


def lang_of(value: object) -> str:
    lang = value if isinstance(value, str) and value else "en"
    if lang not in LANGS:
        raise ApiError(400, f"lang must be one of {', '.join(LANGS)}")
    return lang


@dataclass(frozen=True)
class Spooled:
    path: Path  # ours, in the server's temporary folder; the caller removes it
    sha256: str
    size: int


def spool(source: BinaryIO, folder: Path, max_bytes: int, label: str) -> Spooled:
    """Copy an upload into a new file in ``folder``; refuse it past ``max_bytes`` or empty."""
    digest, size = hashlib.sha256(), 0
    fd, name = tempfile.mkstemp(dir=folder, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ApiError(413, f"{label}: over the {max_bytes}-byte limit")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ApiError(422, f"{label}: empty file")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(path, digest.hexdigest(), size)
