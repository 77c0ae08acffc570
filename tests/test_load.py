"""psod_ocr.load.load_image: every common format to upright 8-bit RGB, or one line saying why not.

Pictures are made with Pillow (and pillow_heif) in tmp_path and read back through the loader.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from psod_ocr.errors import PsodError
from psod_ocr.load import ImageLoadError, load_image

MAGENTA = (170, 0, 170)  # the purple-screen background
YELLOW = (255, 255, 85)
WHITE = (255, 255, 255)
# Points well inside each colour area (row, column) -> the colour there; lossy codecs blur edges.
SAMPLES = {(8, 8): YELLOW, (32, 36): WHITE, (8, 48): MAGENTA, (44, 8): MAGENTA}
LOSSY_POINT_TOL = 12
LOSSY_MEAN_TOL = 6.0


def picture() -> np.ndarray:
    """64x48 magenta with a yellow block top-left (so any turn or mirror shows) and a white bar."""
    rgb = np.empty((48, 64, 3), np.uint8)
    rgb[:] = MAGENTA
    rgb[0:16, 0:16] = YELLOW
    rgb[24:40, 16:56] = WHITE
    return rgb


def save(img: Image.Image, path: Path, fmt: str, **options) -> Path:
    img.save(path, format=fmt, **options)
    return path


def diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - np.asarray(b, np.int16))


@pytest.fixture(scope="module", autouse=True)
def heif():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()


# --- formats ------------------------------------------------------------------------------------

FORMATS = [
    # id, Pillow format, save options, format the loader reports, lossless
    ("png", "PNG", {}, "PNG", True),
    ("jpeg", "JPEG", {"quality": 90}, "JPEG", False),
    ("webp-lossless", "WEBP", {"lossless": True}, "WEBP", True),
    ("webp-lossy", "WEBP", {"quality": 90}, "WEBP", False),
    ("tiff", "TIFF", {}, "TIFF", True),
    ("tiff-lzw", "TIFF", {"compression": "tiff_lzw"}, "TIFF", True),
    ("bmp", "BMP", {}, "BMP", True),
    ("gif", "GIF", {}, "GIF", True),  # three colours: the palette holds them exactly
    ("heif", "HEIF", {"quality": 90}, "HEIF", False),
]


@pytest.mark.parametrize(("fmt", "options", "reported", "lossless"),
                         [f[1:] for f in FORMATS], ids=[f[0] for f in FORMATS])  # fmt: skip
def test_each_format_loads_as_rgb_with_its_colours(tmp_path, fmt, options, reported, lossless):
    rgb = picture()
    path = save(Image.fromarray(rgb), tmp_path / f"screen.{fmt.lower()}", fmt, **options)
    loaded = load_image(path)
    assert loaded.rgb.shape == (48, 64, 3) and loaded.rgb.dtype == np.uint8
    assert (loaded.width, loaded.height) == (64, 48)
    assert loaded.format == reported
    assert loaded.orientation == 1 and loaded.path == str(path)
    if lossless:
        assert np.array_equal(loaded.rgb, rgb)
    else:
        assert diff(loaded.rgb, rgb).mean() < LOSSY_MEAN_TOL
        for point, colour in SAMPLES.items():
            assert diff(loaded.rgb[point], colour).max() <= LOSSY_POINT_TOL, (point, loaded.rgb[point])


@pytest.mark.parametrize("fmt", ["TIFF", "PNG"])
def test_16_bit_greyscale_is_scaled_to_8_bits(tmp_path, fmt):
    levels = np.linspace(0, 65535, 64).round().astype(np.uint16)
    grey16 = np.ascontiguousarray(np.tile(levels, (48, 1)))
    img = Image.frombytes("I;16", (64, 48), grey16.tobytes())
    path = save(img, tmp_path / f"grey16.{fmt.lower()}", fmt)
    assert Image.open(path).mode.startswith("I")  # really stored as 16-bit
    loaded = load_image(path)
    assert loaded.rgb.shape == (48, 64, 3) and loaded.rgb.dtype == np.uint8
    r, g, b = (loaded.rgb[..., i].astype(np.int16) for i in range(3))
    assert np.array_equal(r, g) and np.array_equal(g, b)
    expected = grey16.astype(np.float64) / 257.0
    assert np.abs(r - expected).max() <= 1.0
    assert r[0, 0] == 0 and r[0, -1] == 255


@pytest.mark.parametrize(("fmt", "options"), [
    ("GIF", {"duration": 100, "loop": 0}),
    ("PNG", {}),  # APNG
    ("WEBP", {"lossless": True}),
    ("TIFF", {}),  # multi-page
], ids=["gif", "apng", "webp", "tiff"])  # fmt: skip
def test_animations_and_multi_page_files_give_the_first_frame(tmp_path, fmt, options):
    first = picture()
    second = np.zeros_like(first)
    second[:] = (0, 200, 0)
    path = tmp_path / f"anim.{fmt.lower()}"
    Image.fromarray(first).save(path, format=fmt, save_all=True, append_images=[Image.fromarray(second)],
                                **options)  # fmt: skip
    assert getattr(Image.open(path), "n_frames", 1) == 2
    loaded = load_image(path)
    assert np.array_equal(loaded.rgb, first)


def test_rgba_png_keeps_opaque_colours_and_hides_what_is_transparent(tmp_path):
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[..., :3] = MAGENTA  # colour everywhere, but the bottom half is fully transparent
    rgba[:24, :, 3] = 255
    path = save(Image.fromarray(rgba, "RGBA"), tmp_path / "alpha.png", "PNG")
    loaded = load_image(path)
    assert loaded.rgb.shape == (48, 64, 3)
    assert (loaded.rgb[:24] == MAGENTA).all()
    hidden = loaded.rgb[24:]
    assert (hidden == hidden[0, 0]).all()  # one flat background
    assert diff(hidden[0, 0], MAGENTA).max() > 100  # the hidden magenta does not show through


def test_palette_png(tmp_path):
    rgb = picture()
    img = Image.fromarray(rgb).quantize(colors=4)
    assert img.mode == "P"
    loaded = load_image(save(img, tmp_path / "palette.png", "PNG"))
    assert np.array_equal(loaded.rgb, rgb)


def test_palette_png_with_a_transparent_index(tmp_path):
    rgb = picture()
    img = Image.fromarray(rgb).quantize(colors=4)
    magenta_index = img.getpixel((48, 8))
    loaded = load_image(save(img, tmp_path / "palette-t.png", "PNG", transparency=magenta_index))
    assert (loaded.rgb[8, 8] == YELLOW).all() and (loaded.rgb[32, 36] == WHITE).all()
    assert diff(loaded.rgb[8, 48], MAGENTA).max() > 100  # transparent: not magenta any more


@pytest.mark.parametrize("mode", ["L", "LA"])
def test_greyscale(tmp_path, mode):
    grey = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (48, 1))
    img = Image.fromarray(grey)
    if mode == "LA":
        img = Image.merge("LA", [img, Image.new("L", img.size, 255)])
    loaded = load_image(save(img, tmp_path / f"grey-{mode}.png", "PNG"))
    assert loaded.rgb.shape == (48, 64, 3)
    for channel in range(3):
        assert np.array_equal(loaded.rgb[..., channel], grey)


# --- pictures without colour ----------------------------------------------------------------------


def grey_of(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).convert("L"))


def all_alike(rgb: np.ndarray) -> bool:
    """Every pixel's three channels equal: the picture is its lightness."""
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


