"""From the flat colour screen to black text on white at the scale Tesseract reads best.

The green channel separates text from the magenta background under every colour cast seen
(background green is near zero, white and yellow text have it high). Uneven lighting (a
vignette, a glare spot) is flattened by subtracting a large-scale background estimate before
the threshold; moiré is averaged out by a blur the size of a glyph stroke.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from psod_ocr.recognise.period import near_zero

TARGET_ROW_PX = 32  # text row height handed to Tesseract: as accurate as 40 and faster (measured)


@dataclass(frozen=True)
class Grid:
    row_pitch: float  # pixels from one text row to the next in the flat screen
    col_pitch: float | None  # pixels a character cell is wide, when it could be measured
    rows: int
    cols: int | None
    top: float  # y of the first row's top edge
    left: float  # x of the first column


@dataclass(frozen=True)
class Binarised:
    image: np.ndarray  # uint8, black (0) text on white (255), scaled for OCR
    scale: float  # OCR image pixels per flat-screen pixel
    threshold: float
    grid: Grid | None


BACKGROUND_ROWS = 2.5  # the background is what is left of the screen opened by this many text rows


def text_channel(rgb: np.ndarray, row_pitch: float | None = None) -> np.ndarray:
    """Text brightness: green, with the large-scale background subtracted. With the rows'
    ``row_pitch`` known, anything taller than a few rows is background: a glare spot too,
    which an opening sized by the screen alone (about four rows of a full console) leaves
    a bright speckled blob of."""
    g = rgb[..., 1]
    h, w = g.shape
    # The background varies slowly: estimate it on a quarter-size copy (much faster).
    f = 4 if min(h, w) >= 200 else 1
    small = cv2.resize(g, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA) if f > 1 else g
    if row_pitch is None:
        k = max(5, (min(small.shape) // 12) | 1)
    else:
        k = max(3, round(BACKGROUND_ROWS * row_pitch / f) | 1)
    background = cv2.morphologyEx(small, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.blur(background, (k, k))
    if f > 1:
        background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(g.astype(np.float32) - background.astype(np.float32), 0, 255)


def text_weight(text: np.ndarray) -> np.ndarray:
    """Text brightness in 0..1 of its brightest strokes', so thresholds mean the same in
    every picture (also one holding a single line: no share of the pixels is surely ink)."""
    level = float(np.quantile(text[::2, ::2], 0.9999, method="higher")) if text.size else 1.0
    return np.clip(text / max(level, 1.0), 0, 1).astype(np.float32)


def without_lines(text: np.ndarray) -> np.ndarray:
    """Text weight minus long straight lines (a frame line at the screen's edge, an annotation
    box, window chrome): glyph strokes are never longer than a character."""
    h, w = text.shape
    ink = (text > 0.5).astype(np.uint8)
    long_h = cv2.getStructuringElement(cv2.MORPH_RECT, (max(8, w // 25), 1))
    long_v = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(8, h // 12)))
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, long_h)
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, long_v)
    lines = cv2.dilate(across | down, np.ones((3, 3), np.uint8))
    return np.where(lines > 0, 0.0, text).astype(np.float32)


CONSOLES = ((128, 48, 0.5), (80, 25, 9 / 16))  # columns, rows, cell width / height
STRETCHES = (1.0, 1.2, 4 / 3, 1.5)  # 4:3 console modes stretched across 16:10, 16:9 (or wider) panels
LINE_INK = (0.45, 1.0)  # a text line's ink is this share of the row pitch (blur widens it)
ONE_LINE_INK = 0.65  # ... and typically this share
FIT_SLACK = 0.1  # a row pitch fitting the lines this much better than its multiple ...
SINGLE_PERCENTILE = 50  # ... whose lines' ink, at this percentile of their heights, fits its row
MERGED = 1.6  # a run of ink this many times the median run's height is lines run together
INKED = 0.15  # a row with this share of the way from the blank rows' ink to the most is a text line's
BLANK_ROWS = 10  # (the blank rows' ink: this percentile of the rows, the noise a photo's gaps hold)


def _inked(rows: np.ndarray) -> np.ndarray:
    """Which rows hold text. Measured above the blank rows' level: a noisy photo's speckle,
    stronger where a glare spot lit the screen, would otherwise make broad faint 'lines'."""
    floor = float(np.percentile(rows, BLANK_ROWS))
    return rows > floor + INKED * (rows.max() - floor)


def _line_runs(rows: np.ndarray, min_height: float = 2) -> tuple[np.ndarray, np.ndarray]:
    """Centres and heights of the runs of inked rows: a text line, or lines run together."""
    on = _inked(rows)
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    if on[0]:
        edges = np.r_[-1, edges]
    if on[-1]:
        edges = np.r_[edges, len(rows) - 1]
    starts, ends = edges[0::2] + 1, edges[1::2]
    keep = (ends - starts) >= min_height
    return ((starts + ends) / 2.0)[keep], (ends - starts)[keep].astype(np.float64)


def _fit(centres: np.ndarray, pitch: float) -> float:
    """How well line centres sit on whole rows of this pitch: 1 all on the grid, 0 random.
    (Phase coherence: one stray line does not spoil it.)"""
    return float(abs(np.exp(2j * np.pi * centres / pitch).mean()))


def _row_pitch(rows: np.ndarray, h: int, ink: np.ndarray | None = None) -> float | None:
    """Row pitch: candidates from the profile's autocorrelation and from the spacing of text
    lines; the largest one that puts every line on a whole row and is no multiple of the
    pitch wins (half a pitch fits as well as the pitch, so larger is preferred)."""
    candidates = []
    period = _period(rows, lo=6, hi=max(8, h // 4))
    if period:
        # (a screen whose blank lines recur every few rows repeats at that many rows)
        candidates += [period, period / 2, period / 3, period / 4, period * 2]
    centres, heights = _line_runs(rows, min_height=3)
    # lines run together (a blurred photo) centre between rows: the single ones place them
    single_lines = heights <= MERGED * np.median(heights) if len(heights) else heights
    if single_lines.sum() >= 3:
        centres, heights = centres[single_lines], heights[single_lines]
    diffs = np.diff(centres)
    diffs = diffs[diffs >= 6]
    if len(diffs):
        near = diffs[diffs <= 1.3 * diffs.min()]
        candidates += [float(diffs.min()), float(np.median(near))]
    if len(centres) < 3:
        return _few_lines_pitch(rows, h, ink) or (period if period and period >= 6 else None)
    # (and the whole console's, when the picture is one: a sparse screen's lines say little)
    candidates += [h / count for _, count, _ in CONSOLES]
    candidates = [c for c in candidates if 6 <= c <= h / 2]
    single = float(np.percentile(heights, SINGLE_PERCENTILE))  # a line's ink (or lines run together)

    def multiple(c: float) -> bool:
        # a whole number of rows fits most lines too, but a row fits them clearly better,
        # unless a line's ink would not fit in that row (blurred lines run together
        # half-way between rows)
        return any(_fit(centres, c / k) > _fit(centres, c) + FIT_SLACK and single <= LINE_INK[1] * c / k
                   for k in (2, 3))  # fmt: skip

    fitting = [c for c in candidates if _fit(centres, c) > 0.75 and not multiple(c)]
    return max(fitting) if fitting else period


def _few_lines_pitch(rows: np.ndarray, h: int, ink: np.ndarray | None = None) -> float | None:
    """With a line or two of text the spacing says little: if the picture is the whole
    console, one of its row counts gives a pitch that fits the height of the lines' ink; if
    not, that height does."""
    on = _inked(rows)
    edges = np.flatnonzero(np.diff(np.r_[0, on.astype(np.int8), 0]))
    heights = edges[1::2] - edges[0::2]
    heights = heights[heights >= 3]
    if not len(heights):
        return None
    height = float(np.median(heights))
    fits = [(cols, h / count) for cols, count, _ in CONSOLES
            if LINE_INK[0] <= height / (h / count) <= LINE_INK[1]]  # fmt: skip
    if len(fits) == 1:
        return fits[0][1]
    if fits and ink is not None:
        # a blurred line's ink fits either console's row: its glyphs' repeat along the row
        # tells 128 columns from 80
        columns = _column_profile(ink, height)
        return max(fits, key=lambda fit: _repeat_strength(columns, ink.shape[1] / fit[0]))[1]
    # a line or two cut out of the screen: a console line's ink is most of its row, and
    # two lines are whole rows apart
    pitch = height / ONE_LINE_INK
    starts = edges[0::2][edges[1::2] - edges[0::2] >= 3]
    if len(starts) == 2:
        gap = float(starts[1] - starts[0])
        pitch = gap / max(1, round(gap / pitch))
    return pitch if height < 0.9 * h else None  # (not a picture's noise taken for a line)


def _refine(profile: np.ndarray, pitch: float) -> float:
    """Sharpen a pitch with the autocorrelation peaks at its multiples."""
    x = profile - profile.mean()
    if not np.any(x):
        return pitch
    ac = np.correlate(x, x, mode="full")[len(x) - 1 :]
    ac = ac / ac[0]
    best = pitch
    start = pitch
    for n in range(2, int(len(x) / pitch * 0.6) + 1):
        lo, hi = int(n * best - best / 4), int(n * best + best / 4) + 1
        if hi + 1 >= len(ac) or lo < 1:
            break
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] < 0.1 or not 0 < k < len(ac) - 1:
            break
        a, b, c = ac[k - 1], ac[k], ac[k + 1]
        denom = a - 2 * b + c
        estimate = (k + (0.5 * (a - c) / denom if denom else 0.0)) / n
        if abs(estimate - start) > 0.05 * start:
            break
        best = estimate
    return best


def _snap(length: float, pitch: float, count: int, tolerance: float) -> float | None:
    """The exact pitch when the picture holds the console's whole width or height."""
    return length / count if abs(length / pitch - count) <= tolerance * count else None


