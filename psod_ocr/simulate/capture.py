"""One entry point for simulated captures: render a PSOD text and photograph or screenshot it.

Benchmarks and tests need many varied, reproducible captures with known ground truth; this ties
the font choice, the layout, the renderer and the capture simulators to a single seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .fonts import ConsoleFont, available_fonts, load_font
from .kvm import simulate_kvm_screenshot
from .photo import simulate_phone_photo
from .result import Capture, CaptureKind
from .screen import RenderedScreen, guess_layout, render_screen

__all__ = [
    "Capture",
    "Simulation",
    "capture_screen",
    "simulate",
    "simulate_kvm_screenshot",
    "simulate_phone_photo",
]


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class Simulation:
    """A rendered screen (the ground truth) and its simulated capture."""

    screen: RenderedScreen
    capture: Capture


def capture_screen(
    screen: RenderedScreen | np.ndarray,
    kind: CaptureKind,
    seed: int | np.random.Generator = 0,
    severity: str = "mild",
    **options: Any,
) -> Capture:
    """Simulate a capture of an already rendered screen. `options` go to the simulator."""
    if kind == "kvm_screenshot":
        return simulate_kvm_screenshot(screen, seed, **options)
    if kind == "phone_photo":
        return simulate_phone_photo(screen, seed, severity, **options)
    raise ValueError(f"unknown capture kind {kind!r}")


def simulate(
    text: str,
    kind: CaptureKind,
    seed: int = 0,
    font: str | ConsoleFont | None = None,
    layout: str | None = None,
    severity: str = "mild",
    **options: Any,
) -> Simulation:
    """Render `text` and capture it, all decided by `seed`.

    `layout=None` guesses from the banner (ESX 3.x/4.x -> VGA text mode). `font=None` picks one
    of the installed fonts for that layout at random (from the seed).
    """
    rng = np.random.default_rng(seed)
    layout = layout or guess_layout(text)
    font_seed, capture_seed = rng.integers(2**63, size=2)
    if font is None:
        names = available_fonts(layout)
        if not names:
            raise LookupError(f"no font for layout {layout!r} is installed")
        font = names[int(np.random.default_rng(font_seed).integers(len(names)))]
    face = load_font(font) if isinstance(font, str) else font
    screen = render_screen(text, face, layout)
    capture = capture_screen(screen, kind, np.random.default_rng(capture_seed), severity,
                             **options)
    capture.params.update({"font": face.name, "layout": layout, "seed": seed,
                           "severity": severity if kind == "phone_photo" else None})
    return Simulation(screen=screen, capture=capture)
