"""Files psod-ocr leaves behind are written whole and never through a link: ``--out``,
``--debug-dir``, the watch folder's reports and Tesseract's word-list cache."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from psod_ocr._exec.tesseract import CACHE_FORMAT, PROBE_FORMAT, version, word_list
from psod_ocr.atomic import write_atomically
from psod_ocr.cli import main
from psod_ocr.watch import Watcher

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "images" / "kvm-esx40-gp13.png"
ELSEWHERE = "someone else's file\n"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def links_to_outside(folder: Path, outside: Path, names: list[str]) -> dict[str, Path]:
    """A symlink at each name in ``folder``, each to its own file in ``outside``."""
    folder.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    targets = {}
    for name in names:
        target = outside / f"target-of-{name}"
        target.write_text(ELSEWHERE)
        (folder / name).symlink_to(target)
        targets[name] = target
    return targets


def assert_replaced(folder: Path, targets: dict[str, Path]) -> None:
    for name, target in targets.items():
        assert target.read_text() == ELSEWHERE, f"{name} was written through its link"
        assert not (folder / name).is_symlink() and (folder / name).is_file()
        assert (folder / name).stat().st_size > 0
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_scan_out_and_debug_dir_replace_links_instead_of_writing_through_them(tmp_path):
    pictures = []
    for name in ("a.png", "b.png"):
        shutil.copy(SAMPLE, tmp_path / name)
        pictures.append(str(tmp_path / name))
    out, debug = tmp_path / "out", tmp_path / "debug"
    targets = links_to_outside(out, tmp_path / "outside", ["a.json", "a.annotated.png", "a.fused.json"])
    debug_targets = links_to_outside(debug, tmp_path / "outside-debug", ["a.1-quad.png"])
    code, _, err = run(["scan", "--no-store", "--jobs", "1", "--same-screen", "--format", "json",
                        "--out", str(out), "--debug-dir", str(debug), *pictures])  # fmt: skip
    assert code == 0, err
    assert_replaced(out, targets)
    assert (out / "a.fused.json").read_text("utf-8").startswith("{")
    assert (out / "a.annotated.png").read_bytes().startswith(b"\x89PNG")
    assert_replaced(debug, debug_targets)
    assert (debug / "a.1-quad.png").read_bytes().startswith(b"\x89PNG")


def test_watch_replaces_links_beside_the_picture(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "shot.png")
    targets = links_to_outside(folder, tmp_path / "outside", ["shot.png.json", "shot.png.md"])
    watcher = Watcher(folder, None, None, "en", 0.0, io.StringIO(), io.StringIO())
    assert watcher.process(folder / "shot.png") is None
    assert_replaced(folder, targets)
    assert (folder / "shot.png.md").read_text("utf-8").startswith("## ")


def test_a_failed_write_leaves_neither_a_temporary_file_nor_a_changed_target(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "inside").write_text("x")  # a folder in the way: the rename fails
    with pytest.raises(OSError):
        write_atomically(tmp_path / "busy", "report")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_a_written_file_has_the_permissions_of_a_plain_one(tmp_path):
    write_atomically(tmp_path / "atomic.json", "{}\n")
    (tmp_path / "plain.json").write_text("{}\n")
    assert (tmp_path / "atomic.json").read_bytes() == b"{}\n"
    assert (tmp_path / "atomic.json").stat().st_mode == (tmp_path / "plain.json").stat().st_mode


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """Tesseract's word list unpacked into a fresh cache folder (and forgotten afterwards)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    word_list.cache_clear()
    yield tmp_path / "psod-ocr"
    word_list.cache_clear()


def test_a_cut_short_word_list_cache_is_rebuilt_not_trusted(cache_home):
    fresh = word_list()
    if not fresh:
        pytest.skip("Tesseract's eng dictionary cannot be unpacked")
    (cached,) = cache_home.glob(f"{CACHE_FORMAT}-*")
    whole = cached.read_bytes()
    for cut in (len(whole) // 2, len(whole) - 1, 0):
        os.truncate(cached, cut)  # as a process killed mid-write would have left it
        word_list.cache_clear()
        assert word_list() == fresh
        assert cached.read_bytes() == whole  # replaced by a whole one
        assert [p.name for p in cache_home.glob(f"{CACHE_FORMAT}*")] == [cached.name]  # nothing half-written
        assert not list(cache_home.glob("*.tmp*"))


def test_tesseract_is_asked_its_version_once_per_binary(cache_home, monkeypatch):
    version.cache_clear()
    try:
        asked = version()
        (kept,) = cache_home.glob(f"{PROBE_FORMAT}-version-*")
        assert kept.read_text().strip() == asked
        kept.write_text("tesseract 0.0.kept\n")  # what the next process reads instead of asking
        version.cache_clear()
        assert version() == "tesseract 0.0.kept"
        monkeypatch.setenv("TESSDATA_PREFIX", str(cache_home))  # another set-up: asked again
        version.cache_clear()
        assert version() == asked
    finally:
        version.cache_clear()
