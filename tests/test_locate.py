"""Where the screen is: drawn pictures with a known outline, and simulated photos that once
put the outline elsewhere."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from psod_ocr.load import load_image
from psod_ocr.locate import _holds_text, _snap_upright, find_screen, find_screen_by_layout
from psod_ocr.simulate import available_fonts, simulate

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "texts"
MAGENTA = (170, 0, 170)


def corner_error(found: np.ndarray, true: np.ndarray) -> float:
    """Largest corner distance as a share of the true diagonal."""
    return float(np.linalg.norm(found - true, axis=1).max() / np.linalg.norm(true[2] - true[0]))


def screenshot(width: int = 885, height: int = 492) -> np.ndarray:
    """A purple screen edge to edge, with a few rows of white 'text' from its first column."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:] = MAGENTA
    for row in range(8):
        y = 4 + 20 * row
        for x in range(0, width - 200, 12):
            cv2.rectangle(rgb, (x + 1, y), (x + 8, y + 12), (255, 255, 255), 1)
    return rgb


def test_an_annotation_frame_over_the_corner_does_not_cut_it_off():
    # A frame drawn around the first rows, from just outside the picture: its inside is a
    # piece of the screen cut off from the rest by the frame's line.
    rgb = screenshot()
    cv2.rectangle(rgb, (-4, -3), (778, 81), (255, 230, 0), 3)
    quad = find_screen(rgb)
    assert quad is not None
    true = np.array([[0, 0], [885, 0], [885, 492], [0, 492]], np.float32)
    assert corner_error(quad.corners, true) < 0.01


def test_a_line_drawn_across_the_screen_keeps_one_screen():
    rgb = screenshot()
    cv2.line(rgb, (0, 300), (885, 300), (255, 0, 0), 4)
    quad = find_screen(rgb)
    true = np.array([[0, 0], [885, 0], [885, 492], [0, 492]], np.float32)
    assert quad is not None and corner_error(quad.corners, true) < 0.01


@pytest.mark.skipif("Lat15-Terminus16" not in available_fonts("esxi"), reason="font not installed")
def test_a_dim_screen_in_a_purple_lit_room_is_told_from_the_room():
    # A hard photo: blurred, dim text (too faint to count as text) and a room lit purple,
    # whose desk is a larger purple region than the screen and whose wall is split off just
    # above the monitor's bezel.
    text = (CORPUS / "019_esxi51_gp13_vmm.txt").read_text()
    sim = simulate(text, "phone_photo", seed=200, font="Lat15-Terminus16", severity="hard")
    quad = find_screen(load_image(sim.capture.image_bytes).rgb)
    assert quad is not None
    assert corner_error(quad.corners, sim.capture.quad) < 0.01


def test_a_purple_wall_beyond_the_bezel_is_not_part_of_the_screen():
    # a strip of purple-lit wall at the picture's left edge, then a dark bezel, then the screen
    rgb = np.zeros((600, 1000, 3), np.uint8)
    rgb[:, :70] = (150, 30, 150)
    rgb[:, 90:] = screenshot(910, 600)
    quad = find_screen(rgb)
    true = np.array([[90, 0], [1000, 0], [1000, 600], [90, 600]], np.float32)
    assert quad is not None and corner_error(quad.corners, true) < 0.01


def test_a_purple_desk_just_below_the_bezel_is_not_part_of_the_screen():
    # the bezel between them is thinner than the gaps the text-filling closes
    rgb = np.zeros((700, 1000, 3), np.uint8)
    rgb[:500] = screenshot(1000, 500)
    rgb[506:] = (150, 30, 150)
    quad = find_screen(rgb)
    true = np.array([[0, 0], [1000, 0], [1000, 500], [0, 500]], np.float32)
    assert quad is not None and corner_error(quad.corners, true) < 0.01


@pytest.mark.skipif("esxi-like" not in available_fonts("esxi"), reason="font not installed")
def test_glyphs_in_the_first_column_do_not_pull_the_edge_inside_the_screen():
    # a mild photo whose text starts at the screen's left edge: the glyphs bite into the
    # purple outline there, and a side fitted through the bites cut the first column
    text = (CORPUS / "030_esxi65_crashme.txt").read_text()
    sim = simulate(text, "phone_photo", seed=21, font="esxi-like", size=(3000, 2250), rotation=90)
    quad = find_screen(load_image(sim.capture.image_bytes).rgb)
    assert quad is not None
    assert corner_error(quad.corners, sim.capture.quad) < 0.0015


