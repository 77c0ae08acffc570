"""Which way up the flat screen is: the cues, and when they are sure."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from psod_ocr.rectify import rectify, rotate, upright_rotation
from psod_ocr.simulate import available_fonts
from psod_ocr.simulate.screen import render_screen

pytestmark = pytest.mark.skipif(not available_fonts("esxi"),
                                reason="console fonts not installed (console-setup-linux)")  # fmt: skip


def _screen():
    """Lines of several lengths, five frame lines of one length among them: their right ends
    align nearly as often as their left ones do."""
    frame = "0x453a0c3dbe{0:02x}:[0x42000b5593{0:02x}]Frame{0}@vmkernel#nover+0x{0:03x} stack: 0x0"
    text = "\n".join(["VMware ESXi 7.0.2 [Releasebuild-17873578 x86_64]",
                      "#PF Exception 14 in world 2099012:vmnic2-pollW IP 0x41802c7a19f4 addr 0x38",
                      "cr0=0x8001003d cr2=0x0 cr3=0x13dda000", "PCPU  0: SSSSUUUSSSS",
                      "Code start: 0x420000000000 VMK uptime: 1:02:03:04.005",
                      *(frame.format(i) for i in range(5)), "base fs=0x0 gs=0x0 Kgs=0x0",
                      "Coredump to disk."])  # fmt: skip
    return cv2.resize(render_screen(text, available_fonts("esxi")[0]).image, (2048, 1536))


@pytest.mark.parametrize("turned", [0, 180])
def test_lines_that_align_only_weakly_are_sure_when_the_margins_agree(turned):
    # the text hugs one side of the screen, so the weak alignment is not read both ways
    assert upright_rotation(rotate(_screen(), turned)) == (turned, True)


@pytest.mark.parametrize("turned", [0, 180])
def test_margins_alone_are_never_sure(turned):
    # blurred, the lines' ends align at neither side; a hard photo's glare and noise can put
    # "text" anywhere, so margins alone only say which way to read first
    flat = rotate(cv2.GaussianBlur(_screen(), (0, 0), 12), turned)
    assert upright_rotation(flat) == (turned, False)


@pytest.mark.parametrize("turned", [0, 90, 270])
def test_a_screen_cropped_to_portrait_stays_upright_and_one_lying_on_its_side_is_turned(turned):
    # a screenshot cut to its left half is taller than wide, yet its lines run along its rows
    cropped = _screen()[:, :1100]
    assert upright_rotation(rotate(cropped, turned))[0] == (360 - turned) % 360


def test_an_upright_box_found_a_fraction_of_a_pixel_off_is_cut_on_whole_pixels():
    # a screenshot's screen edge blurred by JPEG or scaling: the flat is its own pixels, cropped
    rgb = _screen()
    found = np.array([[40.22, 10.0], [1900.75, 10.0], [1900.75, 1500.51], [40.22, 1500.51]], np.float32)
    flat = rectify(rgb, found)
    assert flat.exact
    assert np.array_equal(flat.rgb, rgb[10:1501, 40:1901])
    # a photo's quad (not an upright box) is resampled as found
    assert not rectify(rgb, found + np.array([[0, 0], [0, 3], [0, 0], [0, 0]], np.float32)).exact
