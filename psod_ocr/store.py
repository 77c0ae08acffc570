"""The history of reports: one SQLite file that several psod-ocr processes may write at once.

A picture or text is one crash, so a report is stored once per ``source.sha256`` (the file's
bytes for a picture, the text for text): reading the same input again finds the stored row
instead of adding one, and the first host label it was given stays unless it is replaced. WAL
mode, a busy timeout and one short ``BEGIN IMMEDIATE`` transaction per write let parallel
scans share the file. ``PRAGMA user_version`` numbers the schema so later versions can migrate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from .errors import ExitCode, PsodError
from .facts import CrashFacts, as_dict, facts
from .report import Report

APP_NAME = "psod-ocr"
DB_NAME = "history.sqlite3"
ENV_VAR = "PSOD_OCR_DB"
BUSY_TIMEOUT_MS = 30_000

# MIGRATIONS[n] takes the schema from version n to n + 1; each is a list of statements run in
# one transaction together with the new user_version.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            host TEXT,
            sha256 TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            created TEXT NOT NULL,
            crash_time TEXT,
            uptime_seconds REAL,
            type TEXT NOT NULL,
            signature TEXT,
            build TEXT,
            world TEXT,
            pcpu INTEGER,
            report TEXT NOT NULL
        )""",
        "CREATE INDEX reports_host ON reports (host, created, id)",
        "CREATE INDEX reports_signature ON reports (signature)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
COLUMNS = "id, host, sha256, path, created, report"


class StoreError(PsodError):
    """The history database cannot be opened or is from a newer psod-ocr."""

    exit_code = ExitCode.USAGE


def default_db_path() -> Path:
    """``$PSOD_OCR_DB`` if set, else ``history.sqlite3`` in the platform's user data directory."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / DB_NAME


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """The --db option every command that keeps or reads the history shares."""
    parser.add_argument(
        "--db", type=Path, metavar="PATH",
        help="history database (default: $PSOD_OCR_DB, else the user data folder)",
    )  # fmt: skip


def report_sha256(obj: dict[str, Any]) -> str:
    """The report's ``source.sha256``; for a report without one, a hash of its text or JSON."""
    sha = (obj.get("source") or {}).get("sha256")
    if sha:
        return str(sha)
    basis = obj.get("text") or json.dumps(obj, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(basis.encode()).hexdigest()


@dataclass(frozen=True)
class StoredReport:
    """One row of the history: the report as stored, with where and when it came from."""

    id: int
    host: str | None
    sha256: str
    path: str
    created: str  # ISO 8601, UTC: when the row was first stored
    report: dict[str, Any]  # Report.to_dict()

    def facts(self) -> CrashFacts:
        return facts(self.report)

    def summary(self) -> dict[str, Any]:
        """One line of history: what ``history --format json`` prints for each report."""
        f = self.facts()
        return {
            "id": self.id,
            "host": self.host,
            "path": self.path,
            "created": self.created,
            "crash_time": f.crash_time,
            "type": f.type,
            "headline": f.headline,
            "likely_cause": f.likely_cause,
            "signature": f.signature,
            "build": f.build,
            "world": f.world,
            "pcpu": f.pcpu,
            "uptime_seconds": f.uptime_seconds,
            "top_frames": list(f.top_frames),
        }


def _host(host: str | None) -> str | None:
    host = host.strip() if host else None
    return host or None


class Store:
    """The history database. Use as a context manager, or call ``close()``."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the history database {self.path}: {exc}") from exc
        try:
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._use_wal()
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"cannot use the history database {self.path}: {exc}") from exc

    def _use_wal(self) -> None:
        """Switch a new file to WAL. The switch needs the file to itself and SQLite does not wait
        for that (no busy handler), so processes that open a new file together retry here."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = 0.005
        while True:
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; IMMEDIATE takes the write lock up front, so two writers
        never both read and then fail to upgrade (which the busy timeout cannot resolve)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self._write() as db:
            version = self._version()  # another process may have migrated meanwhile
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: schema version {version} is newer than this psod-ocr "
                    f"({SCHEMA_VERSION}); upgrade psod-ocr"
                )
            for step in MIGRATIONS[version:]:
                for statement in step:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def add(self, report: Report | dict[str, Any], host: str | None = None, *, replace: bool = False) -> int:
        """Store a report and return its row id; a known sha256 keeps its row (and id).

        A known row without a host label takes ``host``. With ``replace`` it also takes the new
        report (and the new host, if one is given); its id and created time stay.
        """
        obj = as_dict(report)
        sha, f = report_sha256(obj), facts(obj)
        values = {
            "host": _host(host),
            "sha256": sha,
            "path": str((obj.get("source") or {}).get("path") or "-"),
            "crash_time": f.crash_time,
            "uptime_seconds": f.uptime_seconds,
            "type": f.type,
            "signature": f.signature,
            "build": f.build,
            "world": f.world,
            "pcpu": f.pcpu,
            "report": json.dumps(obj, ensure_ascii=False),
        }
        try:
            with self._write() as db:
                return self._put(db, values, replace)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store the report in {self.path}: {exc}") from exc

    @staticmethod
    def _put(db: sqlite3.Connection, values: dict[str, Any], replace: bool) -> int:
        old = db.execute("SELECT id FROM reports WHERE sha256 = ?", (values["sha256"],)).fetchone()
        if old is None:
            values["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            names = ", ".join(values)
            marks = ", ".join(f":{k}" for k in values)
            return int(db.execute(f"INSERT INTO reports ({names}) VALUES ({marks})", values).lastrowid or 0)
        if not replace and values["host"] is None:
            return int(old[0])
        keys = [k for k in values if k not in ("host", "sha256")] if replace else []
        sets = "".join(f", {k} = :{k}" for k in keys)
        db.execute(f"UPDATE reports SET host = coalesce(:host, host){sets} WHERE id = :id"
                   + ("" if replace else " AND host IS NULL"), {**values, "id": old[0]})  # fmt: skip
        return int(old[0])

    def _one(self, where: str, arg: object) -> StoredReport | None:
        row = self._db.execute(f"SELECT {COLUMNS} FROM reports WHERE {where}", (arg,)).fetchone()
        return _stored(row) if row else None

    def find_sha(self, sha256: str) -> StoredReport | None:
        return self._one("sha256 = ?", sha256)

    def get(self, report_id: int) -> StoredReport | None:
        return self._one("id = ?", report_id)

    def history(self, host: str | None = None) -> list[StoredReport]:
        """Reports of one host, or of every host when ``host`` is None, oldest stored first."""
        sql = f"SELECT {COLUMNS} FROM reports"
        args: tuple[str, ...] = ()
        if host is not None:
            sql, args = sql + " WHERE host = ?", (host,)
        return [_stored(row) for row in self._db.execute(sql + " ORDER BY created, id", args)]

    def hosts(self) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT host FROM reports WHERE host IS NOT NULL ORDER BY host")
        return [row[0] for row in rows]

    def signature_hosts(self) -> dict[str, list[str]]:
        """Crash signature -> the labelled hosts it was seen on (what ``analyze`` compares)."""
        out: dict[str, list[str]] = {}
        rows = self._db.execute(
            "SELECT DISTINCT signature, host FROM reports"
            " WHERE signature IS NOT NULL AND host IS NOT NULL ORDER BY signature, host"
        )
        for signature, host in rows:
            out.setdefault(signature, []).append(host)
        return out


def _stored(row: tuple[Any, ...]) -> StoredReport:
    report_id, host, sha, path, created, report = row
    return StoredReport(report_id, host, sha, path, created, json.loads(report))
