"""A phone lens's leftover bend: found on the screen's text rows and taken back as the
screen is rectified."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from psod_ocr.lens import distort_points, estimate_bend, undistort_points
from psod_ocr.load import load_image
from psod_ocr.locate import bent_corners, find_screen
from psod_ocr.rectify import warp
from psod_ocr.simulate import available_fonts, simulate
from psod_ocr.simulate.optics import lens_distortion

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "texts"
SIZE = (4000, 3000)


def test_a_point_undistorted_goes_back_where_the_lens_took_it():
    points = np.array([[10.0, 20.0], [3990.0, 2990.0], [2000.0, 1500.0], [3000.0, 100.0]])
    for k1 in (-0.03, 0.02):
        moved = distort_points(points, k1, SIZE)
        assert np.abs(moved - points).max() > 10
        assert undistort_points(moved, k1, SIZE) == pytest.approx(points, abs=0.01)


def test_a_bent_picture_flattened_with_its_bend_is_the_straight_one_flattened():
    ys, xs = np.mgrid[0:300, 0:400]
    image = (127 + 120 * np.sin(xs / 7) * np.cos(ys / 9)).astype(np.uint8)
    bent = lens_distortion(image, -0.03)
    quad = np.array([[40.5, 30.5], [360.5, 30.5], [360.5, 270.5], [40.5, 270.5]])
    straight, _ = warp(image, quad)
    back, _ = warp(bent, distort_points(quad, -0.03, (400, 300)), bend=-0.03)
    left, _ = warp(bent, quad)
    error = np.abs(back.astype(float) - straight)
    assert error.mean() < 0.1 * np.abs(left.astype(float) - straight).mean()


def _shot(distortion: float):
    if not available_fonts("esxi"):
        pytest.skip("console fonts not installed")
    text = (CORPUS / "033_esxi67_pf14_i40en.txt").read_text()
    return simulate(text, "phone_photo", seed=4, severity="mild", distortion=distortion, rotation=0,
                    motion_length=0.0, glare=(), fill=0.9).capture  # fmt: skip


def _photo(distortion: float) -> tuple[np.ndarray, np.ndarray]:
    image = load_image(_shot(distortion).image_bytes)
    return image.rgb, find_screen(image.rgb).corners


@pytest.mark.parametrize("k1", [-0.02, 0.015])
def test_the_bend_that_lays_the_rows_flat_is_found(k1):
    rgb, quad = _photo(k1)
    assert estimate_bend(rgb, quad) == pytest.approx(k1, abs=0.0051)


def test_a_straight_photo_is_left_as_it_is():
    rgb, quad = _photo(0.0)
    assert estimate_bend(rgb, quad) == 0.0


@pytest.mark.parametrize("k1", [-0.05, 0.045])
def test_rows_straightest_at_the_end_of_the_candidates_get_no_bend(k1):
    # no peak inside the range: such a 'best' also comes of a line or two of text or a glare
    # spot's speckle; what a phone's lens leaves is well inside it
    rgb, quad = _photo(k1)
    assert estimate_bend(rgb, quad) == 0.0


def test_the_corners_of_a_bent_screen_are_where_its_curved_sides_meet():
    capture = _shot(-0.02)
    rgb = load_image(capture.image_bytes).rgb
    straight = find_screen(rgb).corners
    bent = bent_corners(rgb, straight, -0.02)
    off = [float(np.abs(c - np.asarray(capture.quad)).max()) for c in (straight, bent)]
    assert off[1] < 2.5 and off[1] < 0.25 * off[0]
