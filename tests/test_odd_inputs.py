"""Files that are not plain files, read by the real command: a FIFO or a device is one line and
the batch goes on (never a hang), standard input and a shell's ``<(...)`` are read once (the
bytes hashed are the bytes read), and a folder that cannot be listed is said, not skipped."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import CORPUS, ROOT
from webserver import child_env

from psod_ocr.store import Store

GP13 = ROOT / "images" / "kvm-esx40-gp13.png"
ENV = child_env()
CLI = [sys.executable, "-m", "psod_ocr"]


def psod_ocr(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *argv], input=stdin, capture_output=True, env=ENV, cwd=ROOT, timeout=120)


def test_a_fifo_or_a_device_is_one_line_and_the_batch_goes_on(tmp_path):
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)  # nobody writes to it: opening it to read would wait for ever
    done = psod_ocr("scan", "--no-store", "--format", "jsonl", str(fifo), "/dev/zero", str(GP13))
    err = done.stderr.decode().splitlines()
    assert done.returncode == 1
    assert err == [f"psod-ocr: {fifo}: a FIFO, not a regular file: not read",
                   "psod-ocr: /dev/zero: a character device, not a regular file: not read"]  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("error", "") != "" for line in lines] == [True, True, False]
    assert lines[2]["diagnosis"]["type"] == "gp13"


def test_parse_refuses_a_fifo_and_reads_the_next_file(tmp_path):
    fifo = tmp_path / "notes.txt"
    os.mkfifo(fifo)
    text = next(CORPUS.glob("*.txt"))
    done = psod_ocr("parse", "--no-store", "--format", "json", str(fifo), str(text))
    assert done.returncode == 1 and done.stderr.decode().count("\n") == 1
    assert "a FIFO" in done.stderr.decode() and json.loads(done.stdout)["source"]["path"] == str(text)


def test_standard_input_is_read_once_and_kept_under_its_own_hash(tmp_path):
    db = tmp_path / "h.sqlite3"
    data = GP13.read_bytes()
    done = psod_ocr("scan", "--db", str(db), "--format", "json", "/dev/stdin", stdin=data)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["diagnosis"]["type"] == "gp13"
    assert report["source"]["sha256"] == hashlib.sha256(data).hexdigest()
    with Store(db) as store:
        assert store.find_sha(hashlib.sha256(data).hexdigest()) is not None


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for <(...)")
def test_a_process_substitution_is_read(tmp_path):
    command = " ".join([*CLI, "scan", "--db", str(tmp_path / "h.sqlite3"), "--format", "json",
                        f"<(cat {GP13})"])  # fmt: skip
    done = subprocess.run(["bash", "-c", command], capture_output=True, env=ENV, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["diagnosis"]["type"] == "gp13"


def test_a_folder_that_cannot_be_listed_is_said_and_exits_1(tmp_path):
    """Root lists any folder: as root, the command runs without the capabilities that allow it."""
    deny = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv (util-linux) to drop the capabilities")
        deny = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    (tmp_path / "ok").mkdir()
    shutil.copy(GP13, tmp_path / "ok" / "gp13.png")
    (tmp_path / "locked").mkdir(mode=0o000)
    try:
        done = subprocess.run([*deny, *CLI, "scan", "--no-store", "--format", "csv", str(tmp_path)],
                              capture_output=True, env=ENV, cwd=ROOT, timeout=120)  # fmt: skip
    finally:
        (tmp_path / "locked").chmod(0o755)
    err = done.stderr.decode().splitlines()
    assert done.returncode == 1, done.stderr
    assert err == [f"psod-ocr: {tmp_path / 'locked'}: cannot read folder: Permission denied"]
    assert "gp13" in done.stdout.decode()
