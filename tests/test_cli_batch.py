"""`scan` on batches, end to end with real Tesseract: folders with good, corrupt, empty, huge and
non-PSOD files; every output format; --out; the history over two runs; stdin paths; --jobs 2;
Ctrl-C; a progress bar on a terminal only; --same-screen on two simulated photos; Dask.

OCR costs about a second per picture and core, so the pictures are read once per module and
later runs take them from the history (which is what a second run should do anyway).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from psod_ocr import scan_command
from psod_ocr.cli import main
from psod_ocr.scan_command import start_order
from psod_ocr.simulate import available_fonts, simulate
from psod_ocr.store import Store

IMAGES = ROOT / "images"
I40EN, GP13 = IMAGES / "kvm-esxi67-i40en.png", IMAGES / "kvm-esx40-gp13.png"
CLI = [sys.executable, "-m", "psod_ocr"]
PYTHONPATH = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
ENV = {**os.environ, "PYTHONPATH": PYTHONPATH, "OMP_THREAD_LIMIT": "1"}


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def huge_png(path: Path, side: int = 9_000) -> None:
    """A valid PNG header claiming 81 megapixels (refused before any pixel is decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))  # fmt: skip


def stored(db: Path) -> list[tuple[str | None, str]]:
    with Store(db) as store:
        return [(s.host, s.path) for s in store.history()]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """captures/esx01: i40en.png, corrupt.png, empty.jpg, huge.png, notes.txt (not a picture);
    captures/esx02: gp13.png, wall.png (no purple screen), sub/i40en.png (the same bytes again)."""
    root = tmp_path_factory.mktemp("batch") / "captures"
    (root / "esx01").mkdir(parents=True)
    (root / "esx02" / "sub").mkdir(parents=True)
    (root / "esx01" / "i40en.png").write_bytes(I40EN.read_bytes())
    (root / "esx01" / "corrupt.png").write_bytes(I40EN.read_bytes()[:5000])
    (root / "esx01" / "empty.jpg").write_bytes(b"")
    huge_png(root / "esx01" / "huge.png")
    (root / "esx01" / "notes.txt").write_text("photos of the purple screen to follow\n")
    (root / "esx02" / "gp13.png").write_bytes(GP13.read_bytes())
    (root / "esx02" / "sub" / "i40en.png").write_bytes(I40EN.read_bytes())
    grey = np.tile(np.linspace(30, 225, 320), (240, 1)).astype(np.uint8)
    Image.fromarray(np.dstack([grey] * 3)).save(root / "esx02" / "wall.png")
    return root


BAD = ("corrupt.png", "empty.jpg", "huge.png", "wall.png")


@pytest.fixture(scope="module")
def first(folder, tmp_path_factory):
    """The first run: every picture read, by two workers, into a fresh history."""
    tmp = tmp_path_factory.mktemp("first")
    db, out = tmp / "history.sqlite3", tmp / "out"
    argv = ["--jobs", "2", "--format", "jsonl", "--out", str(out), "--host", "lab", "--db", str(db)]
    code, stdout, stderr = run(["scan", *argv, str(folder)])
    return code, stdout, stderr, db, out


def test_first_run_streams_one_json_line_per_input_and_one_stderr_line_per_bad_one(first, folder, valid):
    code, stdout, stderr, _, _ = first
    assert code == 1  # some inputs failed or held no purple screen
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert len(lines) == 7  # notes.txt is not a picture: not an input
    errors = {Path(o["path"]).name: o["error"] for o in lines if "error" in o}
    assert set(errors) == {"corrupt.png", "empty.jpg", "huge.png"}
    assert "empty file" in errors["empty.jpg"] and "pixel limit" in errors["huge.png"]
    reports = {o["source"]["path"]: o for o in lines if "error" not in o}
    for obj in reports.values():
        valid({k: v for k, v in obj.items() if k != "group"})
    a, b = str(folder / "esx01" / "i40en.png"), str(folder / "esx02" / "sub" / "i40en.png")
    gp13, wall = str(folder / "esx02" / "gp13.png"), str(folder / "esx02" / "wall.png")
    assert reports[a]["diagnosis"]["type"] == "pf14" and reports[gp13]["diagnosis"]["type"] == "gp13"
    assert reports[a]["group"] == reports[b]["group"] in (a, b)  # one screen, twice
    assert reports[gp13]["group"] == gp13 and reports[wall]["group"] is None
    err = stderr.splitlines()
    assert len(err) == 4 and all(sum(name in line for line in err) == 1 for name in BAD), err


