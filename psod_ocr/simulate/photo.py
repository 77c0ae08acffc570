"""Simulate a phone photo of a monitor showing a purple screen.

Pipeline: the framebuffer goes through the monitor's scaler onto an LCD panel (native, stretched
4:3 -> 16:9, or pillar-boxed); a pinhole camera sees the tilted monitor in a cluttered room; the
subpixel stripes alias into moiré; then colour cast, vignetting, glare, defocus, camera shake and
sensor noise; finally a JPEG, possibly stored sideways with an EXIF Orientation tag.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import cv2
import numpy as np

from ..lens import distort_points
from .encode import encode_image
from .geometry import MonitorPose, place_monitor, warp_points
from .optics import (
    CASTS,
    GlareSpot,
    apply_cast,
    defocus,
    lens_distortion,
    light_maps,
    motion_blur,
    sensor,
)
from .panel import PanelSpec, panel_image, render_panel, stripe_contrast, subpixel_tile
from .result import Capture, plain
from .scene import draw_background, draw_bezel
from .screen import RenderedScreen

__all__ = ["PHOTO_SIZES", "PhotoOptions", "simulate_phone_photo"]

PHOTO_SIZES = ((4032, 3024), (4000, 3000), (4080, 3072))
LENS_K1 = {"mild": 0.01, "hard": 0.02}  # leftover radial distortion, at most (see optics)
_PANELS_4_3 = ((1024, 768), (1600, 1200), (1280, 960))
_PANELS_16_9 = ((1920, 1080), (2560, 1440), (1366, 768))


@dataclass(frozen=True)
class PhotoOptions:
    """Every choice the photo simulator makes (angles in degrees, lengths in output pixels)."""

    severity: str
    size: tuple[int, int]
    work_scale: float
    panel_mode: str
    panel_size: tuple[int, int]
    yaw: float
    pitch: float
    roll: float
    hfov: float
    fill: float
    shift: tuple[float, float]
    bezel: tuple[float, float, float, float]
    stripe_amp: float
    row_amp: float
    exposure: float
    cast: str
    cast_strength: float
    glow: float
    vignette: float
    glare: tuple[tuple[float, ...], ...]
    defocus: float
    isp_blur: float
    motion_length: float
    motion_angle: float
    noise: float
    quality: int
    rotation: int
    distortion: float = 0.0  # drawn after the others (see simulate_phone_photo)


def _pick(rng: np.random.Generator, choices: dict[str, float]) -> str:
    names = list(choices)
    weights = np.array(list(choices.values()), dtype=float)
    return str(names[int(rng.choice(len(names), p=weights / weights.sum()))])


def _panel_for(mode: str, pick: float) -> tuple[int, int]:
    """A plausible native panel resolution for a display mode (`pick` in [0, 1))."""
    if mode == "native":
        return _PANELS_4_3[int(pick * len(_PANELS_4_3))]
    if mode == "stretch54":
        return (1280, 1024)
    return _PANELS_16_9[int(pick * len(_PANELS_16_9))]


def _draw_options(rng: np.random.Generator, severity: str) -> PhotoOptions:
    """Draw all options in a fixed order, so overriding one never shifts the others."""
    hard = severity == "hard"
    size = PHOTO_SIZES[int(rng.integers(len(PHOTO_SIZES)))]
    mode = _pick(rng, {"native": 0.35, "stretch54": 0.1, "stretch": 0.35, "pillarbox": 0.2})
    panel = _panel_for(mode, float(rng.random()))
    tilt = 20.0 if hard else 9.0
    yaw, pitch = (float(v) for v in rng.uniform(-tilt, tilt, 2))
    roll = float(rng.normal(0, 3.5 if hard else 1.2))
    hfov = float(rng.uniform(60, 76))
    fill = float(rng.uniform(0.45, 0.97) if hard else rng.uniform(0.62, 0.92))
    shift = tuple(float(v) for v in rng.uniform(-1, 1, 2))
    side = float(rng.uniform(0.012, 0.05))
    bezel = (side, side * rng.uniform(0.8, 1.2), side, side * rng.uniform(1.0, 2.5))
    stripe = float(rng.uniform(0.25, 0.6) if hard else rng.uniform(0.1, 0.35))
    row = float(rng.uniform(0.1, 0.35) if hard else rng.uniform(0.05, 0.2))
    exposure = float(rng.uniform(0.8, 1.4) if hard else rng.uniform(0.9, 1.2))
    cast = _pick(rng, {"none": 0.25, "violet": 0.3, "pink": 0.25, "warm": 0.1, "cool": 0.1}
                 if hard else {"none": 0.45, "violet": 0.2, "pink": 0.15, "warm": 0.1,
                               "cool": 0.1})
    cast_strength = float(rng.uniform(0.5, 1.2))
    glow = float(rng.uniform(0.0, 0.8))
    vignette = float(rng.uniform(0.2, 0.6) if hard else rng.uniform(0.05, 0.3))
    spots = int(rng.integers(1, 4)) if rng.random() < (0.7 if hard else 0.3) else 0
    glare = tuple(
        (float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.1, 0.9)),  # position on screen
         float(rng.uniform(0.04, 0.25)), float(rng.uniform(0.3, 1.0)),  # radius, aspect
         float(rng.uniform(0, 180)),
         float(rng.uniform(50, 170) if hard else rng.uniform(20, 70)))
        for _ in range(spots)
    )
    out_of_focus = rng.random() < (0.35 if hard else 0.1)
    blur = float(rng.uniform(1.0, 3.5) if out_of_focus else rng.uniform(0.25, 0.7))
    isp_blur = float(rng.uniform(0.5, 1.5) if hard else rng.uniform(0.3, 1.0))
    motion = float(rng.uniform(0, 12)) if rng.random() < (0.5 if hard else 0.2) else 0.0
    motion_angle = float(rng.uniform(0, 180))
    noise = float(rng.uniform(3, 9) if hard else rng.uniform(1.5, 4))
    quality = int(rng.integers(70, 93) if hard else rng.integers(85, 96))
    rotation = int(rng.choice([90, 270, 180])) if rng.random() < 0.25 else 0
    return PhotoOptions(
        severity=severity, size=size, work_scale=1.0, panel_mode=mode, panel_size=panel,
        yaw=yaw, pitch=pitch, roll=roll, hfov=hfov, fill=fill, shift=shift, bezel=bezel,
        stripe_amp=stripe, row_amp=row, exposure=exposure, cast=cast,
        cast_strength=cast_strength, glow=glow, vignette=vignette, glare=glare, defocus=blur,
        isp_blur=isp_blur,
        motion_length=motion, motion_angle=motion_angle, noise=noise, quality=quality,
        rotation=rotation,
    )


def _panel_spec(opts: PhotoOptions, fb_shape: tuple[int, int]) -> PanelSpec:
    """Where the framebuffer sits on the panel. Text-mode 720x400 is shown at 4:3 like VGA."""
    pw, ph = opts.panel_size
    if opts.panel_mode == "pillarbox":
        fb_h, fb_w = fb_shape
        aspect = 4 / 3 if fb_w / fb_h > 1.5 or abs(fb_w / fb_h - 4 / 3) < 0.01 else fb_w / fb_h
        width = ph * aspect
        x0 = (pw - width) / 2
        return PanelSpec(pw, ph, opts.panel_mode, (round(x0), 0, round(x0 + width), ph))
    return PanelSpec(pw, ph, opts.panel_mode, (0, 0, pw, ph))


def _work_size(opts: PhotoOptions) -> tuple[int, int]:
    w, h = opts.size
    return max(64, round(w * opts.work_scale)), max(48, round(h * opts.work_scale))


def simulate_phone_photo(
    screen: RenderedScreen | np.ndarray,
    seed: int | np.random.Generator = 0,
    severity: str = "mild",
    **overrides: Any,
) -> Capture:
    """Photograph a rendered framebuffer on a monitor; deterministic by `seed`.

    Keyword `overrides` fix any PhotoOptions field, e.g. `size=(1600, 1200)`, `rotation=90`,
    `yaw=0`, `cast="violet"`. `work_scale` < 1 renders smaller and upscales (faster, softer).
    The framebuffer's quad is always fully inside the photo.
    """
    if severity not in ("mild", "hard"):
        raise ValueError("severity must be 'mild' or 'hard'")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    fb = screen.image if isinstance(screen, RenderedScreen) else np.asarray(screen, np.uint8)
    unknown = set(overrides) - set(PhotoOptions.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown photo options: {sorted(unknown)}")
    drawn = _draw_options(rng, severity)
    if "panel_mode" in overrides and "panel_size" not in overrides:
        overrides = {**overrides, "panel_size": _panel_for(overrides["panel_mode"], 0.0)}
    opts = PhotoOptions(**{**asdict(drawn), **overrides})
    if opts.panel_mode not in ("native", "stretch54", "stretch", "pillarbox"):
        raise ValueError(f"unknown panel_mode {opts.panel_mode!r}")
    aux = np.random.default_rng(rng.integers(2**63))  # scene details and noise
    if "distortion" not in overrides:
        # (drawn last: the captures made before it was modelled stay as they were otherwise)
        opts = replace(opts, distortion=float(rng.uniform(-1, 1) * LENS_K1[severity]))

    work_w, work_h = _work_size(opts)
    spec = _panel_spec(opts, fb.shape[:2])
    pw, ph = spec.width, spec.height
    bezel_px = tuple(b * pw for b in opts.bezel)
    pose = MonitorPose(opts.yaw, opts.pitch, opts.roll, opts.hfov, opts.fill, opts.shift)
    placement = place_monitor((work_w, work_h), (pw, ph), spec.fb_rect, bezel_px, pose)
    x0, y0, x1, y1 = spec.fb_rect
    fb_quad = warp_points(placement.homography,
                          np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float))

    glow_colour = tuple(int(c) for c in fb.reshape(-1, 3).mean(axis=0))
    image = draw_background(aux, (work_w, work_h), placement.panel_quad, glow_colour, opts.glow)
    draw_bezel(image, placement.bezel_quad, placement.panel_quad, aux)

    # The lit panel, only inside its bounding box: colour first, subpixel gain after the lens.
    scale = opts.work_scale
    lo = np.floor(placement.panel_quad.min(axis=0)).astype(int)
    hi = np.ceil(placement.panel_quad.max(axis=0)).astype(int)
    bx0, by0 = np.maximum(lo, 0)
    bx1, by1 = np.minimum(hi, [work_w, work_h])
    pitch = float(np.linalg.norm(fb_quad[1] - fb_quad[0]) / (x1 - x0))
    contrast = stripe_contrast(pitch, opts.defocus * scale)
    tile = subpixel_tile(opts.stripe_amp * contrast, opts.row_amp * contrast, opts.exposure)
    colour, gain = render_panel(panel_image(fb, spec), placement.homography,
                                (bx0, by0, bx1, by1), tile)
    inside = np.zeros((by1 - by0, bx1 - bx0), np.uint8)
    corners = np.round((placement.panel_quad - [bx0, by0]) * 16).astype(np.int32)
    cv2.fillConvexPoly(inside, corners, 1, cv2.LINE_8, 4)
    outside = ~inside.astype(bool)[:, :, None]
    np.copyto(image[by0:by1, bx0:bx1], colour, where=~outside)
    image = defocus(image, opts.defocus * scale)
    image = motion_blur(image, opts.motion_length * scale, opts.motion_angle)
    np.copyto(gain, np.uint8(100), where=outside)
    image[by0:by1, bx0:bx1] = cv2.multiply(image[by0:by1, bx0:bx1], gain, scale=1 / 100)
    image = lens_distortion(image, opts.distortion)

    spots = []
    screen_w = float(np.linalg.norm(fb_quad[1] - fb_quad[0]))
    for u, v, radius, aspect, angle, strength in opts.glare:
        top = fb_quad[0] * (1 - u) + fb_quad[1] * u
        bottom = fb_quad[3] * (1 - u) + fb_quad[2] * u
        centre = top * (1 - v) + bottom * v
        spots.append(GlareSpot(float(centre[0]), float(centre[1]), radius * screen_w,
                               radius * screen_w * aspect, angle, strength))
    vignette, glare = light_maps((work_w, work_h), opts.vignette, spots)
    image = cv2.add(cv2.multiply(image, cv2.merge([vignette] * 3), scale=1 / 255),
                    cv2.merge([glare] * 3))
    matrix = np.eye(3) + opts.cast_strength * (CASTS[opts.cast] - np.eye(3))
    image = apply_cast(image, matrix)
    image = sensor(image, aux, opts.noise)
    image = defocus(image, opts.isp_blur * scale)
    if (work_w, work_h) != opts.size:
        image = cv2.resize(image, opts.size, interpolation=cv2.INTER_CUBIC)

    quad = distort_points(fb_quad, opts.distortion, (work_w, work_h))
    quad = quad * (np.array(opts.size) / [work_w, work_h])
    data = encode_image(image, "jpeg", opts.quality, subsampling=2, rotation=opts.rotation,
                        exif_extra={0x010F: "psod-ocr", 0x0110: "simulated phone"})
    params = plain({"options": asdict(opts), "panel": asdict(spec), "pitch": pitch,
                    "stripe_contrast": contrast, "glare_spots": [asdict(s) for s in spots]})
    return Capture(image_bytes=data, format="jpeg", kind="phone_photo", quad=quad,
                   params=params)
