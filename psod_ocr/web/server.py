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
DEFAULT_READ_TIMEOUT_S = 30.0
KEEP_ALIVE_S = 5  # an idle connection between two requests is closed after this (uvicorn's)


def default_workers() -> int:
    """One OCR process per core, at most four (each may hold a 64-megapixel photo)."""
    return max(1, min(4, os.cpu_count() or 1))


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="a web page and JSON API for reading pictures (drop, paste, phone camera)",
        description="Serve the web page and JSON API. Reports are kept in the same history as the "
        "other commands. Listens on 127.0.0.1 only unless --bind says otherwise. Refused, with a JSON "
        "error: requests sent to another host name (400, see --allow-host), uploads and other changes "
        "sent by pages of other sites (403) and uploads that stall (408, see --read-timeout).",
    )
    p.add_argument("--bind", default=DEFAULT_BIND, metavar="ADDR",
                   help=f"address to listen on (default {DEFAULT_BIND}; 0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    add_db_option(p)
    p.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                   help="OCR worker processes (default: the number of cores, at most 4)")
    p.add_argument("--queue", type=int, default=32, metavar="N",
                   help="received uploads that may wait for a worker; beyond that the server answers "
                   "503")  # fmt: skip
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME", dest="allow_hosts",
                   help="also answer requests sent to NAME, e.g. the name of a reverse proxy in front (which "
                   "must pass the browser's Host header on); repeatable. Requests naming another host get "
                   "400 (DNS rebinding): answered are localhost, 127.x.x.x, [::1] and the --bind address; "
                   "bound to 0.0.0.0 or ::, any IP address, but a name only when given here")  # fmt: skip
    p.add_argument("--read-timeout", type=float, default=DEFAULT_READ_TIMEOUT_S, metavar="SECONDS",
                   help=f"an upload that stalls this long (default {DEFAULT_READ_TIMEOUT_S:g}), or arrives "
                   "slower than 500 bytes/s after that, gets 408")  # fmt: skip


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
    from .origin import EVERY_ADDRESS, Hosts

    if args.workers < 1 or args.queue < 0 or not 0 <= args.port <= 65535 or not args.read_timeout > 0:
        stderr.write("psod-ocr: serve: --workers must be at least 1, --queue at least 0, --port 0-65535, "
                     "--read-timeout over 0\n")  # fmt: skip
        return int(ExitCode.USAGE)
    try:
        Hosts.of(args.bind, args.allow_hosts)
    except ValueError as exc:
        stderr.write(f"psod-ocr: serve: --bind or --allow-host: {exc}\n")
        return int(ExitCode.USAGE)
    db = args.db if args.db is not None else default_db_path()
    Store(db).close()  # fail now, with the CLI's message and exit status, if it cannot be used
    if not _loopback(args.bind):
        stderr.write(f"psod-ocr: serve: listening on {args.bind}: anyone who can reach this port can "
                     "upload pictures and read the whole history (there is no login)\n")  # fmt: skip
    if args.bind in EVERY_ADDRESS and not args.allow_hosts:
        stderr.write("psod-ocr: serve: requests by address are answered, by name only with --allow-host\n")
    stderr.write(f"psod-ocr: serving http://{args.bind}:{args.port}/ (history {db}); Ctrl-C stops\n")
    settings = Settings(db=db, workers=args.workers, queue=args.queue, read_timeout=args.read_timeout,
                        bind=args.bind, allow_hosts=tuple(args.allow_hosts))  # fmt: skip
    uvicorn.run(create_app(settings), host=args.bind, port=args.port, log_level="info", server_header=False,
                timeout_keep_alive=KEEP_ALIVE_S)  # fmt: skip
    return int(ExitCode.OK)
