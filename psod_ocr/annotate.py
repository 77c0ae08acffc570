"""The annotated picture for ``--out`` and the HTML report: what was read where.

Drawn on the input picture itself (scaled down), so a reader can check a report against the
photo: the screen outline found, each text row tinted by the section it was read as (banner,
headline, registers, CPUs, backtrace ...), characters shown as unreadable (``?``) boxed red and
characters a repair rule changed boxed orange, and a caption with the verdict and warnings.
Rows come from Tesseract's word boxes on the flat screen, mapped back through the screen quad.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import cv2
import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .capture import Stages
from .debug import PREVIEW_SIDE, quad_overlay
from .parse.grammar import kind_of
from .report import Report

BAND_ALPHA = 0.35
MATCH = 50.0  # a band is taken for a report line when it matches this well (partial ratio)
SECTIONS: dict[str, tuple[int, int, int]] = {  # RGB
    "banner": (255, 215, 0),
    "headline": (255, 70, 70),
    "registers": (80, 140, 255),
    "cpus": (0, 210, 210),
    "uptime": (255, 150, 40),
    "backtrace": (70, 210, 70),
    "other": (190, 190, 190),
}
KIND_SECTION = {
    "banner": "banner", "bluescreen": "headline", "panic_details": "headline",
    "registers": "registers", "ptes": "registers", "base": "registers", "fsbase": "registers",
    "lbr": "registers",
    "current_pcpu": "cpus", "pcpu_states": "cpus", "cpu_list": "cpus",
    "code_start": "uptime", "uptime": "uptime",
    "frame": "backtrace", "backtrace_header": "backtrace", "saved_backtrace": "backtrace",
}  # fmt: skip
UNREAD = (255, 0, 0)
REPAIRED = (255, 140, 0)


@dataclass(frozen=True)
class Band:
    """One text row on the flat screen: its box (flat-screen pixels) and the words read in it."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def bands(stages: Stages) -> list[Band]:
    """Tesseract's lines as boxes on the flat screen (pieces of one row at one height merged)."""
    words = list(stages.words)
    if not words:
        return []
    height = statistics.median(w.height for w in words)
    rows: list[list] = []
    for w in sorted(words, key=lambda w: w.top + w.height / 2):
        y = w.top + w.height / 2
        if rows and abs(y - statistics.median(v.top + v.height / 2 for v in rows[-1])) < 0.5 * height:
            rows[-1].append(w)
        else:
            rows.append([w])
    s = stages.scale or 1.0
    out = []
    for ws in rows:
        ws.sort(key=lambda w: w.left)
        out.append(Band(min(w.left for w in ws) / s, min(w.top for w in ws) / s,
                        max(w.left + w.width for w in ws) / s, max(w.top + w.height for w in ws) / s,
                        " ".join(w.text for w in ws)))  # fmt: skip
    return out


def section_of(line: str, report: Report) -> str:
    if report.screen.message and line.strip() == report.screen.message.strip():
        return "headline"
    return KIND_SECTION.get(kind_of(line.strip()), "other")


def _to_picture(flat_w: int, flat_h: int, quad: np.ndarray) -> np.ndarray:
    """Homography from the upright flat screen to the input picture (``quad`` is upright-ordered)."""
    src = np.array([[0, 0], [flat_w, 0], [flat_w, flat_h], [0, flat_h]], dtype=np.float32)
    return cv2.getPerspectiveTransform(src, quad.astype(np.float32))


def _poly(h: np.ndarray, x0: float, y0: float, x1: float, y1: float, scale: float) -> np.ndarray:
    box = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], dtype=np.float64)
    return (cv2.perspectiveTransform(box, h)[0] * scale).round().astype(np.int32)


def _changed(before: str, after: str) -> list[tuple[int, int]]:
    """Character ranges of ``after`` (first, last) that differ from ``before``."""
    return [(op.dest_start, op.dest_end - 1) for op in Levenshtein.opcodes(before, after)
            if op.tag in ("replace", "insert")]  # fmt: skip


def _marks(band: Band, line: str, line_no: int, report: Report) -> list[tuple[int, int, tuple]]:
    """(first, last column offset within the band, colour) of '?' and repaired characters."""
    if not band.text or not line:
        return []
    shown = fuzz.partial_ratio_alignment(band.text, line) if len(band.text) <= len(line) else None
    start, end = (shown.dest_start, shown.dest_end) if shown else (0, len(line))
    marks = [(c - start, c - start, UNREAD) for c in range(start, end) if line[c] == "?"]
    repairs = [r for r in report.ocr.repairs if r.line == line_no] if report.ocr is not None else []
    if repairs:
        for first, last in _changed(repairs[0].before, line):
            if first < end and last >= start:
                marks.append((max(first, start) - start, min(last, end - 1) - start, REPAIRED))
    return marks


