"""The character grid from the picture: rows and columns of the console, also when the
screen holds only a line or two of text."""

from __future__ import annotations

import pytest

from psod_ocr.binarise import binarise
from psod_ocr.load import load_image
from psod_ocr.locate import find_screen
from psod_ocr.rectify import rectify
from psod_ocr.simulate import available_fonts, simulate

pytestmark = pytest.mark.skipif(not available_fonts("esxi"),
                                reason="console fonts not installed (console-setup-linux)")  # fmt: skip

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
