"""The ``psod-ocr`` command. ``main`` takes argv and streams so tests run it in-process."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .errors import ExitCode, InputError, PsodError, read_file
from .pipeline import read_text
from .render import to_markdown, to_text
from .report import Report, from_dict
from .store import Store, StoredReport, add_db_option, default_db_path, report_sha256
from .watch import add_parser as add_watch_parser
from .watch import cmd_watch
from .web.server import add_parser as add_serve_parser
from .web.server import cmd_serve

MAX_TEXT_BYTES = 64 * 1024 * 1024
SCAN_FORMATS = ("text", "json", "jsonl", "csv", "md", "html")


class UsageError(PsodError):
    """Arguments that parse but do not make sense together."""

    exit_code = ExitCode.USAGE


def _outputs(p: argparse.ArgumentParser, formats: tuple[str, ...] = ("text", "json", "md")) -> None:
    p.add_argument("--format", choices=formats, default="text")
    p.add_argument("--lang", choices=("en", "ja"), default="en")


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {n}")
    return n


def _storing(p: argparse.ArgumentParser, what: str) -> None:
    add_db_option(p)
    hosts = p.add_mutually_exclusive_group()
    hosts.add_argument("--host", metavar="H", help="host label the stored reports are kept under")
    hosts.add_argument("--host-from-dir", action="store_true",
                       help="host label = name of each file's parent folder")  # fmt: skip
    p.add_argument("--force", action="store_true",
                   help=f"read a known {what} again and replace its stored report")  # fmt: skip
    p.add_argument("--no-store", action="store_true", help="do not use the history at all")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="psod-ocr",
        description="Read VMware ESX/ESXi purple diagnostic screens into classified reports.",
    )
    parser.add_argument("--version", action="version", version=f"psod-ocr {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "parse",
        help="parse screen text or a vmkernel log excerpt",
        description="Parse transcribed PSOD text or log text (vmkernel.log, zdump, LogEFI).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="text file, or - for standard input")
    _outputs(p)
    _storing(p, "text")
    s = sub.add_parser(
        "scan",
        help="read photos or screenshots of purple screens",
        description="Read phone photos or KVM/IPMI screenshots of purple diagnostic screens: files, "
        "folders (searched recursively for pictures), glob patterns, or - for paths on standard input. "
        "Exit status: 0 every input read as a purple screen, 1 some could not be read or held none, "
        "2 wrong arguments, 130 interrupted (Ctrl-C; the results finished until then are kept).",
    )
    s.add_argument("files", nargs="+", metavar="PATH",
                   help="picture (PNG, JPEG, WebP, TIFF, BMP, GIF, HEIC), folder, pattern, "
                   "or - (paths on stdin)")  # fmt: skip
    _outputs(s, SCAN_FORMATS)
    _storing(s, "picture")
    s.add_argument("--jobs", type=_positive, metavar="N",
                   help="worker processes, one Tesseract thread each (default: all cores)")  # fmt: skip
    s.add_argument("--out", type=Path, metavar="DIR",
                   help="write <name>.json and <name>.annotated.png for every input here")  # fmt: skip
    s.add_argument("--same-screen", action="store_true",
                   help="the pictures show ONE screen: fuse their readings into one report")  # fmt: skip
    s.add_argument("--dask", metavar="ADDRESS",
                   help="read on this Dask cluster (scheduler address, e.g. tcp://host:8786)")  # fmt: skip
    s.add_argument("--debug-dir", type=Path, metavar="DIR",
                   help="write each stage's picture (quad, rectified, binarised, grid) here")  # fmt: skip
    h = sub.add_parser("history", help="list the stored reports",
                       description="List the stored reports, oldest first.")  # fmt: skip
    h.add_argument("--host", metavar="H", help="only this host's reports")
    add_db_option(h)
    h.add_argument("--format", choices=("text", "json"), default="text")
    a = sub.add_parser(
        "analyze",
        help="read several crashes of one host together: hardware, software or a driver?",
        description="Pattern analysis over several purple screens of one host: the stored reports "
        "of --host, and/or FILES (report JSON from `scan --format json`, or text/log files).",
    )
    a.add_argument("files", nargs="*", metavar="FILE", help="report JSON or text file, or - for stdin")
    a.add_argument("--host", metavar="H", help="analyse this host's stored reports (with FILES: as well)")
    add_db_option(a)
    _outputs(a)
    add_serve_parser(sub)
    add_watch_parser(sub)
    return parser


def read_input(name: str, stdin: TextIO) -> str:
    if name == "-":
        return stdin.read()
    return read_file(name, name, MAX_TEXT_BYTES, InputError).decode("utf-8", errors="replace")


def emit(reports: list[Report], fmt: str, lang: str, stdout: TextIO) -> None:
    if fmt == "json":
        objs = [r.to_dict() for r in reports]
        json.dump(objs[0] if len(objs) == 1 else objs, stdout, indent=2, ensure_ascii=False)
        stdout.write("\n")
        return
    render = to_markdown if fmt == "md" else to_text
    stdout.write("\n".join(render(r, lang) for r in reports))


def run_batch(
    names: list[str], read_one: Callable[[str], Report], args: argparse.Namespace,
    stdout: TextIO, stderr: TextIO, keep: Callable[[str, Report], None] | None = None,
) -> int:  # fmt: skip
    """Read every input; a bad one costs one line on stderr, never the batch.

    ``keep`` stores each report read; if that fails the report is still printed.
    """
    code = ExitCode.OK
    reports = []
    for name in names:
        try:
            report = read_one(name)
        except PsodError as exc:
            stderr.write(f"psod-ocr: {exc}\n")
            code = max(code, exc.exit_code)
            continue
        try:
            if keep is not None:
                keep(name, report)
        except PsodError as exc:
            stderr.write(f"psod-ocr: {name}: {exc}\n")
            code = max(code, exc.exit_code)
        if not report.is_psod:
            why = next((w for w in reversed(report.warnings) if "purple" in w),
                       "no purple diagnostic screen found")  # fmt: skip
            stderr.write(f"psod-ocr: {name}: {why}\n")
            code = max(code, ExitCode.NOT_A_PSOD)
        reports.append(report)
    if reports:
        emit(reports, args.format, args.lang, stdout)
    return int(code)


@contextmanager
def storing(args: argparse.Namespace) -> Iterator[Store | None]:
    """The store ``scan``/``parse`` keep reports in, or None with ``--no-store``."""
    if args.no_store:
        yield None
        return
    with Store(args.db) as store:
        yield store


def host_of(name: str, args: argparse.Namespace) -> str | None:
    if args.host_from_dir and name != "-":
        return Path(name).resolve().parent.name or None
    return args.host


def keeper(store: Store | None, args: argparse.Namespace) -> Callable[[str, Report], None] | None:
    """Store each purple screen read (a picture without one is read again next time)."""
    if store is None:
        return None

    def keep(name: str, report: Report) -> None:
        if report.is_psod:
            store.add(report, host_of(name, args), replace=args.force)

    return keep


def cmd_parse(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    def read_one(name: str) -> Report:
        return read_text(read_input(name, stdin), path=name, lang=args.lang)

    with storing(args) as store:
        return run_batch(args.files, read_one, args, stdout, stderr, keeper(store, args))


def from_history(stored: StoredReport, name: str, lang: str) -> Report:
    """A stored report as if just read: its diagnosis in ``lang`` (the classifier is
    deterministic, so classifying the stored text again gives the same verdict), its path ``name``."""
    from .classify import classify
    from .parse import parse_text

    report = from_dict(stored.report)
    diagnosis = classify(parse_text(report.text, fuzzy=report.ocr is not None), lang)
    return replace(report, diagnosis=diagnosis, source=replace(report.source, path=name))


def cmd_scan(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from .scan_command import scan_command

    return scan_command(args, stdin, stdout, stderr)


def open_history(db: Path | None) -> Store | None:
    """The store for reading, or None when there is none yet (reading never creates one)."""
    path = db if db is not None else default_db_path()
    return Store(path) if path.exists() else None


def cmd_history(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from .render_history import history_to_text

    with open_history(args.db) or nullcontext() as store:
        rows = store.history(args.host) if store is not None else []
    summaries = [r.summary() for r in rows]
    if args.format == "json":
        json.dump(summaries, stdout, indent=2, ensure_ascii=False)
        stdout.write("\n")
    else:
        stdout.write(history_to_text(summaries))
    return int(ExitCode.OK)


def report_objects(name: str, stdin: TextIO, lang: str) -> list[dict[str, Any]]:
    """Reports in one file: report JSON (one object or an array), else text or a log to parse."""
    text = read_input(name, stdin)
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError:
            data = None  # a log line may start with "[" too
        if data is not None:
            objs = data if isinstance(data, list) else [data]
            if not all(isinstance(o, dict) and "diagnosis" in o and "screen" in o for o in objs):
                raise PsodError(f"{name}: JSON that is not a psod-ocr report")
            return objs
    return [read_text(text, path=name, lang=lang).to_dict()]


def stored_reports(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The stored reports ``analyze`` was asked for, and where each signature was seen."""
    with open_history(args.db) or nullcontext() as store:
        if store is None:
            return [], {}
        hosts = store.hosts()
        if args.host is None and not args.files and len(hosts) > 1:
            raise UsageError(f"the history holds several hosts ({', '.join(hosts)}): name one with --host")
        wanted = args.host is not None or not args.files
        return [r.report for r in store.history(args.host)] if wanted else [], store.signature_hosts()


