"""Stopping ``scan`` at any moment: SIGINT (to the process group, as a terminal sends Ctrl-C) and
SIGTERM (to the command, as ``kill`` does) at random moments from start-up to the last result,
a widened race inside ``concurrent.futures``, and a parent killed outright. Every run must end
within 5 s of the signal, with the shell's status for it, no traceback, no process left in its
session, and exactly the printed results stored.

Real processes throughout: the command as a user starts it, real workers, real Tesseract.
"""

from __future__ import annotations

import contextlib
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import ROOT
from test_model_reading import SCREEN as HARD_PHOTO_TEXT
from webserver import child_env

from psod_ocr.simulate import simulate
from psod_ocr.store import Store

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")

IMAGES = ROOT / "images"
PICTURES = [IMAGES / "kvm-esx40-gp13.png", IMAGES / "kvm-esxi67-i40en.png"]
ENV = child_env()
GRACE_S = 5.0  # a stopped command must be gone, with everything it started, this soon
MOMENTS = 50
# The probe that found the hang: a delay inside wait()'s taking of the futures' locks, after the
# first one is held; it says on stderr when it is in there.
SLOW_WAIT = """
import os, sys, time
import concurrent.futures._base as base
def slow_enter(self):
    for i, future in enumerate(self.futures):
        future._condition.acquire()
        if i == 0:
            os.write(2, b"<inside wait>\\n")
            time.sleep(0.3)
base._AcquireFutures.__enter__ = slow_enter
from psod_ocr.console import run
run()
"""

# A stop signal that lands while Python runs a weakref callback (as an import's module lock
# does): the handler's exception cannot be passed on from there.
LOST_STOP = """
import os, signal, weakref
from psod_ocr import console, interrupt
interrupt.enable_backstop()
interrupt.end_on_lost_stop()
signal.signal(signal.SIGINT, console._on_signal)
class Thing:
    pass
def callback(_):
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(10000):  # the handler runs here, inside the callback
        pass
thing = Thing()
ref = weakref.ref(thing, callback)
del thing
print("went on")
"""


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> list[str]:
    """Six distinct captures (the history would otherwise know the repeats)."""
    folder = tmp_path_factory.mktemp("captures")
    paths = []
    for i in range(6):
        path = folder / f"shot{i}.png"
        path.write_bytes(PICTURES[i % 2].read_bytes() + bytes(i + 1))
        paths.append(str(path))
    return paths


def start(argv: list[str], db: Path, python: list[str] | None = None) -> subprocess.Popen:
    command = [*(python or [sys.executable, "-m", "psod_ocr"]), "scan", "--db", str(db), *argv]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            cwd=ROOT, start_new_session=True)  # fmt: skip


def catches(pid: int, signum: int) -> bool:
    """Whether the command (not the test runner it was forked from, before the exec) has a
    handler of its own for ``signum`` (from /proc: SigCgt)."""
    try:
        if b"psod_ocr" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return False
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(mask >> (signum - 1) & 1)


def left_in_session(sid: int) -> list[str]:
    """Live processes of the session (zombies are dead; a container's init may not reap them)."""
    left = []
    for p in psutil.process_iter(["pid", "status", "cmdline"]):
        try:
            if os.getsid(p.pid) == sid and p.info["status"] != psutil.STATUS_ZOMBIE:
                left.append(" ".join(p.info["cmdline"] or [])[:120])
        except (ProcessLookupError, PermissionError):
            continue
    return left


def send(proc: subprocess.Popen, signum: int) -> None:
    """Ctrl-C reaches the whole foreground group; ``kill`` the command alone."""
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)


