"""Exit codes and the errors that carry them; the CLI's one top-level handler uses both."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every input was read as a purple diagnostic screen
    NOT_A_PSOD = 1  # some input failed or held no purple screen
    USAGE = 2  # bad arguments, or an input that cannot be opened at all


class PsodError(Exception):
    """An input-level failure with a one-line message for the user."""

    exit_code = ExitCode.NOT_A_PSOD


class InputError(PsodError):
    """The input cannot be opened (missing, a directory, unreadable)."""

    exit_code = ExitCode.USAGE
