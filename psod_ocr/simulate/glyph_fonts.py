"""Every installed monospace font's printable ASCII as console cells, for training a glyph model.

The learned glyph namer (recognise/model.py) must not learn one font's quirks, so it is trained on
as many fonts as Debian installs: console PSF fonts (console-setup-linux, console-data,
fonts-terminus), X11 bitmap fonts in PCF (xfonts-base, xfonts-75dpi, xfonts-100dpi,
xfonts-terminus, xfonts-jmk, fonts-spleen) and outline programming fonts drawn without
anti-aliasing into 8x16 and 9x16 cells, as a framebuffer console would draw them. Only training
and its tests read these files; the reader itself never does.

Whole families are kept out of training (HELD_OUT) so that accuracy on fonts never seen can be
measured; ``family_of`` says which family a font belongs to by its name.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, PcfFontFile

from ..fonts import CONSOLE_FONT_DIRS, ConsoleFont, FontFormatError, parse_psf, with_esxi_quirks

ALPHABET = "".join(chr(c) for c in range(33, 127))
HEIGHTS = range(8, 21)  # font pixels of a cell's height a console font may have ...
WIDTHS = range(5, 11)  # ... and of its width
OUTLINE_CELLS = ((8, 16), (9, 16))  # cells (W, H) an outline font is drawn into
X11_DIRS = tuple(Path("/usr/share/fonts/X11") / d for d in ("misc", "75dpi", "100dpi"))
OUTLINE_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"),
                Path("/usr/share/fonts/fonts-go"))  # fmt: skip
# X11 files that are one font in another encoding, or hold no Latin letters
PCF_SKIP = re.compile(r"-(ISO8859-(?!1\b)|KOI8)|_(?!iso-8859-1\b)[a-z0-9-]+\.pcf|iso(10646|8859-(?!1-))|"
                      r"ja|ko|rk|JIS|gb\d|hang|jiskan|k14|^cu|^ol|dec|cursor|micro|nil|arabic|-1-\d+x\d+.*alt",
                      re.IGNORECASE)  # fmt: skip
# braille and gothic console fonts; outline faces too thin or too wide to draw a console cell;
# Anonymous Pro, whose small sizes draw its 8 as a 3
SKIP = re.compile(r"brl-|medieval|Anonymous|Extended|Wide|UltraLight|ExtraLight|Thin|unifont_", re.IGNORECASE)
SLANTED = re.compile(r"italic|oblique|(^|[-_ ])(B?I|BO|O)(\.|$)|[RB]?O\d\d$|BO\d\d$|clI", re.IGNORECASE)

# name pattern -> family; a font matching none is its own family. The families kept out of
# training: X11 "Fixed" (the template bank leaves it out too), Courier, Bitstream Vera's
# descendants (DejaVu Sans Mono, Hack) and Spleen.
FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("fixed", re.compile(r"Fixed\d|grfixed|^pcf:misc/\d+x\d+[BO]?$", re.IGNORECASE)),
    ("courier", re.compile(r"grcourier|^pcf:(75|100)dpi/cour|FreeMono|Courier", re.IGNORECASE)),
    ("vera", re.compile(r"DejaVuSansMono|Hack-", re.IGNORECASE)),
    ("spleen", re.compile(r"spleen", re.IGNORECASE)),
    ("terminus", re.compile(r"Terminus|ter-u\d", re.IGNORECASE)),
)
HELD_OUT = ("fixed", "courier", "vera", "spleen")


def family_of(name: str) -> str:
    """The family a font's name says it belongs to; the name itself when none."""
    for family, pattern in FAMILIES:
        if pattern.search(name):
            return family
    return name


def complete(font: ConsoleFont) -> bool:
    """Every printable ASCII character has a glyph with ink of its own (a font drawing '?' for
    what it lacks would teach the model wrong names)."""
    if not all(ch in font.glyphs and font.glyphs[ch].any() for ch in ALPHABET):
        return False
    # (nor one drawing the same box for all it lacks)
    return len({font.glyphs[ch].tobytes() for ch in ALPHABET}) >= len(ALPHABET) - 4


def psf_fonts() -> Iterator[ConsoleFont]:
    """Console fonts, plus Terminus Bold 16 with the ESXi console's dotted zero."""
    seen: set[str] = set()
    for folder in CONSOLE_FONT_DIRS:
        for path in sorted(folder.glob("*.psf*")) if folder.is_dir() else ():
            stem = path.name.split(".psf")[0]
            if stem in seen:
                continue
            seen.add(stem)
            try:
                font = parse_psf(path.read_bytes(), f"psf:{stem}")
            except (OSError, FontFormatError):
                continue
            if font.height in HEIGHTS and font.width in WIDTHS and complete(font):
                yield font
                if stem == "Lat15-TerminusBold16":
                    yield with_esxi_quirks(font, "psf:esxi-like")


