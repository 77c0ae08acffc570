"""Simulate a KVM / IPMI / remote-console screenshot of a purple screen.

Real screenshots are pixel-clean but rarely pixel-exact: viewers keep 5 bits per channel, scale
by non-integer factors (1.047, 1.281), re-posting resizes them non-uniformly (0.77 x 0.66), they
carry window frames, black bars, annotation boxes and redactions, are cropped to the text, and
are saved as JPEG or WebP with chroma subsampling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .encode import encode_image
from .result import Capture, plain
from .screen import RenderedScreen

__all__ = ["KvmOptions", "simulate_kvm_screenshot"]

_INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
}
_TITLES = (
    "iLO Integrated Remote Console - Server: esx01",
    "iDRAC Virtual Console",
    "Remote Console",
    "Java iKVM Viewer - [10.0.12.31]",
    "esxi-lab - VMware Remote Console",
)


@dataclass(frozen=True)
class KvmOptions:
    """Every choice the KVM simulator makes; `None` fields in an override mean 'draw at random'."""

    scale: tuple[float, float]
    interpolation: str
    quantise: bool
    chrome: str | None  # None, "dark" (title bar + borders) or "light" (thin light frame)
    letterbox: float | None  # target aspect (w/h) padded with black bars, or None
    crop: bool
    annotate: bool
    redact: int
    fmt: str
    quality: int


def _draw_options(rng: np.random.Generator) -> KvmOptions:
    """Draw all options in a fixed order, so overriding one never shifts the others."""
    u = rng.random(12)
    if u[0] < 0.1:
        sx = 1.0
    elif u[0] < 0.6:
        sx = float(rng.uniform(0.95, 1.35))
    else:
        sx = float(rng.uniform(0.8, 2.0))
    ratio = float(rng.choice([rng.uniform(0.8, 0.93), rng.uniform(1.07, 1.2)]))
    sy = float(np.clip(sx * ratio, 0.6, 2.2)) if u[1] < 0.2 else sx
    interpolation = str(rng.choice(list(_INTERPOLATIONS)))
    chrome = None if u[2] >= 0.4 else ("light" if u[3] < 0.25 else "dark")
    letterbox = float(rng.choice([16 / 9, 16 / 10, 5 / 4])) if u[4] < 0.2 else None
    fmt = "png" if u[5] < 0.35 else ("jpeg" if u[5] < 0.8 else "webp")
    quality = int(rng.integers(40, 96)) if fmt == "jpeg" else int(rng.integers(50, 91))
    return KvmOptions(
        scale=(sx, sy),
        interpolation=interpolation,
        quantise=bool(u[6] < 0.55),
        chrome=chrome,
        letterbox=letterbox,
        crop=bool(u[7] < 0.45),
        annotate=bool(u[8] < 0.25),
        redact=int(rng.integers(1, 4)) if u[9] < 0.2 else 0,
        fmt=fmt,
        quality=quality,
    )


def _pad(image: np.ndarray, left: int, top: int, right: int, bottom: int, colour) -> np.ndarray:
    return cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=colour)


def _letterbox(image: np.ndarray, aspect: float) -> tuple[np.ndarray, tuple[int, int]]:
    h, w = image.shape[:2]
    if w / h < aspect:
        extra = round(h * aspect) - w
        left = extra // 2
        return _pad(image, left, 0, extra - left, 0, (0, 0, 0)), (left, 0)
    extra = round(w / aspect) - h
    top = extra // 2
    return _pad(image, 0, top, 0, extra - top, (0, 0, 0)), (0, top)


def _chrome(
    image: np.ndarray, style: str, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[int, int], dict[str, Any]]:
    """Wrap the picture in a viewer window frame; return the image and the picture's offset."""
    if style == "light":
        border = int(rng.integers(3, 9))
        framed = _pad(image, border, border, border, border, (250, 250, 250))
        return framed, (border, border), {"border": border}
    border = int(rng.integers(1, 10))
    title_h = int(rng.integers(18, 33))
    grey = int(rng.integers(30, 75))
    framed = _pad(image, border, title_h, border, border, (grey, grey, grey + 4))
    title = str(rng.choice(_TITLES))
    scale = title_h / 40
    cv2.putText(framed, title, (border + 8, int(title_h * 0.7)), cv2.FONT_HERSHEY_SIMPLEX,
                scale, (210, 210, 210), 1, cv2.LINE_AA)
    for i in range(3):  # window buttons
        x = framed.shape[1] - border - (i + 1) * (title_h + 4)
        cv2.rectangle(framed, (x, 4), (x + title_h - 8, title_h - 5), (150, 150, 150), 1)
    return framed, (border, title_h), {"border": border, "title_h": title_h, "title": title}


def _text_boxes(screen: RenderedScreen | None) -> list[tuple[int, int, int, int]]:
    """Framebuffer-pixel boxes (x0, y0, x1, y1) of the non-blank text rows."""
    if screen is None:
        return []
    boxes = []
    for r, row in enumerate(screen.rows):
        if row.strip():
            start = len(row) - len(row.lstrip())
            end = len(row.rstrip())
            boxes.append((start * screen.cell_w, r * screen.cell_h,
                          end * screen.cell_w, (r + 1) * screen.cell_h))
    return boxes


