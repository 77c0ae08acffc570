"""Encode simulated captures the way they reach users (PNG, JPEG, WebP, EXIF-rotated JPEG).

Lossy chroma subsampling is one of the artefacts a reader must survive (thin yellow strokes
smear), and phone photos are often stored sideways with an EXIF Orientation tag, so the encoder
is part of the simulation, not an afterthought.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

__all__ = [
    "EXIF_ORIENTATION",
    "ORIENTATION_FOR_ROTATION",
    "decode_image",
    "encode_image",
    "stored_for_orientation",
]

EXIF_ORIENTATION = 0x0112

# Clockwise rotation a viewer must apply to the stored pixels -> EXIF Orientation value.
ORIENTATION_FOR_ROTATION = {0: 1, 90: 6, 180: 3, 270: 8}


def stored_for_orientation(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Pixels as a camera stores them when the viewer must rotate them `rotation` deg clockwise."""
    if rotation not in ORIENTATION_FOR_ROTATION:
        raise ValueError(f"rotation must be one of 0, 90, 180, 270, not {rotation}")
    # np.rot90 turns counter-clockwise: undoing a clockwise display rotation.
    return np.ascontiguousarray(np.rot90(rgb, k=rotation // 90))


def encode_image(
    rgb: np.ndarray,
    fmt: str,
    quality: int = 90,
    *,
    subsampling: int = 2,
    rotation: int = 0,
    exif_extra: dict[int, str] | None = None,
) -> bytes:
    """Encode an RGB uint8 array as 'png', 'jpeg' or 'webp'.

    `subsampling` is Pillow's JPEG chroma code (0 = 4:4:4, 2 = 4:2:0). With `rotation` the pixels
    are stored turned and the EXIF Orientation tag says how to turn them back (JPEG only).
    """
    if rotation and fmt != "jpeg":
        raise ValueError("EXIF rotation is only simulated for JPEG")
    pixels = stored_for_orientation(rgb, rotation) if rotation else rgb
    image = Image.fromarray(pixels, "RGB")
    buffer = io.BytesIO()
    if fmt == "png":
        image.save(buffer, "PNG", compress_level=1)
    elif fmt == "jpeg":
        exif = Image.Exif()
        for tag, value in (exif_extra or {}).items():
            exif[tag] = value
        if rotation:
            exif[EXIF_ORIENTATION] = ORIENTATION_FOR_ROTATION[rotation]
        options = {"exif": exif.tobytes()} if len(exif) else {}
        image.save(buffer, "JPEG", quality=int(quality), subsampling=subsampling, **options)
    elif fmt == "webp":
        image.save(buffer, "WEBP", quality=int(quality), method=4)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return buffer.getvalue()


def decode_image(data: bytes) -> np.ndarray:
    """Decode bytes to the displayed RGB uint8 array (EXIF orientation applied)."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        return np.asarray(upright.convert("RGB"))
