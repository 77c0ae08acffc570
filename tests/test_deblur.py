"""Taking back an out-of-focus or shaken photo's blur, measured on the text."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from psod_ocr.binarise import binarise
from psod_ocr.deblur import EDGE_SIGMA, estimate_blur, estimate_shake, sharpen, unshake
from psod_ocr.recognise.cells import cut_cells
from psod_ocr.rectify import Rectified
from psod_ocr.simulate import available_fonts
from psod_ocr.simulate.optics import motion_blur
from psod_ocr.simulate.screen import render_screen

pytestmark = pytest.mark.skipif(not available_fonts("esxi"), reason="console fonts not installed")
PAD = 24


def _screen(blur: float, shake: tuple[float, float] | None = None) -> Rectified:
    lines = [f"0x453a{i:02x}1b2c3d40:[0x4200{i:02x}345678]VmMemCow_Frame{i}@vmkernel#nover+0x42 stack: 0x1"
             for i in range(30)]  # fmt: skip
    fb = render_screen("\n".join(lines), available_fonts("esxi")[0]).image
    rgb = cv2.resize(fb, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_LINEAR)  # a photo's resolution
    if blur:
        rgb = cv2.GaussianBlur(rgb, (0, 0), blur)
    if shake:
        rgb = motion_blur(rgb, *shake)
    padded = cv2.copyMakeBorder(rgb, PAD, PAD, PAD, PAD, cv2.BORDER_REFLECT)
    return Rectified(rgb=rgb, homography=np.eye(3), rotation=0, certain=True, padded=padded, pad=PAD)


@pytest.mark.parametrize("sigma", [2.5, 3.5])
def test_the_blur_is_measured_on_the_texts_edges(sigma):
    measured = np.sqrt(max(0.0, estimate_blur(_screen(sigma).rgb) ** 2 - EDGE_SIGMA**2))
    assert measured == pytest.approx(sigma, rel=0.3)


def _font_fit(flat: Rectified) -> float:
    grid = binarise(flat.rgb).grid
    cut = cut_cells(flat.padded, grid, grid.col_pitch, flat.pad)
    return 0.0 if cut is None else cut.fonts.fit


def test_a_sharp_screen_is_left_alone_and_a_blurred_one_sharpened_until_its_font_fits_better():
    assert sharpen(_screen(0.5)) is None
    fit = _font_fit
    blurred = _screen(3.5)
    sharp = sharpen(blurred)
    assert sharp is not None and fit(sharp) > fit(blurred) + 0.02


def test_a_screen_blurred_less_than_a_font_pixel_is_sharpened_too():
    # (a small screen in the photo: a glyph's stroke is two or three pixels wide)
    blurred = _screen(2.0)
    sharp = sharpen(blurred)
    assert sharp is not None and _font_fit(sharp) > _font_fit(blurred) + 0.02


@pytest.mark.parametrize("length, angle", [(9.0, 30.0), (11.0, 140.0), (8.0, 95.0)])
def test_a_shakes_direction_and_length_are_measured_on_the_text(length, angle):
    shake = estimate_shake(_screen(0.5, (length, angle)).rgb)
    assert shake is not None
    assert abs((shake.angle - angle + 90) % 180 - 90) < 12
    assert shake.length == pytest.approx(length, rel=0.25)


def test_a_steady_screen_shows_no_shake_and_a_shaken_one_reads_better_steadied():
    assert estimate_shake(_screen(0.5).rgb) is None
    assert estimate_shake(_screen(2.5).rgb) is None  # out of focus the same every way
    shaken = _screen(0.5, (10.0, 60.0))
    steady = unshake(shaken, estimate_shake(shaken.rgb))
    assert _font_fit(steady) > _font_fit(shaken) + 0.02
