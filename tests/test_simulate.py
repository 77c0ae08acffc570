"""Tests for the capture renderer and simulator (psod_ocr.simulate)."""

from __future__ import annotations

import gzip
import io
import json
import struct

import numpy as np
import pytest
from PIL import Image

from psod_ocr.simulate import (
    FontNotInstalledError,
    available_fonts,
    load_font,
    parse_psf,
    render_screen,
    simulate,
    simulate_kvm_screenshot,
    simulate_phone_photo,
    wrap_text,
)
from psod_ocr.simulate.__main__ import main as cli_main
from psod_ocr.simulate.fonts import CONSOLE_FONT_DIRS, find_font_file
from psod_ocr.simulate.screen import BACKGROUND, WHITE, YELLOW

PSOD = """VMware ESXi 6.7.0 [Releasebuild-14320388 x86_64]
#PF Exception 14 in world 2098841:vmnic3-pollW IP 0x41803a61c4b7 addr 0x48
PTEs:0x0;
cr0=0x8001003d cr2=0x48 cr3=0x5d2c1000 cr4=0x10216c
Code start: 0x418039c00000 VMK uptime: 3:04:12:55.731
0x451b2c74fd40:[0x41803a61c4b7]vmk_PktFrameLenSet@vmkernel#nover+0x0 stack: 0x4301e6a2c3d8
No port for remote debugger. "Escape" for local debugger.
"""

needs_fonts = pytest.mark.skipif(
    not available_fonts("esxi"), reason="console fonts not installed (console-setup-linux)"
)


def _psf_magic(path) -> bytes:
    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)[:4]


def _installed_psf2():
    for folder in CONSOLE_FONT_DIRS:
        for path in sorted(folder.glob("*.psf*")) if folder.is_dir() else []:
            if _psf_magic(path) == b"\x72\xb5\x4a\x86":
                return path
    return None


def _colour_mask(image: np.ndarray, colour) -> np.ndarray:
    return (image == np.array(colour, np.uint8)).all(axis=2)


@pytest.fixture(scope="module")
def screen():
    return render_screen(PSOD, "esxi-like")


# --- fonts -------------------------------------------------------------------------------------


def test_synthetic_psf2_unicode_table_maps_characters():
    width, height = 10, 4
    row_bytes = 2
    glyphs = bytes(row_bytes * height) + bytes([0xFF, 0xC0] * height)
    table = b"A\xff" + "X█".encode() + b"\xfeXY\xff"
    header = struct.pack("<4s7I", b"\x72\xb5\x4a\x86", 0, 32, 1, 2, row_bytes * height, height,
                         width)
    font = parse_psf(gzip.compress(header + glyphs + table), "synthetic")
    assert (font.width, font.height) == (10, 4)
    assert not font.glyphs["A"].any()
    assert font.glyphs["X"].all() and font.glyphs["█"].all()
    assert font.glyphs["X"].shape == (4, 10)
    assert "Y" not in font.glyphs  # sequences are not single characters


def test_synthetic_psf1_falls_back_to_code_points_without_table():
    glyphs = bytearray(256 * 16)
    glyphs[ord("0") * 16 + 5] = 0b00011000
    font = parse_psf(b"\x36\x04\x00\x10" + bytes(glyphs), "plain")
    assert (font.width, font.height) == (8, 16)
    assert font.glyphs["0"][5].tolist() == [False] * 3 + [True] * 2 + [False] * 3
    assert not font.glyphs["1"].any()


@needs_fonts
def test_installed_psf1_font_loads_from_gzip_and_plain():
    path = find_font_file("Lat15-TerminusBold16")
    assert path is not None and _psf_magic(path)[:2] == b"\x36\x04"
    font = load_font("Lat15-TerminusBold16")
    assert (font.width, font.height) == (8, 16)
    assert font.glyphs["A"].dtype == bool and font.glyphs["A"].shape == (16, 8)
    plain = parse_psf(gzip.decompress(path.read_bytes()), "plain")
    assert all(np.array_equal(plain.glyphs[c], font.glyphs[c]) for c in "0Ox#@")
    assert font.glyphs["\u201d"].any()  # the unicode table is read, not just code points


def test_installed_psf2_font_loads():
    path = _installed_psf2()
    if path is None:
        pytest.skip("no PSF2 console font installed")
    font = load_font(path.name.split(".psf")[0])
    assert font.width > 8 or font.height != 16 or font.glyphs
    assert font.glyphs["A"].shape == (font.height, font.width)
    assert font.glyphs["A"].any() and not np.array_equal(font.glyphs["A"], font.glyphs["B"])


@needs_fonts
def test_zero_differs_across_chosen_fonts():
    names = available_fonts("esxi")
    assert len(names) >= 6
    zeros = [load_font(name).glyphs["0"] for name in names]
    distinct = {zero.tobytes() for zero in zeros}
    assert len(distinct) == len(names)