def _content_extent(screen: RenderedScreen | None, fb: np.ndarray) -> tuple[int, int]:
    """Right and bottom edge (framebuffer px) of the drawn text, for crop-to-content."""
    if screen is not None:
        boxes = _text_boxes(screen)
        if boxes:
            return max(b[2] for b in boxes), max(b[3] for b in boxes)
        return fb.shape[1], fb.shape[0]
    ink = (fb[:, :, 1] > 100)
    ys, xs = np.nonzero(ink)
    if xs.size == 0:
        return fb.shape[1], fb.shape[0]
    return int(xs.max()) + 1, int(ys.max()) + 1


def simulate_kvm_screenshot(
    screen: RenderedScreen | np.ndarray,
    seed: int | np.random.Generator = 0,
    **overrides: Any,
) -> Capture:
    """Turn a rendered framebuffer into a remote-console screenshot, deterministic by `seed`.

    Keyword `overrides` fix any KvmOptions field (e.g. `scale=(1.047, 1.047)`, `fmt="png"`,
    `chrome=None`, `crop=False`); the others are drawn from the seed.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rendered = screen if isinstance(screen, RenderedScreen) else None
    fb = rendered.image if rendered is not None else np.asarray(screen, dtype=np.uint8)
    drawn = _draw_options(rng)
    unknown = set(overrides) - set(KvmOptions.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown KVM options: {sorted(unknown)}")
    opts = KvmOptions(**{**drawn.__dict__, **overrides})
    params: dict[str, Any] = {"options": opts.__dict__.copy()}
    aux = np.random.default_rng(rng.integers(2**63))  # chrome/crop/box details

    image = fb & 0xF8 if opts.quantise else fb.copy()
    fh, fw = fb.shape[:2]
    new_w = max(1, round(fw * opts.scale[0]))
    new_h = max(1, round(fh * opts.scale[1]))
    if (new_w, new_h) != (fw, fh):
        image = cv2.resize(image, (new_w, new_h), interpolation=_INTERPOLATIONS[opts.interpolation])
    kx, ky = new_w / fw, new_h / fh
    offset = np.array([0.0, 0.0])

    if opts.letterbox:
        image, (dx, dy) = _letterbox(image, opts.letterbox)
        offset += (dx, dy)
    if opts.chrome:
        image, (dx, dy), chrome_info = _chrome(image, opts.chrome, aux)
        offset += (dx, dy)
        params["chrome"] = chrome_info

    def to_image(x: float, y: float) -> tuple[float, float]:
        return x * kx + offset[0], y * ky + offset[1]

    if opts.crop:
        right, bottom = _content_extent(rendered, fb)
        x1, y1 = to_image(right, bottom)
        pad_r = aux.uniform(-0.5, 30) * kx  # negative: the last column is partly cut
        pad_b = aux.uniform(2, 40) * ky
        top = round(aux.choice([0, 0, 0, 1, 2]) * 16 * ky) if aux.random() < 0.3 else 0
        left = round(aux.uniform(2, 8) * kx) if aux.random() < 0.15 else 0
        x_end = int(np.clip(round(x1 + pad_r), left + 8, image.shape[1]))
        y_end = int(np.clip(round(y1 + pad_b), top + 8, image.shape[0]))
        image = image[top:y_end, left:x_end].copy()
        offset -= (left, top)
        params["crop"] = {"left": left, "top": top, "right": x_end, "bottom": y_end}

    boxes = _text_boxes(rendered)
    if not boxes:
        boxes = [(0, r * 16, fw // 2, r * 16 + 16) for r in range(4)]
    if opts.annotate:
        first = int(aux.integers(0, len(boxes)))
        last = min(len(boxes) - 1, first + int(aux.integers(0, 4)))
        x0 = min(b[0] for b in boxes[first : last + 1]) - 3
        x1 = max(b[2] for b in boxes[first : last + 1]) + 3
        p0 = to_image(x0, boxes[first][1] - 2)
        p1 = to_image(x1, boxes[last][3] + 2)
        colour = [(255, 230, 0), (230, 30, 30), (255, 140, 0)][int(aux.integers(0, 3))]
        thickness = int(aux.integers(2, 5))
        cv2.rectangle(image, tuple(map(round, p0)), tuple(map(round, p1)), colour, thickness)
        params["annotation"] = {"box": [*p0, *p1], "colour": colour}
    redactions = []
    for _ in range(opts.redact):
        bx0, by0, bx1, by1 = boxes[int(aux.integers(0, len(boxes)))]
        chars = int(aux.integers(4, 17))
        start = bx0 + 8 * int(aux.integers(0, max(1, (bx1 - bx0) // 8 - chars + 1)))
        p0 = to_image(start, by0)
        p1 = to_image(min(start + 8 * chars, bx1), by1)
        cv2.rectangle(image, tuple(map(round, p0)), tuple(map(round, p1)), (0, 0, 0), -1)
        redactions.append([*p0, *p1])
    if redactions:
        params["redactions"] = redactions

    quad = np.array([to_image(0, 0), to_image(fw, 0), to_image(fw, fh), to_image(0, fh)])
    data = encode_image(image, opts.fmt, opts.quality,
                        subsampling=int(aux.choice([0, 2, 2])))
    params["size"] = (image.shape[1], image.shape[0])
    return Capture(image_bytes=data, format=opts.fmt, kind="kvm_screenshot", quad=quad,
                   params=plain(params))
