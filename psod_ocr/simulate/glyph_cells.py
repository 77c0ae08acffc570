"""Labelled console cells exactly as the cell reader sees them, drawn from a font and worn as
captures wear them: training and test data for the learned glyph namer (recognise/model.py).

A cell is never drawn alone: a block of glyphs is drawn with its neighbours, the whole block is
scaled, blurred, compressed ... as a screen is, and the reader's own steps then cut it into cells
(binarise.text_channel, the level cut_cells scales ink by, sample_cells or framebuffer_cells,
without_bleed). So a model trained on these cells takes the very patches match_fonts compares
with the template bank: (20, 10) float32, 0 background to 1 full text level, not centred.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..binarise import Grid, text_channel
from ..fonts import ConsoleFont
from ..recognise.cells import CELL_H, CELL_W, framebuffer_cells, sample_cells, without_bleed

ALPHABET = "".join(chr(c) for c in range(33, 127))
LABELS = ALPHABET + " "  # the model's classes: every printable glyph, and a blank cell
ROWS, COLS = 5, 10  # a block's cells; its outer ring only stands beside the cells labelled
SPACE_SHARE = 0.1  # cells left blank (a labelled blank cell shows its neighbours' edges)
INTERPOLATIONS = {"nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR,
                  "bicubic": cv2.INTER_CUBIC, "area": cv2.INTER_AREA}  # fmt: skip
SCALES = (0.6, 2.5)  # screen pixels per font pixel
BACKGROUND = np.array([170.0, 0.0, 170.0])  # the purple screen (RGB)
TEXT_COLOURS = np.array([[255.0, 255.0, 255.0], [200.0, 200.0, 200.0], [255.0, 255.0, 85.0]])
OFFSET = 1 / 3  # the reader's grid may cut a cell this share of a cell off its glyph
JPEG_WORST = 30
DEFOCUS, SHAKE = 1.1, 2.5  # the worst blur sigma and shake length, in font pixels
MOIRE, GLARE, NOISE = 0.4, 0.6, 18.0  # the worst moiré depth, glare (share of text contrast), noise sd
DIM, BRIGHT = 0.3, 1.8  # text contrast at its dimmest and brightest (clipped, blooming)
FRAMEBUFFER_SHARE = 0.08  # blocks read as a screenshot's own framebuffer pixels
DEGRADATIONS = ("scale", "offset", "jpeg", "defocus", "shake", "moire", "glare", "noise", "dim", "bright")


@dataclass(frozen=True)
class Wear:
    """One capture's degradations, drawn once for a block of cells."""

    scale: tuple[float, float] = (1.0, 1.0)  # screen pixels per font pixel, x and y
    interpolation: str = "nearest"
    cell_w: int = 8  # font pixels a cell is wide: the font's width, or 9 for an 8-px font in VGA text
    offset: tuple[float, float] = (0.0, 0.0)  # where the grid cuts, in cells off the glyphs' own
    background: tuple[float, float, float] = (170.0, 0.0, 170.0)
    text: tuple[float, float, float] = (255.0, 255.0, 255.0)
    contrast: float = 1.0  # text over background, times the screen's own (above 1 clips and blooms)
    moire: float = 0.0
    moire_period: float = 3.0  # screen pixels
    moire_angle: float = 0.0
    glare: float = 0.0
    defocus: float = 0.0  # Gaussian sigma, font pixels
    shake: float = 0.0  # motion length, font pixels
    shake_angle: float = 0.0
    noise: float = 0.0  # grey levels
    jpeg: int | None = None  # quality
    framebuffer: bool = False  # read back at the framebuffer's own pixels (sample_native's way)


