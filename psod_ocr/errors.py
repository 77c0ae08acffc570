"""Exit codes and the errors that carry them; the CLI's one top-level handler uses both."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0  # every input was read as a purple diagnostic screen
    NOT_A_PSOD = 1  # some input failed or held no purple screen
    USAGE = 2  # bad arguments, or an input that cannot be opened at all
    INTERRUPTED = 130  # Ctrl-C: the results finished until then were still kept (128 + SIGINT)


class PsodError(Exception):
    """An input-level failure with a one-line message for the user."""

    exit_code = ExitCode.NOT_A_PSOD


class InputError(PsodError):
    """The input cannot be opened (missing, a directory, unreadable)."""

    exit_code = ExitCode.USAGE


def read_file(path: str | Path, label: str, max_bytes: int, error: type[PsodError]) -> bytes:
    """A file's bytes, or ``error`` with one line: missing, a directory, too large, unreadable."""
    path = Path(path)
    try:
        if path.is_dir():
            raise error(f"{label}: is a directory")
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{label}: file is {size} bytes, over the {max_bytes}-byte limit")
        return path.read_bytes()
    except OSError as exc:
        raise error(f"{label}: cannot read: {exc.strerror or exc}") from exc
