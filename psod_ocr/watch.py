"""``psod-ocr watch DIR``: read every picture that lands in a folder, once.

A picture is read when its size and modification time have stayed the same for ``--settle``
seconds and it decodes (a copy that pauses mid-file fails to decode and is tried again once it
changes or after a while). Its report is written beside it as ``<file name>.json`` (the report
JSON, written last and atomically: it marks the picture done) and ``<file name>.md``, and
stored in the history. A picture whose ``.json`` beside it already holds its sha256 is not read
again, nor is one the history knows (its report is then written from the history), so a
restarted watcher redoes nothing. File system events (watchdog) say where to look; pictures
already in the folder at start are looked at too. Ctrl-C or SIGTERM stop it between pictures
(or cut a reading short: nothing half-written is left).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .atomic import write_atomically
from .errors import ExitCode, InputError, PsodError, read_file
from .report import Report
from .store import add_db_option

IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif"}
)
TICK_S = 0.2
DEFAULT_SETTLE_S = 1.0
MAX_ATTEMPTS = 4  # decodes of an unchanged file before it is reported as unreadable
CHANGES = frozenset({"created", "modified", "moved", "closed"})  # watchdog event types that matter


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help="read each picture that appears in a folder; write the report beside it",
        description="Watch DIR and read each picture that appears in it (and those already there) "
        "once: the report is written beside it as NAME.json and NAME.md and kept in the history.",
    )
    p.add_argument("directory", type=Path, metavar="DIR")
    add_db_option(p)
    p.add_argument("--host", metavar="H", help="host label the stored reports are kept under")
    p.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the reports")
    p.add_argument("--settle", type=float, default=DEFAULT_SETTLE_S, metavar="SECONDS",
                   help=f"how long a file must stay unchanged before it is read (default {DEFAULT_SETTLE_S})")


def is_picture(path: Path) -> bool:
    """A name we read: an image suffix, not hidden (editors and copiers use hidden temp files)."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def outputs(path: Path) -> tuple[Path, Path]:
    """The report files beside a picture: the whole name plus .json/.md (``a.png`` and ``a.jpg``
    must not share one)."""
    return path.with_name(path.name + ".json"), path.with_name(path.name + ".md")


