"""What a batch says while it runs: one-line messages on stderr, and a progress bar (count, ETA)
there when stderr is a terminal; nothing but the messages when it is not (a log, a pipe, CI).

While the bar is shown, messages, and standard output when it goes to the same terminal, are
printed through the bar's console, which keeps the bar below them instead of tearing it.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, TextIO


def _tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Ui:
    def __init__(self, stdout: TextIO, stderr: TextIO, total: int, what: str = "reading") -> None:
        self.stdout, self.stderr, self.total, self.what = stdout, stderr, total, what
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Ui:
        if _tty(self.stderr):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,  # fmt: skip
                TimeRemainingColumn,
            )

            console = Console(file=self.stderr)
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=console, transient=True, redirect_stdout=False, redirect_stderr=False,
            )  # fmt: skip
            self._progress.start()
            self._task = self._progress.add_task(self.what, total=self.total)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    @property
    def live(self) -> bool:
        return self._progress is not None

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def say(self, line: str) -> None:
        """One line on stderr."""
        if self._progress is not None:
            self._progress.console.out(line, highlight=False)
        else:
            self.stderr.write(line + "\n")
            self.stderr.flush()

    def out(self, text: str, flush: bool = False) -> None:
        """Standard output; through the bar's console when both go to the terminal."""
        if self._progress is not None and _tty(self.stdout):
            self._progress.console.out(text, highlight=False, end="")
            return
        self.stdout.write(text)
        if flush:
            self.stdout.flush()
