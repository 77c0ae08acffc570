"""Render PSOD text into the framebuffer image the console would show, with per-cell ground truth.

The layout follows what real captures show: ESXi 5+ draws a 128x48 grid of 8x16 cells into a
1024x768 framebuffer from the top-left corner with no margin, hard-wrapping long lines; ESX 3.x/4.x
used VGA text mode, 80x25 cells of 9x16 (720x400). Colours are the VGA palette.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .fonts import ConsoleFont, load_font

__all__ = [
    "BACKGROUND",
    "LAYOUTS",
    "WHITE",
    "YELLOW",
    "Layout",
    "RenderedScreen",
    "guess_layout",
    "is_boot_error_screen",
    "render_screen",
    "wrap_text",
]

BACKGROUND = (170, 0, 170)
WHITE = (255, 255, 255)
YELLOW = (255, 255, 85)

_BOOT_ERROR_MARK = "The system has found a problem on your machine"
_TEXT_MODE_BANNER = re.compile(r"^\s*VMware ESXi? (?:Server\b|\[|[34]\.)")


@dataclass(frozen=True)
class Layout:
    """A console text grid: `cols` x `rows` cells of `cell_w` x `cell_h` pixels."""

    name: str
    cols: int
    rows: int
    cell_w: int
    cell_h: int
    default_font: str

    @property
    def size(self) -> tuple[int, int]:
        """Framebuffer (width, height) in pixels."""
        return self.cols * self.cell_w, self.rows * self.cell_h


LAYOUTS: dict[str, Layout] = {
    "esxi": Layout("esxi", 128, 48, 8, 16, "esxi-like"),
    "esx_text": Layout("esx_text", 80, 25, 9, 16, "default8x16"),
}


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class RenderedScreen:
    """A rendered framebuffer and what each text row holds.

    `rows` has one entry per screen row (`rows_n` of them, blank rows as ""), exactly as displayed
    after wrapping; character `c` of row `r` occupies pixels x in [c*cell_w, (c+1)*cell_w),
    y in [r*cell_h, (r+1)*cell_h). `cut_rows` counts wrapped rows that fell below the grid.
    """

    image: np.ndarray
    rows: list[str]
    cell_w: int
    cell_h: int
    cols: int
    rows_n: int
    layout: str = "esxi"
    font: str = ""
    cut_rows: int = 0
    yellow_rows: tuple[int, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        """The displayed rows joined by newlines, trailing blank rows removed."""
        rows = list(self.rows)
        while rows and not rows[-1]:
            rows.pop()
        return "\n".join(rows)


def is_boot_error_screen(text: str) -> bool:
    """The boot-time fatal error screen draws everything in white (no yellow banner)."""
    return _BOOT_ERROR_MARK in text


def guess_layout(text: str) -> str:
    """'esx_text' for ESX 3.x/4.x banners (VGA text mode), else 'esxi'."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "esx_text" if _TEXT_MODE_BANNER.match(first) else "esxi"


def _clean_line(line: str) -> str:
    line = line.replace("\r", "").expandtabs(8)
    return line.rstrip("\n")


def wrap_text(text: str, cols: int) -> tuple[list[str], list[int]]:
    """Split text into screen rows the way the console does; also each row's source line index.

    A line longer than `cols` continues at column 0 of the next row. A line whose length is a
    non-zero multiple of `cols` leaves an empty row after it (the cursor already wrapped before
    the newline). A single trailing newline does not add a row.
    """
    if text.endswith("\n"):
        text = text[:-1]
    rows: list[str] = []
    sources: list[int] = []
    for index, raw in enumerate(text.split("\n")):
        line = _clean_line(raw)
        chunks = [line[i : i + cols] for i in range(0, len(line), cols)] or [""]
        if line and len(line) % cols == 0:
            chunks.append("")
        rows.extend(chunks)
        sources.extend([index] * len(chunks))
    return rows, sources


def _glyph_atlas(font: ConsoleFont, chars: list[str], cell_w: int) -> np.ndarray:
    """Stack the glyphs of `chars` into (N, cell_h, cell_w) bool cells; index 0 is blank."""
    atlas = np.zeros((len(chars) + 1, font.height, cell_w), dtype=bool)
    for i, char in enumerate(chars, start=1):
        glyph = font.glyph(char)
        atlas[i, :, : glyph.shape[1]] = glyph[:, :cell_w]
    return atlas


def _resolve(font: ConsoleFont | str | None, layout: Layout) -> ConsoleFont:
    if font is None:
        return load_font(layout.default_font)
    if isinstance(font, str):
        return load_font(font)
    return font


def render_screen(
    text: str,
    font: ConsoleFont | str | None = None,
    layout: str | Layout = "esxi",
    *,
    header_yellow: bool | None = None,
    background: tuple[int, int, int] = BACKGROUND,
) -> RenderedScreen:
    """Draw `text` as the purple screen shows it and return the RGB image with the row ground truth.

    `header_yellow=None` colours the first source line yellow when it is the banner (a screen
    cropped below it, or the boot-time error screen, is all white). Characters missing from the
    font show as '?'.
    """
    grid = LAYOUTS[layout] if isinstance(layout, str) else layout
    face = _resolve(font, grid)
    if face.height != grid.cell_h or face.width > grid.cell_w:
        raise ValueError(
            f"font {face.name} is {face.width}x{face.height}; layout {grid.name} needs glyphs of "
            f"at most {grid.cell_w}x{grid.cell_h}"
        )
    wrapped, sources = wrap_text(text, grid.cols)
    cut = max(0, len(wrapped) - grid.rows)
    shown = wrapped[: grid.rows] + [""] * max(0, grid.rows - len(wrapped))
    shown_sources = sources[: grid.rows] + [-1] * max(0, grid.rows - len(sources))
    if header_yellow is None:
        first = text.lstrip("\n").split("\n", 1)[0]
        header_yellow = "Mware ESX" in first and not is_boot_error_screen(text)
    yellow = tuple(r for r, src in enumerate(shown_sources) if header_yellow and src == 0)

    chars = sorted({c for row in shown for c in row} - {" "})
    index = {c: i for i, c in enumerate(chars, start=1)}
    codes = np.zeros((grid.rows, grid.cols), dtype=np.int32)
    for r, row in enumerate(shown):
        codes[r, : len(row)] = [index.get(c, 0) for c in row]
    atlas = _glyph_atlas(face, chars, grid.cell_w)
    ink = atlas[codes]  # rows, cols, cell_h, cell_w
    ink = ink.transpose(0, 2, 1, 3).reshape(grid.rows * grid.cell_h, grid.cols * grid.cell_w)

    image = np.empty((*ink.shape, 3), dtype=np.uint8)
    image[:] = background
    colour = np.empty((grid.rows, 3), dtype=np.uint8)
    colour[:] = WHITE
    if yellow:
        colour[list(yellow)] = YELLOW
    per_pixel_row = np.repeat(colour, grid.cell_h, axis=0)[:, None, :]
    np.copyto(image, np.broadcast_to(per_pixel_row, image.shape), where=ink[:, :, None])
    return RenderedScreen(
        image=image,
        rows=shown,
        cell_w=grid.cell_w,
        cell_h=grid.cell_h,
        cols=grid.cols,
        rows_n=grid.rows,
        layout=grid.name,
        font=face.name,
        cut_rows=cut,
        yellow_rows=yellow,
    )
