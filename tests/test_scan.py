"""End to end with real Tesseract: simulated captures in, schema-valid reports out.

What is asserted is what the pipeline guarantees (where the screen is, what kind of picture it
is, the report's shape, exit codes, debug pictures), not how well the OCR reads: that is being
improved separately. Each OCR run costs about a second, so captures are scanned once per module.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from psod_ocr.capture import Stages, scan
from psod_ocr.cli import main
from psod_ocr.parse import parse_text
from psod_ocr.simulate import available_fonts, simulate

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "texts"
PSOD_TEXT = CORPUS / "033_esxi67_pf14_i40en.txt"  # ESXi 6.7, #PF Exception 14 in i40en
STAGES = ("load", "locate", "rectify", "binarise", "recognise", "parse")
DEBUG_PICTURES = ("1-quad", "2-rectified", "3-binarised", "4-grid")
QUAD_TOL = 0.01  # of the true screen's diagonal, per corner

pytestmark = pytest.mark.skipif(not available_fonts("esxi"),
                                reason="console fonts not installed (console-setup-linux)")  # fmt: skip


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """Keep anything the CLI may store (a report history) out of the real home directory."""
    for var in ("HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "home"))


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(""), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def corner_errors(found, truth) -> np.ndarray:
    """Each found corner's distance from the true one, as a share of the true diagonal."""
    found = np.asarray(found, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    assert found.shape == truth.shape == (4, 2)
    diagonal = np.linalg.norm(truth[2] - truth[0])
    return np.linalg.norm(found - truth, axis=1) / diagonal


def save_png(path: Path, rgb: np.ndarray) -> Path:
    Image.fromarray(rgb).save(path, "PNG")
    return path


# --- a KVM screenshot ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kvm(tmp_path_factory):
    # Not cropped, so the whole framebuffer (the true quad) is in the picture; seed 2 gives a dark
    # viewer window with a title bar, a 1.23x scale, an annotation box and JPEG at quality 72.
    sim = simulate(PSOD_TEXT.read_text(), "kvm_screenshot", seed=2, font="esxi-like", crop=False)
    cap = sim.capture
    assert sim.screen.rows[0].startswith("VMware ESXi 6.7.0")
    assert cap.params["options"]["chrome"] == "dark"  # the quad must leave the window frame out
    path = tmp_path_factory.mktemp("kvm") / f"esxi67-kvm.{'jpg' if cap.format == 'jpeg' else cap.format}"
    path.write_bytes(cap.image_bytes)
    return cap, path


@pytest.fixture(scope="module")
def kvm_report(kvm):
    cap, path = kvm
    return scan(cap.image_bytes, name=path.name)


def test_kvm_report_is_schema_valid(kvm, kvm_report, valid):
    cap, path = kvm
    obj = valid(kvm_report.to_dict())
    source = obj["source"]
    assert source["kind"] == "kvm_screenshot"
    assert source["path"] == path.name
    assert source["sha256"] == hashlib.sha256(cap.image_bytes).hexdigest()
    assert [source["width"], source["height"]] == list(cap.params["size"])


def test_kvm_screen_quad_is_found(kvm, kvm_report):
    cap, _ = kvm
    quad = kvm_report.to_dict()["ocr"]["screen_quad"]
    errors = corner_errors(quad, cap.quad)
    assert (errors < QUAD_TOL).all(), (quad, cap.quad.round(1).tolist(), errors)


def test_kvm_ocr_section(kvm_report):
    ocr = kvm_report.to_dict()["ocr"]
    assert ocr["engine"].startswith("tesseract")
    assert ocr["raw_text"].strip()
    assert set(STAGES) <= set(ocr["timings_ms"]), ocr["timings_ms"]
    assert all(ms >= 0 for ms in ocr["timings_ms"].values())
    assert ocr["mean_confidence"] is not None and 0 <= ocr["mean_confidence"] <= 100


def test_a_thin_viewer_frame_is_not_taken_for_the_screen():
    # A light 7 px window frame all round: the screen does not reach the picture's edge.
    sim = simulate(PSOD_TEXT.read_text(), "kvm_screenshot", seed=0, font="esxi-like", crop=False,
                   chrome="light", letterbox=None, fmt="png")  # fmt: skip
    cap = sim.capture
    border = cap.params["chrome"]["border"]
    assert border >= 5
    report = scan(cap.image_bytes, name="framed.png")
    assert not any("edge" in w for w in report.warnings), report.warnings
    quad = np.asarray(report.ocr.screen_quad)
    width, height = cap.params["size"]
    assert (quad >= border / 2).all() and (quad[:, 0] <= width - border / 2).all()
    assert (quad[:, 1] <= height - border / 2).all()


def test_scanning_the_file_or_its_bytes_is_the_same(kvm, kvm_report):
    # The same picture by path: same identity, and the pipeline is deterministic.
    _, path = kvm
    again = scan(path)
    assert again.source.path == str(path) and again.source.sha256 == kvm_report.source.sha256
    assert again.ocr.screen_quad == kvm_report.ocr.screen_quad
    assert again.ocr.raw_text == kvm_report.ocr.raw_text
    assert again.diagnosis.type == kvm_report.diagnosis.type


def test_a_font_without_templates_is_read_by_the_glyph_model_without_tesseract():
    # No installed template fits Lat15-Fixed16 closely (nor did the glyph model see its family
    # in training): the model names its glyphs, and Tesseract is not run at all.
    sim = simulate(PSOD_TEXT.read_text(), "kvm_screenshot", seed=3, font="Lat15-Fixed16", scale=(1.0, 1.0),
                   fmt="png", chrome=None, letterbox=None, crop=False, annotate=False, redact=0)  # fmt: skip
    stages = Stages()
    report = scan(sim.capture.image_bytes, name="fixed.png", stages=stages)
    assert report.ocr.model == "cell grid (glyph model)"
    # the annotated picture's rows come from the grid's own reading
    grid = stages.grid
    read = {int((w.top + w.height / 2) / stages.scale // grid.row_pitch) for w in stages.words}
    text_rows = [r for r, row in enumerate(sim.screen.rows) if row.strip()]
    assert read == set(text_rows)
    truth = parse_text("\n".join(sim.screen.rows)).screen.frames
    assert [f.ip for f in report.screen.frames] == [f.ip for f in truth] and len(truth) >= 5


@pytest.mark.parametrize("scale", [1.43, 1.59])
def test_a_screenshot_scaled_by_repeating_pixels_is_read_by_the_grid_alone(scale):
    # Scaled by 1.43 with nearest-neighbour, each copy of a glyph repeats other columns and
    # rows: resampled, it takes hundreds of shapes and Tesseract must name them; cut back into
    # the framebuffer's own pixels, every copy is the font's glyph again.
    font = "Lat15-Terminus16" if "Lat15-Terminus16" in available_fonts("esxi") else available_fonts("esxi")[0]
    sim = simulate(PSOD_TEXT.read_text(), "kvm_screenshot", seed=5, font=font, scale=(scale, scale),
                   interpolation="nearest", fmt="jpeg", quality=60, chrome="dark", letterbox=None,
                   crop=False, annotate=False, redact=0)  # fmt: skip
    report = scan(sim.capture.image_bytes, name="scaled.jpg")
    assert report.ocr.model.startswith("cell grid")
    truth = parse_text("\n".join(sim.screen.rows)).screen.frames
    assert [(f.ip, f.symbol) for f in report.screen.frames] == [(f.ip, f.symbol) for f in truth]


@pytest.mark.parametrize("turned", [False, True])
def test_a_screen_of_unsure_orientation_is_read_the_other_way_only_when_no_psod_was_read(
    monkeypatch, turned
):
    # A two-line screen gives weak layout cues. Its orientation is made unsure here (the real
    # rectify's answer, with the flag cleared): read upright it is a PSOD at once, and the
    # other way is not read; stored upside down, the first reading finds nothing and the
    # turned-over one wins.
    import dataclasses

    import psod_ocr.capture as capture

    text = "VMware ESXi 6.7.0 [Releasebuild-8169922 x86_64]\nPCPU 3: no heartbeat (3/3 IPIs received)"
    sim = simulate(text, "kvm_screenshot", seed=1, font="Lat15-Terminus16", fmt="png", chrome=None,
                   letterbox=None, crop=False, annotate=False, redact=0)  # fmt: skip
    real_rectify, real_read = capture.rectify, capture.read_screen
    turn = capture.turned_over if turned else (lambda flat: flat)
    monkeypatch.setattr(capture, "rectify",
                        lambda *a: dataclasses.replace(turn(real_rectify(*a)), certain=False))  # fmt: skip
    reads = []
    monkeypatch.setattr(capture, "read_screen", lambda *a: reads.append(1) or real_read(*a))
    report = scan(sim.capture.image_bytes, name="short.png")
    assert report.diagnosis.type == "no_heartbeat"
    assert len(reads) == (2 if turned else 1)


@pytest.mark.skipif("altb-8x16" not in available_fonts("esxi"), reason="font not installed")
@pytest.mark.parametrize("outward", [0, 1])
def test_a_stretched_screens_columns_are_cut_where_a_font_fits_them(monkeypatch, outward):
    # A 4:3 console stretched across a 16:9 panel, photographed. The screen's true quad, and
    # that quad a pixel larger: with one, cutting the columns at the gaps between glyphs gave
    # fewer shapes but cut them a font pixel off, and no font fitted (Tesseract read it).
    import dataclasses

    import psod_ocr.capture as capture

    corpus = Path(__file__).resolve().parent.parent / "corpus" / "texts"
    text = (corpus / "050_esxi80_ss_exception.txt").read_text()
    sim = simulate(text, "phone_photo", seed=49, font="altb-8x16", severity="mild", distortion=0.0)
    true = np.asarray(sim.capture.quad, np.float32)
    corners = true + outward * np.sign(true - true.mean(axis=0))
    real_find = capture.find_screen
    monkeypatch.setattr(capture, "find_screen",
                        lambda rgb: dataclasses.replace(real_find(rgb), corners=corners))  # fmt: skip
    report = scan(sim.capture.image_bytes, name="stretched.jpg")
    assert report.ocr.model == "cell grid (altb-8x16)"
    assert report.diagnosis.type == "exception"


# --- a phone photo stored sideways ------------------------------------------------------------------


@pytest.fixture(scope="module")
def photo():
    # rotation=90: the JPEG holds the pixels turned and EXIF Orientation 6 says to turn them back;
    # work_scale=0.5 renders at half size and upscales to the full 12 MP (fast, a little soft).
    sim = simulate(PSOD_TEXT.read_text(), "phone_photo", seed=2, font="esxi-like", severity="mild",
                   rotation=90, work_scale=0.5)  # fmt: skip
    cap = sim.capture
    return cap, scan(cap.image_bytes, name="IMG_0042.jpg")


def test_phone_photo_is_read_upright_and_its_quad_found(photo, valid):
    cap, report = photo
    stored_w, stored_h = Image.open(io.BytesIO(cap.image_bytes)).size
    assert stored_h > stored_w  # the file really is stored on its side
    obj = valid(report.to_dict())
    assert obj["source"]["kind"] == "phone_photo"
    assert (obj["source"]["width"], obj["source"]["height"]) == (stored_h, stored_w) == cap.size
    errors = corner_errors(obj["ocr"]["screen_quad"], cap.quad)
    assert (errors < QUAD_TOL).all(), (obj["ocr"]["screen_quad"], cap.quad.round(1).tolist(), errors)
    assert set(STAGES) <= set(obj["ocr"]["timings_ms"])


# --- pictures without a purple screen ----------------------------------------------------------------


def grey_gradient() -> np.ndarray:
    g = np.tile(np.linspace(30, 225, 800), (600, 1)).astype(np.uint8)
    return np.dstack([g, g, g])


def cluttered_scene() -> np.ndarray:
    """Photo-like: smooth random blotches of browns and greens; green is never below both red and
    blue, so no pixel is magenta."""
    rng = np.random.default_rng(3)
    blotches = cv2.resize(rng.normal(0, 1, (75, 100, 3)).astype(np.float32), (800, 600),
                          interpolation=cv2.INTER_CUBIC)  # fmt: skip
    rgb = np.clip(np.array([120.0, 110.0, 90.0]) + blotches * 70, 0, 255)
    rgb[..., 1] = np.maximum(rgb[..., 1], np.minimum(rgb[..., 0], rgb[..., 2]))
    return rgb.astype(np.uint8)


def desk_with_small_purple_object() -> np.ndarray:
    desk = np.empty((600, 800, 3), np.uint8)
    desk[:] = (90, 120, 175)  # blue-ish desk
    cv2.rectangle(desk, (50, 60), (300, 250), (245, 195, 210), -1)  # pale pink notepad
    cv2.rectangle(desk, (380, 320), (720, 520), (40, 60, 120), -1)  # dark blue keyboard
    cv2.rectangle(desk, (560, 90), (679, 209), (170, 0, 170), -1)  # a purple box, 120x120
    return desk


NO_SCREEN = {
    "grey-gradient": grey_gradient,
    "cluttered-scene": cluttered_scene,
    "desk-small-purple": desk_with_small_purple_object,
}


@pytest.mark.parametrize("picture", list(NO_SCREEN))
def test_no_purple_screen_is_not_a_psod(tmp_path, picture, valid):
    rgb = NO_SCREEN[picture]()
    purple = (rgb == (170, 0, 170)).all(axis=2).mean()
    assert purple < 0.04  # the small object is under the share a screen must cover
    if picture == "desk-small-purple":
        assert purple > 0.02
    path = tmp_path / f"{picture}.jpg"
    Image.fromarray(rgb).save(path, "JPEG", quality=92)
    report = scan(path)
    obj = valid(report.to_dict())
    assert obj["diagnosis"]["type"] == "not_a_psod" and not report.is_psod
    assert any("no purple screen" in w for w in obj["warnings"]), obj["warnings"]
    assert obj["ocr"]["screen_quad"] is None and obj["ocr"]["raw_text"] == ""
    assert {"load", "locate"} <= set(obj["ocr"]["timings_ms"])


def test_a_large_blank_magenta_area_is_not_a_psod(tmp_path, valid):
    # Screen-purple enough to be located, but with no text on it: OCR finds nothing to parse.
    rgb = np.empty((600, 800, 3), np.uint8)
    rgb[:] = (90, 120, 175)
    rgb[100:500, 100:700] = (200, 20, 190)  # a blank magenta card
    report = scan(save_png(tmp_path / "pink-card.png", rgb))
    obj = valid(report.to_dict())
    assert obj["diagnosis"]["type"] == "not_a_psod"
    assert any("text" in w for w in obj["warnings"]), obj["warnings"]


# --- the CLI -----------------------------------------------------------------------------------------


def test_cli_json_exit_code_follows_the_diagnosis(kvm, valid):
    _, path = kvm
    code, out, err = run(["scan", "--format", "json", str(path)])
    obj = valid(json.loads(out))
    assert isinstance(obj, dict) and obj["source"]["path"] == str(path)
    assert obj["source"]["kind"] == "kvm_screenshot"
    if obj["diagnosis"]["type"] == "not_a_psod":
        assert code == 1 and err.count("\n") == 1 and str(path) in err
    else:
        assert code == 0 and err == ""


def test_cli_debug_dir_writes_the_four_stage_pictures(kvm, tmp_path):
    _, path = kvm
    debug = tmp_path / "debug"
    code, out, _ = run(["scan", "--no-store", "--debug-dir", str(debug), str(path)])
    assert code in (0, 1) and out.strip()
    names = sorted(p.name for p in debug.iterdir())
    assert names == [f"{path.stem}.{stage}.png" for stage in DEBUG_PICTURES]
    pictures = {stage: np.asarray(Image.open(debug / f"{path.stem}.{stage}.png")) for stage in DEBUG_PICTURES}
    assert all(min(p.shape[:2]) >= 8 for p in pictures.values())
    rectified = pictures["2-rectified"]
    r, g, b = (float(np.median(rectified[..., i])) for i in range(3))
    assert r > 100 and b > 100 and g < 60  # the flat screen is mostly purple background
    binarised = pictures["3-binarised"]
    assert set(np.unique(binarised)) <= {0, 255}
    assert (binarised == 255).mean() > 0.5 and (binarised == 0).any()  # black text on white


def test_cli_batch_reports_each_bad_input_in_one_line_and_goes_on(kvm, tmp_path, valid):
    _, good = kvm
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    notes = tmp_path / "notes.txt"
    notes.write_text("host esx01 showed a purple screen at 03:12, photo to follow\n")
    missing = tmp_path / "missing.png"
    code, out, err = run(["scan", "--no-store", "--format", "json", str(good), str(corrupt), str(notes),
                          str(missing)])  # fmt: skip
    assert code == 1
    (obj,) = valid(json.loads(out))  # several inputs: an array, of the reports read (the good one)
    assert obj["source"]["path"] == str(good)
    lines = err.splitlines()
    assert err.endswith("\n") and len(lines) == 3 + (obj["diagnosis"]["type"] == "not_a_psod")
    for bad in (corrupt, notes, missing):
        assert sum(str(bad) in line for line in lines) == 1, (bad, lines)


def test_cli_non_psod_picture_exits_1_with_one_line(tmp_path, valid):
    path = save_png(tmp_path / "wall.png", grey_gradient())
    code, out, err = run(["scan", "--no-store", "--format", "json", str(path)])
    assert code == 1
    assert err.count("\n") == 1 and str(path) in err and "no purple screen" in err
    obj = valid(json.loads(out))
    assert obj["diagnosis"]["type"] == "not_a_psod"