@pytest.mark.parametrize(("mode", "fmt"), [("L", "PNG"), ("LA", "PNG"), ("I;16", "TIFF"), ("I;16", "PNG"),
                                           ("1", "PNG")])  # fmt: skip
def test_a_greyscale_file_has_no_colour(tmp_path, mode, fmt):
    grey = Image.fromarray(grey_of(picture()))
    img = {"L": grey, "LA": Image.merge("LA", [grey, Image.new("L", grey.size, 255)]),
           "I;16": Image.fromarray((np.asarray(grey, np.uint32) * 257).astype(np.uint16)),
           "1": grey.convert("1")}[mode]  # fmt: skip
    path = save(img, tmp_path / f"grey.{fmt.lower()}", fmt)
    assert Image.open(path).mode.startswith(mode[0])
    loaded = load_image(path)
    assert not loaded.colour
    assert loaded.rgb.shape == (48, 64, 3)
    assert all_alike(loaded.rgb)


@pytest.mark.parametrize(("fmt", "options"), [("PNG", {}), ("JPEG", {"quality": 85})])
def test_a_grey_picture_saved_in_colour_has_none_and_is_its_lightness(tmp_path, fmt, options):
    # (JPEG keeps a grey picture's channels a level or two apart)
    grey = grey_of(picture())
    path = save(Image.fromarray(np.dstack([grey] * 3)), tmp_path / f"grey-rgb.{fmt.lower()}", fmt, **options)
    assert Image.open(path).mode == "RGB"
    loaded = load_image(path)
    assert not loaded.colour
    assert all_alike(loaded.rgb)
    assert diff(loaded.rgb[..., 1], grey).max() <= LOSSY_POINT_TOL


