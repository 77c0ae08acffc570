"""Linux console bitmap fonts (PSF1/PSF2), read from the system at run time.

Both the capture renderer and the cell recogniser need console glyphs; no bitmap ships with the
package. Debian's console-setup-linux, console-data and fonts-terminus install the files.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CONSOLE_FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/consolefonts"),
    Path("/usr/share/kbd/consolefonts"),
    Path("/usr/lib/kbd/consolefonts"),
)

_PSF1_MAGIC = b"\x36\x04"
_PSF2_MAGIC = b"\x72\xb5\x4a\x86"
_PSF1_MODE512 = 0x01
_PSF1_MODEHASTAB = 0x02
_PSF1_MODESEQ = 0x04
_PSF2_HAS_UNICODE_TABLE = 0x01


class FontNotInstalledError(LookupError):
    """The named console font is not installed (or is not a PSF font)."""


class FontFormatError(ValueError):
    """The file is not a PSF1/PSF2 font or is truncated."""


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class ConsoleFont:
    """A fixed-cell bitmap font: `glyphs` maps one character to a bool array of `height` x `width`.

    `width` is the glyph cell width in pixels; a renderer may place glyphs in wider cells
    (9-px VGA text cells).
    """

    name: str
    width: int
    height: int
    glyphs: dict[str, np.ndarray]

    def glyph(self, char: str) -> np.ndarray:
        """Glyph for `char`; unknown characters fall back to '?' then to a blank cell."""
        found = self.glyphs.get(char)
        if found is None:
            found = self.glyphs.get("?")
        if found is None:
            found = np.zeros((self.height, self.width), dtype=bool)
        return found


def _bits_to_glyphs(data: bytes, count: int, height: int, width: int) -> np.ndarray:
    """Unpack `count` glyphs of row-padded MSB-first bits into a bool array (count, H, W)."""
    row_bytes = (width + 7) // 8
    size = row_bytes * height
    raw = np.frombuffer(data[: count * size], dtype=np.uint8)
    if raw.size != count * size:
        raise FontFormatError("glyph data truncated")
    bits = np.unpackbits(raw.reshape(count, height, row_bytes), axis=2)
    return bits[:, :, :width].astype(bool)


def _psf1(data: bytes) -> tuple[np.ndarray, dict[str, int]]:
    if len(data) < 4 or data[3] == 0:
        raise FontFormatError("PSF1 header truncated")
    mode, charsize = data[2], data[3]
    count = 512 if mode & _PSF1_MODE512 else 256
    glyphs = _bits_to_glyphs(data[4:], count, charsize, 8)
    table: dict[str, int] = {}
    if mode & (_PSF1_MODEHASTAB | _PSF1_MODESEQ):
        pos = 4 + count * charsize
        words = np.frombuffer(data[pos : pos + (len(data) - pos) // 2 * 2], dtype="<u2")
        index = 0
        in_sequence = False
        for word in words.tolist():
            if index >= count:
                break
            if word == 0xFFFF:
                index += 1
                in_sequence = False
            elif word == 0xFFFE:
                in_sequence = True
            elif not in_sequence:
                table.setdefault(chr(word), index)
    return glyphs, table


def _psf2(data: bytes) -> tuple[np.ndarray, dict[str, int]]:
    if len(data) < 32:
        raise FontFormatError("PSF2 header truncated")
    _, headersize, flags, count, charsize, height, width = struct.unpack("<7I", data[4:32])
    if charsize != height * ((width + 7) // 8):
        raise FontFormatError("PSF2 charsize does not match width x height")
    glyphs = _bits_to_glyphs(data[headersize:], count, height, width)
    table: dict[str, int] = {}
    if flags & _PSF2_HAS_UNICODE_TABLE:
        pos = headersize + count * charsize
        for index, entry in enumerate(data[pos:].split(b"\xff")[:count]):
            singles = entry.split(b"\xfe", 1)[0]
            for char in singles.decode("utf-8", errors="ignore"):
                table.setdefault(char, index)
    return glyphs, table


def parse_psf(data: bytes, name: str = "font") -> ConsoleFont:
    """Parse PSF1 or PSF2 bytes (gzip or plain) into a ConsoleFont keyed by character.

    Without a unicode table, glyph index N stands for code point N (fine for ASCII).
    """
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data[:2] == _PSF1_MAGIC:
        bitmaps, table = _psf1(data)
    elif data[:4] == _PSF2_MAGIC:
        bitmaps, table = _psf2(data)
    else:
        raise FontFormatError(f"{name}: not a PSF1/PSF2 font")
    if not table:
        table = {chr(i): i for i in range(len(bitmaps))}
    else:
        # Fallback for printable ASCII the table forgot: glyph N is code point N in PSF fonts.
        for code in range(0x20, min(0x7F, len(bitmaps))):
            table.setdefault(chr(code), code)
    glyphs = {char: bitmaps[index] for char, index in table.items() if index < len(bitmaps)}
    for bitmap in glyphs.values():
        bitmap.setflags(write=False)
    height, width = bitmaps.shape[1:]
    return ConsoleFont(name=name, width=int(width), height=int(height), glyphs=glyphs)


def find_font_file(file: str) -> Path | None:
    """Path of an installed console font by its file stem (e.g. 'Lat15-TerminusBold16')."""
    for folder in CONSOLE_FONT_DIRS:
        for suffix in (".psf.gz", ".psfu.gz", ".psf", ".psfu"):
            path = folder / f"{file}{suffix}"
            if path.is_file():
                return path
    return None


def with_esxi_quirks(font: ConsoleFont, name: str) -> ConsoleFont:
    """Give a loaded font the ESXi console's two tell-tale glyphs, edited in code.

    The zero gets its inner mark replaced by a 1-px-wide, 2-row centre dot (as on real ESXi
    screens), and the straight double quote is drawn with the font's right double quotation mark
    (ESXi shows "Escape" with slanted quotes). No bitmap is stored anywhere.
    """
    glyphs = dict(font.glyphs)
    zero = font.glyphs.get("0")
    if zero is not None and zero.any():
        rows = np.flatnonzero(zero.any(axis=1))
        cols = np.flatnonzero(zero.any(axis=0))
        top, bottom, left, right = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
        middle = (top + bottom) // 2
        stroke = int(np.argmax(~zero[middle, left : right + 1]))
        dotted = zero.copy()
        # Clear the interior, then restore the ring's inner edge from the capital O if it
        # shares the zero's bounding box (keeps rounded corners), and add the dot.
        dotted[top + 1 : bottom, left + stroke : right - stroke + 1] = False
        ring_o = font.glyphs.get("O")
        if ring_o is not None and np.array_equal(ring_o.any(axis=1), zero.any(axis=1)):
            dotted |= ring_o & zero
        dotted[middle : middle + 2, (left + right) // 2] = True
        dotted.setflags(write=False)
        glyphs["0"] = dotted
    if "\u201d" in glyphs:
        glyphs['"'] = glyphs["\u201d"]
    return ConsoleFont(name=name, width=font.width, height=font.height, glyphs=glyphs)


def read_font(file: str) -> ConsoleFont | None:
    """An installed console font by file stem, or None when it is missing or unreadable."""
    path = find_font_file(file)
    if path is None:
        return None
    try:
        return parse_psf(path.read_bytes(), file)
    except (OSError, FontFormatError):
        return None