def test_a_large_photo_is_located_on_its_own_pixels_not_the_work_copy():
    # A large picture is located on a smaller copy, where a pixel is several of the
    # picture's; a few pixels off at a corner, the glyph grid drifts across the screen.
    # Drawn 4x larger and shrunk (exact pixel coverage), 'glyphs' from the first column.
    true = np.array([[312.3, 231.7], [1791.6, 198.2], [1825.1, 1340.9], [281.8, 1385.4]], np.float32)
    flat = np.array([[0, 0], [1024, 0], [1024, 768], [0, 768]], np.float32)
    to_photo = cv2.getPerspectiveTransform(flat, true * 4)
    purple = np.zeros((6000, 8000), np.uint8)
    glyphs = np.zeros_like(purple)
    cv2.fillConvexPoly(purple, np.round(true * 4).astype(np.int32), 255)
    ink = np.array([[1, 2], [7, 2], [7, 13], [1, 13]], np.float32)  # of an 8x16 cell
    for row in range(40):
        for col in range(0, 60, 3):
            glyph = cv2.perspectiveTransform((ink + np.float32([col * 8, row * 16]))[None], to_photo)[0]
            cv2.fillConvexPoly(glyphs, np.round(glyph).astype(np.int32), 255)
    shrink = {"dsize": (2000, 1500), "interpolation": cv2.INTER_AREA}
    p, g = cv2.resize(purple, **shrink)[..., None] / 255.0, cv2.resize(glyphs, **shrink)[..., None] / 255.0
    rgb = (np.array([40, 38, 45]) * (1 - p) + np.array(MAGENTA) * (p - g) + 235 * g).astype(np.uint8)
    quad = find_screen(cv2.GaussianBlur(rgb, (0, 0), 1.0))
    assert quad is not None
    assert corner_error(quad.corners, true) < 0.0003  # 0.75 of the picture's pixels


@pytest.mark.skipif(not available_fonts("esxi"), reason="console fonts not installed")
@pytest.mark.parametrize(("scale", "chrome", "letterbox"), [
    ((1.59, 1.59), "dark", None),  # a window larger than the work copy
    ((1.12, 1.12), None, 16 / 9),  # pillarboxed: the screen reaches the picture's top and bottom
    ((1.0, 1.0), "light", None),  # unscaled, in a window
])  # fmt: skip
def test_a_scaled_screenshots_box_is_found_on_whole_pixels_exactly(scale, chrome, letterbox):
    # JPEG's colour bleed makes the window's pixels beside the screen purple-ish; a box a
    # pixel off, or off the pixel grid, makes every glyph come in several shapes
    text = (CORPUS / "017_esxi50_tlb_ack_total.txt").read_text()
    sim = simulate(text, "kvm_screenshot", seed=185, font=available_fonts("esxi")[0], scale=scale,
                   interpolation="nearest", fmt="jpeg", quality=41, chrome=chrome, letterbox=letterbox,
                   crop=False, annotate=False, redact=0)  # fmt: skip
    found = find_screen(load_image(sim.capture.image_bytes, name="sim.jpg").rgb)
    assert np.array_equal(found.corners, sim.capture.quad.astype(np.float32))


def test_a_photo_taken_nearly_square_on_keeps_its_quad_a_screenshot_gets_its_box():
    # a screenshot's sides, fitted through text that bites the outline, are a pixel or three
    # off its box; a photo's perspective puts a corner 9 work pixels or more off it, and its
    # region fills less of its box
    def region(corners: list[list[int]]) -> np.ndarray:
        canvas = np.zeros((720, 900), np.uint8)
        cv2.fillConvexPoly(canvas, np.array(corners, np.int32), 1)
        return canvas

    def snap(quad: np.ndarray, region: np.ndarray) -> np.ndarray:
        return _snap_upright(quad, cv2.convexHull(np.argwhere(region)[:, ::-1].astype(np.int32)), region)

    box = [[20, 30], [676, 30], [676, 520], [20, 520]]
    fitted = np.array([[21, 31], [674, 30], [676, 518], [20, 520]], np.float32)
    assert np.array_equal(snap(fitted, region(box)), np.array(box, np.float32))
    # a window's title bar pulled one corner's fit 8 pixels off: the region still fills its box
    pulled = np.array([[20, 30], [676, 30], [676, 520], [12, 520]], np.float32)
    assert np.array_equal(snap(pulled, region(box)), np.array(box, np.float32))
    photo = np.array([[29, 38], [676, 30], [675, 520], [20, 512]], np.float32)
    assert np.array_equal(snap(photo, region(photo.astype(int).tolist())), photo)
    # specks JPEG made purple in a window's dark border, joined to the screen, do not widen it
    specked = region(box)
    specked[100:400:37, 15:20] = 1
    assert np.array_equal(snap(fitted, specked), np.array(box, np.float32))


