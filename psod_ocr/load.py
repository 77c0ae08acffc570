"""Load any common image as upright 8-bit RGB, or say in one line why it cannot be read.

EXIF orientation is applied (phones store photos sideways and set a tag); size limits are
checked from the header before pixels are decoded, so a decompression bomb costs nothing.
Whether the picture has colour at all is reported too: a greyscale file (some KVM viewers,
screenshot tools and scanners save one) holds a purple screen's layout, not its purple.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import PsodError, read_file

MAX_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 64_000_000  # a 48 MP phone photo fits; a bomb does not
GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
WIDE_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})  # more than 8 bits a pixel
GREY_SPREAD = 16  # levels a pixel's channels may lie apart and it still be grey (JPEG's chroma noise)
COLOUR_SHARE = 0.01  # a picture with colour in no more than this share of it has none (a purple
# screen is looked for by its colour in 4% of a picture at least: see locate.MIN_AREA_FRACTION)
COLOUR_SAMPLES = 250_000  # pixels looked at, evenly spread, to tell

_heif_registered = False


class ImageLoadError(PsodError):
    """The input is not a readable image within the limits."""


@dataclass(frozen=True)
class LoadedImage:
    rgb: np.ndarray  # HxWx3 uint8, upright
    format: str  # PNG, JPEG, WEBP, TIFF, BMP, GIF, HEIF, ...
    sha256: str
    orientation: int  # the EXIF orientation tag that was applied (1 = none)
    path: str
    camera: bool = False  # the file names a camera maker (EXIF Make): a photo, not a screenshot
    colour: bool = True  # False: a greyscale file, or one whose channels are alike (grey RGB)

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:  # pragma: no cover - HEIC then reads as "not an image"
            pass
        _heif_registered = True


def _what_it_is(data: bytes) -> str:
    head = data[:16]
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[:4096], final=False)
        return "text (use `psod-ocr parse` for text)"
    except UnicodeDecodeError:
        return "not an image format we know"


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if img.mode in WIDE_MODES:
        return Image.fromarray(to_8_bits(np.asarray(img, dtype=np.float64))).convert("RGB")
    return img.convert("RGB")


def to_8_bits(levels: np.ndarray) -> np.ndarray:
    """Levels of any range (16-bit grey, 12 bits a scanner wrote in 16, 32-bit integer or
    float) spread over 0..255 from their lowest to their highest: a screen's contrast is kept
    whatever part of the range the file used."""
    lo, hi = float(levels.min()), float(levels.max())
    return np.round((levels - lo) * (255.0 / max(hi - lo, 1e-9))).astype(np.uint8)


def has_colour(rgb: np.ndarray) -> bool:
    """Whether the picture shows colour anywhere worth the name: more than a sliver of it
    (an annotation drawn on a grey screenshot) has channels more than a JPEG's noise apart."""
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / COLOUR_SAMPLES)))
    r, g, b = cv2.split(np.ascontiguousarray(rgb[::step, ::step]))
    # (OpenCV's per-pixel max and min: NumPy's over a last axis of three is 30 times slower)
    spread = cv2.max(cv2.max(r, g), b) - cv2.min(cv2.min(r, g), b)
    return float((spread > GREY_SPREAD).mean()) > COLOUR_SHARE


def lightness(rgb: np.ndarray) -> np.ndarray:
    """A picture without colour as its lightness in all three channels: what its channels
    differ by is noise (or a tint), and every later stage reads one channel (green)."""
    grey = np.asarray(Image.fromarray(rgb).convert("L"))
    return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))


def load_image(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> LoadedImage:
    """Read ``source`` (a path or the file's bytes). Raises ``ImageLoadError`` with one line."""
    _register_heif()
    if isinstance(source, bytes):
        data, label = source, name or "<bytes>"
    else:
        label = name or str(source)
        data = read_file(source, label, max_bytes, ImageLoadError)
    if not data:
        raise ImageLoadError(f"{label}: empty file")
    if len(data) > max_bytes:
        raise ImageLoadError(f"{label}: {len(data)} bytes is over the {max_bytes}-byte limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > max_pixels:
                raise ImageLoadError(
                    f"{label}: {w}x{h} is {w * h} pixels, over the {max_pixels}-pixel limit"
                )
            fmt = img.format or "unknown"
            img.seek(0)  # GIF, TIFF, WebP animations: the first frame
            img.load()
            exif = img.getexif()
            orientation = int(exif.get(0x0112, 1) or 1)
            camera = bool(exif.get(0x010F))
            img = ImageOps.exif_transpose(img) or img
            grey = img.mode in GREY_MODES
            rgb = np.ascontiguousarray(np.asarray(_to_rgb(img)))
    except ImageLoadError:
        raise
    except UnidentifiedImageError as exc:
        raise ImageLoadError(f"{label}: not an image: {_what_it_is(data)}") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError(f"{label}: refused as a decompression bomb ({exc})") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(f"{label}: corrupt or truncated image: {exc}") from exc
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 8:
        raise ImageLoadError(f"{label}: image is too small to hold a screen ({w}x{h})")
    colour = not grey and has_colour(rgb)
    if not colour and not grey:
        rgb = lightness(rgb)
    return LoadedImage(
        rgb=rgb,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        orientation=orientation,
        path=label,
        camera=camera,
        colour=colour,
    )