def test_out_writes_a_report_and_an_annotated_picture_per_input(first):
    *_, out = first
    names = sorted(p.name for p in out.iterdir())
    stems = ("i40en", "gp13", "wall", "i40en-2")  # the second i40en.png gets its own name
    assert names == sorted([f"{s}.json" for s in stems] + [f"{s}.annotated.png" for s in stems])
    report = json.loads((out / "i40en.json").read_text())
    assert report["diagnosis"]["type"] == "pf14"
    picture = np.asarray(Image.open(out / "i40en.annotated.png").convert("RGB"))
    assert picture.shape[1] == 1024 and picture.shape[0] > 768  # the screenshot plus a caption
    assert ((picture == (0, 255, 0)).all(axis=2)).sum() > 1000  # the screen outline
    screen = picture[:768].astype(int)
    assert (abs(screen - (170, 0, 170)).sum(axis=2) > 60).mean() > 0.05  # rows tinted by section


def test_a_second_run_takes_every_known_picture_from_the_history(first, folder):
    *_, db, _ = first
    assert sorted(path for _, path in stored(db)) == [str(folder / "esx01" / "i40en.png"),
                                                       str(folder / "esx02" / "gp13.png")]  # fmt: skip
    code, out, err = run(["scan", "--format", "csv", "--db", str(db), str(folder)])
    assert code == 1
    assert err.count("known picture") == 3 and all(name in err for name in BAD)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [Path(r["path"]).name for r in rows] == ["corrupt.png", "empty.jpg", "huge.png", "i40en.png",
                                                     "gp13.png", "wall.png", "i40en.png"]  # input order
    assert [r["type"] for r in rows] == ["", "", "", "pf14", "gp13", "not_a_psod", "pf14"]
    assert rows[0]["error"] and rows[6]["group"] == rows[3]["path"] and rows[4]["group"] == rows[4]["path"]
    assert len(stored(db)) == 2  # no duplicates


def test_paths_from_stdin_all_good_exit_0(first, folder, valid):
    *_, db, _ = first
    paths = [str(folder / "esx01" / "i40en.png"), str(folder / "esx02" / "gp13.png")]
    code, out, err = run(["scan", "--format", "json", "--db", str(db), "-"], stdin="\n".join(paths) + "\n")
    assert code == 0 and err.count("known picture") == 2
    objs = valid(json.loads(out))
    assert [o["source"]["path"] for o in objs] == paths


def test_text_and_markdown_head_each_input_and_name_the_same_screen(first, folder):
    *_, db, _ = first
    inputs = [str(folder / "esx01" / "i40en.png"), str(folder / "esx02" / "sub" / "i40en.png")]
    code, out, _ = run(["scan", "--db", str(db), *inputs])
    assert code == 0 and out.startswith(f"== {inputs[0]} ==\nVerdict: Page fault")
    assert f"\n== {inputs[1]} ==\n" in out and f"Same screen as {inputs[0]}" in out
    code, out, _ = run(["scan", "--format", "md", "--db", str(db), *inputs])
    assert code == 0 and out.startswith(f"# {inputs[0]}\n\n## Page fault")


def test_html_is_one_page_with_the_annotated_pictures(first, folder):
    *_, db, _ = first
    code, out, _ = run(["scan", "--format", "html", "--jobs", "2", "--db", str(db), str(folder)])
    assert code == 1 and out.startswith("<!DOCTYPE html>") and out.count("<html") == 1
    assert out.count("src='data:image/jpeg;base64,") == 4  # the pictures that could be read
    assert "empty.jpg: empty file" in out and "<h2 id='input-6'>" in out


USAGE = [["--jobs", "0", "x.png"], ["--same-screen", "x.png"], ["--format", "yaml", "x.png"],
         ["--dask", "tcp://h:1", "--debug-dir", "d", "x.png"]]


@pytest.mark.parametrize("argv", USAGE)
def test_usage_errors_exit_2(argv):
    assert run(["scan", *argv])[0] == 2


def test_a_folder_without_pictures_is_a_usage_error(tmp_path):
    code, out, err = run(["scan", str(tmp_path)])
    assert code == 2 and out == "" and "no pictures" in err


def test_each_block_of_inputs_starts_with_its_biggest_pictures(tmp_path, monkeypatch):
    names = []
    for i, size in enumerate([10, 30, 20, 5, 40]):
        path = tmp_path / f"{i}.png"
        path.write_bytes(b"x" * size)
        names.append(str(path))
    one, two = argparse.Namespace(dask=None, jobs=1), argparse.Namespace(dask=None, jobs=2)
    assert start_order(names, one) == [0, 1, 2, 3, 4]  # in-process: input order
    assert start_order(names, two) == [4, 1, 2, 0, 3]
    monkeypatch.setattr(scan_command, "BLOCK_PER_JOB", 1)  # blocks of two inputs
    assert start_order(names, two) == [1, 0, 2, 3, 4]


