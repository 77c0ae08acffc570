"""The ``psod-ocr`` command. ``main`` takes argv and streams so tests run it in-process."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from . import __version__
from .errors import ExitCode, InputError, PsodError, read_file
from .pipeline import read_text
from .render import to_markdown, to_text
from .report import Report

MAX_TEXT_BYTES = 64 * 1024 * 1024


def _outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json", "md"), default="text")
    p.add_argument("--lang", choices=("en", "ja"), default="en")


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
    s = sub.add_parser(
        "scan",
        help="read photos or screenshots of purple screens",
        description="Read phone photos or KVM/IPMI screenshots of purple diagnostic screens.",
    )
    s.add_argument("files", nargs="+", metavar="IMAGE", help="PNG, JPEG, WebP, TIFF, BMP, GIF, HEIC")
    _outputs(s)
    s.add_argument("--no-store", action="store_true", help="do not keep the reports in the history")
    s.add_argument("--debug-dir", type=Path, metavar="DIR",
                   help="write each stage's picture (quad, rectified, binarised, grid) here")  # fmt: skip
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
    stdout: TextIO, stderr: TextIO,
) -> int:  # fmt: skip
    """Read every input; a bad one costs one line on stderr, never the batch."""
    code = ExitCode.OK
    reports = []
    for name in names:
        try:
            report = read_one(name)
        except PsodError as exc:
            stderr.write(f"psod-ocr: {exc}\n")
            code = max(code, exc.exit_code)
            continue
        if not report.is_psod:
            why = next((w for w in reversed(report.warnings) if "purple" in w),
                       "no purple diagnostic screen found")  # fmt: skip
            stderr.write(f"psod-ocr: {name}: {why}\n")
            code = max(code, ExitCode.NOT_A_PSOD)
        reports.append(report)
    if reports:
        emit(reports, args.format, args.lang, stdout)
    return int(code)


def cmd_parse(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    def read_one(name: str) -> Report:
        return read_text(read_input(name, stdin), path=name, lang=args.lang)

    return run_batch(args.files, read_one, args, stdout, stderr)


def cmd_scan(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    from .capture import Stages, scan
    from .debug import write_stages

    def read_one(name: str) -> Report:
        stages = Stages()
        try:
            return scan(name, lang=args.lang, stages=stages)
        finally:
            if args.debug_dir is not None:
                write_stages(stages, args.debug_dir, Path(name).stem)

    return run_batch(args.files, read_one, args, stdout, stderr)


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
    commands = {"parse": cmd_parse, "scan": cmd_scan}
    return commands[args.command](args, stdin, stdout, stderr)


def run() -> None:
    sys.exit(main())
