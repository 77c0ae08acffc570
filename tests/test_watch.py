"""``psod-ocr watch`` as a real process on a real folder: pictures there at start, one copied in
slowly (with a pause longer than the settle time), a broken one, a restart that redoes nothing."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from webserver import IMAGES, ROOT, child_env

from psod_ocr.store import Store

SETTLE_S = 0.5
TIMEOUT_S = 60


class Watcher:
    def __init__(self, folder: Path, db: Path, logs: Path, run: int) -> None:
        self.out, self.err = logs / f"out-{run}.txt", logs / f"err-{run}.txt"
        env = child_env()
        argv = [sys.executable, "-m", "psod_ocr", "watch", str(folder), "--db", str(db), "--host", "lab",
                "--settle", str(SETTLE_S)]  # fmt: skip
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=ROOT)
        wait_for(lambda: "watching" in self.stderr(), what=f"the watcher to start: {self.stderr()}")

    def stdout(self) -> str:
        return self.out.read_text("utf-8")

    def stderr(self) -> str:
        return self.err.read_text("utf-8")

    def lines(self) -> list[str]:
        return self.stdout().splitlines()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def wait_for(condition, what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def copy_slowly(data: bytes, path: Path) -> None:
    """Write in four chunks with sleeps, one pause longer than the settle time: the watcher sees
    a file that stopped growing but does not decode yet."""
    quarter = len(data) // 4
    with path.open("wb") as out:
        for i, pause in enumerate((SETTLE_S * 3, 0.2, 0.2, 0)):
            out.write(data[i * quarter : None if i == 3 else (i + 1) * quarter])
            out.flush()
            time.sleep(pause)


def rchar(pid: int) -> int:
    """Bytes the process has read so far (/proc/<pid>/io)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar")


def report_of(picture: Path) -> dict:
    return json.loads(picture.with_name(picture.name + ".json").read_text("utf-8"))


@pytest.fixture
def watched(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder, tmp_path / "history.sqlite3", tmp_path


def test_each_picture_is_read_once_and_a_restart_redoes_nothing(watched, valid):
    folder, db, logs = watched
    before, slow, broken = folder / "before.png", folder / "slow.png", folder / "broken.png"
    before.write_bytes((IMAGES / "kvm-esx40-gp13.png").read_bytes())  # there before the watcher
    (folder / "notes.txt").write_text("not a picture")

    first = Watcher(folder, db, logs, 1)
    try:
        full = (IMAGES / "kvm-esxi67-i40en.png").read_bytes()
        copy_slowly(full, slow)
        broken.write_bytes(full[: len(full) // 2])
        wait_for(lambda: all(p.with_name(p.name + ".json").exists() for p in (before, slow)),
                 what="both reports")  # fmt: skip
        wait_for(lambda: "broken.png" in first.stderr(), what="the broken picture to be reported")
        # Idle now: reading a picture (open, close) must not make it look new and be read again.
        start = rchar(first.proc.pid)
        time.sleep(SETTLE_S * 4)
        assert rchar(first.proc.pid) - start < len(full) // 2
    finally:
        assert first.stop() == 0
    assert "watch stopped" in first.stderr()

    assert valid(report_of(before))["diagnosis"]["type"] == "gp13"
    slow_report = valid(report_of(slow))
    assert slow_report["diagnosis"]["type"] == "pf14"
    assert slow_report["source"]["sha256"] == hashlib.sha256(full).hexdigest()  # the whole file was read
    assert (folder / "slow.png.md").read_text("utf-8").startswith("## ")
    assert [line.split(":")[0] for line in first.lines()].count("slow.png") == 1, first.stdout()
    assert sorted(line.split(":")[0] for line in first.lines()) == ["before.png", "slow.png"]
    assert "corrupt or truncated" in first.stderr()
    assert not (folder / "broken.png.json").exists() and not (folder / "notes.txt.json").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary files left
    with Store(db) as store:
        assert sorted(r.report["diagnosis"]["type"] for r in store.history("lab")) == ["gp13", "pf14"]

    # Restart: nothing is read again. A lost report is written again from the history (no OCR),
    # and a picture that arrived meanwhile is read.
    slow_json_mtime = (folder / "slow.png.json").stat().st_mtime_ns
    (folder / "before.png.json").unlink()
    ramp = np.tile(np.linspace(30, 220, 200, dtype=np.uint8), (150, 1))
    Image.fromarray(np.dstack([ramp] * 3)).save(folder / "new.png")
    second = Watcher(folder, db, logs, 2)
    try:
        wait_for(lambda: all((folder / n).exists() for n in ("before.png.json", "new.png.json")),
                 what="the lost and the new report")  # fmt: skip
    finally:
        assert second.stop() == 0
    lines = second.lines()
    assert sorted(line.split(":")[0] for line in lines) == ["before.png", "new.png"], lines
    assert any(line.startswith("before.png: from the history") for line in lines), lines
    assert valid(report_of(folder / "new.png"))["diagnosis"]["type"] == "not_a_psod"
    assert (folder / "slow.png.json").stat().st_mtime_ns == slow_json_mtime
    with Store(db) as store:
        assert len(store.history()) == 2  # a picture without a purple screen is not stored
