"""The room around the monitor: an out-of-focus cluttered background, the screen's glow, the bezel.

Screen locators get fooled by purple-lit desks, rack gear with LEDs and dark bezels, so the
background is random clutter rather than a flat colour. It is drawn at low resolution and
upscaled (it is out of focus anyway), which keeps 12 MP photos fast.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["draw_background", "draw_bezel"]

_LOW_RES = 8  # background drawn at 1/8 of the working size


def _random_colour(rng: np.random.Generator, lo: int, hi: int) -> tuple[int, int, int]:
    base = rng.uniform(lo, hi)
    tint = rng.normal(0, 0.12, 3)
    return tuple(int(np.clip(base * (1 + t), 0, 255)) for t in tint)


def _clutter(canvas: np.ndarray, rng: np.random.Generator, count: int) -> None:
    h, w = canvas.shape[:2]
    for _ in range(count):
        kind = rng.choice(["rect", "rack", "ellipse", "line", "paper"])
        x, y = int(rng.uniform(-0.1, 1.0) * w), int(rng.uniform(-0.1, 1.0) * h)
        sw, sh = int(rng.uniform(0.05, 0.5) * w), int(rng.uniform(0.03, 0.3) * h)
        colour = _random_colour(rng, 10, 150)
        if kind == "rect":
            cv2.rectangle(canvas, (x, y), (x + sw, y + sh), colour, -1)
        elif kind == "rack":  # a rack unit: grey box, slots and a few LEDs
            cv2.rectangle(canvas, (x, y), (x + sw, y + max(3, sh // 4)), colour, -1)
            for i in range(int(rng.integers(2, 8))):
                led = [(40, 220, 60), (240, 160, 20), (40, 120, 255), (230, 40, 40)][i % 4]
                cx = x + int(rng.uniform(0, 1) * sw)
                cv2.circle(canvas, (cx, y + 1), 1, led, -1)
        elif kind == "ellipse":
            cv2.ellipse(canvas, (x, y), (max(1, sw // 4), max(1, sh // 3)),
                        float(rng.uniform(0, 180)), 0, 360, colour, -1)
        elif kind == "line":  # a cable
            pts = np.cumsum(rng.normal(0, 0.08 * w, (5, 2)), axis=0) + np.array([x, y])
            cv2.polylines(canvas, [pts.astype(np.int32)], False, colour, 1)
        else:
            cv2.rectangle(canvas, (x, y), (x + sw // 3, y + sh // 2),
                          _random_colour(rng, 150, 235), -1)


def draw_background(
    rng: np.random.Generator,
    size: tuple[int, int],
    glow_quad: np.ndarray,
    glow_colour: tuple[int, int, int],
    glow: float,
) -> np.ndarray:
    """A blurred cluttered room of `size` (w, h) lit by the screen through `glow_quad`.

    `glow` (0..1) is how much screen light spills onto the surroundings: strong in dark rooms,
    which is what turns desks purple.
    """
    w, h = size
    lw, lh = max(8, w // _LOW_RES), max(8, h // _LOW_RES)
    top, bottom = _random_colour(rng, 15, 140), _random_colour(rng, 10, 120)
    ramp = np.linspace(0, 1, lh, dtype=np.float32)[:, None, None]
    canvas = (np.array(top, np.float32) * (1 - ramp) + np.array(bottom, np.float32) * ramp)
    canvas = np.repeat(canvas, lw, axis=1).astype(np.uint8)
    desk_y = int(rng.uniform(0.55, 0.95) * lh)
    cv2.rectangle(canvas, (0, desk_y), (lw, lh), _random_colour(rng, 20, 130), -1)
    _clutter(canvas, rng, int(rng.integers(6, 20)))
    quad = (glow_quad / _LOW_RES).astype(np.float32)
    # Monitor stand under the screen.
    bottom_mid = (quad[2] + quad[3]) / 2
    stand_w = np.linalg.norm(quad[2] - quad[3]) * rng.uniform(0.08, 0.2)
    spread = np.array([[-stand_w / 2, 0], [stand_w / 2, 0], [stand_w, lh * 0.25],
                       [-stand_w, lh * 0.25]])
    stand = bottom_mid + spread
    cv2.fillConvexPoly(canvas, stand.astype(np.int32), _random_colour(rng, 10, 45))
    if glow > 0:
        light = np.zeros((lh, lw), np.float32)
        cv2.fillConvexPoly(light, quad.astype(np.int32), 1.0)
        light = cv2.GaussianBlur(light, (0, 0), max(2.0, 0.25 * lw))
        light = (light / max(float(light.max()), 1e-6) * glow)[:, :, None]
        lit = canvas.astype(np.float32) * (1 - 0.5 * light) + light * np.array(glow_colour)
        canvas = np.clip(lit, 0, 255).astype(np.uint8)
    canvas = cv2.GaussianBlur(canvas, (0, 0), float(rng.uniform(0.6, 2.0)))
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_LINEAR)


def draw_bezel(image: np.ndarray, bezel_quad: np.ndarray, panel_quad: np.ndarray,
               rng: np.random.Generator) -> None:
    """Paint the monitor body (dark plastic, a lighter lip, a power LED) in place."""
    shift = 4  # fixed-point bits for sub-pixel polygon corners
    def fixed(quad: np.ndarray) -> np.ndarray:
        return np.round(quad * (1 << shift)).astype(np.int32)
    body = _random_colour(rng, 12, 55)
    cv2.fillConvexPoly(image, fixed(bezel_quad), body, cv2.LINE_AA, shift)
    lip = tuple(min(255, c + int(rng.integers(5, 30))) for c in body)
    cv2.polylines(image, [fixed(bezel_quad)], True, lip, 2, cv2.LINE_AA, shift)
    cv2.polylines(image, [fixed(panel_quad)], True, tuple(c // 2 for c in body), 2, cv2.LINE_AA,
                  shift)
    if rng.random() < 0.6:
        led = bezel_quad[2] * 0.15 + bezel_quad[3] * 0.85
        led = led * 0.7 + (panel_quad[2] * 0.15 + panel_quad[3] * 0.85) * 0.3
        colour = (60, 230, 255) if rng.random() < 0.5 else (255, 255, 255)
        cv2.circle(image, tuple(int(c) for c in led), 3, colour, -1, cv2.LINE_AA)