def done_before(path: Path, sha256: str) -> bool:
    """The ``.json`` beside the picture is the report of these very bytes."""
    try:
        obj = json.loads(outputs(path)[0].read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(obj, dict) and (obj.get("source") or {}).get("sha256") == sha256


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # when this size and mtime were first seen
    attempts: int = 0
    next_try: float = 0.0


class Watcher:
    """Decides when a picture is ready and reads it. ``notice`` may be called from any thread;
    ``tick`` runs in one thread (the store and the OCR are used from there only)."""

    def __init__(self, directory: Path, store, host: str | None, lang: str, settle: float,
                 stdout: TextIO, stderr: TextIO) -> None:  # fmt: skip
        self.directory = directory
        self.store = store
        self.host, self.lang, self.settle = host, lang, settle
        self.stdout, self.stderr = stdout, stderr
        self._noticed: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self._seen: dict[Path, _Seen | None] = {}
        self._failed: dict[Path, tuple[int, int]] = {}  # unreadable as it stands: (size, mtime)

    def notice(self, path: Path) -> None:
        if is_picture(path) and path.parent == self.directory:
            self._noticed.put(path)

    def tick(self, now: float | None = None) -> None:
        while not self._noticed.empty():
            self._seen.setdefault(self._noticed.get(), None)
        for path in list(self._seen):
            self._check(path, time.monotonic() if now is None else now)

    def _check(self, path: Path, now: float) -> None:
        try:
            st = path.stat()
        except OSError:
            self._seen.pop(path, None)  # gone (or renamed: the new name is its own event)
            return
        key = (st.st_size, st.st_mtime_ns)
        seen = self._seen.get(path)
        if not path.is_file() or self._failed.get(path) == key:
            self._seen.pop(path, None)
            return
        if seen is None or (seen.size, seen.mtime_ns) != key:
            # A file already sitting there when first seen is as settled as it will get.
            since = now - self.settle if seen is None and time.time() - st.st_mtime > self.settle else now
            self._seen[path] = _Seen(*key, since=since)
            return
        if now - seen.since < self.settle or now < seen.next_try or seen.size == 0:
            return
        error = self.process(path)
        if error is None:
            self._seen.pop(path, None)
            self._failed.pop(path, None)
            return
        seen.attempts += 1
        seen.next_try = now + self.settle * seen.attempts
        if seen.attempts >= MAX_ATTEMPTS:
            self.stderr.write(f"psod-ocr: {error}\n")
            self._failed[path] = key
            self._seen.pop(path, None)

    def process(self, path: Path) -> str | None:
        """Read one settled picture; None when done, else why it could not be read (yet)."""
        from .capture import scan
        from .load import MAX_BYTES, ImageLoadError
        from .relang import in_language
        from .render import to_markdown

        try:
            data = read_file(path, path.name, MAX_BYTES, ImageLoadError)
        except PsodError as exc:
            return str(exc)
        sha = hashlib.sha256(data).hexdigest()
        if done_before(path, sha):
            return None
        known = self.store.find_sha(sha) if self.store is not None else None
        if known is not None:
            report, how = in_language(known.report, self.lang, path=str(path)), "from the history"
        else:
            try:
                report, how = scan(data, name=str(path), lang=self.lang), "read"
            except PsodError as exc:  # still being copied, or not an image at all
                return str(exc)
        report_id = self._keep(report)
        json_path, md_path = outputs(path)
        write_atomically(md_path, to_markdown(report, self.lang))
        write_atomically(json_path, report.to_json() + "\n")
        self.stdout.write(self._line(path, report, how, report_id))
        self.stdout.flush()
        return None

    def _keep(self, report: Report) -> int | None:
        if self.store is None or not report.is_psod:
            return None
        try:
            return self.store.add(report, self.host)
        except PsodError as exc:  # the report files are still written
            self.stderr.write(f"psod-ocr: {exc}\n")
            return None

    @staticmethod
    def _line(path: Path, report: Report, how: str, report_id: int | None) -> str:
        d = report.diagnosis
        stored = f", report #{report_id}" if report_id is not None else ""
        headline = f": {report.screen.message}" if report.screen.message else ""
        return f"{path.name}: {how}{stored}: {d.type}{headline}\n"


def watch(directory: Path, store, host: str | None, lang: str, settle: float,
          stdout: TextIO, stderr: TextIO, stop: threading.Event) -> None:  # fmt: skip
    """Run until ``stop`` is set (or Ctrl-C)."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    watcher = Watcher(directory, store, host, lang, settle, stdout, stderr)

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            # Not opened/closed_no_write: reading a picture must not make it look new again.
            if not event.is_directory and event.event_type in CHANGES:
                where = getattr(event, "dest_path", "") or event.src_path
                watcher.notice(Path(os.fsdecode(where)))

    observer = Observer()
    observer.schedule(Handler(), str(directory), recursive=False)
    observer.start()  # before listing: a file arriving meanwhile is seen one way or the other
    try:
        for path in sorted(directory.iterdir()):
            watcher.notice(path)
        stderr.write(f"psod-ocr: watching {directory} (Ctrl-C stops)\n")
        stderr.flush()
        while not stop.is_set():
            watcher.tick()
            stop.wait(TICK_S)
    finally:
        observer.stop()
        observer.join()


def cmd_watch(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from .store import Store

    directory = args.directory.resolve()
    if not directory.is_dir():
        raise InputError(f"{args.directory}: not a directory")
    if args.settle < 0:
        raise InputError("--settle must not be negative")
    stop = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if in_main else None
    try:
        with Store(args.db) as store:
            watch(directory, store, args.host, args.lang, args.settle, stdout, stderr, stop)
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    stderr.write("psod-ocr: watch stopped\n")
    return int(ExitCode.OK)