def draw_wear(rng: np.random.Generator, severity: float, font_w: int, only: str | None = None) -> Wear:
    """A capture's wear: every degradation drawn up to ``severity`` (0..1) of its worst; or, with
    ``only`` (one of DEGRADATIONS), that one alone at ``severity`` of its worst on an unscaled
    screen, so that each can be measured on its own."""
    s = float(severity)
    cell_w = font_w + 1 if font_w == 8 and rng.random() < 0.25 else font_w
    colour = tuple(BACKGROUND * rng.uniform(0.4, 1.1) * rng.uniform(0.85, 1.15, 3))
    text = tuple(TEXT_COLOURS[rng.integers(len(TEXT_COLOURS))] * rng.uniform(0.85, 1.15, 3))
    base = Wear(cell_w=cell_w, background=colour, text=text)
    if only is not None:
        return replace(base, **_alone(only, s, rng))
    if rng.random() < FRAMEBUFFER_SHARE:
        return replace(base, framebuffer=True, jpeg=_quality(rng, s) if rng.random() < 0.5 else None,
                       noise=float(rng.uniform(0, 4 * s)))  # fmt: skip
    scale = float(np.exp(rng.uniform(*np.log(SCALES))))
    aspect = float(np.exp(rng.uniform(-0.12, 0.12)))
    reach = OFFSET * (0.25 + 0.75 * s)
    return replace(
        base,
        scale=(scale * aspect, scale / aspect),
        interpolation=str(rng.choice(list(INTERPOLATIONS))),
        offset=(float(rng.uniform(-reach, reach)), float(rng.uniform(-reach, reach))),
        contrast=float(np.exp(rng.uniform(np.log(DIM), np.log(BRIGHT)) * s)),
        moire=float(rng.uniform(0, MOIRE * s)) if rng.random() < 0.35 else 0.0,
        moire_period=float(rng.uniform(2.0, 6.0)),
        moire_angle=float(rng.uniform(0, np.pi)),
        glare=float(rng.uniform(0, GLARE * s)) if rng.random() < 0.35 else 0.0,
        defocus=float(rng.uniform(0, DEFOCUS * s)),
        shake=float(rng.uniform(0, SHAKE * s)) if rng.random() < 0.3 + 0.3 * s else 0.0,
        shake_angle=float(rng.uniform(0, np.pi)),
        noise=float(rng.uniform(0, NOISE * s)) if rng.random() < 0.5 + 0.5 * s else 0.0,
        jpeg=_quality(rng, s) if rng.random() < 0.3 + 0.6 * s else None,
    )


def _quality(rng: np.random.Generator, s: float) -> int:
    return int(rng.integers(round(95 - (95 - JPEG_WORST) * s), 96))


def _alone(only: str, s: float, rng: np.random.Generator) -> dict:
    """The fields of one degradation at ``s`` of its worst."""
    if only == "scale":
        scale = float(np.exp(rng.uniform(*np.log(SCALES))))
        return {"scale": (scale, scale), "interpolation": str(rng.choice(list(INTERPOLATIONS)))}
    if only == "offset":
        angle = rng.uniform(0, 2 * np.pi)
        return {"offset": (OFFSET * s * float(np.cos(angle)), OFFSET * s * float(np.sin(angle)))}
    fields = {
        "jpeg": {"jpeg": round(95 - (95 - JPEG_WORST) * s)},
        "defocus": {"defocus": DEFOCUS * s},
        "shake": {"shake": SHAKE * s, "shake_angle": float(rng.uniform(0, np.pi))},
        "moire": {
            "moire": MOIRE * s,
            "moire_period": float(rng.uniform(2.0, 6.0)),
            "moire_angle": float(rng.uniform(0, np.pi)),
        },
        "glare": {"glare": GLARE * s},
        "noise": {"noise": NOISE * s},
        "dim": {"contrast": DIM**s},
        "bright": {"contrast": BRIGHT**s},
    }
    return fields[only]


def draw_chars(rng: np.random.Generator, rows: int = ROWS, cols: int = COLS) -> np.ndarray:
    """Indices into LABELS for a block: any printable character, some cells blank."""
    chars = rng.integers(len(ALPHABET), size=(rows, cols))
    return np.where(rng.random((rows, cols)) < SPACE_SHARE, len(ALPHABET), chars)


def render_block(font: ConsoleFont, chars: np.ndarray, cell_w: int) -> np.ndarray:
    """The block at font pixels: 1 text, 0 background; a glyph narrower than its cell (8 px in a
    9-px VGA cell) on the cell's left, the ninth column blank as VGA draws letters."""
    rows, cols = chars.shape
    out = np.zeros((rows * font.height, cols * cell_w), np.float32)
    for (r, c), k in np.ndenumerate(chars):
        if k < len(ALPHABET):
            glyph = font.glyph(LABELS[k])[:, :cell_w]
            out[r * font.height : (r + 1) * font.height, c * cell_w : c * cell_w + glyph.shape[1]] = glyph
    return out