def test_a_colour_picture_has_colour_and_keeps_it(tmp_path):
    rgb = picture()
    loaded = load_image(save(Image.fromarray(rgb), tmp_path / "colour.png", "PNG"))
    assert loaded.colour and np.array_equal(loaded.rgb, rgb)


def test_a_grey_screenshot_with_a_small_coloured_mark_has_no_colour_a_large_one_has(tmp_path):
    # an annotation drawn on a grey screenshot is no colour to find a purple screen by; a
    # coloured area as large as a purple screen must be is
    grey = np.dstack([np.tile(np.linspace(40, 200, 400).astype(np.uint8), (300, 1))] * 3)
    for name, side, colour in (("mark", 20, False), ("area", 80, True)):
        rgb = grey.copy()
        rgb[10 : 10 + side, 10 : 10 + side] = (230, 30, 30)
        assert load_image(save(Image.fromarray(rgb), tmp_path / f"{name}.png", "PNG")).colour == colour


def test_16_bit_grey_is_spread_over_the_range_it_uses(tmp_path):
    # a 12-bit scanner's levels in a 16-bit file: its darkest is black, its lightest white
    levels = np.linspace(1000, 5000, 64).round().astype(np.uint16)
    img = Image.fromarray(np.ascontiguousarray(np.tile(levels, (48, 1))))
    assert img.mode == "I;16"
    loaded = load_image(save(img, tmp_path / "grey12.tif", "TIFF"))
    expected = (levels.astype(np.float64) - 1000) * 255 / 4000
    assert np.abs(loaded.rgb[0, :, 1] - expected).max() <= 1.0
    assert loaded.rgb[..., 1].min() == 0 and loaded.rgb[..., 1].max() == 255 and not loaded.colour


def test_a_rendered_screen_survives_jpeg(tmp_path):
    from psod_ocr.simulate import available_fonts, render_screen

    if not available_fonts("esxi"):
        pytest.skip("console fonts not installed")
    screen = render_screen("VMware ESXi 7.0.3 [Releasebuild-19193900 x86_64]\n#PF Exception 14 in world 1")
    path = save(Image.fromarray(screen.image), tmp_path / "screen.jpg", "JPEG", quality=92)
    loaded = load_image(path)
    assert loaded.rgb.shape == screen.image.shape
    blank = screen.image[200:, :]  # below the two text rows: all background
    assert (blank == MAGENTA).all()
    assert diff(loaded.rgb[200:, :], MAGENTA).max() <= LOSSY_POINT_TOL


# --- EXIF orientation -----------------------------------------------------------------------------


def stored_for(upright: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera writes when a viewer must apply EXIF ``orientation`` to show ``upright``."""
    transposed = upright.transpose(1, 0, 2)
    return np.ascontiguousarray({
        1: upright,
        2: upright[:, ::-1],  # mirrored left-right
        3: upright[::-1, ::-1],  # upside down
        4: upright[::-1],  # mirrored top-bottom
        5: transposed,
        6: np.rot90(upright, 1),  # the viewer turns it 90 degrees clockwise
        7: np.rot90(transposed, 2),
        8: np.rot90(upright, -1),  # the viewer turns it 90 degrees counter-clockwise
    }[orientation])  # fmt: skip


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_exif_orientation_is_applied_and_reported(tmp_path, orientation):
    upright = picture()  # 64 wide, 48 high
    stored = stored_for(upright, orientation)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = save(Image.fromarray(stored), tmp_path / f"o{orientation}.jpg", "JPEG", quality=92,
                exif=exif.tobytes())  # fmt: skip
    assert Image.open(path).size == (stored.shape[1], stored.shape[0])
    loaded = load_image(path)
    assert loaded.orientation == orientation
    assert loaded.rgb.shape == upright.shape  # landscape again
    assert diff(loaded.rgb, upright).mean() < LOSSY_MEAN_TOL
    for point, colour in SAMPLES.items():
        assert diff(loaded.rgb[point], colour).max() <= LOSSY_POINT_TOL, (orientation, point)


# --- identity ---------------------------------------------------------------------------------------


def test_sha256_and_path_for_a_file_and_for_bytes(tmp_path):
    path = save(Image.fromarray(picture()), tmp_path / "id.png", "PNG")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    from_path = load_image(path)
    from_bytes = load_image(data, name="upload.png")
    assert from_path.sha256 == digest == from_bytes.sha256
    assert from_path.path == str(path) and from_bytes.path == "upload.png"
    assert load_image(path, name="shown-as.png").path == "shown-as.png"
    assert np.array_equal(from_path.rgb, from_bytes.rgb)


# --- refusals -----------------------------------------------------------------------------------------


def png_bytes(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose IHDR says width x height, with a correct CRC (Pillow opens it)."""
    png = png_bytes(np.full((1, 1, 3), MAGENTA, np.uint8))
    assert png[12:16] == b"IHDR"
    body = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:12] + body + struct.pack(">I", zlib.crc32(body)) + png[33:]


