"""Name a screen's glyph clusters by comparing them with installed console fonts.

Console fonts differ in detail but agree on the shape of each character far more than they
agree with any other character: a ``1`` has a flag and a foot in nearly every font, an ``l`` a
flag and no foot. So a cluster of identical cells is compared with the same character drawn in
many installed fonts; when one font matches the whole screen closely, the screen is in that font
and its glyphs name the clusters outright. No glyph bitmap ships with the package: the fonts are
read at run time (see data/glyph_fonts.toml for which, and which are left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import cv2
import numpy as np

from ..fonts import ConsoleFont, read_font, with_esxi_quirks
from ..knowledge import _read
from .period import gap_cut

ALPHABET = "".join(chr(c) for c in range(33, 127))
BLUR = 0.8  # both sides are blurred alike so that one-pixel stroke differences count less ...
TEMPLATE_BLURS = (0.8, 1.1, 1.4)  # ... and the templates as much more as the screen is blurred
PLACE_TOLERANCE = 1.5  # font pixels a glyph may sit off its template's place in the cell
PLACE_PENALTY = 0.03  # similarity lost per font pixel beyond that (tells , from ' and - from _)


@dataclass(frozen=True, eq=False)  # holds arrays
class GlyphBank:
    """Every alphabet glyph of every template font, each centred on its own ink."""

    fonts: tuple[str, ...]
    vectors: np.ndarray  # (fonts * chars, cell pixels): zero-mean, unit length
    places: np.ndarray  # (fonts * chars, 2): ink centre's offset from the cell's, font pixels
    kinship: np.ndarray  # (fonts, fonts): mean similarity of the two fonts' same characters

    def similarity(
        self, patches: np.ndarray | Centred, scale: tuple[float, float], fonts: np.ndarray | None = None
    ) -> np.ndarray:
        """Similarity of each resampled cell with each font's glyphs: (patches, fonts, chars),
        for all fonts or those ``fonts`` marks. ``scale``: resampled pixels per font pixel."""
        keep = np.ones(len(self.fonts), dtype=bool) if fonts is None else np.asarray(fonts, dtype=bool)
        rows = np.repeat(keep, len(ALPHABET))
        centred = patches if isinstance(patches, Centred) else centre_all(patches)
        sims = normalise(centred.cells) @ self.vectors[rows].T
        # ink centre against the cell's centre (W/2 in the resampled cell), in font pixels
        offsets = ((centred.places - 0.5) / np.asarray(scale)).astype(np.float32)
        places = self.places[rows].astype(np.float32)
        dx = offsets[:, None, 0] - places[None, :, 0]
        dy = offsets[:, None, 1] - places[None, :, 1]
        apart = np.sqrt(dx * dx + dy * dy)
        sims -= PLACE_PENALTY * np.maximum(0.0, apart - PLACE_TOLERANCE)
        return sims.reshape(len(centred.cells), int(keep.sum()), len(ALPHABET))


@dataclass(frozen=True, eq=False)  # holds arrays
class Centred:
    """Cells shifted so their ink centre is the cell's, and how far off each was."""

    cells: np.ndarray
    places: np.ndarray  # (cells, 2): x, y


def centre_all(patches: np.ndarray) -> Centred:
    """Centred once, compared with several banks; each as centre_ink, all at once: a shift
    with linear interpolation is a matrix product down the columns and one along the rows."""
    cells = np.asarray(patches, dtype=np.float32)
    h, w = cells.shape[1:]
    mass = cells.sum(axis=(1, 2))
    inked = mass > 0
    mass = np.where(inked, mass, 1.0)
    dx = np.where(inked, cells.sum(axis=1) @ np.arange(w) / mass - (w - 1) / 2, 0.0)
    dy = np.where(inked, cells.sum(axis=2) @ np.arange(h) / mass - (h - 1) / 2, 0.0)
    shifted = _shift_matrices(h, dy) @ cells @ _shift_matrices(w, dx).transpose(0, 2, 1)
    return Centred(shifted.astype(np.float32), np.stack([dx, dy], axis=1))


def _shift_matrices(size: int, shifts: np.ndarray) -> np.ndarray:
    """(len(shifts), size, size): row i samples at i + shift, linearly between the two
    nearest pixels, blank beyond the edge (as cv2.warpAffine)."""
    at = np.arange(size)[None, :] + np.asarray(shifts, dtype=np.float64)[:, None]
    low = np.floor(at).astype(np.int64)
    frac = (at - low).astype(np.float32)
    out = np.zeros((len(at), size, size + 2), np.float32)  # a column each side for the edges
    k, i = np.indices(low.shape)
    out[k, i, np.clip(low, -1, size) + 1] += 1 - frac
    out[k, i, np.clip(low + 1, -1, size) + 1] += frac
    return out[:, :, 1:-1]


