"""Squaring the flat screen up on its text, when its outline gave a wrong homography."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from psod_ocr.binarise import binarise
from psod_ocr.recognise.cells import cut_cells
from psod_ocr.rectify import Rectified
from psod_ocr.simulate import available_fonts
from psod_ocr.simulate.screen import render_screen
from psod_ocr.squareup import along_rows, rows_angle, square_up

pytestmark = pytest.mark.skipif(not available_fonts("esxi"), reason="console fonts not installed")

PAD = 24


def _screen() -> np.ndarray:
    lines = ["VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]",
             "#PF Exception 14 in world 2099012:vmnic2 IP 0x42001cd5e8f5 addr 0x18"]
    lines += [f"0x453a{i:02x}1b2c3d40:[0x4200{i:02x}345678]VmMemCow_Frame{i}@vmkernel#nover+0x42 stack: "
              f"0x1{i:03x}, 0x42001cd5e8f5, 0x0" for i in range(40)]  # fmt: skip
    fb = render_screen("\n".join(lines), available_fonts("esxi")[0]).image
    return cv2.resize(fb, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)  # a photo's resolution


def _flat(rgb: np.ndarray) -> Rectified:
    padded = cv2.copyMakeBorder(rgb, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT)
    return Rectified(rgb=rgb, homography=np.eye(3), rotation=0, certain=True, padded=padded, pad=PAD)


def _fit(flat: Rectified) -> float:
    grid = binarise(flat.rgb).grid
    cut = cut_cells(flat.padded, grid, grid.col_pitch, flat.pad)
    return 0.0 if cut is None else cut.fonts.fit


def test_a_screen_left_converging_by_a_misfound_outline_is_squared_up_until_a_font_fits_it():
    screen = _screen()
    h, w = screen.shape[:2]
    # the far (right) side 8% shorter, and turned half a degree: what a close-up photo whose
    # bezel was out of the picture leaves after its outline's homography
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[0, 0], [w, 0.04 * h + 6], [w, 0.96 * h + 6], [0, h]])
    bent = _flat(cv2.warpPerspective(screen, cv2.getPerspectiveTransform(src, dst), (w, h)))
    square = square_up(bent, binarise(bent.rgb).grid)
    assert square is not None
    assert _fit(square) >= 0.9 > _fit(bent)


def test_a_square_screen_is_left_as_it_is():
    flat = _flat(_screen())
    assert square_up(flat, binarise(flat.rgb).grid) is None


@pytest.mark.parametrize("degrees", [-9.0, 4.5])
def test_a_close_up_is_flattened_along_its_text_rows_not_the_pictures_edges(degrees):
    screen = _screen()
    h, w = screen.shape[:2]
    turned = cv2.warpAffine(screen, cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), (w, h))
    close_up = np.ascontiguousarray(turned[h // 6 : h - h // 6, w // 8 : w - w // 8])  # no edge in view
    assert rows_angle(close_up) == pytest.approx(-degrees, abs=0.25)
    ch, cw = close_up.shape[:2]
    picture_edges = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    tl, tr, br, bl = along_rows(close_up, picture_edges)
    # a box whose top runs along the rows (as turned) and that holds the whole picture
    assert np.degrees(np.arctan2(tr[1] - tl[1], tr[0] - tl[0])) == pytest.approx(-degrees, abs=0.25)
    assert np.allclose(tr - tl, br - bl, atol=1e-3) and np.allclose(bl - tl, br - tr, atol=1e-3)
    box = np.array([tl, tr, br, bl])
    assert min(cv2.pointPolygonTest(box, (float(x), float(y)), True) for x, y in picture_edges) > -0.01