def refusal(source, **kwargs) -> str:
    with pytest.raises(ImageLoadError) as info:
        load_image(source, **kwargs)
    assert isinstance(info.value, PsodError)
    message = str(info.value)
    assert message and "\n" not in message.strip(), message
    return message


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


REFUSED_FILES = {
    # id: (make the file in tmp_path, pattern the reason must match)
    "empty": (lambda d: write(d / "empty.png", b""), r"empty"),
    "text": (lambda d: write(d / "notes.png", b"PSOD seen on esx01 at 03:00, see ticket\n" * 5), r"\btext\b"),
    "truncated-jpeg": (lambda d: write(d / "cut.jpg", (j := jpeg_bytes(picture()))[: len(j) // 2]),
                       r"truncated|corrupt"),
    "random": (lambda d: write(d / "noise.jpg", np.random.default_rng(7).bytes(4096)), r"not an image"),
    "pdf": (lambda d: write(d / "doc.png", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n"), r"PDF"),
    "directory": (lambda d: (d / "folder.png").mkdir() or d / "folder.png", r"directory"),
    "missing": (lambda d: d / "nope.png", r"no such file|not found|does not exist"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED_FILES))
def test_unreadable_inputs_are_refused_in_one_line_naming_the_file(tmp_path, case):
    make, reason = REFUSED_FILES[case]
    path = make(tmp_path)
    message = refusal(path)
    assert str(path) in message
    assert re.search(reason, message, re.IGNORECASE), message


def test_bytes_inputs_are_named_in_the_message():
    assert "upload.bin" in refusal(b"\x00\x01garbage" * 100, name="upload.bin")
    assert "<bytes>" in refusal(b"")


def test_a_file_over_max_bytes_is_refused(tmp_path):
    data = png_bytes(picture())
    path = write(tmp_path / "big.png", data)
    message = refusal(path, max_bytes=len(data) - 1)
    assert str(path) in message and "limit" in message and str(len(data)) in message
    message = refusal(data, name="big-upload.png", max_bytes=len(data) - 1)
    assert "big-upload.png" in message and "limit" in message
    assert load_image(path, max_bytes=len(data)).width == 64  # the limit itself is allowed


def test_an_image_over_max_pixels_is_refused(tmp_path):
    path = write(tmp_path / "wide.png", png_bytes(picture()))
    message = refusal(path, max_pixels=64 * 48 - 1)
    assert str(path) in message and "64x48" in message and "pixel" in message
    assert load_image(path, max_pixels=64 * 48).height == 48


@pytest.mark.parametrize("size", [(100_000, 100_000), (9_000, 8_000)],
                         ids=["far-over-pillow-limit", "over-our-limit-only"])  # fmt: skip
def test_a_decompression_bomb_header_is_refused_without_decoding(tmp_path, monkeypatch, size):
    # 9000x8000 is under Pillow's own bomb threshold: only the loader's header check stops it.
    path = write(tmp_path / "bomb.png", png_claiming(*size))
    with monkeypatch.context() as m:  # the header really claims it (Pillow reads it lazily)
        m.setattr(Image, "MAX_IMAGE_PIXELS", None)
        assert Image.open(path).size == size
    tracemalloc.start()
    try:
        message = refusal(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(path) in message and re.search(r"pixel|bomb", message), message
    assert "truncated" not in message and "corrupt" not in message  # refused, not decoded
    assert peak < 16 * 1024 * 1024


def test_a_picture_too_small_to_hold_a_screen_is_refused(tmp_path):
    path = write(tmp_path / "tiny.png", png_bytes(np.full((4, 4, 3), MAGENTA, np.uint8)))
    assert "small" in refusal(path)


def test_japanese_text_is_recognised_as_text(tmp_path):
    path = tmp_path / "report-ja.txt"
    path.write_text("判定: ページ フォールト (ドライバー)\n" * 300, encoding="utf-8")
    message = refusal(path)
    assert re.search(r"\btext\b", message), message