def centre_ink(patch: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """The patch shifted so its ink centre is the patch centre, and how far off it was."""
    h, w = patch.shape
    mass = float(patch.sum())
    if mass <= 0:
        return patch, (0.0, 0.0)
    ys, xs = np.indices(patch.shape)
    dx = float((patch * xs).sum() / mass) - (w - 1) / 2
    dy = float((patch * ys).sum() / mass) - (h - 1) / 2
    m = np.array([[1, 0, -dx], [0, 1, -dy]], dtype=np.float32)
    return cv2.warpAffine(patch.astype(np.float32), m, (w, h), flags=cv2.INTER_LINEAR), (dx, dy)


def blur_each(patches: np.ndarray, sigma: float) -> np.ndarray:
    """Each patch blurred on its own (edges mirrored, as cv2.GaussianBlur does), in two
    matrix products for all: a Gaussian blur is linear, down the columns and along the rows."""
    n, h, w = patches.shape
    if n == 0:
        return patches.astype(np.float32)
    return _blur_matrix(h, sigma) @ patches.astype(np.float32) @ _blur_matrix(w, sigma).T


@cache
def _blur_matrix(size: int, sigma: float) -> np.ndarray:
    """The (size, size) matrix of a 1-D Gaussian blur with cv2's kernel and mirrored edges."""
    kernel = cv2.getGaussianKernel(round(sigma * 8 + 1) | 1, sigma, cv2.CV_32F).ravel()
    reach = len(kernel) // 2
    matrix = np.zeros((size, size), np.float32)
    for i in range(size):
        for t, weight in zip(range(-reach, reach + 1), kernel, strict=True):
            j = i + t
            while not 0 <= j < size:  # reflect without repeating the edge (cv2's default)
                j = -j if j < 0 else 2 * (size - 1) - j
            matrix[i, j] += weight
    return matrix


def normalise(patches: np.ndarray, blur: float = BLUR) -> np.ndarray:
    v = blur_each(np.asarray(patches), blur)
    v = v.reshape(len(patches), -1)
    v = v - v.mean(axis=1, keepdims=True)
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)


def template_fonts() -> list[ConsoleFont]:
    fonts = []
    for entry in _read("glyph_fonts.toml").get("font", []):
        font = read_font(entry["file"])
        if font is None:
            continue
        fonts.append(font)
        if entry.get("esxi_quirks"):
            fonts.append(with_esxi_quirks(font, f"{entry['file']}+esxi"))
    return fonts


def _cell_centre(ink: np.ndarray, pitch: int) -> float:
    """A font's cell centre along one axis, found as on a screen: half a pitch past the middle
    of the blank gap between glyphs (index coordinates)."""
    return gap_cut(ink, pitch) + pitch / 2


def _font_cells(font: ConsoleFont, cell_w: int, size: tuple[int, int]):
    """Each alphabet glyph resampled to ``size`` (W, H) as a screen cell ``cell_w`` font pixels
    wide would be, centred on its ink; and where its ink sits in the cell."""
    glyphs = np.zeros((len(ALPHABET), font.height, cell_w), np.float32)
    for g, ch in zip(glyphs, ALPHABET, strict=True):
        drawn = font.glyph(ch)[:, :cell_w]
        g[:, : drawn.shape[1]] = drawn
    ink = glyphs.sum(axis=0)
    ref = np.array([_cell_centre(ink.sum(axis=0), cell_w), _cell_centre(ink.sum(axis=1), font.height)])
    out_w, out_h = size
    sx, sy = out_w / cell_w, out_h / font.height
    mass = np.maximum(glyphs.sum(axis=(1, 2), dtype=np.float64), 1.0)[:, None]
    columns, rows = glyphs.sum(axis=1, dtype=np.float64), glyphs.sum(axis=2, dtype=np.float64)
    centres = np.stack([columns @ np.arange(cell_w), rows @ np.arange(font.height)], axis=1) / mass
    dims = np.array([cell_w, font.height])
    places = (centres - ref + dims / 2) % dims - dims / 2
    cells = []
    for g, (cx, cy) in zip(glyphs, centres, strict=True):
        m = np.array([[sx, 0, (out_w - 1) / 2 - sx * cx],
                      [0, sy, (out_h - 1) / 2 - sy * cy]], dtype=np.float32)  # fmt: skip
        cells.append(centre_ink(cv2.warpAffine(g, m, size, flags=cv2.INTER_AREA))[0])
    return cells, places


@lru_cache(maxsize=2)
def _template_cells(cell_w: int, size: tuple[int, int]):
    """Every template font's alphabet as cells: (font names, cells, places), or None."""
    fonts = [f for f in template_fonts() if f.height == 16]
    if not fonts:
        return None
    cells, places = [], []
    for f in fonts:
        c, p = _font_cells(f, cell_w, size)
        cells += c
        places.append(p)
    return tuple(f.name for f in fonts), np.stack(cells), np.concatenate(places)


@lru_cache(maxsize=8)
def glyph_bank(cell_w: int, size: tuple[int, int], blur: float = BLUR) -> GlyphBank | None:
    """Templates for cells ``cell_w`` font pixels wide (8, or 9 in VGA text mode), blurred as
    much as a screen whose cells are ``blur`` (resampled pixels) softer than the font's."""
    found = _template_cells(cell_w, size)
    if found is None:
        return None
    names, cells, places = found
    vectors = normalise(cells, blur).astype(np.float32)
    per_font = normalise(cells).reshape(len(names), len(ALPHABET), -1)  # kinship at BLUR
    kinship = np.einsum("fcd,gcd->fg", per_font, per_font) / len(ALPHABET)
    return GlyphBank(names, vectors, places, kinship)