def stopped(proc: subprocess.Popen, signum: int, sent_at: float) -> tuple[str, str]:
    """Wait for the command and its session to be gone within GRACE_S of the signal."""
    try:
        out, err = proc.communicate(timeout=max(0.1, sent_at + GRACE_S - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"still running {GRACE_S} s after {signal.Signals(signum).name}")
    assert_session_ends(proc.pid, sent_at, signal.Signals(signum).name)
    return out, err


def assert_session_ends(sid: int, sent_at: float, what: str) -> None:
    while (left := left_in_session(sid)) and time.monotonic() < sent_at + GRACE_S:
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        os.killpg(sid, signal.SIGKILL)  # not to leave them to the next test
    assert not left, f"left running {GRACE_S} s after {what}: {left}"


def forkserver_loading(pid: int) -> bool:
    """Whether the command's forkserver is importing its preloads (NumPy's first, mapped)."""
    try:
        servers = [c for c in psutil.Process(pid).children() if "forkserver" in " ".join(c.cmdline())]
        return any("numpy" in Path(f"/proc/{c.pid}/maps").read_text() for c in servers)
    except (psutil.Error, OSError):
        return False


def stored_count(db: Path) -> int:
    if not db.exists():
        return 0
    with Store(db) as store:
        return len(store.history())


def check_run(proc: subprocess.Popen, signum: int, sent_at: float, db: Path, total: int) -> int:
    out, err = stopped(proc, signum, sent_at)
    lines = out.splitlines()
    name = signal.Signals(signum).name
    assert "Traceback" not in err, err
    # 128 + signal from the command; -signal when it came before Python could run any handler
    finished = len(lines) == total and proc.returncode in (0, 1)  # it came after the last result
    assert proc.returncode in (128 + signum, -signum) or finished, (name, proc.returncode, err)
    assert stored_count(db) == len(lines), (name, err)  # what was printed was kept, nothing else
    return len(lines)


@pytest.fixture(scope="module")
def full_run_s(captures, tmp_path_factory) -> float:
    """How long the uninterrupted batch takes here: the span the random moments are drawn from."""
    db = tmp_path_factory.mktemp("full") / "h.sqlite3"
    began = time.monotonic()
    proc = start(["--jobs", "2", "--format", "jsonl", *captures], db)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and len(out.splitlines()) == 6, err
    return time.monotonic() - began


def test_a_stop_signal_at_any_moment_ends_the_batch_cleanly(captures, full_run_s, tmp_path):
    rng = random.Random(26)
    kept = []
    for n in range(MOMENTS):
        signum = (signal.SIGINT, signal.SIGTERM)[n % 2]
        db = tmp_path / f"h{n}.sqlite3"
        proc = start(["--jobs", "2", "--format", "jsonl", *captures], db)
        born = time.monotonic()
        # from the moment our code handles signals: before that only the interpreter is starting
        while not catches(proc.pid, signal.SIGTERM) and proc.poll() is None and time.monotonic() < born + 60:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, full_run_s))
        sent_at = time.monotonic()
        send(proc, signum)
        kept.append(check_run(proc, signum, sent_at, db, len(captures)))
    assert min(kept) == 0 and max(kept) > 0  # moments before the first result and after some


def test_the_race_inside_wait_widened_no_longer_hangs(captures, tmp_path):
    db = tmp_path / "h.sqlite3"
    probe = [sys.executable, "-c", SLOW_WAIT]
    proc = start(["--jobs", "2", "--format", "jsonl", *captures], db, python=probe)
    results: queue.Queue[str] = queue.Queue()
    errors: queue.Queue[str] = queue.Queue()
    for stream, lines in ((proc.stdout, results), (proc.stderr, errors)):  # never blocks the test
        threading.Thread(target=lambda s=stream, q=lines: [q.put(line) for line in s], daemon=True).start()
    assert results.get(timeout=60), "no result"  # then the loop waits for the next ones
    deadline = time.monotonic() + 60
    while errors.get(timeout=max(0.1, deadline - time.monotonic())) != "<inside wait>\n":
        pass
    proc.send_signal(signal.SIGINT)  # while wait() holds a future's lock
    try:
        proc.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("hung after Ctrl-C inside wait()")
    time.sleep(0.2)  # the readers take the last lines
    assert proc.returncode == 130
    assert stored_count(db) == 1 + results.qsize()


def test_workers_end_when_the_command_is_killed_outright(captures, tmp_path):
    proc = start(["--jobs", "2", "--format", "jsonl", *captures], tmp_path / "h.sqlite3")
    assert proc.stdout.readline(), "no result"
    sent_at = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=GRACE_S)
    assert_session_ends(proc.pid, sent_at, "kill -9")


def test_ctrl_c_while_the_forkserver_loads_prints_no_traceback(captures, tmp_path):
    db = tmp_path / "h.sqlite3"
    proc = start(["--jobs", "2", "--format", "jsonl", *captures], db)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not forkserver_loading(proc.pid):
        time.sleep(0.002)
    sent_at = time.monotonic()
    send(proc, signal.SIGINT)
    assert check_run(proc, signal.SIGINT, sent_at, db, len(captures)) == 0


def test_a_picture_read_in_process_stops_with_its_tesseract(tmp_path):
    db = tmp_path / "h.sqlite3"
    # a hard photo in a font no template fits: its cell grid needs Tesseract's words (the
    # sample pictures are read from their grid alone, and Tesseract is not asked its version
    # twice)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(simulate(HARD_PHOTO_TEXT, "phone_photo", seed=0, font="esxi-like", severity="hard")
                      .capture.image_bytes)  # fmt: skip
    proc = start(["--jobs", "1", "--format", "json", str(photo)], db)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not tesseract_running(proc.pid):
        time.sleep(0.005)
    assert proc.poll() is None, "the picture was read without Tesseract"
    send(proc, signal.SIGTERM)
    proc.wait(timeout=GRACE_S)
    time.sleep(0.2)
    assert not left_in_session(proc.pid)  # Tesseract went with it, not reading on for nobody
    assert proc.returncode == 143 and "Traceback" not in proc.stderr.read()
    assert stored_count(db) == 0 and proc.stdout.read() == ""


def tesseract_running(pid: int) -> bool:
    try:
        return any(c.name() == "tesseract" for c in psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return False


def test_a_stop_signal_inside_a_weakref_callback_still_ends_the_command_quietly():
    proc = subprocess.run([sys.executable, "-c", LOST_STOP], capture_output=True, text=True, env=ENV,
                          timeout=60)  # fmt: skip
    assert (proc.returncode, proc.stdout) == (130, ""), proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
