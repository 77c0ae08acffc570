"""The ``psod-ocr serve`` command: its arguments, and running the app under uvicorn.

Imports nothing heavy at module level: ``cli.py`` builds its parser from here for every command.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from typing import TextIO

from ..errors import ExitCode
from ..store import add_db_option

DEFAULT_BIND = "127.0.0.1"
DEFAULT_PORT = 8000


def default_workers() -> int:
    """One OCR process per core, at most four (each may hold a 64-megapixel photo)."""
    return max(1, min(4, os.cpu_count() or 1))


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="a web page and JSON API for reading pictures (drop, paste, phone camera)",
        description="Serve the web page and JSON API. Reports are kept in the same history as the "
        "other commands. Listens on 127.0.0.1 only unless --bind says otherwise.",
    )
    p.add_argument("--bind", default=DEFAULT_BIND, metavar="ADDR",
                   help=f"address to listen on (default {DEFAULT_BIND}; 0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    add_db_option(p)
    p.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                   help="OCR worker processes (default: the number of cores, at most 4)")
    p.add_argument("--queue", type=int, default=32, metavar="N",
                   help="uploads that may wait for a worker; beyond that the server answers 503")  # fmt: skip


def _loopback(bind: str) -> bool:
    if bind == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    import uvicorn

    from ..store import Store, default_db_path
    from .app import Settings, create_app

    if args.workers < 1 or args.queue < 0 or not 0 <= args.port <= 65535:
        stderr.write("psod-ocr: serve: --workers must be at least 1, --queue at least 0, --port 0-65535\n")
        return int(ExitCode.USAGE)
    db = args.db if args.db is not None else default_db_path()
    Store(db).close()  # fail now, with the CLI's message and exit status, if it cannot be used
    if not _loopback(args.bind):
        stderr.write(f"psod-ocr: serve: listening on {args.bind}: anyone who can reach this port can "
                     "upload pictures and read the whole history (there is no login)\n")  # fmt: skip
    stderr.write(f"psod-ocr: serving http://{args.bind}:{args.port}/ (history {db}); Ctrl-C stops\n")
    app = create_app(Settings(db=db, workers=args.workers, queue=args.queue))
    uvicorn.run(app, host=args.bind, port=args.port, log_level="info", server_header=False)
    return int(ExitCode.OK)
