"""A purple screen saved without colour is read by its layout; a grey picture of anything else
still holds no purple screen.

Some KVM viewers and screenshot tools save greyscale, scanners write 16-bit grey, a printout is
scanned in grey: the screen's layout and contrast are kept, its purple is not. Each capture is
simulated in colour and stored as its lightness, as such a tool does. Each OCR run costs about a
second, so captures are simulated once per module.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from psod_ocr.capture import scan
from psod_ocr.classify import classify
from psod_ocr.parse import parse_text
from psod_ocr.simulate import available_fonts, simulate

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "texts"
PSOD_TEXT = CORPUS / "033_esxi67_pf14_i40en.txt"  # ESXi 6.7, #PF Exception 14 in i40en
LOSSLESS = {"scale": (1.0, 1.0), "fmt": "png", "chrome": None, "letterbox": None, "crop": False,
            "annotate": False, "redact": 0}  # fmt: skip
VISIBLE = {"crop": False, "annotate": False, "redact": 0}  # every character stays in the picture
# kind -> capture kind, seed, options; seed 6's viewer has a dark window frame and scales the
# screen 1.25 x 1.49
CAPTURES = {
    "kvm-lossless": ("kvm_screenshot", 1, LOSSLESS),
    "kvm-viewer": ("kvm_screenshot", 6, VISIBLE),
    "phone-photo": ("phone_photo", 2, {"severity": "mild", "work_scale": 0.5}),
}
HEX = re.compile(r"0x[0-9a-f]+")
SCREENSHOT_HEX = 0.9  # share of the screen's hex values read exactly, at least
PHOTO_HEX = 0.5  # ... in a phone photo (in grey its noise and moiré are in the text's channel)
QUAD_TOL = 0.01  # of the true screen's diagonal, per corner
NO_COLOUR = "no colour"

pytestmark = pytest.mark.skipif(not available_fonts("esxi"),
                                reason="console fonts not installed (console-setup-linux)")  # fmt: skip


def grey_file(rgb: np.ndarray, mode: str) -> bytes:
    """The picture's lightness saved as a tool without colour saves it: 8-bit PNG (with an
    alpha channel for LA), 16-bit TIFF (0..65535), or a grey JPEG."""
    grey = Image.fromarray(rgb).convert("L")
    out = io.BytesIO()
    if mode == "I;16":
        wide = Image.fromarray((np.asarray(grey, np.uint32) * 257).astype(np.uint16))
        assert wide.mode == "I;16"
        wide.save(out, "TIFF")
    elif mode == "LA":
        Image.merge("LA", [grey, Image.new("L", grey.size, 255)]).save(out, "PNG")
    elif mode == "JPEG":
        grey.save(out, "JPEG", quality=90)
    else:
        grey.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def captures():
    text = PSOD_TEXT.read_text()
    return {name: simulate(text, kind, seed=seed, font="esxi-like", **options)
            for name, (kind, seed, options) in CAPTURES.items()}  # fmt: skip


def truth(sim) -> tuple[str, list[str], str]:
    """The screen's diagnosis type, its hex values and its headline's type."""
    text = "\n".join(sim.screen.rows)
    parsed = parse_text(text, fuzzy=True)
    return classify(parsed, "en").type, HEX.findall(text), parsed.headline.rule.type


def assert_read(report, sim, hex_share: float) -> None:
    kind, hexes, headline = truth(sim)
    assert report.is_psod and report.diagnosis.type == kind, (report.diagnosis.type, report.warnings)
    found = parse_text(report.text, fuzzy=True).headline
    assert found is not None and found.rule.type == headline
    read = sum(value in report.text for value in hexes) / len(hexes)
    assert read >= hex_share, (read, report.text)
    assert any(NO_COLOUR in w and "layout" in w for w in report.warnings), report.warnings
    quad = np.asarray(report.ocr.screen_quad, np.float64)
    true = sim.capture.quad
    errors = np.linalg.norm(quad - true, axis=1) / np.linalg.norm(true[2] - true[0])
    assert (errors < QUAD_TOL).all(), (quad.round(1).tolist(), true.round(1).tolist())


@pytest.mark.parametrize(("capture", "mode"), [
    ("kvm-lossless", "L"), ("kvm-lossless", "LA"), ("kvm-lossless", "I;16"),
    ("kvm-viewer", "L"), ("kvm-viewer", "I;16"),
])  # fmt: skip
def test_a_grey_screenshot_is_read_by_its_layout(captures, capture, mode):
    sim = captures[capture]
    report = scan(grey_file(sim.capture.rgb, mode), name=f"{capture}.{mode}")
    assert report.source.kind == "kvm_screenshot"
    assert_read(report, sim, SCREENSHOT_HEX)


def test_a_grey_phone_photo_is_read_by_its_layout(captures):
    sim = captures["phone-photo"]
    report = scan(grey_file(sim.capture.rgb, "JPEG"), name="IMG_0042-grey.jpg")
    assert report.source.kind == "phone_photo"
    assert_read(report, sim, PHOTO_HEX)


# --- grey pictures without a purple screen ---------------------------------------------------------

LINES = ("Starting OpenSSH server daemon...", "[  OK  ] Reached target Multi-User System.",
         "Mounting /var/lib/docker on sdb1 ...", "Network interface eth0 is up at 10 Gbit/s",
         "Checking file systems: clean", "Loading kernel modules for the storage controller") * 4  # fmt: skip


def lines_of_text(ground: int, ink: int) -> np.ndarray:
    """A page (dark text on light) or a console (light text on dark) of other text."""
    grey = np.full((768, 1024), ground, np.uint8)
    for i, line in enumerate(LINES):
        cv2.putText(grey, line, (8, 24 + 30 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.7, ink, 1, cv2.LINE_AA)
    return grey


NOT_A_SCREEN = {
    "gradient": lambda: np.tile(np.linspace(30, 225, 800), (600, 1)).astype(np.uint8),
    "page": lambda: lines_of_text(225, 40),
    "console": lambda: lines_of_text(70, 250),  # light rows on a ground as grey as purple's
}


@pytest.mark.parametrize("picture", list(NOT_A_SCREEN))
def test_a_grey_picture_of_something_else_holds_no_purple_screen(picture, valid):
    data = io.BytesIO()
    Image.fromarray(NOT_A_SCREEN[picture]()).save(data, "PNG")
    report = scan(data.getvalue(), name=f"{picture}.png")
    obj = valid(report.to_dict())
    assert obj["diagnosis"]["type"] == "not_a_psod" and not report.is_psod
    assert any("no purple screen" in w for w in obj["warnings"]), obj["warnings"]
    assert any(NO_COLOUR in w for w in obj["warnings"]), obj["warnings"]
    assert obj["ocr"]["screen_quad"] is None and obj["ocr"]["raw_text"] == ""
    assert obj["source"]["kind"] == "unknown"
