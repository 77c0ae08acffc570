"""Capture renderer and simulator: synthetic purple-screen images with exact ground truth.

`render_screen` draws PSOD text as the console does; `simulate_kvm_screenshot` and
`simulate_phone_photo` turn that framebuffer into the kind of image users upload; `simulate`
does both from one seed. Fonts are read from the system's console fonts at run time.
"""

from .capture import Simulation, capture_screen, simulate
from .fonts import (
    FONT_SETS,
    ConsoleFont,
    FontNotInstalledError,
    FontSpec,
    available_fonts,
    font_names,
    load_font,
    parse_psf,
)
from .kvm import simulate_kvm_screenshot
from .photo import simulate_phone_photo
from .result import Capture
from .screen import LAYOUTS, RenderedScreen, guess_layout, render_screen, wrap_text

__all__ = [
    "FONT_SETS",
    "LAYOUTS",
    "Capture",
    "ConsoleFont",
    "FontNotInstalledError",
    "FontSpec",
    "RenderedScreen",
    "Simulation",
    "available_fonts",
    "capture_screen",
    "font_names",
    "guess_layout",
    "load_font",
    "parse_psf",
    "render_screen",
    "simulate",
    "simulate_kvm_screenshot",
    "simulate_phone_photo",
    "wrap_text",
]
