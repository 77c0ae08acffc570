"""Exit codes and the errors that carry them; the CLI's one top-level handler uses both."""

from __future__ import annotations

import os
import stat
from enum import IntEnum
from pathlib import Path
from typing import BinaryIO


class ExitCode(IntEnum):
    OK = 0  # every input was read as a purple diagnostic screen
    NOT_A_PSOD = 1  # some input failed or held no purple screen
    USAGE = 2  # bad arguments, or an input that cannot be opened at all
    INTERRUPTED = 130  # Ctrl-C: the results finished until then were still kept (128 + SIGINT)
    TERMINATED = 143  # SIGTERM, the same way (128 + SIGTERM)


class PsodError(Exception):
    """An input-level failure with a one-line message for the user."""

    exit_code = ExitCode.NOT_A_PSOD


class InputError(PsodError):
    """The input cannot be opened (missing, a directory, unreadable)."""

    exit_code = ExitCode.USAGE


class NotAFileError(PsodError):
    """A FIFO, a device or a socket: reading one could block for ever or never end."""


CHUNK = 1024 * 1024
STREAMS = ("/dev/stdin", "/dev/fd/", "/proc/self/fd/")  # already open to us: `-`, `<(...)`
KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISSOCK, "a socket"))  # fmt: skip


def read_file(path: str | Path, label: str, max_bytes: int, error: type[PsodError]) -> bytes:
    """A regular file's bytes, or a stream's the command was handed (``/dev/stdin``, a shell's
    ``<(...)``), read once; ``error`` with one line for a missing, too large or unreadable one,
    ``NotAFileError`` for any other kind of file, found before anything is read from it."""
    stream = str(path).startswith(STREAMS)
    try:
        _check_kind(os.stat(path), label, stream, max_bytes, error)
        nonblocking = 0 if stream else getattr(os, "O_NONBLOCK", 0)  # opening a FIFO never waits
        with open(os.open(path, os.O_RDONLY | nonblocking), "rb") as f:
            _check_kind(os.fstat(f.fileno()), label, stream, max_bytes, error)  # what was opened
            data = _read_at_most(f, max_bytes)
    except OSError as exc:
        raise error(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise error(f"{label}: over the {max_bytes}-byte limit")
    return data


def _read_at_most(f: BinaryIO, limit: int) -> bytes:
    """Up to one chunk past ``limit`` (a stream has no size to look at first), never a buffer of
    ``limit`` bytes allocated up front for a small file."""
    chunks, total = [], 0
    while total <= limit and (chunk := f.read(CHUNK)):
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _check_kind(info: os.stat_result, label: str, stream: bool, max_bytes: int,
                error: type[PsodError]) -> None:  # fmt: skip
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{label}: is a directory")
    if not stat.S_ISREG(info.st_mode) and not stream:
        kind = next((name for test, name in KINDS if test(info.st_mode)), "a special file")
        raise NotAFileError(f"{label}: {kind}, not a regular file: not read")
    if info.st_size > max_bytes:
        raise error(f"{label}: file is {info.st_size} bytes, over the {max_bytes}-byte limit")