def cmd_analyze(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from .analyze import analyze
    from .facts import facts
    from .render_history import analysis_to_markdown, analysis_to_text

    code = ExitCode.OK
    objs, signature_hosts = stored_reports(args)
    for name in args.files:
        try:
            found = report_objects(name, stdin, args.lang)
        except PsodError as exc:
            stderr.write(f"psod-ocr: {exc}\n")
            code = max(code, exc.exit_code)
            continue
        if not any(facts(o).is_psod for o in found):
            stderr.write(f"psod-ocr: {name}: no purple diagnostic screen found\n")
            code = max(code, ExitCode.NOT_A_PSOD)
        objs += found
    objs = list({report_sha256(o): o for o in reversed(objs)}.values())[::-1]  # a crash counts once
    if not any(facts(o).is_psod for o in objs):
        stderr.write("psod-ocr: no purple diagnostic screen to analyse\n")
        return int(max(code, ExitCode.NOT_A_PSOD))
    analysis = analyze(objs, signature_hosts)
    if args.format == "json":
        json.dump(analysis.to_dict(), stdout, indent=2, ensure_ascii=False)
        stdout.write("\n")
    else:
        render = analysis_to_markdown if args.format == "md" else analysis_to_text
        stdout.write(render(analysis, args.lang))
    return int(code)


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    commands = {"parse": cmd_parse, "scan": cmd_scan, "history": cmd_history, "analyze": cmd_analyze,
                "serve": cmd_serve, "watch": cmd_watch}  # fmt: skip
    try:
        return commands[args.command](args, stdin, stdout, stderr)
    except PsodError as exc:  # the history cannot be used at all, or a usage error found late
        stderr.write(f"psod-ocr: {exc}\n")
        return int(exc.exit_code)