def test_a_purple_wall_beside_the_screen_with_a_few_strokes_at_its_edge_holds_no_text():
    # the wall's edge against the dark bezel shows a few thin bright strokes: alone that is
    # "text", beside a screen ten times as dense it is not
    screen, wall = np.zeros((100, 200), np.uint8), np.zeros((100, 200), np.uint8)
    screen[:, :150], wall[:, 160:] = 1, 1
    ink = np.zeros((100, 200), bool)
    ink[10:90:2, 5:145:3] = True  # the screen's text, about a sixth of its pixels
    ink[95, 160:175] = True  # specks along the wall's edge: 15 of its 4000 pixels
    assert _holds_text(wall, ink)
    assert not _holds_text(wall, ink, beside=screen)
    assert _holds_text(screen, ink, beside=wall)



@pytest.mark.parametrize("seed", [4, 10])
def test_a_room_lit_purple_across_a_thin_bezel_is_not_part_of_the_screen(seed):
    # the room's glow as saturated as the screen and three times dimmer: seed 4 took it in
    # across the bezel; seed 10's brighter wall above the monitor must not be taken instead
    text = (CORPUS / "030_esxi65_crashme.txt").read_text()
    sim = simulate(text, "phone_photo", seed=seed, font="Lat15-Terminus16", severity="hard", glow=0.7,
                   bezel=(0.016, 0.016, 0.016, 0.034), rotation=0, size=(2000, 1500))  # fmt: skip
    quad = find_screen(load_image(sim.capture.image_bytes).rgb)
    assert quad is not None and not quad.touches_border
    assert corner_error(quad.corners, sim.capture.quad) < 0.005


# --- pictures without colour: the screen found by its layout ------------------------------------------


def grey(rgb: np.ndarray) -> np.ndarray:
    """The picture as a tool without colour saves it: its lightness in all three channels."""
    return np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


def test_a_grey_screenshot_is_found_by_its_layout_not_its_purple():
    rgb = grey(screenshot())
    assert find_screen(rgb) is None
    quad = find_screen_by_layout(rgb)
    true = np.array([[0, 0], [885, 0], [885, 492], [0, 492]], np.float32)
    assert quad is not None and quad.found_by == "layout" and corner_error(quad.corners, true) < 0.005


def test_a_grey_viewer_frame_a_little_darker_than_the_ground_is_left_out():
    # purple's grey is about 70: a window frame and its title bar at 58, in black bars
    rgb = np.zeros((620, 1000, 3), np.uint8)
    rgb[20:570, 40:939] = (58, 58, 58)
    cv2.putText(rgb, "Remote Console - esx01", (50, 44), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (210, 210, 210), 1)
    rgb[70:562, 47:932] = screenshot()
    quad = find_screen_by_layout(grey(rgb))
    true = np.array([[47, 70], [932, 70], [932, 562], [47, 562]], np.float32)
    assert quad is not None and corner_error(quad.corners, true) < 0.005


@pytest.mark.skipif("esxi-like" not in available_fonts("esxi"), reason="font not installed")
def test_a_grey_photos_screen_is_found_by_its_layout_not_the_room_as_grey():
    # in grey the room beyond the bezel is as light as the screen's ground
    text = (CORPUS / "033_esxi67_pf14_i40en.txt").read_text()
    sim = simulate(text, "phone_photo", seed=3, font="esxi-like", work_scale=0.5)
    rgb = grey(load_image(sim.capture.image_bytes).rgb)
    quad = find_screen_by_layout(rgb)
    assert quad is not None and not quad.touches_border
    assert corner_error(quad.corners, sim.capture.quad) < 0.002


def test_a_grey_gradient_holds_no_screen():
    ramp = np.tile(np.linspace(30, 225, 800), (600, 1)).astype(np.uint8)
    assert find_screen_by_layout(np.dstack([ramp] * 3)) is None
