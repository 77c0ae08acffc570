"""``Screen`` -> ``Diagnosis``: type, likely cause, faulting module, KB references, signature.

Everything a person would look up lives in ``data/`` (headlines, diagnoses, KB articles, known
issues, module names); this module only applies it, in a fixed order of small steps.
"""

from __future__ import annotations

import hashlib
import re

from . import knowledge
from .parse import ParseResult
from .parse.headline import HeadlineMatch
from .parse.screen import MASKED
from .report import Diagnosis, KbRef, Screen

SIGNATURE_FRAMES = 4
KNOWN_ISSUE_FRAMES = 12


def classify(parsed: ParseResult, lang: str = "en") -> Diagnosis:
    screen, headline = parsed.screen, parsed.headline
    reasons: list[str] = []
    kind = diagnosis_type(parsed, reasons)
    entry = knowledge.diagnoses()[kind]
    module = None if kind == "not_a_psod" else faulting_module(screen, reasons)
    cause = entry["likely_cause"]
    sentences: list[str] = []
    if module and entry.get("driver_override"):
        cause = "driver"
        sentences.append(_text("driver_sentence", lang).format(module=module))
    for refine in entry.get("refine", []):
        lines = (*screen.details, screen.message or "", screen.saved_backtrace_from or "")
        if any(refine["_detail"].search(d) for d in lines):
            cause = cause if cause == "driver" else refine["likely_cause"]
            sentences.append(refine["sentence"][lang])
            reasons.append(f"detail line matches {refine['detail']!r}")
            break
    kb: list[KbRef] = []
    for issue in matching_known_issues(kind, screen):
        kb.append(_kb_ref(issue.kb, lang))
        note = issue.note.get(lang) or issue.note.get("en", "")
        sentences.append(_text("known_issue", lang).format(kb=issue.kb, note=note))
        reasons.append(f"matches the known issue of KB {issue.kb}")
        if issue.likely_cause:
            cause = issue.likely_cause
    for ref in entry.get("kb", []):
        if all(k.id != ref for k in kb):
            kb.append(_kb_ref(ref, lang))
    signature, labels = crash_signature(kind, screen)
    return Diagnosis(
        type=kind,
        title=entry["title"][lang],
        summary=" ".join([entry["summary"][lang], *sentences]),
        likely_cause=cause,
        faulting_module=module,
        kb=tuple(kb),
        signature=signature,
        signature_frames=labels,
        confidence=confidence(parsed, kind, headline),
        reasons=tuple(reasons),
    )


def _text(key: str, lang: str) -> str:
    return knowledge.ui_text()[key][lang]


def _kb_ref(kb_id: str, lang: str) -> KbRef:
    info = knowledge.kb_titles().get(kb_id, {})
    title = info.get("ja") if lang == "ja" and info.get("ja") else info.get("title")
    return KbRef(kb_id, title, info.get("url"))


def diagnosis_type(parsed: ParseResult, reasons: list[str]) -> str:
    screen, headline = parsed.screen, parsed.headline
    if parsed.evidence == 0:
        reasons.append("no line of the input is one that only a purple screen prints")
        return "not_a_psod"
    if headline is not None:
        how = "matches" if headline.exact else f"resembles ({headline.score:.0f}%)"
        reasons.append(f"headline {how} the {headline.rule.type} wording")
        return headline.rule.type
    for kind, frames in knowledge.modules().frame_types:
        symbol = _frame_matching(screen, frames)
        if symbol:
            reasons.append(f"headline not recognised; {symbol} in the backtrace is a {kind} crash's")
            return kind
    if screen.message and _panic_frame(screen):
        reasons.append("free-text headline above a module panic call in the backtrace")
        return "panic"
    reasons.append("headline missing or not recognised" if not screen.message
                   else "headline wording is not a known one")  # fmt: skip
    return "other"


def _frame_matching(screen: Screen, patterns) -> str | None:
    """The first symbol near the top of the backtrace that one of ``patterns`` matches."""
    symbols = (f.symbol for f in screen.frames[:8] if f.symbol)
    return next((s for s in symbols if any(p.search(s) for p in patterns)), None)


def _panic_frame(screen: Screen) -> bool:
    return _frame_matching(screen, knowledge.modules().panic_frames) is not None


def faulting_module(screen: Screen, reasons: list[str]) -> str | None:
    """The first third-party module: named by the panic, in the backtrace, or by the world."""
    mods = knowledge.modules()
    for involved in screen.modules_involved:
        if involved.external or not mods.is_vmware(involved.name):
            reasons.append(f"the screen names {involved.name} as involved in the panic")
            return involved.name
    for frame in screen.frames:
        if frame.symbol and frame.module and not mods.is_vmware(frame.module):
            reasons.append(f"third-party module {frame.module} in the backtrace ({frame.label})")
            return frame.module
    names = [screen.world.name] if screen.world and screen.world.name else []
    names += [c.world_name for c in screen.cpus if c.current and c.world_name]
    for name in names:
        for pattern in mods.driver_worlds:
            m = pattern.search(name)
            if m:
                reasons.append(f"the world {name} belongs to the driver {m['driver']}")
                return m["driver"]
    return None


def matching_known_issues(kind: str, screen: Screen) -> list[knowledge.KnownIssue]:
    symbols = {f.symbol for f in screen.frames[:KNOWN_ISSUE_FRAMES] if f.symbol}
    world = screen.world.name if screen.world and screen.world.name else ""
    found = []
    for issue in knowledge.known_issues():
        if issue.types and kind not in issue.types:
            continue
        if issue.message and not issue.message.search(screen.message or ""):
            continue
        if issue.frames and not set(issue.frames) <= symbols:
            continue
        if issue.world and not issue.world.search(world):
            continue
        found.append(issue)
    return found


def crash_signature(kind: str, screen: Screen) -> tuple[str | None, tuple[str, ...]]:
    """Type plus the top frames as ``symbol@module``, addresses dropped, hashed.

    Panic and interrupt machinery at the top is skipped: every crash of a kind shares it. With
    no frames, the headline with its numbers masked stands in for them.
    """
    if kind == "not_a_psod":
        return None, ()
    skip = knowledge.modules().signature_skip
    frames = [f for f in screen.frames if f.symbol]
    while frames and any(p.search(frames[0].symbol or "") for p in skip):
        frames.pop(0)
    labels = tuple(f.label for f in frames[:SIGNATURE_FRAMES])
    if labels:
        basis = "|".join(labels)
    elif screen.message:
        basis = re.sub(r"0x[0-9a-fA-F#]+|[0-9#]+", "N", screen.message)
        labels = (basis,)
    else:
        return None, ()
    digest = hashlib.sha1(f"{kind}|{basis}".encode()).hexdigest()[:16]
    return f"{kind}-{digest}", labels


def confidence(parsed: ParseResult, kind: str, headline: HeadlineMatch | None) -> float:
    """How sure the type is: a headline matched exactly on an @BlueScreen line is surest."""
    screen = parsed.screen
    if kind == "not_a_psod":
        return 0.9
    if headline is not None and headline.exact:
        value = 0.95
    elif headline is not None:
        value = 0.5 + (headline.score - 80) / 50
    elif kind == "panic":
        value = 0.6
    else:
        value = 0.5 if screen.message else 0.4
    if screen.message and MASKED.search(screen.message):
        value *= 0.9
    if parsed.evidence < 2:
        value *= 0.8
    return round(max(0.05, min(value, 0.99)), 2)