@needs_fonts
def test_esxi_like_zero_has_centre_dot_and_differs_from_stock():
    dotted = load_font("esxi-like").glyphs["0"]
    stock = load_font("Lat15-TerminusBold16").glyphs["0"]
    assert not np.array_equal(dotted, stock)
    assert dotted[6:8, 3].all() and not dotted[6:8, 2].any() and not dotted[6:8, 4].any()
    assert np.array_equal(dotted[[2, 11]], stock[[2, 11]])  # ring top and bottom kept


def test_missing_font_raises_own_error():
    with pytest.raises(FontNotInstalledError, match="not installed"):
        load_font("No-Such-Font16")


# --- rendering ---------------------------------------------------------------------------------


@needs_fonts
def test_render_esxi_geometry_and_colours(screen):
    assert screen.image.shape == (768, 1024, 3) and screen.image.dtype == np.uint8
    assert (screen.cols, screen.rows_n, screen.cell_w, screen.cell_h) == (128, 48, 8, 16)
    assert _colour_mask(screen.image, BACKGROUND).mean() > 0.8
    ys, _ = np.nonzero(_colour_mask(screen.image, YELLOW))
    assert ys.size > 0 and ys.max() < 16  # yellow only in the first row
    white_ys, _ = np.nonzero(_colour_mask(screen.image, WHITE))
    assert white_ys.min() >= 16
    assert screen.rows[0].startswith("VMware ESXi") and screen.rows[7] == ""
    assert screen.text == PSOD.rstrip("\n")


@needs_fonts
def test_boot_error_screen_is_all_white():
    text = "\n\n\n   VMware ESXi 7.0.3 (VMKernel Release Build 19482537)\n\n\n" \
           "The system has found a problem on your machine and cannot continue.\n"
    image = render_screen(text).image
    assert not _colour_mask(image, YELLOW).any()
    assert _colour_mask(image, WHITE).any()


def test_wrap_at_128_and_empty_row_after_exact_line():
    long = "a" * 130
    exact = "b" * 128
    rows, sources = wrap_text(f"{long}\n{exact}\nnext\n", 128)
    assert rows == ["a" * 128, "aa", exact, "", "next"]
    assert sources == [0, 0, 1, 1, 2]


@needs_fonts
def test_render_wraps_and_leaves_empty_row():
    exact = "0x" + "f" * 126
    screen = render_screen(f"VMware ESXi 8.0.0\n{'x' * 130}\n{exact}\nafter", "esxi-like")
    assert screen.rows[1:6] == ["x" * 128, "xx", exact, "", "after"]
    image = screen.image
    assert _colour_mask(image[2 * 16 : 3 * 16, 2 * 8 :], BACKGROUND).all()  # after "xx"
    assert _colour_mask(image[4 * 16 : 5 * 16], BACKGROUND).all()  # the empty row
    assert not _colour_mask(image[5 * 16 : 6 * 16], BACKGROUND).all()


@needs_fonts
def test_rows_beyond_grid_are_cut_and_counted():
    screen = render_screen("\n".join(f"line {i}" for i in range(60)))
    assert len(screen.rows) == 48 and screen.cut_rows == 12
    assert screen.rows[-1] == "line 47"


@needs_fonts
def test_esx_text_mode_grid():
    text = "VMware ESX Server [Releasebuild-98103]\n" + "y" * 85
    screen = render_screen(text, layout="esx_text")
    assert screen.image.shape == (400, 720, 3)
    assert (screen.cols, screen.rows_n, screen.cell_w) == (80, 25, 9)
    assert screen.rows[1:3] == ["y" * 80, "yyyyy"]
    ninth_columns = screen.image[:, 8::9]
    assert _colour_mask(ninth_columns, BACKGROUND).all()  # 8-px glyphs in 9-px cells


# --- captures ----------------------------------------------------------------------------------


@needs_fonts
def test_kvm_dimensions_follow_scale(screen):
    fixed = {"chrome": None, "letterbox": None, "crop": False, "annotate": False, "redact": 0}
    uniform = simulate_kvm_screenshot(screen, 3, scale=(1.5, 1.5), fmt="png", **fixed)
    assert uniform.size == (1536, 1152)
    assert np.allclose(uniform.quad, [[0, 0], [1536, 0], [1536, 1152], [0, 1152]])
    odd = simulate_kvm_screenshot(screen, 3, scale=(0.77, 0.66), fmt="jpeg", **fixed)
    assert odd.size == (788, 507) and odd.format == "jpeg"
    framed = simulate_kvm_screenshot(screen, 3, scale=(1.047, 1.047), fmt="png",
                                     **{**fixed, "chrome": "dark"})
    left, top = framed.quad[0]
    assert left > 0 and top > 0
    assert framed.size[0] > 1072 and framed.size[1] > 804


@needs_fonts
def test_kvm_quantises_to_five_bits(screen):
    capture = simulate_kvm_screenshot(screen, 0, scale=(1.0, 1.0), quantise=True, fmt="png",
                                      chrome=None, letterbox=None, crop=False, annotate=False,
                                      redact=0)
    rgb = capture.rgb.reshape(-1, 3).astype(np.int64)
    packed = np.unique(rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2])
    colours = {(int(c) >> 16, int(c) >> 8 & 255, int(c) & 255) for c in packed}
    assert colours == {(168, 0, 168), (248, 248, 248), (248, 248, 80)}


