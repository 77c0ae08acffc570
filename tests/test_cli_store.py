"""The history in the CLI: scan/parse store reports, `history` lists them, `analyze` reads them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import ROOT
from crafted import screen

from psod_ocr.cli import main
from psod_ocr.store import Store


def run(argv, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def stored(db: Path) -> list[tuple[str | None, str]]:
    with Store(db) as store:
        return [(s.host, s.path) for s in store.history()]


def history(*args: str) -> list[dict]:
    code, out, err = run(["history", "--format", "json", *args])
    assert code == 0 and err == ""
    return json.loads(out)


def test_parse_stores_each_psod_once(tmp_path, history_db):
    a = write(tmp_path / "a.txt", screen(pcpu=1))
    b = write(tmp_path / "b.txt", screen(pcpu=2))
    notes = write(tmp_path / "notes.txt", "nothing purple\n")
    code, _, err = run(["parse", "--host", "esx01", a, b, notes])
    assert code == 1 and "notes.txt" in err
    assert stored(history_db) == [("esx01", a), ("esx01", b)]  # not the note
    code, _, _ = run(["parse", a, b])  # a second run
    assert code == 0 and len(stored(history_db)) == 2
    code, _, _ = run(["parse", "--force", "--host", "esx02", a])
    assert code == 0 and stored(history_db) == [("esx02", a), ("esx01", b)]


def test_no_store_and_explicit_db(tmp_path, history_db):
    a = write(tmp_path / "a.txt", screen())
    assert run(["parse", "--no-store", a])[0] == 0
    assert not history_db.exists()
    db = tmp_path / "elsewhere" / "h.sqlite3"
    assert run(["parse", "--db", str(db), a])[0] == 0
    assert stored(db) == [(None, a)] and not history_db.exists()
    assert [s["path"] for s in history("--db", str(db))] == [a]


def test_host_from_dir(tmp_path, history_db):
    a = write(tmp_path / "esx01" / "psod.txt", screen(pcpu=1))
    b = write(tmp_path / "esx02" / "psod.txt", screen(pcpu=2))
    assert run(["parse", "--host-from-dir", a, b])[0] == 0
    assert [s["host"] for s in history()] == ["esx01", "esx02"]
    assert [s["host"] for s in history("--host", "esx02")] == ["esx02"]


def test_history_json_and_text(tmp_path):
    a = write(tmp_path / "a.txt", screen(world="lpfc_worker", frames=("lpfc_sli_handle_ring@(lpfc)#<None>",)))
    run(["parse", "--host", "esx01", a])
    (row,) = history()
    assert row["type"] == "pf14" and row["host"] == "esx01" and row["pcpu"] == 3
    assert row["top_frames"] == ["lpfc_sli_handle_ring@lpfc"] and row["signature"].startswith("pf14-")
    code, out, _ = run(["history"])
    assert code == 0 and out.splitlines()[0].split()[:3] == ["id", "created", "host"]
    assert "esx01" in out and "lpfc_worker" in out


def test_history_of_no_database_is_empty_and_creates_nothing(history_db):
    assert history() == []
    code, out, _ = run(["history"])
    assert code == 0 and "no reports" in out and not history_db.exists()


def test_analyze_a_host_from_the_history(tmp_path):
    crashes = (("pf14", "Heap_Free", 1), ("gp13", "Vmxnet3_Poll", 5), ("mce", "MCEHandleError", 9))
    texts = [screen(kind=k, frames=(f, "vmkWorldFunc"), pcpu=p) for k, f, p in crashes]
    files = [write(tmp_path / "esx01" / f"{i}.txt", t) for i, t in enumerate(texts)]
    write(tmp_path / "esx02" / "x.txt", screen(frames=("Heap_Free", "vmkWorldFunc"), pcpu=4))
    run(["parse", "--host-from-dir", *files, str(tmp_path / "esx02" / "x.txt")])
    code, out, err = run(["analyze", "--host", "esx01", "--format", "json"])
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert obj["verdict"] == "hardware_suspected" and len(obj["evidence"]) == 3
    assert [r["code"] for r in obj["reasons"]][:2] == ["hardware_type", "different_signatures"]
    # the pf14 signature is on esx02 too
    assert "other_hosts" in [r["code"] for r in obj["reasons"]]
    code, out, _ = run(["analyze", "--host", "esx01", "--lang", "ja"])
    assert code == 0 and out.startswith("パターン分析: ")
    code, out, _ = run(["analyze", "--host", "esx01", "--format", "md"])
    assert code == 0 and out.startswith("## Pattern analysis: ")


def test_analyze_needs_a_host_when_the_history_holds_several(tmp_path):
    run(["parse", "--host", "a", write(tmp_path / "a.txt", screen(pcpu=1))])
    run(["parse", "--host", "b", write(tmp_path / "b.txt", screen(pcpu=2))])
    code, out, err = run(["analyze"])
    assert code == 2 and out == "" and "a, b" in err and "--host" in err


def test_analyze_files_report_json_and_text(tmp_path):
    a = write(tmp_path / "a.txt", screen(pcpu=1))
    b = write(tmp_path / "b.txt", screen(pcpu=2))
    code, out, _ = run(["parse", "--no-store", "--format", "json", a, b])
    reports = write(tmp_path / "reports.json", out)  # an array
    one = run(["parse", "--no-store", "--format", "json", write(tmp_path / "c.txt", screen(pcpu=3))])[1]
    single = write(tmp_path / "single.json", one)  # an object
    log = str(ROOT / "corpus" / "texts" / "056_log_vmkernel70_pf14_lpfc.txt")
    code, out, err = run(["analyze", "--format", "json", reports, single, log])
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert len(obj["evidence"]) == 4 and obj["evidence"][3]["crash_time"] == "2023-05-14T08:12:41.986Z"
    code, out, _ = run(["analyze", "--format", "json", reports, a])  # a is in reports.json: counted once
    assert code == 0 and len(json.loads(out)["evidence"]) == 2


def test_analyze_exit_codes(tmp_path):
    a = write(tmp_path / "a.txt", screen(pcpu=1))
    notes = write(tmp_path / "notes.txt", "nothing purple\n")
    code, out, err = run(["analyze"])
    assert code == 1 and out == "" and "no purple" in err
    code, out, err = run(["analyze", a, notes])
    assert code == 1 and err.count("\n") == 1 and "notes.txt" in err
    assert out.startswith("Pattern analysis: inconclusive")
    code, out, err = run(["analyze", a, str(tmp_path / "missing.txt")])
    assert code == 2 and "missing.txt" in err and out
    bad = write(tmp_path / "bad.json", '{"not": "a report"}')
    code, _, err = run(["analyze", a, bad])
    assert code == 1 and "not a psod-ocr report" in err
    assert run(["analyze", "--format", "yaml"])[0] == 2


USAGE_ERRORS = [["parse", "--host", "a", "--host-from-dir", "x"], ["history", "--format", "md"]]


@pytest.mark.parametrize("argv", USAGE_ERRORS)
def test_usage_errors_exit_2(argv):
    assert run(argv)[0] == 2


def test_an_unusable_database_is_one_line_and_exit_2(tmp_path):
    a = write(tmp_path / "a.txt", screen())
    code, out, err = run(["parse", "--db", str(tmp_path), a])
    assert code == 2 and out == "" and err.count("\n") == 1 and "history database" in err


def test_scan_takes_a_known_picture_from_the_history(history_db):
    image = str(ROOT / "images" / "kvm-esx40-gp13.png")
    code, first, err = run(["scan", "--host", "lab", "--format", "json", image])
    assert code == 0 and err == ""
    code, again, err = run(["scan", "--format", "json", image])
    assert code == 0 and err.count("\n") == 1 and "known picture" in err and "--force" in err
    assert json.loads(again) == json.loads(first)
    code, ja, _ = run(["scan", "--lang", "ja", image])
    assert code == 0 and ja.startswith("判定: 一般保護違反")
    assert stored(history_db) == [("lab", image)]
