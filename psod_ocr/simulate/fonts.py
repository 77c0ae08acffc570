"""Console bitmap fonts for the capture renderer, loaded from the system at run time.

ESXi draws its purple screen with its own 8x16 bitmap font, which is close to Terminus Bold 8x16
with a dotted zero; ESX 3.x/4.x used the video BIOS font in VGA text mode. Rather than ship any
glyph bitmaps, the renderer reads Linux console fonts (PSF1/PSF2, as installed by the Debian
packages console-setup-linux, console-data and fonts-terminus) and maps each character through
the font's unicode table. Several fonts with different zeros keep a recogniser from learning one
font's quirks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..fonts import (
    CONSOLE_FONT_DIRS,
    ConsoleFont,
    FontFormatError,
    FontNotInstalledError,
    find_font_file,
    parse_psf,
    with_esxi_quirks,
)

__all__ = [
    "CONSOLE_FONT_DIRS",
    "FONT_SETS",
    "ConsoleFont",
    "FontFormatError",
    "FontNotInstalledError",
    "FontSpec",
    "available_fonts",
    "find_font_file",
    "font_names",
    "font_specs",
    "load_font",
    "parse_psf",
]


@dataclass(frozen=True)
class FontSpec:
    """A font the simulator uses: the installed file stem, what it stands for, its zero style."""

    name: str
    role: str
    zero: str
    file: str
    esxi_quirks: bool = False


FONT_SETS: dict[str, tuple[FontSpec, ...]] = {
    # ESXi 5.0-8.0 framebuffer console: 8x16 cells. Every font here has a different zero, on
    # purpose (lat9w-16's zero equals esxi-like's, default8x16's equals Terminus Bold's).
    "esxi": (
        FontSpec(
            "esxi-like",
            "ESXi 5+ look-alike: Terminus Bold 8x16, zero edited to a centre dot",
            "dotted: 1-px centre dot, 2-px stems",
            "Lat15-TerminusBold16",
            esxi_quirks=True,
        ),
        FontSpec(
            "Lat15-TerminusBold16",
            "ESXi 5+ closest stock font (2-px stems)",
            "slashed: short diagonal, bold",
            "Lat15-TerminusBold16",
        ),
        FontSpec(
            "Lat15-Terminus16",
            "ESXi 5+ variant: Terminus regular, 1-px stems",
            "slashed: full diagonal, thin",
            "Lat15-Terminus16",
        ),
        FontSpec(
            "Lat15-Fixed16",
            "ESXi 5+ variant: X11 fixed, narrow thin glyphs",
            "slashed: thin, narrow oval",
            "Lat15-Fixed16",
        ),
        FontSpec(
            "Lat15-VGA16",
            "ESXi 5+ variant: IBM VGA-like, rounded",
            "dotted: 1x2 dot, rounded corners",
            "Lat15-VGA16",
        ),
        FontSpec(
            "lat0-16",
            "ESXi 5+ variant: VGA derivative (lat0/lat1 family)",
            "slashed: steep 2-row stroke",
            "lat0-16",
        ),
        FontSpec(
            "altb-8x16",
            "ESXi 5+ variant: tall (12-row) bold digits",
            "slashed: short diagonal, tall oval",
            "altb-8x16",
        ),
        FontSpec(
            "LatArCyrHeb-16",
            "ESXi 5+ variant: tall (12-row) digits",
            "slashed: long steep stroke, tall",
            "LatArCyrHeb-16",
        ),
        FontSpec("grcourier", "ESXi 5+ variant: thin courier-like", "plain: empty oval, thin", "grcourier"),
    ),
    # ESX 3.x/4.x VGA text mode: 8-px BIOS-like glyphs drawn in 9x16 cells.
    "esx_text": (
        FontSpec(
            "default8x16",
            "ESX 3.x/4.x VGA text mode, IBM VGA ROM style",
            "slashed: short diagonal",
            "default8x16",
        ),
        FontSpec(
            "Lat15-VGA16", "ESX 3.x/4.x VGA text mode, VGA-like BIOS font", "dotted: 1x2 dot", "Lat15-VGA16"
        ),
        FontSpec(
            "cp850-8x16",
            "ESX 3.x/4.x VGA text mode, DOS code page font",
            "dotted: 1x2 dot, narrow",
            "cp850-8x16",
        ),
        FontSpec(
            "iso01a-8x16",
            "ESX 3.x/4.x VGA text mode, wide BIOS font",
            "dotted: 2x2 dot, full 8-px width",
            "iso01a-8x16",
        ),
    ),
}


def font_specs(layout: str | None = None) -> list[FontSpec]:
    """The fonts the simulator uses for a layout ('esxi', 'esx_text') or for all layouts."""
    layouts = [layout] if layout else list(FONT_SETS)
    specs: dict[str, FontSpec] = {}
    for key in layouts:
        for spec in FONT_SETS[key]:
            specs.setdefault(spec.name, spec)
    return list(specs.values())


def font_names(layout: str | None = None) -> list[str]:
    """Names of the fonts the simulator uses (installed or not)."""
    return [spec.name for spec in font_specs(layout)]


def available_fonts(layout: str | None = None) -> list[str]:
    """Names from `font_names(layout)` whose font file is installed on this system."""
    return [spec.name for spec in font_specs(layout) if find_font_file(spec.file)]


def _spec(name: str) -> FontSpec:
    for spec in font_specs():
        if spec.name == name:
            return spec
    return FontSpec(name, "any installed console font", "unknown", name)


@lru_cache(maxsize=64)
def load_font(name: str) -> ConsoleFont:
    """Load a font by simulator name (see FONT_SETS) or by installed console-font file stem.

    Raises FontNotInstalledError naming the Debian packages to install when the file is missing.
    """
    spec = _spec(name)
    path = find_font_file(spec.file)
    if path is None:
        searched = ", ".join(str(folder) for folder in CONSOLE_FONT_DIRS)
        raise FontNotInstalledError(
            f"console font {spec.file!r} (for {name!r}) is not installed; searched {searched}. "
            "Install console-setup-linux, console-data and fonts-terminus."
        )
    try:
        font = parse_psf(path.read_bytes(), name)
    except FontFormatError as error:
        raise FontNotInstalledError(f"{path} is not a usable PSF font: {error}") from error
    return with_esxi_quirks(font, name) if spec.esxi_quirks else font
