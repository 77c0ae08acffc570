"""The cell recogniser's font side: installed fonts name a screen's glyphs, exactly when the
screen is in one of them, and a font that is not installed is never taken for one that is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from psod_ocr.binarise import binarise
from psod_ocr.capture import scan
from psod_ocr.fonts import read_font
from psod_ocr.load import load_image
from psod_ocr.locate import find_screen
from psod_ocr.recognise.cells import read_cells
from psod_ocr.recognise.glyphs import ALPHABET, glyph_bank, template_fonts
from psod_ocr.recognise.period import cut, fit_period, gap_cut, near_zero
from psod_ocr.rectify import rectify
from psod_ocr.simulate import available_fonts, simulate

pytestmark = pytest.mark.skipif(not available_fonts("esxi"),
                                reason="console fonts not installed (console-setup-linux)")  # fmt: skip

LOSSLESS = {"scale": (1.0, 1.0), "fmt": "png", "chrome": None, "letterbox": None, "crop": False,
            "annotate": False, "redact": 0}  # fmt: skip
# Every printable character, a few to a line, framed by ordinary PSOD lines.
CHARSET_SCREEN = "\n".join(
    ["VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]", "#PF Exception 14 in world 2097881:vmnic0 IP 0x0"]
    + [" ".join(ALPHABET[i : i + 8]) for i in range(0, len(ALPHABET), 8)]
    + ["0x4393745de468:[0x418015aa831e]PanicvPanicInt@vmkernel#nover+0x264 stack: 0x4393745de510"]
)


def _cells(text: str, font: str, kind: str = "kvm_screenshot", **options):
    sim = simulate(text, kind, seed=1, font=font, **options)
    image = load_image(sim.capture.image_bytes, name="sim.png")
    flat = rectify(image.rgb, find_screen(image.rgb).corners)
    bin_ = binarise(flat.rgb)
    return sim, read_cells(flat.rgb, bin_.grid, [], bin_.scale)


def test_the_bank_holds_every_glyph_of_each_installed_template_font():
    bank = glyph_bank(8, (10, 20))
    fonts = template_fonts()
    assert bank is not None and len(bank.fonts) == len(fonts) >= 5
    assert bank.vectors.shape[0] == len(bank.fonts) * len(ALPHABET)
    assert np.allclose(np.linalg.norm(bank.vectors, axis=1), 1.0, atol=1e-3)
    # a font is its own closest kin; fonts of one family are kin, different families are not
    assert np.allclose(np.diag(bank.kinship), 1.0, atol=1e-3)
    names = list(bank.fonts)
    vga, cp850 = names.index("Lat15-VGA16"), names.index("cp850-8x16")
    terminus = names.index("Lat15-Terminus16")
    assert bank.kinship[vga, cp850] > bank.kinship[vga, terminus]


def test_held_out_fonts_are_not_in_the_bank():
    assert not {"Lat15-Fixed16", "grcourier"} & {f.name for f in template_fonts()}


@pytest.mark.parametrize("font", ["esxi-like", "Lat15-VGA16", "lat0-16"])
def test_a_lossless_screen_in_an_installed_font_is_read_exactly_without_tesseract(font):
    sim, reading = _cells(CHARSET_SCREEN, font, **LOSSLESS)
    assert reading is not None and reading.font_sure, reading
    assert list(reading.rows) == [row.rstrip() for row in sim.screen.rows if row.strip()][: len(reading.rows)]


def test_a_font_not_installed_is_not_taken_for_an_installed_one():
    # X11 Fixed is in no template: some installed font fits it best, but not closely enough to
    # read the screen on its own.
    _, reading = _cells(CHARSET_SCREEN, "Lat15-Fixed16", **LOSSLESS)
    assert reading is None or not reading.font_sure


def test_scan_of_a_lossless_screenshot_uses_the_grid_alone():
    text = CHARSET_SCREEN.split("\n")
    report = scan(simulate("\n".join(text), "kvm_screenshot", seed=3, font="esxi-like",
                           **LOSSLESS).capture.image_bytes, name="shot.png")  # fmt: skip
    assert report.ocr.model.startswith("cell grid")
    assert report.screen.frames[0].symbol == "PanicvPanicInt"
    assert "recognise" in report.ocr.timings_ms


def test_cells_are_cut_at_the_gap_or_around_the_ink():
    # a glyph 6 px wide at columns 1..6 of each 8 px cell, blank at 0 and 7: either way the
    # cell is pixels 0..7 (in pixel-index coordinates it starts half a pixel before pixel 0)
    profile = np.tile(np.array([0, 5, 5, 5, 5, 5, 5, 0], dtype=float), 40)
    assert near_zero(cut(profile, 8.0), 8.0) == pytest.approx(-0.5, abs=0.1)
    assert near_zero(gap_cut(profile, 8.0), 8.0) == pytest.approx(0.0, abs=0.6)
    assert fit_period(profile, 8.0, spread=0.0) == pytest.approx((8.0, -0.5), abs=0.1)


def test_an_installed_font_file_is_read_at_run_time():
    font = read_font("Lat15-VGA16")
    assert font is not None and font.height == 16 and font.glyph("A").any()
    assert read_font("no-such-font-file") is None


def test_a_blurred_glyph_is_named_by_templates_blurred_alike():
    # A viewer's scaling and JPEG soften an '8' of a slashed-zero font until the sharp templates
    # take it for the '0'; templates blurred as much name it right, and fit it better.
    font = read_font("LatArCyrHeb-16")
    if font is None:
        pytest.skip("LatArCyrHeb-16 not installed")
    sharp = cv2.resize(font.glyph("8").astype(np.float32), (10, 20), interpolation=cv2.INTER_AREA)
    cell = cv2.GaussianBlur(sharp, (0, 0), 1.0)
    named = {}
    for blur in (0.8, 1.1):
        bank = glyph_bank(8, (10, 20), blur)
        sims = bank.similarity(cell[None], (10 / 8, 20 / 16), np.array(bank.fonts) == "LatArCyrHeb-16")[0, 0]
        named[blur] = (ALPHABET[int(np.argmax(sims))], float(sims.max()))
    assert named[0.8][0] == "0" and named[1.1][0] == "8"
    assert named[1.1][1] > named[0.8][1]
