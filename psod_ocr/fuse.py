"""Several readings of one screen -> one text: lines aligned across readings, characters voted.

Photos of one purple screen fail in different places (glare here, blur there), so where one
reading misreads a character another usually has it right. Readings are merged one at a time
into a growing list of screen rows: each reading's lines are aligned to the rows by a
semi-global alignment (gaps at either end are free), so a photo of the top half and one of the
bottom half are joined on the lines they share. Within a row, every reading's line is aligned
to the most trusted one and each character position is decided by a vote weighted by the
reading's OCR confidence and by how well its line agrees with the others'.

``fuse_texts`` works on plain texts (unit-testable); ``fuse_reports`` builds the report.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from .parse.grammar import EVIDENCE, kind_of
from .report import OcrResult, Report, Source, uncertain_share

# Line similarity (fuzz.ratio, 0-100) is judged against the background: two unrelated lines of
# one screen score about 20-30 (hex digits everywhere), two hard-photo readings of one line 50-60,
# two clean readings 90+. Aligning two lines scores positive above MATCH_OVER points over the
# median similarity of all line pairs (clamped to MATCH_RANGE); below the median (at most the
# lower clamp, for a reading of one or two lines) never.
MATCH_OVER = 15.0
MATCH_RANGE = (35.0, 60.0)
AGREEMENT_POWER = 1.0  # a line far from the others' (a garbled reading) votes less
CONFIDENCE_POWER = 2.0  # chosen on 12 screens x 3 hard photos (texts seed 0; the benchmark uses seed 1)
MIN_SCREEN_LINES = 2  # a reading that aligns with nothing joins only with this many screen lines
SCREEN_KINDS = EVIDENCE | {"registers", "ptes", "base", "fsbase", "lbr", "debugger"}
GAP = 0.3  # cost of a row skipped between two aligned rows (nothing at either end)
UNKNOWN = "?"  # a character the reader could not read: votes with almost no weight
UNKNOWN_WEIGHT = 0.05
DEFAULT_CONFIDENCE = 50.0
HEADLINE_MATCH = 50.0  # fuzz.ratio above which a fused line is taken for a reading's headline


@dataclass(frozen=True)
class Reading:
    """One reading of the screen: its text and how much to trust it (e.g. mean OCR confidence)."""

    text: str
    weight: float = 1.0
    name: str = ""


@dataclass(frozen=True)
class FusedLine:
    text: str
    sources: tuple[int, ...]  # the readings that showed this row
    agreement: float  # weighted share of the votes the chosen characters got, 0-1


@dataclass(frozen=True)
class Fused:
    text: str
    lines: tuple[FusedLine, ...]
    notes: tuple[str, ...]  # how the readings were joined, when not by shared lines


def _lines(text: str) -> list[str]:
    """Non-blank lines, right-stripped: blank rows carry nothing to align or vote on."""
    return [line.rstrip() for line in text.replace("\r", "").split("\n") if line.strip()]


def align_lines(rows: Sequence[str], lines: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Semi-global alignment of two line lists, in order: ``(row, line)`` pairs where either
    side may be None (a line only one side has). Skipping lines before the first and after
    the last aligned pair is free, so two halves of a screen meet on their overlap; a gap in
    between costs ``GAP`` per line, so a garbled line between two good matches is still paired
    with its counterpart rather than left alone."""
    n, m = len(rows), len(lines)
    if not n or not m:
        return [(i, None) for i in range(n)] + [(None, j) for j in range(m)]
    sim = process.cdist(list(rows), list(lines), scorer=fuzz.ratio)
    floor = min(float(statistics.median(sim.ravel().tolist())), MATCH_RANGE[0])
    match = min(max(floor + MATCH_OVER, MATCH_RANGE[0]), MATCH_RANGE[1])
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    step = [[""] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        step[i][0] = "up"
    for j in range(1, m + 1):
        step[0][j] = "left"
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            # A gap at the last row (or last line) is part of the free trailing end.
            up = score[i - 1][j] - (0.0 if j == m else GAP)
            left = score[i][j - 1] - (0.0 if i == n else GAP)
            best, how = (up, "up") if up >= left else (left, "left")
            s = float(sim[i - 1][j - 1])
            if s > floor:
                diag = score[i - 1][j - 1] + (s - match) / (100.0 - match)
                if diag > best:
                    best, how = diag, "diag"
            score[i][j], step[i][j] = best, how
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        how = step[i][j]
        if how == "diag":
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif how == "up":
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return _ends_in_order(pairs)


def _ends_in_order(pairs: list[tuple[int | None, int | None]]) -> list[tuple[int | None, int | None]]:
    """Unaligned lines before the first and after the last aligned pair: the known rows first,
    then the new reading's, so each side's lines stay next to where they met (a reading's
    stray first line does not jump above every row of the others)."""
    aligned = [k for k, (a, b) in enumerate(pairs) if a is not None and b is not None]
    if not aligned:
        return [p for p in pairs if p[0] is not None] + [p for p in pairs if p[0] is None]
    first, last = aligned[0], aligned[-1]

    def order(part: list[tuple[int | None, int | None]]) -> list[tuple[int | None, int | None]]:
        return [p for p in part if p[0] is not None] + [p for p in part if p[0] is None]

    return order(pairs[:first]) + pairs[first : last + 1] + order(pairs[last + 1 :])


def _quality(char: str) -> float:
    return UNKNOWN_WEIGHT if char == UNKNOWN else 1.0


def _votes(pivot: str, text: str) -> tuple[list[str], dict[int, str]]:
    """``text`` against ``pivot``: the character it has at each pivot position ("" for none)
    and what it has in addition before pivot position ``g`` (``g == len(pivot)``: at the end)."""
    chars = [""] * len(pivot)
    inserted: dict[int, str] = {}
    for op in Levenshtein.opcodes(pivot, text):
        i1, i2, j1, j2 = op.src_start, op.src_end, op.dest_start, op.dest_end
        if op.tag == "insert":
            inserted[i1] = inserted.get(i1, "") + text[j1:j2]
            continue
        if op.tag == "delete":
            continue
        for t in range(min(i2 - i1, j2 - j1)):
            chars[i1 + t] = text[j1 + t]
        if j2 - j1 > i2 - i1:
            inserted[i2] = inserted.get(i2, "") + text[j1 + (i2 - i1) : j2]
    return chars, inserted


def vote_line(members: Sequence[tuple[str, float]]) -> tuple[str, float]:
    """One row from several readings of it, ``(text, weight)``: each is aligned to the most
    trusted one (the pivot) and every position, and every gap between positions, goes to the
    characters with the largest total weight (the pivot's on a tie). Returns the row and the
    weighted share of the votes its characters got."""
    if len(members) == 1:
        return members[0][0], 1.0
    p = max(range(len(members)), key=lambda k: (members[k][1], len(members[k][0]), -k))
    pivot = members[p][0]
    n = len(pivot)
    at: list[dict[str, float]] = [defaultdict(float) for _ in range(n)]
    gaps: list[dict[str, float]] = [defaultdict(float) for _ in range(n + 1)]
    for k, (text, weight) in enumerate(members):
        chars, inserted = (list(pivot), {}) if k == p else _votes(pivot, text)
        for i, c in enumerate(chars):
            at[i][c] += weight * (_quality(c) if c else 1.0)
        for g in range(n + 1):
            extra = inserted.get(g, "")
            gaps[g][extra] += weight * (min(map(_quality, extra)) if extra else 1.0)
    out: list[str] = []
    won = total = 0.0
    for g in range(n + 1):
        slots = [(gaps[g], "")] + ([(at[g], pivot[g])] if g < n else [])
        for votes, own in slots:
            choice, weight = max(votes.items(), key=lambda kv: (kv[1], kv[0] == own))
            out.append(choice)
            if choice:
                won += weight
                total += sum(votes.values())
    return "".join(out), (won / total if total else 1.0)


def _agreement(texts: Sequence[str], k: int) -> float:
    """How well reading ``k``'s line agrees with the others' (1 with nothing to compare)."""
    others = [fuzz.ratio(texts[k], t) for j, t in enumerate(texts) if j != k]
    return statistics.fmean(others) / 100.0 if others else 1.0


@dataclass
class _Row:
    members: list[tuple[int, int, str]]  # (reading index, line index in that reading, line)

    def text(self, weights: Sequence[float]) -> str:
        return max(self.members, key=lambda m: (weights[m[0]], len(m[2])))[2]


def _supported(rows: list[_Row], weights: Sequence[float]) -> list[_Row]:
    """Rows that the readings which saw nothing there do not outweigh. A reading saw nothing at
    a row when its lines on the rows just above and below are consecutive lines of its own (a
    photo of the top half says nothing about the bottom rows; a reading with a garbled line of
    its own there abstains). So a line only a weak reading has, between rows the others read
    one after the other, is a misread (a line read twice, noise taken for text), while a line
    the others garbled is kept. Rows mostly of unreadable characters are dropped too."""
    where: dict[int, list[tuple[int, int]]] = {}  # reading -> (row, its line index), in row order
    for r, row in enumerate(rows):
        for k, j, _ in row.members:
            where.setdefault(k, []).append((r, j))
    kept = []
    for r, row in enumerate(rows):
        have = {k for k, _, _ in row.members}
        against = 0.0
        for k, seen in where.items():
            if k in have:
                continue
            above = [j for rr, j in seen if rr < r]
            below = [j for rr, j in seen if rr > r]
            if above and below and below[0] == above[-1] + 1:
                against += weights[k]
        ink = [c for c in row.text(weights) if not c.isspace()]
        if sum(weights[k] for k in have) >= against and ink.count(UNKNOWN) * 2 < len(ink):
            kept.append(row)
    return kept


def _screen_lines(lines: Sequence[str]) -> int:
    """How many lines read as lines only a purple screen prints (noise reads as none)."""
    return sum(kind_of(line.strip()) in SCREEN_KINDS for line in lines)


def _has_banner(lines: Sequence[str]) -> bool:
    return any("Mware ESX" in line for line in lines[:3])


def fuse_texts(readings: Sequence[Reading]) -> Fused:
    """The readings merged into one text (see the module docstring)."""
    weights = [max(r.weight, 1e-6) for r in readings]
    split = [_lines(r.text) for r in readings]
    order = sorted(range(len(readings)), key=lambda k: (-weights[k] * len(split[k]), k))
    order = [k for k in order if split[k]]
    notes: list[str] = []
    if not order:
        return Fused("", (), ())
    rows = [_Row([(order[0], j, line)]) for j, line in enumerate(split[order[0]])]
    for k in order[1:]:
        lines = split[k]
        pairs = align_lines([row.text(weights) for row in rows], lines)
        if not any(a is not None and b is not None for a, b in pairs):
            label = readings[k].name or f"reading {k + 1}"
            if _screen_lines(lines) < MIN_SCREEN_LINES:
                notes.append(f"{label} shares no line with the others and reads as no purple screen: "
                             "left out")  # fmt: skip
                continue
            on_top = _has_banner(lines) and not _has_banner([row.text(weights) for row in rows])
            notes.append(f"{label} shares no line with the others: joined {'above' if on_top else 'below'}")
            new = [_Row([(k, j, line)]) for j, line in enumerate(lines)]
            rows = new + rows if on_top else rows + new
            continue
        merged: list[_Row] = []
        for a, b in pairs:
            if a is not None:
                if b is not None:
                    rows[a].members.append((k, b, lines[b]))
                merged.append(rows[a])
            elif b is not None:
                merged.append(_Row([(k, b, lines[b])]))
        rows = merged
    fused = []
    for row in _supported(rows, weights):
        texts = [line for _, _, line in row.members]
        members = [(line, weights[k] * _agreement(texts, i) ** AGREEMENT_POWER)
                   for i, (k, _, line) in enumerate(row.members)]  # fmt: skip
        text, agreement = vote_line(members)
        sources = tuple(sorted({k for k, _, _ in row.members}))
        fused.append(FusedLine(text.rstrip(), sources, round(agreement, 3)))
    return Fused("\n".join(line.text for line in fused) + "\n", tuple(fused), tuple(notes))


# --- reports -----------------------------------------------------------------------------------


def reading_weight(report: Report) -> float:
    """A report's OCR mean confidence as a weight: (confidence / 100) squared, so a clear photo
    outvotes a blurred one more than linearly (text input counts as fully confident)."""
    if report.ocr is None:
        return 1.0
    conf = report.ocr.mean_confidence
    return max(0.05, (conf if conf is not None else DEFAULT_CONFIDENCE) / 100.0) ** CONFIDENCE_POWER


def headline_from_readings(text: str, reports: Sequence[Report]) -> tuple[str, str | None]:
    """The headline is the line that matters most and a vote can mix two misreadings of it into
    a third: when the fused text has no exactly known headline but a reading has one, that
    reading's line replaces the fused line most like it (or goes in under the banner). Returns
    the text and the reading's path (None when nothing was changed)."""
    from .parse import parse_text

    mine = parse_text(text, fuzzy=True).headline
    if mine is not None and mine.exact:
        return text, None
    candidates = []
    for r in reports:
        parsed = parse_text(r.text, fuzzy=True)
        if parsed.headline is not None and parsed.screen.message_line is not None:
            line = r.text.split("\n")[parsed.screen.message_line - 1]
            candidates.append((parsed.headline.exact, reading_weight(r), line, r.source.path))
    if not candidates:
        return text, None
    exact, _, line, path = max(candidates, key=lambda c: c[:2])
    if mine is not None and not exact:
        return text, None  # no reading knows better
    lines = text.split("\n")
    best = max(range(len(lines)), key=lambda i: fuzz.ratio(lines[i], line))
    if fuzz.ratio(lines[best], line) >= HEADLINE_MATCH:
        lines[best] = line
    else:
        banner = next((i for i, x in enumerate(lines[:3]) if "Mware ESX" in x), -1)
        lines.insert(banner + 1, line)
    return "\n".join(lines), path


def fused_sha256(sha256s: Sequence[str | None]) -> str:
    """One identity for a set of pictures, whatever their order: the history keeps it once."""
    joined = "\n".join(sorted(s or "" for s in sha256s))
    return hashlib.sha256(f"fused\n{joined}".encode()).hexdigest()


def fuse_reports(reports: Sequence[Report], lang: str = "en") -> Report:
    """Reports of several pictures of one screen -> one report read from the fused text.

    Readings that found no screen text are left out (with a warning). The fused text is
    repaired, given back a headline a reading knew exactly (``headline_from_readings``), then
    parsed and classified. The OCR section says what was done: the model is marked fused, the
    sources are listed in the warnings, the confidence is the readings' mean weighted by their
    text length, and the quad is None (there are several).
    """
    from .classify import classify
    from .parse import parse_text
    from .repair import repair_text

    start = time.perf_counter()
    names = [r.source.path for r in reports]
    used = [r for r in reports if r.text.strip()]
    warnings = [f"fused from {len(reports)} pictures of one screen: {', '.join(names)}"]
    warnings += [f"{r.source.path}: no screen text read, left out of the fusion"
                 for r in reports if r not in used]  # fmt: skip
    fused = fuse_texts([Reading(r.text, reading_weight(r), r.source.path) for r in used])
    warnings += fused.notes
    text, repairs = repair_text(fused.text)
    text, headline_from = headline_from_readings(text, used)
    if headline_from is not None:
        warnings.append(f"headline line taken as {headline_from} read it")
    parsed = parse_text(text, fuzzy=True)
    diagnosis = classify(parsed, lang)
    unread = text.count(UNKNOWN)
    if unread:
        warnings.append(f"{unread} characters could not be read in any picture and are shown as '?'")
    if parsed.evidence == 0:
        warnings.append("no purple-screen text could be read in the pictures")
    kinds = {r.source.kind for r in reports}
    confs = [(r.ocr.mean_confidence, len(r.text)) for r in used
             if r.ocr and r.ocr.mean_confidence is not None]
    chars = sum(n for _, n in confs)
    mean_conf = sum(c * n for c, n in confs) / chars if chars else None
    models = sorted({r.ocr.model for r in used if r.ocr})
    engine = next((r.ocr.engine for r in reports if r.ocr), "none")
    source = Source(
        path=" + ".join(names),
        kind=kinds.pop() if len(kinds) == 1 else "unknown",
        sha256=fused_sha256([r.source.sha256 for r in reports]),
        paths=tuple(names),
    )
    ocr = OcrResult(
        engine=engine,
        model=f"fused from {len(used)} readings ({', '.join(models) or 'none'})",
        raw_text=fused.text,
        mean_confidence=None if mean_conf is None else round(mean_conf, 1),
        uncertain_share=uncertain_share(fused.text),
        screen_quad=None,
        repairs=repairs,
        timings_ms={"fuse": round((time.perf_counter() - start) * 1000, 1)},
    )
    return Report(source, text, parsed.screen, diagnosis, tuple(warnings + list(parsed.warnings)), ocr)
