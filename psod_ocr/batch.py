"""Read many pictures at once: one task per picture, run in this process, a local process pool
or a Dask cluster, results handed back as they finish.

A task is self-contained and picklable (the path, or the bytes when the worker may not share
our file system) and never raises: a picture that cannot be read, or a bug it triggers, comes
back as an ``Outcome`` with a one-line error, so one bad input never stops the batch. Workers
run one Tesseract thread each (``OMP_THREAD_LIMIT=1``) and one OpenCV thread, load the image
pipeline once (a forkserver preloads it; the pool initializer imports it otherwise), and ignore
Ctrl-C: the parent decides what to keep, then stops them. A worker ends, with its Tesseract, when
it is told to (SIGTERM) or when the parent is gone, however the parent ended.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ExitCode, PsodError, read_file
from .interrupt import Interrupted, Stop, as_worker, deaf_children, kill_children
from .report import Report

# The forkserver imports the heavy third-party modules once; each worker then imports only the
# package (fast), with the parent's sys.path, so a checkout on PYTHONPATH is the one that runs.
PRELOAD = ["numpy", "cv2", "PIL.Image", "pytesseract", "rapidfuzz.fuzz"]
PIPELINE = ["psod_ocr.capture", "psod_ocr.annotate"]
PREVIEW_SIDE = 1200  # the picture embedded in the HTML report
AHEAD = 2  # tasks queued per worker: enough to keep it busy, few enough to stop fast
STOP_WAIT = 2.0  # seconds a terminated worker has to end before it is killed
CRASH_RETRIES = 1  # a task in flight when a worker died is run again this often
POLL_S = 0.2  # how often the wait for results looks at the stop flag


@dataclass(frozen=True)
class Task:
    """One picture to read. ``data`` is None when the worker reads ``name`` itself."""

    index: int
    name: str
    lang: str = "en"
    data: bytes | None = None
    png: bool = False  # return the annotated picture as PNG (--out)
    preview: bool = False  # return it as a smaller JPEG (--format html)
    debug_dir: str | None = None
    known: Report | None = None  # a report from the history: only the pictures are needed
    note: str | None = None  # passed on to the outcome


@dataclass(frozen=True)
class Outcome:
    """What became of one input: a report, or a one-line error (never both)."""

    index: int
    name: str
    report: Report | None = None
    error: str | None = None
    exit_code: int = int(ExitCode.OK)
    sha256: str | None = None
    png: bytes | None = None
    preview: bytes | None = None
    seconds: float = 0.0
    note: str | None = None  # said on stderr, e.g. "taken from the history"

    @classmethod
    def failed(cls, index: int, name: str, exc: BaseException, **kw: Any) -> Outcome:
        """The one line for an input that failed, always naming it."""
        if isinstance(exc, PsodError):
            message, code = str(exc), int(exc.exit_code)
        else:
            message, code = f"internal error: {type(exc).__name__}: {exc}", int(ExitCode.NOT_A_PSOD)
        if not message.startswith(name):
            message = f"{name}: {message}"
        return cls(index, name, error=message, exit_code=code, **kw)


def run_task(task: Task) -> Outcome:
    """Read one picture (or, for a known one, only draw it). Never raises."""
    from .capture import Stages, scan
    from .load import MAX_BYTES, ImageLoadError, load_image

    one_thread()
    start = time.perf_counter()
    stages = Stages()
    sha = None
    try:
        data = task.data
        if data is None:
            data = read_file(task.name, task.name, MAX_BYTES, ImageLoadError)
        sha = hashlib.sha256(data).hexdigest()
        if task.known is not None:
            report = task.known
            if task.png or task.preview:
                stages.image = load_image(data, name=task.name).rgb
        else:
            report = scan(data, name=task.name, lang=task.lang, stages=stages)
        png = preview = None
        if (task.png or task.preview) and stages.image is not None:
            from .annotate import annotate, encode

            picture = annotate(stages.image, report, None if task.known is not None else stages)
            png = encode(picture, "png") if task.png else None
            preview = encode(picture, "jpeg", PREVIEW_SIDE) if task.preview else None
        return Outcome(task.index, task.name, report, sha256=sha, png=png, preview=preview,
                       seconds=time.perf_counter() - start, note=task.note)  # fmt: skip
    except Exception as exc:  # one bad picture (or a bug it triggers) is one line, never the batch
        return Outcome.failed(task.index, task.name, exc, sha256=sha, seconds=time.perf_counter() - start,
                              note=task.note)
    finally:
        if task.debug_dir is not None and task.known is None:
            from .debug import write_stages

            with contextlib.suppress(OSError):  # debugging aid only: never fails the picture
                write_stages(stages, Path(task.debug_dir), Path(task.name).stem)


def one_thread() -> None:
    """One core per task: Tesseract and OpenCV threads only oversubscribe the workers (OpenCV's
    own threads were measured not to speed a single picture up either)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import cv2

    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)


