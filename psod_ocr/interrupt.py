"""SIGINT and SIGTERM as a request to stop, raised only where stopping is safe.

Python turns Ctrl-C into a KeyboardInterrupt wherever the main thread happens to be. Inside
``concurrent.futures.wait`` that leaves a future's lock held: the pool's manager thread then
blocks on it and the process never exits. So while a batch runs, both signals only set a flag
(``Stop``): its loops poll it between steps (``check``), and only blocks that are safe to cut
short, OCR in this very process, let the signal raise at once (``cuttable``). When the process is
the ``psod-ocr`` command itself, a backstop ends it a few seconds after the signal whatever is
still stuck, so a stop request always ends the process. Worker processes leave Ctrl-C to their
parent and end, with their own children, on SIGTERM or when the parent is gone (``as_worker``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
BACKSTOP_S = 4.0  # after the first stop signal; within the 5 s a user waits before killing
FLUSH_S = 0.5  # the backstop's last flush of stdout, given up if the stream is blocked

Handler = Callable[[int, FrameType | None], Any]
_backstop = threading.Event()  # set: this process is the command, the backstop may end it


class Interrupted(KeyboardInterrupt):
    """A stop signal, raised where it is safe; a KeyboardInterrupt, so code that already
    catches Ctrl-C catches SIGTERM too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum)


def exit_code(signum: int) -> int:
    """What a shell reports for a process a signal ended: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


def enable_backstop() -> None:
    """Only the command's entry point may end the whole process (never a test runner's)."""
    _backstop.set()


def end_on_lost_stop() -> None:
    """A stop signal's exception raised where Python cannot pass it on (a weakref callback an
    import runs, a ``__del__``) would be printed as "Exception ignored" and the stop lost: the
    command then ends as the signal asked, quietly. Any other such exception is reported as
    Python reports it."""

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, Interrupted) and _backstop.is_set():
            flush()
            os._exit(unraisable.exc_value.exit_code)
        sys.__unraisablehook__(unraisable)

    sys.unraisablehook = hook


def arm_backstop(signum: int) -> None:
    if not _backstop.is_set():
        return
    timer = threading.Timer(BACKSTOP_S, _end, (exit_code(signum),))
    timer.daemon = True
    timer.start()


def _end(code: int) -> None:
    flusher = threading.Thread(target=flush, daemon=True)
    flusher.start()
    flusher.join(FLUSH_S)
    os._exit(code)


def flush() -> None:
    """What was printed, out before an ``os._exit`` (which skips Python's own flushing)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # closed, or a reentrant call from a handler
            stream.flush()


class Stop:
    """The signal handler of a batch: remembers the first stop signal and raises only inside
    ``cuttable`` blocks; elsewhere the batch calls ``check`` when it is safe to stop."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._cuttable = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            arm_backstop(signum)
        if self._cuttable:
            raise Interrupted(signum)

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def check(self) -> None:
        if self.signum is not None:
            raise Interrupted(self.signum)

    @contextlib.contextmanager
    def cuttable(self) -> Iterator[None]:
        """A block the signal may cut short at any point (it holds no lock another thread needs)."""
        self.check()
        self._cuttable = True
        try:
            yield
        finally:
            self._cuttable = False


@contextlib.contextmanager
def handling(handler: Handler) -> Iterator[None]:
    """``handler`` for both stop signals while the block runs; only the main thread may set
    handlers, so elsewhere (a web server's thread calling the CLI) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, signal.SIG_DFL if old is None else old)  # None: set outside Python


@contextlib.contextmanager
def deaf_children() -> Iterator[None]:
    """Processes started in the block ignore SIGINT from their first instruction: an ignored
    signal stays ignored across exec, and Python then installs no KeyboardInterrupt handler. A
    terminal sends Ctrl-C to the whole group, and a helper process (the forkserver) must not die
    half-way through its imports with a traceback. Meanwhile this process holds the signal back
    (Linux keeps a blocked signal pending even while it is ignored), so its own is not lost."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def as_worker() -> None:
    """In a pool worker: Ctrl-C is the parent's business (a terminal sends it to the whole
    group); SIGTERM ends the worker at once; so does its parent's end. A parent killed outright
    (kill -9) cannot stop its workers: they would wait for tasks for ever (and keep a forkserver
    alive); the parent's sentinel, readable once it is gone, ends them."""
    import psutil  # noqa: F401  (now, not inside the signal handler)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, end_worker)
    sentinel = getattr(multiprocessing.parent_process(), "sentinel", None)
    if sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        end_worker()

    threading.Thread(target=watch, name="psod-ocr-parent-watch", daemon=True).start()


def end_worker(*_: object) -> None:
    """End now, and Tesseract with us."""
    kill_children()
    os._exit(1)


def kill_children() -> None:
    """Tesseract runs as our child: stopped mid-picture, it would read on for nobody."""
    import psutil

    with contextlib.suppress(psutil.Error):
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