def annotate(rgb: np.ndarray, report: Report, stages: Stages | None = None) -> np.ndarray:
    """The annotated picture (RGB uint8, at most PREVIEW_SIDE wide or high, plus a caption)."""
    quad = None
    if stages is not None and stages.quad is not None:
        quad = np.asarray(stages.quad, dtype=np.float64)
    elif report.ocr is not None and report.ocr.screen_quad:
        quad = np.asarray(report.ocr.screen_quad, dtype=np.float64)
    out = quad_overlay(rgb, quad)  # scaled down, the outline in green, a dot at its top-left
    flat = None if stages is None else stages.rectified
    if quad is not None and flat is not None:
        scale = min(1.0, PREVIEW_SIDE / max(rgb.shape[:2]))
        _draw_rows(out, report, stages, _to_picture(flat.shape[1], flat.shape[0], quad), scale)
    return np.vstack([out, caption(report, out.shape[1], found=quad is not None)])


def _draw_rows(out: np.ndarray, report: Report, stages: Stages, h: np.ndarray, scale: float) -> None:
    lines = report.text.split("\n")
    found = bands(stages)
    if not found:
        return
    pitch = _col_pitch(stages)
    tint = out.copy()
    boxes, markers = [], []
    for band in found:
        scores = [fuzz.partial_ratio(band.text, line) if line.strip() else 0.0 for line in lines]
        best = int(np.argmax(scores)) if scores else -1
        line = lines[best] if best >= 0 and scores[best] >= MATCH else band.text
        colour = SECTIONS[section_of(line, report)]
        cv2.fillPoly(tint, [_poly(h, band.x0 - 2, band.y0 - 2, band.x1 + 2, band.y1 + 2, scale)], colour)
        marker = band.y1 - band.y0  # a solid tab left of the row: the section at a glance
        tab = _poly(h, band.x0 - 0.9 * marker, band.y0, band.x0 - 0.4 * marker, band.y1, scale)
        markers.append((tab, colour))
        if best < 0 or scores[best] < MATCH or not pitch:
            continue
        col0 = round(band.x0 / pitch)
        for first, last, mark in _marks(band, line, best + 1, report):
            x0, x1 = (col0 + first) * pitch, (col0 + last + 1) * pitch
            boxes.append((_poly(h, x0 - 1, band.y0 - 3, x1 + 1, band.y1 + 3, scale), mark))
    cv2.addWeighted(tint, BAND_ALPHA, out, 1 - BAND_ALPHA, 0, dst=out)
    for poly, colour in markers:
        cv2.fillPoly(out, [poly], colour)
    for poly, colour in boxes:
        width = max(1, round(out.shape[1] / 800))
        cv2.polylines(out, [poly.reshape(-1, 1, 2)], True, colour, width, cv2.LINE_AA)


def _col_pitch(stages: Stages) -> float | None:
    """Flat-screen pixels per character: the grid's, else Tesseract's word widths."""
    grid = stages.grid
    if grid is not None and getattr(grid, "col_pitch", None):
        return float(grid.col_pitch)
    from .recognise.tesseract import char_pitch

    pitch = char_pitch(list(stages.words))
    return pitch / (stages.scale or 1.0) if pitch else None


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def caption(report: Report, width: int, found: bool) -> np.ndarray:
    """A strip under the picture: verdict, headline, colour legend, warnings (ASCII; OpenCV's
    fonts have no other glyphs, and the type and headline are ASCII anyway)."""
    d = report.diagnosis
    title = f"{report.source.path}: {d.type}" + (f"  ({d.signature})" if d.signature else "")
    lines = [(title, (255, 255, 255))]
    if report.screen.message:
        lines.append((report.screen.message, SECTIONS["headline"]))
    if not found:
        lines.append(("no screen found in the picture", UNREAD))
    lines += [(f"! {w}", (230, 230, 120)) for w in report.warnings[:4]]
    font, thickness = cv2.FONT_HERSHEY_SIMPLEX, 1
    size = max(0.4, width / 2000)
    line_h = int(32 * size) + 6
    legend_h = line_h
    strip = np.full((line_h * len(lines) + legend_h + 10, width, 3), 32, np.uint8)
    y = line_h
    for text, colour in lines:
        cv2.putText(strip, _ascii(text)[:200], (8, y - 6), font, size, colour, thickness, cv2.LINE_AA)
        y += line_h
    x = 8
    for name, colour in [*SECTIONS.items(), ("unread ?", UNREAD), ("repaired", REPAIRED)]:
        cv2.rectangle(strip, (x, y - line_h + 8), (x + line_h - 12, y - 8), colour, -1)
        at = (x + line_h - 6, y - 10)
        cv2.putText(strip, name, at, font, size, (220, 220, 220), thickness, cv2.LINE_AA)
        x += line_h + int(cv2.getTextSize(name, font, size, thickness)[0][0]) + 14
    return strip


def encode(rgb: np.ndarray, fmt: str = "png", max_side: int | None = None, quality: int = 85) -> bytes:
    """PNG (``--out``) or JPEG (embedded in the HTML report) bytes, optionally scaled down."""
    if max_side and max(rgb.shape[:2]) > max_side:
        f = max_side / max(rgb.shape[:2])
        rgb = cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if fmt == "jpeg" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    ok, buf = cv2.imencode(".jpg" if fmt == "jpeg" else ".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"cannot encode the annotated picture as {fmt}")
    return buf.tobytes()