ASPECT_SLACK = 0.08  # how far off a 4:3 console's aspect (or a stretched one) a flat photo may be
COLUMN_AGREE = 0.02  # the ink's own column period this close to a whole-width pitch confirms it
CELL_SHAPE = (0.42, 0.85)  # a console cell's width / height, stretched (0.5-0.75) or not
HARMONICS = 2  # (a glyph's repeat: the second harmonic sharpens it, the third finds 1.5x cells)
GRID_WORK_WIDTH = 1280  # estimate on a copy this wide: moiré and noise average out


def estimate_grid(ink: np.ndarray) -> Grid | None:
    """The character grid: row pitch from the text lines (refined by autocorrelation, and
    exact when the whole screen is in the picture), column pitch from the console's shape.

    ESXi's 128-column console may be cut at the bottom (a KVM window), so its width alone
    decides; the 80x25 text mode must match in both directions.
    """
    h, w = ink.shape
    factor = min(1.0, GRID_WORK_WIDTH / w)
    if factor < 1:
        ink = cv2.resize(ink, (GRID_WORK_WIDTH, max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
    # an annotation box's or the chrome's long lines would outweigh the text lines
    ink = without_lines(text_weight(ink))
    ink = cv2.GaussianBlur(ink, (0, 0), 1.0)
    rows = ink.mean(axis=1).astype(np.float64)
    if rows.max() <= 0:
        return None
    pitch = _row_pitch(rows, len(rows), ink)
    if pitch is None:
        return None
    pitch = _refine(rows, pitch) / factor
    col_pitch, partial = None, False
    tall = _snap(h, pitch, 25, 0.03)
    wide = _snap(w, pitch * 9 / 16, 80, 0.03)
    if tall and wide:
        pitch, col_pitch = tall, wide
    else:
        found = _column_period(ink, pitch * factor)
        found = found / factor if found else None
        exact = _snap(h, pitch, 48, 0.03)
        pitch = exact or pitch
        # all 48 rows in view: the screen's width is the console's 128 columns, however far
        # the photo's perspective (measured from the quad's sides) put the flat's aspect off
        slack = ASPECT_SLACK if exact else 0.03
        for stretch in STRETCHES:
            col_pitch = _snap(w, pitch * 0.5 * stretch, 128, slack)
            if col_pitch and not exact and found and abs(found - col_pitch) > COLUMN_AGREE * col_pitch:
                col_pitch = None  # a cropped screenshot about as wide as the console's columns
            if col_pitch:
                if not exact and abs(col_pitch * 2 / stretch - pitch) < 0.03 * pitch:
                    pitch = col_pitch * 2 / stretch  # the exact width gives the height
                break
        whole = w / (80 if tall else 128)
        if col_pitch is None and found:
            if (tall or exact) and abs(found - whole) < COLUMN_AGREE * whole:
                # All rows in view but an odd aspect (a viewer window resized freely): the
                # whole width is the console's too, as the glyphs' repeat says.
                pitch, col_pitch = tall or exact, whole
            elif CELL_SHAPE[0] <= found / pitch <= CELL_SHAPE[1]:
                # Part of the console (a cropped screenshot): the glyphs' repeat, if a
                # console cell's shape at this row pitch (however a viewer stretched it); how
                # many columns is unknown.
                col_pitch, partial = found, True
    full = ink.mean(axis=1).astype(np.float64)
    scaled = pitch * factor
    if not np.isfinite(scaled) or scaled < 4:
        return None
    # Phase: the offset that puts most ink inside rows rather than between them.
    phases = np.arange(0, scaled, 0.25)
    inside = [full[(np.arange(len(full)) - p) % scaled < scaled * 0.8].sum() for p in phases]
    top = (float(phases[int(np.argmax(inside))]) - scaled * 0.1) / factor
    rows = round((h - top) / pitch)
    if tall or exact:
        # the whole console in view: its first row starts at the top edge, give or take a
        # pixel of the quad, not a row down
        top = near_zero(top, pitch)
        rows = 25 if tall else 48
    return Grid(
        row_pitch=pitch,
        col_pitch=col_pitch,
        rows=rows,
        cols=round(w / col_pitch) if col_pitch and not partial else None,
        top=top,
        left=0.0,
    )


def _column_period(ink: np.ndarray, row_pitch: float) -> float | None:
    """How often glyphs repeat along the rows, in the same pixels (a cell 0.35-0.85 of a row
    wide): the period whose first two harmonics hold most of the column profile's power."""
    columns = _column_profile(ink, row_pitch)
    n = len(columns)
    lo, hi = max(3.0, 0.35 * row_pitch), max(4.0, CELL_SHAPE[1] * row_pitch)
    if n < 4 * hi or not np.any(columns):
        return None
    # frequencies a quarter of a bin apart (a padded FFT), then a fortieth around the best
    size = 4 * n
    spectrum = np.abs(np.fft.fft(columns, size)) ** 2
    bins = np.arange(int(np.ceil(size / hi)), int(size / lo) + 1)
    power = sum(spectrum[(k * bins) % size] for k in range(1, HARMONICS + 1))
    step = 1 / size
    best = bins[int(np.argmax(power))] * step
    fine = np.linspace(best - step, best + step, 41)
    power = _harmonic_power(columns, fine)
    return float(1 / fine[int(np.argmax(power))])


def _column_profile(ink: np.ndarray, row_pitch: float) -> np.ndarray:
    columns = ink.mean(axis=0).astype(np.float64)
    # less the ink's lie across the screen (text filling its left part only), which would
    # make every shift look alike
    window = 2 * round(row_pitch) + 1
    if 3 <= window <= len(columns):
        columns = columns - np.convolve(columns, np.ones(window) / window, mode="same")
    return columns - columns.mean()


REPEAT_SLACK = 0.01  # (a screen's width found this far off its console's)
REPEAT_NEAR = (0.03, 0.25)  # the repeat stands out of the power at periods this far off it


def _repeat_strength(columns: np.ndarray, period: float) -> float:
    """How much more strongly the column profile repeats every ``period`` pixels than at
    periods near it. (Not the power itself: blur weakens the shorter period's more.)"""
    at = np.linspace(1 - REPEAT_SLACK, 1 + REPEAT_SLACK, 9) / period
    offsets = np.linspace(REPEAT_NEAR[0], REPEAT_NEAR[1], 24)
    near = np.r_[1 - offsets, 1 + offsets] / period
    return float(_harmonic_power(columns, at).max() / (np.median(_harmonic_power(columns, near)) + 1e-12))


def _harmonic_power(profile: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    x = np.arange(len(profile))
    return sum(np.abs(np.exp(-2j * np.pi * k * np.outer(freqs, x)) @ profile) ** 2
               for k in range(1, HARMONICS + 1))  # fmt: skip


def _period(profile: np.ndarray, lo: int, hi: int) -> float | None:
    x = profile - profile.mean()
    if not np.any(x):
        return None
    ac = np.correlate(x, x, mode="full")[len(x) - 1 :]
    ac /= ac[0]
    hi = min(hi, len(ac) - 2)
    if hi <= lo:
        return None
    seg = ac[lo : hi + 1]
    best = float(seg.max())
    if best < 0.15:
        return None
    # The first local peak nearly as high as the best: multiples of the period peak too.
    peaks = [i for i in range(1, len(seg) - 1) if seg[i] >= seg[i - 1] and seg[i] >= seg[i + 1]]
    i = next((i for i in peaks if seg[i] >= 0.8 * best), int(np.argmax(seg)))
    k = lo + i
    # Parabolic refinement of the peak for sub-pixel pitch (within half a lag: a peak at
    # the range's end need not be one).
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    denom = a - 2 * b + c
    return float(k + (np.clip(0.5 * (a - c) / denom, -0.5, 0.5) if denom else 0.0))


def binarise(rgb: np.ndarray, row_px: int = TARGET_ROW_PX, photo: bool = False) -> Binarised:
    """``photo``: the screen was photographed, so its lighting is flattened at the scale of its
    text rows once they are measured (see text_channel). Not a screenshot's, which has no
    glare: so flattened, the benchmark's viewer screenshots lost a headline and a symbol."""
    text = text_channel(rgb)
    grid = estimate_grid(text)
    scale = 1.0
    if grid is not None:
        if photo:
            text = text_channel(rgb, grid.row_pitch)
        scale = row_px / grid.row_pitch
    scale = float(np.clip(scale, 0.5, 4.0))
    h, w = text.shape
    big = cv2.resize(text, (max(1, round(w * scale)), max(1, round(h * scale))),
                     interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)  # fmt: skip
    stroke = max(0.5, row_px / 40)
    big = cv2.GaussianBlur(big, (0, 0), stroke * 0.6)
    u8 = np.clip(big, 0, 255).astype(np.uint8)
    thr, bw = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return Binarised(image=bw, scale=scale, threshold=float(thr), grid=grid)