def test_ctrl_c_keeps_what_finished_and_exits_130(tmp_path):
    pictures = []
    for i in range(4):
        path = tmp_path / f"shot{i}.png"
        path.write_bytes((I40EN if i % 2 else GP13).read_bytes() + bytes(i))  # distinct files
        pictures.append(str(path))
    db = tmp_path / "h.sqlite3"
    argv = [*CLI, "scan", "--jobs", "2", "--format", "jsonl", "--db", str(db), *pictures]
    pipe = subprocess.PIPE
    proc = subprocess.Popen(argv, stdout=pipe, stderr=pipe, text=True, env=ENV, cwd=ROOT)
    try:
        assert select.select([proc.stdout], [], [], 120)[0], "no result within 120 s"
        first_line = proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    lines = [first_line, *rest.splitlines()]
    assert proc.returncode == 130, err
    assert "interrupted" in err and 1 <= len(lines) < 4
    assert len(stored(db)) == len(lines)  # every finished report kept in the history


def test_a_progress_bar_only_on_a_terminal(tmp_path):
    wall = tmp_path / "wall.png"
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(wall)
    primary, secondary = pty.openpty()
    argv = [*CLI, "scan", "--no-store", "--format", "json", str(wall), str(wall) + ".missing"]
    env = {**ENV, "COLUMNS": "100"}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=secondary, env=env, cwd=ROOT)
    os.close(secondary)
    out, _ = proc.communicate(timeout=120)
    shown = b""
    while select.select([primary], [], [], 0.5)[0]:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert proc.returncode == 1 and json.loads(out)[0]["diagnosis"]["type"] == "not_a_psod"
    assert b"reading" in shown and b"/2" in shown  # the bar: count of 2 inputs
    assert b"wall.png.missing" in shown  # messages still get through
    code, _, err = run(["scan", "--no-store", str(wall)])  # stderr not a terminal: messages only
    assert code == 1 and err.count("\n") == 1


@pytest.mark.skipif(not available_fonts("esxi"), reason="console fonts not installed (console-setup-linux)")
def test_same_screen_fuses_two_photos_into_one_report(tmp_path, valid):
    text = (ROOT / "corpus" / "texts" / "033_esxi67_pf14_i40en.txt").read_text()
    paths = []
    for seed in (3, 4):
        sim = simulate(text, "phone_photo", seed=seed, font="esxi-like", severity="mild", work_scale=0.5)
        path = tmp_path / f"photo{seed}.jpg"
        path.write_bytes(sim.capture.image_bytes)
        paths.append(str(path))
    db, out = tmp_path / "h.sqlite3", tmp_path / "out"
    same = ["scan", "--same-screen", "--format", "json", "--db", str(db)]
    code, stdout, err = run([*same, "--out", str(out), *paths])
    obj = valid(json.loads(stdout))
    assert isinstance(obj, dict) and obj["source"]["paths"] == paths
    assert obj["ocr"]["model"].startswith("fused from 2 readings") and obj["ocr"]["screen_quad"] is None
    assert obj["warnings"][0] == f"fused from 2 pictures of one screen: {paths[0]}, {paths[1]}"
    assert code == (0 if obj["diagnosis"]["type"] != "not_a_psod" else 1), err
    assert obj["diagnosis"]["type"] == "pf14"  # what the readings are is the OCR's business
    written = sorted(p.name for p in out.iterdir())
    assert written == ["photo3.annotated.png", "photo3.fused.json", "photo3.json", "photo4.annotated.png",
                       "photo4.json"]  # fmt: skip
    assert len(stored(db)) == 1  # one screen, one crash
    code, again, err = run([*same, *reversed(paths)])
    assert code == 0 and "known picture" in err and json.loads(again)["text"] == obj["text"]


@pytest.mark.dask
def test_dask_cluster_reads_the_batch(tmp_path):
    distributed = pytest.importorskip("distributed")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        code, out, err = run(["scan", "--no-store", "--format", "csv", "--dask", cluster.scheduler_address,
                              str(I40EN), str(corrupt), str(GP13)])  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1 and err.count("\n") == 1 and "corrupt.png" in err
    assert [r["type"] for r in rows] == ["pf14", "", "gp13"] and "corrupt" in rows[1]["error"]


def test_dask_without_a_scheduler_is_one_line_and_exit_2():
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, _, err = run(["scan", "--no-store", "--dask", "tcp://127.0.0.1:9", str(I40EN)])
    assert code == 2 and err.count("\n") == 1 and "Dask scheduler" in err
