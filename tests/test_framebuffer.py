"""A screenshot shrunk by dropping pixels, put back on its framebuffer's pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from psod_ocr.recognise.framebuffer import fill_dropped, pixel_sources, unshrink
from psod_ocr.simulate import available_fonts
from psod_ocr.simulate.screen import render_screen

pytestmark = pytest.mark.skipif(not available_fonts("esxi"),
                                reason="console fonts not installed (console-setup-linux)")  # fmt: skip

TEXT = "\n".join(
    [
        "VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]",
        "#PF Exception 14 in world 2099012:vmnic2-pollW IP 0x41802c7a19f4 addr 0x38",
        *[f"0x45390391b{n:03x}:[0x42003811{n:04x}]Panic_NoSave@vmkernel#nover+0x{n:x} stack: 0x0"
          for n in range(40)],
    ]
)


def _framebuffer() -> np.ndarray:
    return render_screen(TEXT, available_fonts("esxi")[0]).image[..., 1].astype(np.float32) / 255


@pytest.mark.parametrize("scale,scaler", [(0.87, "opencv"), (0.93, "pillow")])
def test_the_framebuffer_pixel_each_screen_pixel_shows_is_found_on_the_ink(scale, scaler):
    fb = _framebuffer()
    size = (round(1024 * scale), round(768 * scale))

    def shrink(image: np.ndarray, to: tuple[int, int]) -> np.ndarray:
        if scaler == "opencv":  # the start of each screen pixel's place; Pillow: its middle
            return cv2.resize(image, to, interpolation=cv2.INTER_NEAREST)
        return np.asarray(Image.fromarray(image).resize(to, Image.NEAREST))

    shrunk = shrink(fb, size)
    # the screen found a pixel too wide at the left, and cut one row at the bottom
    screen = np.pad(shrunk, ((0, 0), (1, 0)))[:-1]
    x = pixel_sources(screen.sum(axis=0).astype(np.float64), 1024, 8)
    assert x is not None and (x.origin, x.scaled) == (1, size[0])
    # each shown column is the framebuffer column it shows (in rows shrunk alike), but for a
    # few where Pillow's fixed-point arithmetic rounds the other way
    shown = np.flatnonzero(x.sources >= 0)
    rows_shrunk = shrink(fb, (1024, size[1]))[:-1]
    same = (screen[:, shown] == rows_shrunk[:, x.sources[shown]]).all(axis=0)
    assert same.mean() > 0.99
    y = pixel_sources(screen.sum(axis=1).astype(np.float64), 768, 16)
    assert y is not None and y.origin == 0 and y.scaled == size[1]


def test_a_cells_dropped_pixels_are_filled_from_the_other_copies_of_its_glyph():
    rng = np.random.default_rng(2)
    glyphs = (rng.random((4, 16, 8)) > 0.6).astype(np.float32)
    fb = np.concatenate([glyphs[k] for k in rng.integers(0, 4, size=32)], axis=1)  # one row, 32 cells
    rows_shown = np.ones(16, dtype=bool)
    cols_shown = rng.random(32 * 8) > 0.15  # about one column in seven dropped
    lost = np.where(cols_shown, fb, 0.0)
    filled = fill_dropped(lost, rows_shown, cols_shown, 8, 16)
    assert filled is not None and np.array_equal(filled, fb)


def test_glyphs_a_dropped_row_would_make_alike_are_told_apart_by_the_pixels_both_show():
    rng = np.random.default_rng(5)
    x = (rng.random((16, 8)) > 0.6).astype(np.float32)
    y = x.copy()
    y[7, 2:4] = 1.0 - y[7, 2:4]  # a few pixels apart: as an 'o' and an 'e' whose bar they are
    y[10, 5] = 1.0 - y[10, 5]
    order = [x, y, x, y, x, y]
    fb = np.vstack([np.hstack(order), np.hstack(order[::-1])])  # two text rows
    rows_shown = np.ones(32, dtype=bool)
    rows_shown[16 + 7] = False  # the second text row lost its glyphs' eighth row: the bar
    lost = np.where(rows_shown[:, None], fb, 0.0)
    filled = fill_dropped(lost, rows_shown, np.ones(48, dtype=bool), 8, 16)
    assert filled is not None and np.array_equal(filled, fb)


def test_a_screen_not_shrunk_is_left_to_the_other_ways_of_cutting_it():
    fb = _framebuffer()
    assert unshrink(fb, 48, 128, 8, 16) is None
    assert unshrink(cv2.resize(fb, (1331, 998), interpolation=cv2.INTER_NEAREST), 48, 128, 8, 16) is None


@pytest.mark.parametrize("width", [1024, 1101])
def test_a_screen_shrunk_in_its_height_alone_is_put_back_too(width):
    # a viewer fitting the console's height to its window, its width kept or stretched
    fb = _framebuffer()
    screen = cv2.resize(fb, (width, 636), interpolation=cv2.INTER_NEAREST)
    back = unshrink(screen, 48, 128, 8, 16)
    assert back is not None and (back.y.scaled, back.x.origin) == (636, 0)
    assert back.x.scaled == 1024 if width == 1024 else abs(back.x.scaled - width) <= 1
    # every framebuffer row the screen shows is in its place
    rows = back.y.sources[back.y.sources >= 0]
    cols = back.x.sources[back.x.sources >= 0]
    shown = np.ix_(rows, np.unique(cols))
    assert np.abs(back.framebuffer[shown] - fb[shown]).max() < 1e-6
    # and the rows it lost are taken from the other copies of each glyph, nearly all of them right
    assert (np.abs(back.framebuffer - fb) > 0.5).mean() < 0.002