def wear_block(ink: np.ndarray, wear: Wear, rng: np.random.Generator) -> np.ndarray:
    """The block as a capture shows it: scaled onto the screen, lit, photographed, compressed (RGB uint8)."""
    h, w = ink.shape
    if not wear.framebuffer:
        size = (max(1, round(w * wear.scale[0])), max(1, round(h * wear.scale[1])))
        ink = cv2.resize(ink, size, interpolation=INTERPOLATIONS[wear.interpolation])
    ink = np.clip(ink, 0, 1)
    ground, text = np.asarray(wear.background), np.asarray(wear.text)
    img = ground + ink[..., None] * wear.contrast * (text - ground)
    if wear.contrast > 1:  # light beyond the sensor's range spills into the glyph's surroundings
        spill = np.clip(img - 255.0, 0, None)
        img = img + cv2.GaussianBlur(spill, (0, 0), max(0.5, wear.scale[1]))
    hh, ww = ink.shape
    ys, xs = np.mgrid[0:hh, 0:ww].astype(np.float32)
    if wear.moire:
        along = xs * np.cos(wear.moire_angle) + ys * np.sin(wear.moire_angle)
        phase = 2 * np.pi * along / wear.moire_period
        stripes = np.stack([np.sin(phase + k * 2 * np.pi / 3) for k in range(3)], axis=-1)
        img = img * (1 + wear.moire * stripes)
    if wear.glare:
        cy, cx = rng.uniform(-0.3, 1.3) * hh, rng.uniform(-0.3, 1.3) * ww
        spread = rng.uniform(0.3, 1.5) * max(hh, ww)
        spot = np.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * spread**2))
        img = img + (wear.glare * float(np.max(text - ground)) * spot)[..., None]
    img = _blurred(img, wear)
    if wear.noise:
        img = img + rng.normal(0, wear.noise, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if wear.jpeg is not None:
        _, data = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(wear.jpeg)])
        img = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(img)


def _blurred(img: np.ndarray, wear: Wear) -> np.ndarray:
    """Defocus (Gaussian) and shake (a line), both sized in font pixels on the screen."""
    pitch = wear.scale[1]
    if wear.defocus * pitch >= 0.2:
        img = cv2.GaussianBlur(img, (0, 0), wear.defocus * pitch)
    length = wear.shake * pitch
    if length >= 1.0:
        size = int(np.ceil(length)) | 1
        kernel = np.zeros((size, size), np.float32)
        c = size // 2
        dx, dy = np.cos(wear.shake_angle) * length / 2, np.sin(wear.shake_angle) * length / 2
        cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA)
        img = cv2.filter2D(img, -1, kernel / kernel.sum())
    return img


def cut_block(rgb: np.ndarray, wear: Wear, rows: int, cols: int) -> np.ndarray:
    """The reader's cells of a worn block, (rows, cols, CELL_H, CELL_W), cut as cut_cells does."""
    ink = text_channel(rgb)
    inked = ink[ink > 0]
    level = float(np.percentile(inked, 99.5)) if inked.size else 1.0
    ink = np.clip(ink / max(level, 1.0), 0, 1).astype(np.float32)
    if wear.framebuffer:
        return framebuffer_cells(ink, rows, cols)
    h, w = ink.shape
    col_pitch, row_pitch = w / cols, h / rows
    left, top = wear.offset[0] * col_pitch, wear.offset[1] * row_pitch
    return sample_cells(ink, Grid(row_pitch, col_pitch, rows, cols, top, left), col_pitch, left)


def labelled_cells(
    font: ConsoleFont,
    rng: np.random.Generator,
    severity: float,
    only: str | None = None,
    wear: Wear | None = None,
) -> tuple[np.ndarray, np.ndarray, Wear]:
    """One block's inner cells as the reader sees them (n, CELL_H, CELL_W) float32, their
    labels (indices into LABELS), and the wear drawn (or ``wear``, for many blocks of one screen)."""
    if wear is None:
        wear = draw_wear(rng, severity, font.width, only)
    chars = draw_chars(rng)
    rgb = wear_block(render_block(font, chars, wear.cell_w), wear, rng)
    cells = cut_block(rgb, wear, ROWS, COLS)[1 : ROWS - 1, 1 : COLS - 1]
    patches = without_bleed(cells.reshape(-1, CELL_H, CELL_W).astype(np.float32))
    return patches, chars[1 : ROWS - 1, 1 : COLS - 1].ravel(), wear
