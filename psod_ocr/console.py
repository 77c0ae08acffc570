"""The ``psod-ocr`` process: stop signals handled from our first line, then the command.

Nothing heavy is imported before the handler is in place (the package's ``__init__`` is lazy),
so Ctrl-C or SIGTERM while the command starts up ends it quietly with the shell's exit status
(130, 143) instead of a traceback. A command that must finish a step first (``scan``) sets its
own handler while it runs. A second signal, or one after the command has returned, ends the
process at once.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from . import interrupt

_stopping = False


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _stopping
    if _stopping:
        interrupt.flush()
        os._exit(interrupt.exit_code(signum))
    _stopping = True
    raise interrupt.Interrupted(signum)


def run() -> None:
    global _stopping
    interrupt.enable_backstop()
    interrupt.end_on_lost_stop()
    for signum in interrupt.STOP_SIGNALS:
        signal.signal(signum, _on_signal)
    try:
        from .cli import main

        code = main()
        _stopping = True
    except KeyboardInterrupt as exc:  # Interrupted (SIGINT, SIGTERM), or a bare Ctrl-C
        _stopping = True
        code = exc.exit_code if isinstance(exc, interrupt.Interrupted) else interrupt.exit_code(signal.SIGINT)
    interrupt.flush()
    sys.exit(code)
