"""The flat screen and its character grid: rows and columns of the console, also when the
screen holds only a line or two of text."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from psod_ocr.binarise import _row_pitch, binarise, without_lines
from psod_ocr.load import load_image
from psod_ocr.locate import find_screen
from psod_ocr.rectify import rectify
from psod_ocr.simulate import available_fonts, simulate

pytestmark = pytest.mark.skipif(not available_fonts("esxi"),
                                reason="console fonts not installed (console-setup-linux)")  # fmt: skip

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "texts"
PLAIN = {"fmt": "png", "chrome": None, "letterbox": None, "crop": False, "annotate": False, "redact": 0}
TEXT = {
    "esxi": "#PF Exception 14 in world 2099012:vmnic2-pollW IP 0x41802c7a19f4 addr 0x38",
    "esx_text": "VMware ESX Server [Releasebuild-123629]\nLost heartbeat",
}


@pytest.mark.parametrize("layout,rows,cols", [("esxi", 48, 128), ("esx_text", 25, 80)])
@pytest.mark.parametrize("scale", [1.0, 1.3])
def test_a_screen_with_one_or_two_lines_still_gets_the_consoles_grid(layout, rows, cols, scale):
    font = available_fonts(layout)[0]
    sim = simulate(TEXT[layout], "kvm_screenshot", seed=2, font=font, scale=(scale, scale), **PLAIN)
    image = load_image(sim.capture.image_bytes, name="sim.png")
    flat = rectify(image.rgb, find_screen(image.rgb).corners)
    grid = binarise(flat.rgb).grid
    assert grid is not None and (grid.rows, grid.cols) == (rows, cols)
    assert grid.row_pitch == pytest.approx(16 * scale, rel=0.02)


def _blurred_console(layout: str, blur: float) -> np.ndarray:
    """A whole console holding TEXT[layout], at twice its pixels, out of focus."""
    sim = simulate(TEXT[layout], "kvm_screenshot", seed=2, font=available_fonts(layout)[0], scale=(2.0, 2.0),
                   **PLAIN)  # fmt: skip
    return cv2.GaussianBlur(load_image(sim.capture.image_bytes, name="sim.png").rgb, (0, 0), blur)


@pytest.mark.parametrize("layout,rows,cols", [("esxi", 48, 128), ("esx_text", 25, 80)])
@pytest.mark.parametrize("blur", [3.0, 4.0])
def test_a_blurred_line_or_two_get_the_consoles_grid_from_the_glyphs_repeat(layout, rows, cols, blur):
    # blur spreads a line's ink over about a 25-row console's row as well as a 48-row one's
    grid = binarise(_blurred_console(layout, blur)).grid
    assert grid is not None and (grid.rows, grid.cols) == (rows, cols)


def test_a_glare_spot_on_a_noisy_photo_is_neither_a_text_line_nor_ink():
    rgb = _blurred_console("esxi", 2.5).astype(np.float32)
    h, w = rgb.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    spot = np.exp(-(((xs - 0.4 * w) / 60) ** 2 + ((ys - 0.6 * h) / 110) ** 2) / 2)[..., None]
    rgb += 90 * spot * np.array([1.0, 0.8, 1.0])
    rgb += np.random.default_rng(1).normal(0, 6, rgb.shape) * (1 + 2 * spot)  # brighter, noisier
    bin_ = binarise(np.clip(rgb, 0, 255).astype(np.uint8), photo=True)
    assert bin_.grid is not None and (bin_.grid.rows, bin_.grid.cols) == (48, 128)
    below_the_line = bin_.image[round(2 * bin_.grid.row_pitch * bin_.scale) :]
    assert (below_the_line == 0).mean() < 0.0002


@pytest.mark.parametrize("layout,rows,cols", [("esxi", 48, 128), ("esx_text", 25, 80)])
def test_a_console_scaled_more_one_way_than_the_other_keeps_its_grid(layout, rows, cols):
    # a viewer window resized freely: 1.0 wide, 1.17 high
    name = "033_esxi67_pf14_i40en.txt" if layout == "esxi" else "002_esx35_pf14_vmm_wrapped.txt"
    text = (CORPUS / name).read_text()
    font = available_fonts(layout)[0]
    sim = simulate(text, "kvm_screenshot", seed=2, font=font, scale=(1.0, 1.17), **PLAIN)
    image = load_image(sim.capture.image_bytes, name="sim.png")
    flat = rectify(image.rgb, find_screen(image.rgb).corners)
    grid = binarise(flat.rgb).grid
    assert grid is not None and (grid.rows, grid.cols) == (rows, cols)
    assert grid.col_pitch == pytest.approx(flat.rgb.shape[1] / cols, rel=0.001)


def test_the_cell_reader_sees_past_a_quad_found_a_little_inside_the_screen():
    sim = simulate((CORPUS / "033_esxi67_pf14_i40en.txt").read_text(), "kvm_screenshot", seed=2,
                   font=available_fonts("esxi")[0], scale=(1.0, 1.0), **PLAIN)  # fmt: skip
    image = load_image(sim.capture.image_bytes, name="sim.png")
    inside = find_screen(image.rgb).corners + np.array([[3, 2], [-3, 2], [-3, -2], [3, -2]], np.float32)
    flat = rectify(image.rgb, inside)
    pad = flat.pad
    assert pad >= 3 and flat.padded.shape[:2] == (flat.rgb.shape[0] + 2 * pad, flat.rgb.shape[1] + 2 * pad)
    assert (flat.padded[pad:-pad, pad:-pad] == flat.rgb).all()
    # the three columns of pixels the quad left out are in the padding, as in the picture
    assert (flat.padded[pad : pad + 50, pad - 3 : pad] == image.rgb[2:52, 0:3]).all()


def test_long_straight_lines_leave_the_text():
    # an annotation box's edges on a 1024x768 console: one crosses a row of glyph-sized marks
    text = np.zeros((768, 1024), np.float32)
    for x in range(10, 900, 8):
        text[100:114, x : x + 6] = 1.0
    text[112:115, 0:1000] = 1.0  # the box's lower edge, through the glyphs' feet
    text[0:400, 1000:1003] = 1.0  # its right edge
    clean = without_lines(text)
    assert clean[112:115, :].sum() == 0 and clean[:, 1000:1003].sum() == 0
    assert clean[100:110, 10:16].sum() == 10 * 6


@pytest.mark.parametrize("stretch", [0.95, 1.06])
def test_a_blurred_photos_flat_screen_a_little_off_4_to_3_keeps_128_columns(stretch):
    # A photo's flat screen takes its aspect from the quad's sides, a few percent off under
    # perspective; blur hides the glyphs' repeat along the rows. All 48 rows are there.
    sim = simulate((CORPUS / "033_esxi67_pf14_i40en.txt").read_text(), "kvm_screenshot", seed=2,
                   font=available_fonts("esxi")[0], scale=(2 * stretch, 2.0), **PLAIN)  # fmt: skip
    rgb = cv2.GaussianBlur(load_image(sim.capture.image_bytes, name="sim.png").rgb, (0, 0), 3)
    grid = binarise(rgb).grid
    assert grid is not None and (grid.rows, grid.cols) == (48, 128)


def test_a_console_whose_text_fills_only_its_left_part_gets_its_columns_from_the_glyphs_repeat():
    # a viewer scaled 1.02 wide and 1.18 high (no console shape), letterboxed, WebP: the width is
    # the console's only if the glyphs repeat at its 128th, which the ink's left-heavy lie
    # across the screen must not hide
    lines = (CORPUS / "033_esxi67_pf14_i40en.txt").read_text().splitlines()
    text = "\n".join(line[:90] for line in lines)
    options = {**PLAIN, "letterbox": 1.25, "fmt": "webp", "quality": 84}
    sim = simulate(text, "kvm_screenshot", seed=225, font=available_fonts("esxi")[0], scale=(1.015, 1.175),
                   interpolation="nearest", **options)  # fmt: skip
    image = load_image(sim.capture.image_bytes, name="sim.png")
    flat = rectify(image.rgb, find_screen(image.rgb).corners)
    grid = binarise(flat.rgb).grid
    assert grid is not None and grid.cols == 128
    assert grid.col_pitch == pytest.approx(8 * 1.015, rel=0.01)


def _cropped_grid(text: str, scale: tuple[float, float], seed: int = 3, **options):
    """The grid of a screenshot cropped to its text (no console size to snap to)."""
    sim = simulate(text, "kvm_screenshot", seed=seed, font=available_fonts("esxi")[0], scale=scale,
                   **{**PLAIN, "crop": True, **options})  # fmt: skip
    image = load_image(sim.capture.image_bytes, name="sim.png")
    return binarise(image.rgb).grid


def test_a_cropped_screenshot_scaled_unevenly_gets_its_columns_from_the_glyphs_repeat():
    # 1.34 wide, 1.235 high: a cell 0.54 of its row wide, no console cell's shape
    lines = (CORPUS / "033_esxi67_pf14_i40en.txt").read_text().splitlines()
    grid = _cropped_grid("\n".join(line[:100] for line in lines), (1.34, 1.235))
    assert grid is not None and grid.cols is None  # how many columns is unknown
    assert grid.row_pitch == pytest.approx(16 * 1.235, rel=0.01)
    assert grid.col_pitch == pytest.approx(8 * 1.34, rel=0.005)


def test_text_lines_in_pairs_give_the_row_pitch_not_the_pairs_pitch():
    # two lines, a blank, two lines, ...: the profile repeats every three rows
    pair = "0x4390{0:04x}3d40:[0x4180{0:04x}6d7b]Panic_NoSave+0x2d stack: 0x0\n" \
           "0x4390{0:04x}3e00:[0x4180{0:04x}9a1c]BH_Check+0x4e stack: 0x0"  # fmt: skip
    pairs = "\n\n".join(pair.format(i) for i in range(9))
    grid = _cropped_grid(pairs, (1.2, 1.2))
    assert grid is not None and grid.row_pitch == pytest.approx(16 * 1.2, rel=0.01)


def test_an_annotation_boxs_lines_do_not_set_the_row_pitch():
    sim = simulate((CORPUS / "033_esxi67_pf14_i40en.txt").read_text(), "kvm_screenshot", seed=2,
                   font=available_fonts("esxi")[0], scale=(1.0, 1.0), **{**PLAIN, "crop": True})  # fmt: skip
    rgb = load_image(sim.capture.image_bytes, name="sim.png").rgb.copy()
    h, w = rgb.shape[:2]
    # a thick bright box around three rows, its edges 68 px apart
    cv2.rectangle(rgb, (2, h // 3), (w - 3, h // 3 + 68), (255, 230, 0), 3)
    grid = binarise(rgb).grid
    assert grid is not None and grid.row_pitch == pytest.approx(16, rel=0.01)


TWO_LINES = ("Code start: 0x41802c000000 VMK uptime: 2:03:14:55.310\n\n"
             "0x4390e3f1b8c0:[0x41802c6f10aa]Panic_NoSave@vmkernel#nover+0x36")  # fmt: skip


@pytest.mark.parametrize("text", ["Spin count exceeded - possible deadlock with PCPU 3", TWO_LINES])
def test_a_line_or_two_cut_out_of_the_screen_get_about_the_row_pitch(text):
    grid = _cropped_grid(text, (1.7, 1.7))
    assert grid is not None and grid.row_pitch == pytest.approx(16 * 1.7, rel=0.1)
    assert grid.col_pitch == pytest.approx(8 * 1.7, rel=0.01)


def test_lines_a_blurred_photo_ran_together_do_not_halve_the_row_pitch():
    # a whole screen's row profile (48 rows of 14.83 px): runs of 5, 2 and 6 lines blurred
    # into one centre between rows, the other lines single; the single ones fit 14.83
    pitch = 14.83
    rows = np.zeros(round(48 * pitch))
    for first, count in [(1, 5), (6, 2), (9, 6)] + [(r, 1) for r in (16, 18, 20, 22, 24, 26, 28, 29, 30, 32)]:
        rows[int((first + 0.2) * pitch) : int((first + count - 0.2) * pitch)] = 1.0
    rows = cv2.GaussianBlur(rows.reshape(-1, 1), (0, 0), 1.0).ravel()
    assert _row_pitch(rows, len(rows)) == pytest.approx(pitch, rel=0.01)


def test_a_whole_console_a_little_above_the_pictures_top_still_has_all_its_rows():
    # the ink's phase put row 0 two pixels above the top edge: it is still row 0 of 48, not
    # a screen that starts a row down
    sim = simulate((CORPUS / "033_esxi67_pf14_i40en.txt").read_text(), "kvm_screenshot", seed=2,
                   font=available_fonts("esxi")[0], scale=(1.122, 1.252), interpolation="cubic",
                   **PLAIN)  # fmt: skip
    image = load_image(sim.capture.image_bytes, name="sim.png")
    flat = rectify(image.rgb, find_screen(image.rgb).corners)
    grid = binarise(flat.rgb[3:]).grid
    assert grid is not None and (grid.rows, grid.cols) == (48, 128)
    assert -grid.row_pitch / 2 < grid.top < 0
