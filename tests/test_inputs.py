"""What `scan PATH...` expands to: folders walked, patterns expanded, paths read from stdin."""

from __future__ import annotations

import io
from pathlib import Path

from psod_ocr.inputs import expand_inputs, looks_like_image, output_stems

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def make(tmp: Path, *names: str, data: bytes = PNG) -> list[str]:
    out = []
    for name in names:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out.append(str(path))
    return out


def expand(*args: str, stdin: str = "") -> list[str]:
    return expand_inputs(list(args), io.StringIO(stdin)).names


def test_a_folder_is_walked_for_pictures_in_order(tmp_path):
    a, b, c, d = make(tmp_path, "b.PNG", "a.jpg", "sub/deeper/c.heic", "sub/IMG_0042")  # no suffix: sniffed
    make(tmp_path, ".hidden.png", ".git/x.png", "sub/notes.txt")
    (tmp_path / "sub" / "notes.txt").write_text("not a picture")
    (tmp_path / "sub" / "readme").write_text("not a picture either")
    assert expand(str(tmp_path)) == [b, a, d, c]


def test_a_file_named_is_tried_whatever_it_is_and_a_missing_one_is_kept(tmp_path):
    (notes,) = make(tmp_path, "notes.txt", data=b"hello")
    missing = str(tmp_path / "missing.png")
    assert expand(notes, missing) == [notes, missing]


def test_patterns_are_expanded_and_an_unmatched_one_is_kept(tmp_path):
    a, b, _ = make(tmp_path, "shot1.png", "shot2.png", "other.png")
    nested = make(tmp_path, "x/shot3.png")
    assert expand(str(tmp_path / "shot*.png")) == [a, b]
    assert expand(str(tmp_path / "**" / "shot3.png")) == nested
    nothing = str(tmp_path / "nothing*.png")
    assert expand(nothing) == [nothing]  # reported as missing by the batch


def test_paths_from_stdin_and_every_input_once(tmp_path):
    a, b = make(tmp_path, "a.png", "b.png")
    assert expand("-", a, stdin=f"{a}\n\n  {b}  \n") == [a, b]
    assert expand(a, str(tmp_path)) == [a, b]


def test_content_sniffing(tmp_path):
    webp, heic, text = make(tmp_path, "w", "h", "t", data=b"")
    Path(webp).write_bytes(b"RIFF\0\0\0\0WEBPVP8 ")
    Path(heic).write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0")
    Path(text).write_text("RIFF but not a picture")
    assert [looks_like_image(Path(p)) for p in (webp, heic, text)] == [True, True, False]


def test_output_stems_are_unique():
    stems = output_stems(["a/shot.png", "b/shot.jpg", "shot.png", "c.png"])
    assert stems == ["shot", "shot-2", "shot-3", "c"]
