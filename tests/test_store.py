"""The report history on real SQLite files: round trip, duplicates, schema, and several writers."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from crafted import report, screen

from psod_ocr.store import SCHEMA_VERSION, Store, StoreError, default_db_path

SUMMARY_KEYS = {"id", "host", "path", "created", "type", "headline", "signature", "build", "world", "pcpu",
                "top_frames"}  # fmt: skip


def test_tests_never_use_the_users_data_folder(history_db):
    assert default_db_path() == history_db


def test_default_path_is_in_the_user_data_folder(monkeypatch):
    monkeypatch.delenv("PSOD_OCR_DB")
    path = default_db_path()
    assert path.name == "history.sqlite3" and path.parent.name == "psod-ocr"


def test_round_trip(tmp_path):
    r = report(screen(world="lpfc_worker", frames=("lpfc_sli_handle_ring@(lpfc)#<None>", "vmkWorldFunc")),
               path="esx01/psod.txt")  # fmt: skip
    with Store(tmp_path / "h.sqlite3") as store:
        rid = store.add(r, host="esx01")
        got = store.get(rid)
        assert got is not None and store.find_sha(r.source.sha256) == got
        assert got.report == json.loads(json.dumps(r.to_dict()))
        assert (got.host, got.sha256, got.path) == ("esx01", r.source.sha256, "esx01/psod.txt")
        assert got.created.startswith("20")
        summary = got.summary()
        assert set(summary) >= SUMMARY_KEYS
        assert summary["type"] == "pf14" and summary["pcpu"] == 3 and summary["world"] == "lpfc_worker"
        assert summary["top_frames"][0] == "lpfc_sli_handle_ring@lpfc"
        assert store.get(rid + 1) is None and store.find_sha("0" * 64) is None


def test_history_is_oldest_first_and_filters_by_host(tmp_path):
    texts = [screen(pcpu=i) for i in range(3)]
    with Store(tmp_path / "h.sqlite3") as store:
        ids = [store.add(report(t), host=h) for t, h in zip(texts, ["b", "a", None], strict=True)]
        assert [s.id for s in store.history()] == ids
        assert [s.id for s in store.history("a")] == [ids[1]]
        assert store.hosts() == ["a", "b"]
        sig = report(texts[0]).diagnosis.signature
        assert store.signature_hosts() == {sig: ["a", "b"]}


def test_a_known_report_is_not_stored_twice(tmp_path):
    path = tmp_path / "h.sqlite3"
    r = report(screen())
    with Store(path) as store:
        first = store.add(r)
    with Store(path) as store:  # a second run
        assert store.add(r) == first
        assert store.add(r.to_dict(), host="esx01") == first  # gains the label it lacked
        assert store.add(r, host="esx02") == first  # but keeps it afterwards
        assert [(s.id, s.host) for s in store.history()] == [(first, "esx01")]


def test_replace_keeps_the_row(tmp_path):
    r = report(screen())
    with Store(tmp_path / "h.sqlite3") as store:
        rid = store.add(r, host="a")
        created = store.get(rid).created
        changed = r.to_dict()
        changed["warnings"] = ["read again"]
        assert store.add(changed, host="b", replace=True) == rid
        got = store.get(rid)
        assert got.report["warnings"] == ["read again"] and got.host == "b" and got.created == created
        assert len(store.history()) == 1


def test_wal_and_schema_version(tmp_path):
    path = tmp_path / "sub" / "h.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_unusable_path_is_one_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open"):
        Store(tmp_path)  # a directory


def _writer(path: str, worker: int, start, per_worker: int, shared: int) -> None:
    """One process: its own reports and the shared ones, each add its own short transaction."""
    start.wait()
    with Store(path) as store:
        for i in range(per_worker):
            store.add(report(screen(pcpu=worker, wid=1000 + i)), host=f"esx{worker}")
        for i in range(shared):
            store.add(report(screen(kind="gp13", wid=5000 + i)))


def test_several_processes_write_at_once(tmp_path):
    path = str(tmp_path / "h.sqlite3")  # created by the racing processes themselves
    workers, per_worker, shared = 4, 15, 5
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(workers)
    procs = [ctx.Process(target=_writer, args=(path, w, start, per_worker, shared)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * workers
    with Store(path) as store:
        rows = store.history()
        assert len(rows) == workers * per_worker + shared
        assert len({r.sha256 for r in rows}) == len(rows)
        assert store.hosts() == [f"esx{w}" for w in range(workers)]
        assert all(len(store.history(f"esx{w}")) == per_worker for w in range(workers))


def test_concurrent_writers_need_wal(tmp_path: Path):
    """A reader during a write sees the last committed state instead of waiting (WAL)."""
    path = tmp_path / "h.sqlite3"
    with Store(path) as a, Store(path) as b:
        a.add(report(screen()))
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM reports")
        assert len(b.history()) == 1  # not blocked, not the uncommitted delete
        writer.execute("ROLLBACK")
        writer.close()
