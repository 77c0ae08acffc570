"""A photographed console's rows bend (a lens, a screen outline found a little off): the cell
grid straightens the ink before it cuts cells."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from psod_ocr.lens import distort_points
from psod_ocr.recognise.drift import straighten, tile_shifts
from psod_ocr.simulate import available_fonts
from psod_ocr.simulate.optics import lens_distortion
from psod_ocr.simulate.screen import render_screen

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "texts"
SCALE = 3  # a photo's cell: 24 x 48 pixels


def _ink() -> np.ndarray:
    if not available_fonts("esxi"):
        pytest.skip("console fonts not installed")
    text = (CORPUS / "033_esxi67_pf14_i40en.txt").read_text()
    screen = render_screen(text, available_fonts("esxi")[0]).image[..., 1].astype(np.float32) / 255
    return cv2.resize(screen, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_LINEAR)


def _bent(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ink moved by a smooth field: rows bow down to 4 px at the sides, columns lean 3 px."""
    h, w = ink.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dy = 4 * (2 * xs / w - 1) ** 2
    dx = 3 * (2 * ys / h - 1)
    # a glyph drawn at x lands at x + dx: each bent pixel takes the ink from there
    return cv2.remap(ink, xs - dx, ys - dy, cv2.INTER_LINEAR), dx, dy


def test_each_piece_of_a_bent_screen_says_how_far_its_glyphs_are_off():
    ink = _ink()
    bent, dx, dy = _bent(ink)
    tiles = tile_shifts(bent, 16 * SCALE, 8 * SCALE, 0.0)
    assert len(tiles) >= 8
    x, y = tiles[:, 0].astype(int), tiles[:, 1].astype(int)
    # (off the grid the whole bent screen fits, which sits at their mean)
    for found, true in ((tiles[:, 2], dx[y, x]), (tiles[:, 3], dy[y, x])):
        assert np.median(np.abs((found - found.mean()) - (true - true.mean()))) < 0.6


def test_a_bent_screen_is_straightened_and_a_straight_one_left_alone():
    ink = _ink()
    assert straighten(ink, 16 * SCALE, 8 * SCALE, 0.0) is ink
    bent, _, _ = _bent(ink)
    before = tile_shifts(bent, 16 * SCALE, 8 * SCALE, 0.0)[:, 2:4]
    after = tile_shifts(straighten(bent, 16 * SCALE, 8 * SCALE, 0.0), 16 * SCALE, 8 * SCALE, 0.0)[:, 2:4]
    # (a piece of a few glyphs says little: most pieces)
    assert np.percentile(np.abs(before), 90, axis=0).min() > 1.2
    assert np.percentile(np.abs(after), 90) < 0.6


def test_a_lens_puts_a_point_where_its_distortion_says():
    image = np.zeros((300, 400, 3), np.uint8)
    image[48:53, 58:63] = 255  # a dot at (60, 50), far from the centre
    for k1 in (-0.02, 0.02):
        out = lens_distortion(image, k1)[..., 0].astype(float)
        ys, xs = np.nonzero(out)
        seen = np.array([(xs * out[ys, xs]).sum(), (ys * out[ys, xs]).sum()]) / out[ys, xs].sum()
        assert seen == pytest.approx(distort_points(np.array([60.0, 50.0]), k1, (400, 300)), abs=0.3)
    assert lens_distortion(image, 0.0) is image