def init_worker() -> None:
    """Pool worker set-up: stop signals as a worker takes them; one thread; the pipeline
    imported now, not on the first picture."""
    as_worker()
    one_thread()
    for module in PIPELINE:
        __import__(module)


def _context() -> multiprocessing.context.BaseContext:
    """Forkserver where there is one: workers fork from a process that imported the libraries
    once (cheap start, shared pages), and never from this possibly multi-threaded one. It is
    started deaf to Ctrl-C, and so are the workers it forks: a Ctrl-C while it loads never
    prints a half-imported traceback."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    with deaf_children():
        forkserver.ensure_running()
    return ctx


Item = Task | Outcome  # an Outcome needs no worker (an unreadable file, a known report)


def run_inline(items: Iterable[Item], stop: Stop) -> Iterator[Outcome]:
    """In this process, one after the other (``--jobs 1``, or a single picture); a stop signal
    cuts the picture being read short."""
    for item in items:
        if isinstance(item, Outcome):
            yield item
            continue
        try:
            with stop.cuttable():
                outcome = run_task(item)
        except Interrupted:
            kill_children()
            raise
        yield outcome


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (Ctrl-C: do not wait for them)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+: shuts down as well
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())  # gone after shutdown()
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:  # tasks no worker will read must not hold up this process's exit
        call_queue.cancel_join_thread()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(STOP_WAIT)
        if process.is_alive():
            process.kill()


def run_pool(items: Iterable[Item], jobs: int, stop: Stop) -> Iterator[Outcome]:
    """In ``jobs`` worker processes; outcomes in the order they finish. A worker that dies
    (a crash in native code) takes the tasks in flight with it: they are run again once in a
    fresh pool, and a task that breaks it again comes back as an error. A stop signal is
    looked at between short waits, never raised inside one (see ``interrupt``)."""
    source = iter(items)
    retry: list[Task] = []
    tries: dict[int, int] = {}
    while True:
        pool = ProcessPoolExecutor(jobs, mp_context=_context(), initializer=init_worker)
        pending: dict[Future[Outcome], Task] = {}
        done_ok = False
        try:
            while True:
                stop.check()
                while len(pending) < AHEAD * jobs:
                    item = retry.pop(0) if retry else next(source, None)
                    if item is None:
                        break
                    if isinstance(item, Outcome):
                        yield item
                        continue
                    pending[pool.submit(run_task, item)] = item
                if not pending:
                    done_ok = True
                    return
                finished, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                broken = False
                for future in finished:
                    task = pending.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool as exc:
                        broken = True
                        tries[task.index] = tries.get(task.index, 0) + 1
                        if tries[task.index] > CRASH_RETRIES:
                            died = RuntimeError(f"the worker reading it died ({exc})")
                            yield Outcome.failed(task.index, task.name, died)
                        else:
                            retry.append(task)
                if broken:
                    retry += list(pending.values())  # never started or lost with the pool
                    pending.clear()
                    break
        finally:
            if done_ok:
                pool.shutdown(wait=True)
            else:
                _stop(pool)


Runner = Callable[[Iterable[Item], Stop], Iterator[Outcome]]


def local_runner(jobs: int) -> Runner:
    return run_inline if jobs <= 1 else lambda items, stop: run_pool(items, jobs, stop)


def run_dask(items: Iterable[Item], stop: Stop, address: str) -> Iterator[Outcome]:
    """On a Dask cluster: tasks carry the picture's bytes (workers need not share our files);
    outcomes in the order they finish. A stop signal (or an early stop) cancels what is left;
    the client's waiting runs in its own threads, so the wait for the next result may be cut."""
    from distributed import Client, as_completed

    from .errors import InputError

    try:
        client = Client(address)  # waits distributed.comm.timeouts.connect (Dask config, 30 s)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    futures: dict[Any, Task] = {}
    try:
        slots = max(1, sum(client.nthreads().values())) * AHEAD
        source = iter(items)
        queue = as_completed()

        def fill() -> Iterator[Outcome]:
            while queue.count() < slots:
                item = next(source, None)
                if item is None:
                    return
                if isinstance(item, Outcome):
                    yield item
                    continue
                if item.data is None:
                    from .load import MAX_BYTES, ImageLoadError

                    try:
                        item = replace(item, data=read_file(item.name, item.name, MAX_BYTES, ImageLoadError))
                    except PsodError as exc:
                        yield Outcome.failed(item.index, item.name, exc)
                        continue
                future = client.submit(run_task, item, pure=False)
                futures[future] = item
                queue.add(future)

        yield from fill()
        results = iter(queue)
        while True:
            with stop.cuttable():
                future = next(results, None)
            if future is None:
                break
            task = futures.pop(future)
            try:
                yield future.result()
            except Exception as exc:  # the worker died, or the task could not be sent
                yield Outcome.failed(task.index, task.name, RuntimeError(f"on the Dask cluster: {exc}"))
            yield from fill()
    finally:
        if futures:
            client.cancel(list(futures))
        client.close()