def pcf_font(path: Path, name: str) -> ConsoleFont | None:
    """An X11 bitmap font as fixed cells, or None when it is proportional or out of size."""
    try:
        pcf = PcfFontFile.PcfFontFile(io.BytesIO(gzip.decompress(path.read_bytes())), "iso8859-1")
    except (OSError, SyntaxError, ValueError, KeyError, EOFError):
        return None
    glyphs = {ch: pcf.glyph[ord(ch)] for ch in ALPHABET + " "}
    if any(g is None for g in glyphs.values()):
        return None
    advances = {g[0][0] for g in glyphs.values()}
    if len(advances) != 1:
        return None
    width = advances.pop()
    ascent = max(-g[1][1] for g in glyphs.values())
    descent = max(g[1][3] for g in glyphs.values())
    height = ascent + descent
    if width not in WIDTHS or height not in HEIGHTS:
        return None
    cells = {}
    for ch, (_, (x0, y0, _, _), _, image) in glyphs.items():
        cell = np.zeros((height, width), dtype=bool)
        bitmap = np.asarray(image.convert("L")) > 127 if image is not None else np.zeros((0, 0), bool)
        top = ascent + y0
        h, w = bitmap.shape
        ys, xs = slice(max(top, 0), min(top + h, height)), slice(max(x0, 0), min(x0 + w, width))
        cell[ys, xs] = bitmap[ys.start - top : ys.stop - top, xs.start - x0 : xs.stop - x0]
        cells[ch] = cell
    font = ConsoleFont(name, width, height, cells)
    return font if complete(font) else None


def pcf_fonts() -> Iterator[ConsoleFont]:
    for folder in X11_DIRS:
        for path in sorted(folder.glob("*.pcf.gz")) if folder.is_dir() else ():
            stem = path.name.removesuffix(".pcf.gz")
            if PCF_SKIP.search(stem) or SLANTED.search(stem):
                continue
            font = pcf_font(path, f"pcf:{folder.name}/{stem}")
            if font is not None:
                yield font


def outline_font(path: Path, cell: tuple[int, int]) -> ConsoleFont | None:
    """An outline font drawn without anti-aliasing into ``cell`` (W, H), at the largest size
    whose advance fits the width and whose glyphs, all together, fit the height; None when it
    is not monospace or fits nowhere."""
    width, height = cell
    for size in range(24, 7, -1):
        try:
            face = ImageFont.truetype(str(path), size)
        except OSError:
            return None
        advances = {round(face.getlength(ch), 2) for ch in "iMW0l."}
        if len(advances) != 1:
            return None
        advance = advances.pop()
        boxes = [face.getbbox(ch) for ch in ALPHABET]
        top, bottom = min(b[1] for b in boxes), max(b[3] for b in boxes)
        if advance <= width + 0.5 and bottom - top <= height:
            break
    else:
        return None
    x = round((width - advance) / 2)
    y = (height - (bottom - top)) // 2 - top
    cells = {}
    for ch in ALPHABET:
        image = Image.new("1", (width, height), 0)
        draw = ImageDraw.Draw(image)
        draw.fontmode = "1"
        draw.text((x, y), ch, fill=1, font=face)
        cells[ch] = np.asarray(image, dtype=bool)
    font = ConsoleFont(f"outline:{path.stem}@{width}x{height}", width, height, cells)
    return font if complete(font) else None


def outline_fonts() -> Iterator[ConsoleFont]:
    found = {p for d in OUTLINE_DIRS if d.is_dir() for p in d.rglob("*") if p.suffix in (".ttf", ".otf")}
    paths = sorted(found)
    for path in paths:
        if SLANTED.search(path.stem):
            continue
        for cell in OUTLINE_CELLS:
            font = outline_font(path, cell)
            if font is None:
                break  # not monospace
            yield font


def all_fonts() -> list[ConsoleFont]:
    """Every usable installed font, each distinct ASCII set once (many console files share one):
    the first of each in a fixed order, so that the list is the same on every run."""
    out, seen = [], set()
    for font in (*psf_fonts(), *pcf_fonts(), *outline_fonts()):
        if SKIP.search(font.name):
            continue
        key = (font.width, font.height, b"".join(np.packbits(font.glyphs[ch]).tobytes() for ch in ALPHABET))
        if key not in seen:
            seen.add(key)
            out.append(font)
    return out