@needs_fonts
def test_kvm_is_deterministic_by_seed(screen):
    first = simulate_kvm_screenshot(screen, 11)
    again = simulate_kvm_screenshot(screen, 11)
    other = simulate_kvm_screenshot(screen, 12)
    assert first.image_bytes == again.image_bytes and first.params == again.params
    assert first.image_bytes != other.image_bytes
    json.dumps(first.params)


@needs_fonts
def test_photo_is_deterministic_by_seed(screen):
    first = simulate_phone_photo(screen, 5, "hard", size=(640, 480))
    again = simulate_phone_photo(screen, 5, "hard", size=(640, 480))
    other = simulate_phone_photo(screen, 6, "hard", size=(640, 480))
    assert first.image_bytes == again.image_bytes
    assert first.image_bytes != other.image_bytes
    assert first.kind == "phone_photo" and first.format == "jpeg"


@needs_fonts
@pytest.mark.parametrize("rotation, tag", [(90, 6), (180, 3), (270, 8)])
def test_photo_exif_orientation_and_quad(screen, rotation, tag):
    options = {"size": (800, 600), "cast": "none", "glare": (), "exposure": 1.0}
    capture = simulate_phone_photo(screen, 2, "mild", rotation=rotation, **options)
    with Image.open(io.BytesIO(capture.image_bytes)) as stored:
        assert stored.getexif().get(0x0112) == tag
        assert stored.size == ((600, 800) if rotation in (90, 270) else (800, 600))
    assert capture.size == (800, 600)
    quad = capture.quad
    assert quad.shape == (4, 2)
    assert (quad >= 0).all() and (quad[:, 0] <= 800).all() and (quad[:, 1] <= 600).all()
    assert quad[0, 0] < quad[1, 0] and quad[0, 1] < quad[3, 1]  # clockwise from top-left
    upright = simulate_phone_photo(screen, 2, "mild", rotation=0, **options)
    diff = np.abs(capture.rgb.astype(int) - upright.rgb.astype(int)).mean()
    assert diff < 4  # the loader's EXIF rotation restores the same picture


@needs_fonts
def test_photo_quad_centre_shows_the_purple_screen(screen):
    capture = simulate_phone_photo(screen, 4, "mild", size=(800, 600), cast="none", glare=())
    cx, cy = capture.quad.mean(axis=0)
    r, g, b = capture.rgb[int(cy) - 20 : int(cy) + 20, int(cx) - 20 : int(cx) + 20].reshape(
        -1, 3).mean(axis=0)
    assert r > 2 * g and b > 2 * g


@needs_fonts
def test_full_size_photo_is_about_12_megapixels(screen):
    capture = simulate_phone_photo(screen, 9, "hard", rotation=0)
    width, height = capture.size
    assert 11e6 < width * height < 13.5e6
    assert (capture.quad >= 0).all()
    assert (capture.quad[:, 0] <= width).all() and (capture.quad[:, 1] <= height).all()


@needs_fonts
def test_simulate_helper_renders_and_captures():
    result = simulate(PSOD, "phone_photo", seed=3, size=(640, 480))
    assert result.screen.rows[0].startswith("VMware ESXi")
    assert result.capture.params["font"] in available_fonts("esxi")
    again = simulate(PSOD, "phone_photo", seed=3, size=(640, 480))
    assert again.capture.image_bytes == result.capture.image_bytes
    old = simulate("VMware ESX Server [Releasebuild-98103]\nOops\n", "kvm_screenshot", seed=1)
    assert old.screen.layout == "esx_text" and old.screen.image.shape == (400, 720, 3)


@needs_fonts
def test_cli_writes_capture(tmp_path, capsys):
    text = tmp_path / "psod.txt"
    text.write_text(PSOD, encoding="utf-8")
    out = tmp_path / "x.jpg"
    status = cli_main(["--text", str(text), "--kind", "phone_photo", "--seed", "3",
                       "--size", "320x240", "--out", str(out)])
    assert status == 0
    assert out.read_bytes()[:2] == b"\xff\xd8"
    assert "quad" in json.loads(capsys.readouterr().out)


@needs_fonts
def test_kvm_letterbox_offsets_quad(screen):
    capture = simulate_kvm_screenshot(screen, 1, scale=(1.0, 1.0), letterbox=16 / 9, chrome=None,
                                      crop=False, annotate=False, redact=0, fmt="png")
    assert capture.size == (1365, 768)
    assert np.allclose(capture.quad, [[170, 0], [1194, 0], [1194, 768], [170, 768]])
    assert not capture.rgb[:, :170].any() and not capture.rgb[:, 1194:].any()
    assert capture.rgb[700, 170, 1] < 20 and capture.rgb[700, 170, 0] > 150
