"""Which way up the flat screen is: the cues, and when they are sure."""

from __future__ import annotations

import cv2
import pytest

from psod_ocr.rectify import rotate, upright_rotation
from psod_ocr.simulate import available_fonts
from psod_ocr.simulate.screen import render_screen

pytestmark = pytest.mark.skipif(not available_fonts("esxi"),
                                reason="console fonts not installed (console-setup-linux)")  # fmt: skip


def _frames_screen(blur: float):
    """A banner, a headline and frame lines all of one length (so their right ends align as
    well as their left ones), blurred as a shaken photo blurs them."""
    frame = "0x453a0c3dbe{0:02x}:[0x42000b5593{0:02x}]Frame{0}@vmkernel#nover+0x{0:03x} stack: 0x0"
    text = "\n".join(["VMware ESXi 7.0.2 [Releasebuild-17873578 x86_64]",
                      "#PF Exception 14 in world 2099012:vmnic2-pollW IP 0x41802c7a19f4 addr 0x38",
                      *(frame.format(i) for i in range(8))])  # fmt: skip
    image = render_screen(text, available_fonts("esxi")[0]).image
    return cv2.resize(cv2.GaussianBlur(image, (0, 0), blur), (2048, 1536))


@pytest.mark.parametrize("turned", [0, 180])
def test_lines_that_align_only_weakly_are_sure_when_the_margins_agree(turned):
    # blurred, the banner's yellow is gone and the lines' ends align at both sides; the text
    # still hugs one side of the screen
    flat = rotate(_frames_screen(blur=6), turned)
    assert upright_rotation(flat) == (turned, True)
