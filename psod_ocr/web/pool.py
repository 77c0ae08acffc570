"""OCR in a bounded pool of worker processes, so the server stays up whatever a picture does.

A picture is read in a separate process: a crash there (a segfault in a native library, the
kernel's OOM killer) breaks only the pool, which is then replaced. Uploads beyond ``queue``
waiting ones are refused (``Busy``, HTTP 503) rather than piling up on disk and in memory. An
upload is admitted once it has been received whole: a client still sending holds no place.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ..interrupt import as_worker

log = logging.getLogger("psod_ocr.web")


class Busy(Exception):
    """Every worker is busy and the queue is full."""


class WorkerCrashed(Exception):
    """The worker process died while reading the picture (twice: it is not bad luck)."""


def _warm() -> int:
    from .. import capture  # noqa: F401  (the imports take a second: not on the first upload)

    return os.getpid()


def _scan_file(path: str, label: str, lang: str) -> dict[str, Any]:
    from ..capture import scan

    return scan(Path(path), name=label, lang=lang).to_dict()


class ScanPool:
    """``workers`` processes reading pictures; at most ``workers + queue`` uploads in progress.

    ``ticket()`` and ``scan()`` are called from the event loop thread only.
    """

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = max(1, workers)
        self.limit = self.workers + max(0, queue)
        self.active = 0
        self._executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server process has threads (the event loop, the thread pool).
        return ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=as_worker)

    def warm(self) -> None:
        """Start the workers and import the pipeline in them now, not on the first upload."""
        for _ in range(self.workers):
            self._executor.submit(_warm)

    @contextmanager
    def ticket(self) -> Iterator[None]:
        """Admit one upload for as long as it is in progress, or raise ``Busy``."""
        if self.active >= self.limit:
            raise Busy(f"{self.active} uploads are in progress; try again shortly")
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1

    async def scan(self, path: Path, label: str, lang: str) -> dict[str, Any]:
        """The report of the picture at ``path`` (a file of ours) as JSON. A crashed pool is
        replaced and the picture tried once more: it may have died for another picture."""
        for attempt in (1, 2):
            executor = self._executor
            try:
                return await asyncio.wrap_future(executor.submit(_scan_file, str(path), label, lang))
            except BrokenProcessPool:
                log.error("a worker process died reading %s (attempt %d); starting new workers", label,
                          attempt)  # fmt: skip
                if self._executor is executor:
                    self._executor = self._new()
                    executor.shutdown(wait=False, cancel_futures=True)
        raise WorkerCrashed(f"{label}: the reader process crashed on this picture")

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
