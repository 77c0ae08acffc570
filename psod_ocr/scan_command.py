"""``psod-ocr scan``: inputs -> tasks -> workers -> outputs, for one picture or thousands.

The parent process expands the inputs, looks known pictures up in the history, hands the rest
to the workers (``batch``), and is the only one to write the history, standard output and the
``--out`` folder. Results are passed on in input order (``jsonl``: as they finish). Ctrl-C
or SIGTERM keeps everything finished until then (stored, written and printed whole), cancels
the rest and exits 130 or 143.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from typing import TextIO

from .batch import Item, Outcome, Runner, Task, local_runner, run_dask
from .cli import UsageError, from_history, host_of, keeper, storing
from .errors import ExitCode, PsodError, read_file
from .groups import Grouper
from .inputs import expand_inputs, output_stems
from .interrupt import Interrupted, Stop, exit_code, handling
from .outputs import NullWriter, OutDir, Writer, writer
from .progress import Ui
from .report import Report
from .store import Store

Keep = Callable[[str, Report], None]
NO_PSOD = "no purple diagnostic screen found"
BLOCK_PER_JOB = 8


class Finisher:
    """Passes outcomes on, in input order unless ``ordered`` is False: stderr lines, the
    history, the same-screen groups, ``--out`` files, then the format writer."""

    def __init__(self, args: argparse.Namespace, ui: Ui, out: Writer, keep: Keep | None,
                 folder: OutDir | None, stems: list[str], ordered: bool = True) -> None:  # fmt: skip
        self.args, self.ui, self.out, self.keep, self.folder, self.stems = args, ui, out, keep, folder, stems
        self.ordered = ordered
        self.code = ExitCode.OK
        self.finished = 0
        self.groups = Grouper()
        self._held: dict[int, Outcome] = {}
        self._next = 0

    def add(self, outcome: Outcome) -> None:
        self.finished += 1
        if not self.ordered:
            self._pass_on(outcome)
            return
        self._held[outcome.index] = outcome
        while self._next in self._held:
            self._pass_on(self._held.pop(self._next))
            self._next += 1

    def flush(self) -> None:
        """After Ctrl-C: what finished behind an input still being read."""
        for index in sorted(self._held):
            self._pass_on(self._held.pop(index))

    def fail(self, code: int) -> None:
        self.code = max(self.code, ExitCode(code))

    def _pass_on(self, o: Outcome) -> None:
        if o.note:
            self.ui.say(f"psod-ocr: {o.note}")
        host = host_of(o.name, self.args)
        if o.report is None:
            self.ui.say(f"psod-ocr: {o.error}")
            self.fail(o.exit_code)
            self.out.error(o.name, o.error or "", o.sha256, host)
            return
        report = o.report
        if self.keep is not None:
            try:
                self.keep(o.name, report)
            except PsodError as exc:
                self.ui.say(f"psod-ocr: {o.name}: {exc}")
                self.fail(exc.exit_code)
        if not report.is_psod:
            why = next((w for w in reversed(report.warnings) if "purple" in w), NO_PSOD)
            self.ui.say(f"psod-ocr: {o.name}: {why}")
            self.fail(ExitCode.NOT_A_PSOD)
        group = self.groups.assign(o.name, report)
        if self.folder is not None:
            try:
                self.folder.write(self.stems[o.index], report, o.png)
            except OSError as exc:
                why = exc.strerror or exc
                self.ui.say(f"psod-ocr: {o.name}: cannot write to {self.folder.folder}: {why}")
                self.fail(ExitCode.NOT_A_PSOD)
        self.out.report(o.name, report, group, host, o.preview)


def _known_note(name: str, stored_id: int, created: str) -> str:
    return (f"{name}: known picture, report #{stored_id} of {created} taken from the history "
            "(--force reads it again)")  # fmt: skip


def _item(index: int, name: str, args: argparse.Namespace, store: Store | None,
          pictures: tuple[bool, bool]) -> Item:  # fmt: skip
    """A task for a worker, or an outcome at once (unreadable file; known picture, no pictures
    wanted). The input is read here, once: the bytes looked up in the history are the bytes
    read, stored and drawn, and a stream (``/dev/stdin``) is read at all."""
    png, preview = pictures
    data = _read(index, name)
    if isinstance(data, Outcome):
        return data
    task = Task(index, name, args.lang, data=data, png=png, preview=preview,
                debug_dir=str(args.debug_dir) if args.debug_dir else None)  # fmt: skip
    if store is None or args.force or args.debug_dir is not None:
        return task
    sha = hashlib.sha256(data).hexdigest()
    known = store.find_sha(sha)
    if known is None:
        return task
    report, note = from_history(known, name, args.lang), _known_note(name, known.id, known.created)
    if png or preview:
        return replace(task, known=report, note=note)
    return Outcome(index, name, report, sha256=sha, note=note)


def _read(index: int, name: str) -> bytes | Outcome:
    from .load import MAX_BYTES, ImageLoadError

    try:
        return read_file(name, name, MAX_BYTES, ImageLoadError)
    except PsodError as exc:
        return Outcome.failed(index, name, exc)


def _jobs(args: argparse.Namespace, tasks: int) -> int:
    return min(args.jobs or os.cpu_count() or 1, max(1, tasks))


def _runner(args: argparse.Namespace, tasks: int) -> Runner:
    if args.dask:
        return partial(run_dask, address=args.dask)
    return local_runner(_jobs(args, tasks))


def _size(name: str) -> int:
    try:
        return os.stat(name).st_size
    except OSError:
        return 0


def start_order(names: list[str], args: argparse.Namespace) -> list[int]:
    """Input order for one worker. For several, each block of BLOCK_PER_JOB inputs per worker
    starts with its biggest pictures, so that the batch does not end with one worker reading a
    big photo while the others wait; blocks keep the results that wait for an earlier input
    (results are passed on in input order) few."""
    jobs = 8 if args.dask else _jobs(args, len(names))
    if jobs <= 1:
        return list(range(len(names)))
    block = BLOCK_PER_JOB * jobs
    order: list[int] = []
    for start in range(0, len(names), block):
        part = range(start, min(start + block, len(names)))
        order += sorted(part, key=lambda i: -_size(names[i]))
    return order


def _run(runner: Runner, items: Iterator[Item], take: Callable[[Outcome], None], ui: Ui, stop: Stop) -> bool:
    """Feed every outcome to ``take``; True when a stop signal came (the workers are stopped
    and what they had not finished is dropped). ``take`` is never cut short: a finished
    result is stored, written and printed completely or not at all."""
    outcomes = runner(items, stop)
    try:
        for outcome in outcomes:
            take(outcome)
            ui.advance()
            stop.check()
    except Interrupted:
        return True
    finally:
        outcomes.close()  # type: ignore[attr-defined]
    return stop.requested


def _check(args: argparse.Namespace, names: list[str]) -> OutDir | None:
    if not names:
        raise UsageError("no pictures to read (an empty folder, a pattern or standard input without paths)")
    if args.same_screen and len(names) < 2:
        raise UsageError("--same-screen needs at least two pictures of the screen")
    if args.dask and args.debug_dir is not None:
        raise UsageError("--debug-dir cannot be used with --dask (the stage pictures stay on the workers)")
    if args.out is None:
        return None
    try:
        return OutDir(args.out)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: {exc.strerror or exc}") from exc


def scan_command(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    stop = Stop()
    with handling(stop):
        return _scan(args, stdin, stdout, stderr, stop)


def _scan(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO, stop: Stop) -> int:
    inputs = expand_inputs(args.files, stdin)
    for line in inputs.problems:
        stderr.write(f"psod-ocr: {line}\n")
    names = inputs.names
    if not names and inputs.problems:
        return int(ExitCode.NOT_A_PSOD)
    folder = _check(args, names)
    stems = output_stems(names)
    with storing(args) as store, Ui(stdout, stderr, len(names)) as ui:
        if args.same_screen:
            finisher, interrupted = _same_screen(args, names, store, ui, folder, stems, stop)
        else:
            several = len(names) > 1
            out = writer(args.format, ui.out, args.lang, several)
            keep = keeper(store, args)
            finisher = Finisher(args, ui, out, keep, folder, stems, ordered=args.format != "jsonl")
            pictures = (folder is not None, args.format == "html")
            items = (_item(i, names[i], args, store, pictures) for i in start_order(names, args))
            interrupted = _run(_runner(args, len(names)), items, finisher.add, ui, stop)
            finisher.flush()
            out.close()
    if interrupted and stop.signum is not None:
        name = signal.Signals(stop.signum).name
        ui.say(f"psod-ocr: interrupted ({name}): {finisher.finished} of {len(names)} inputs finished "
               "and kept, the rest cancelled")  # fmt: skip
        return exit_code(stop.signum)
    return int(max(finisher.code, ExitCode.NOT_A_PSOD if inputs.problems else ExitCode.OK))


def _same_screen(args: argparse.Namespace, names: list[str], store: Store | None, ui: Ui,
                 folder: OutDir | None, stems: list[str], stop: Stop) -> tuple[Finisher, bool]:  # fmt: skip
    """Read every picture, fuse the readings into one report, pass that on."""
    from .fuse import fuse_reports, fused_sha256

    out = writer(args.format, ui.out, args.lang, several=False)
    keep = keeper(store, args)
    readings = Finisher(args, ui, NullWriter(), None, folder, stems)  # stderr lines, --out files
    final = Finisher(args, ui, out, keep, folder, [f"{stems[0]}.fused"])
    inputs = [_read(i, name) for i, name in enumerate(names)]
    shas = [hashlib.sha256(data).hexdigest() for data in inputs if isinstance(data, bytes)]
    known = None
    if store is not None and not args.force and args.debug_dir is None:
        known = store.find_sha(fused_sha256(shas))
    interrupted = False
    if known is not None:
        label = " + ".join(names)
        report = from_history(known, label, args.lang)
        final.add(Outcome(0, label, report, note=_known_note("these pictures", known.id, known.created)))
        ui.advance(len(names))
    else:
        reports: dict[int, Report] = {}

        def take(o: Outcome) -> None:
            readings.add(o)
            if o.report is not None:
                reports[o.index] = o.report

        debug_dir = str(args.debug_dir) if args.debug_dir else None

        def item(i: int) -> Item:
            data = inputs[i]
            if isinstance(data, Outcome):  # could not be read
                return data
            return Task(i, names[i], args.lang, data=data, png=folder is not None, debug_dir=debug_dir)

        items = (item(i) for i in start_order(names, args))
        interrupted = _run(_runner(args, len(names)), items, take, ui, stop)
        readings.flush()
        if reports:
            fused = fuse_reports([reports[i] for i in sorted(reports)], args.lang)
            if not interrupted:  # kept under the identity looked up above, so found next time
                fused = replace(fused, source=replace(fused.source, sha256=fused_sha256(shas)))
            final.add(Outcome(0, fused.source.path, fused))
    final.code = max(final.code, readings.code)
    out.close()
    return final, interrupted
