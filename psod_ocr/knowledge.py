"""Load the domain knowledge in ``psod_ocr/data/`` once, and check it while loading.

Errors name the file and the entry, so a bad edit to a data file fails loudly at import time in
the tests rather than silently misclassifying crashes.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rapidfuzz.distance import Levenshtein

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DIAGNOSIS_TYPES = (
    "pf14", "gp13", "tlb_ack", "spin_deadlock", "assert", "not_implemented", "cos_oops",
    "lost_heartbeat", "mce", "nmi_lint1", "no_heartbeat", "nmi_ipi", "panic", "de0", "ud6",
    "df8", "oom", "exception", "crashme", "hw_incompat", "boot_failure", "other", "not_a_psod",
)  # fmt: skip
CAUSES = ("hardware", "software", "driver", "unknown")
LANGS = ("en", "ja")


class DataFileError(ValueError):
    """A data file under psod_ocr/data is malformed."""


@dataclass(frozen=True)
class HeadlineRule:
    type: str
    patterns: tuple[re.Pattern[str], ...]
    priority: int
    details: tuple[re.Pattern[str], ...] | str
    examples: tuple[str, ...]
    weak: bool


@dataclass(frozen=True)
class KnownIssue:
    kb: str
    title: str
    types: tuple[str, ...]
    message: re.Pattern[str] | None
    frames: tuple[str, ...]
    world: re.Pattern[str] | None
    note: dict[str, str]
    likely_cause: str | None = None


@cache
def _read(name: str) -> dict[str, Any]:
    """A data file's tables, parsed once: callers build their own values from them and must
    not change them."""
    text = resources.files("psod_ocr").joinpath(f"data/{name}").read_text("utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(f"data/{name}: {exc}") from exc


def _compile(pattern: str, where: str, macros: dict[str, str] | None = None) -> re.Pattern[str]:
    for key, value in (macros or {}).items():
        pattern = pattern.replace("{" + key + "}", value)
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise DataFileError(f"{where}: bad regex {pattern!r}: {exc}") from exc


@cache
def headline_rules() -> tuple[HeadlineRule, ...]:
    data = _read("headlines.toml")
    macros = data.get("macros", {})
    rules = []
    for i, entry in enumerate(data.get("headline", [])):
        where = f"data/headlines.toml headline #{i + 1}"
        kind = entry.get("type")
        if kind not in DIAGNOSIS_TYPES:
            raise DataFileError(f"{where}: unknown type {kind!r}")
        pats = tuple(_compile(p, where, macros) for p in entry.get("patterns", []))
        if not pats:
            raise DataFileError(f"{where}: no patterns")
        details = entry.get("details", ())
        if details != "following":
            details = tuple(_compile(p, where) for p in details)
        rules.append(
            HeadlineRule(
                type=kind,
                patterns=pats,
                priority=int(entry.get("priority", 50)),
                details=details,
                examples=tuple(entry.get("examples", ())),
                weak=bool(entry.get("weak", False)),
            )
        )
    return tuple(rules)


@cache
def headline_keywords() -> tuple[str, ...]:
    """Words one of which every headline contains (see data/headlines.toml)."""
    words = tuple(w.lower() for w in _read("headlines.toml").get("keywords", []))
    for rule in headline_rules():
        for example in rule.examples:
            if not any(w in example.lower() for w in words):
                raise DataFileError(
                    f"data/headlines.toml: example {example!r} ({rule.type}) has none of the keywords"
                )
    return words


@cache
def diagnoses() -> dict[str, dict[str, Any]]:
    data = _read("diagnoses.toml")
    kb = kb_titles()
    for kind in DIAGNOSIS_TYPES:
        entry = data.get(kind)
        where = f"data/diagnoses.toml [{kind}]"
        if entry is None:
            raise DataFileError(f"{where}: missing")
        if entry.get("likely_cause") not in CAUSES:
            raise DataFileError(f"{where}: likely_cause must be one of {CAUSES}")
        for field_name in ("title", "summary"):
            for lang in LANGS:
                if not entry.get(field_name, {}).get(lang):
                    raise DataFileError(f"{where}: {field_name}.{lang} missing")
        for ref in entry.get("kb", []):
            if ref not in kb:
                raise DataFileError(f"{where}: KB {ref} is not in data/kb.toml")
        for j, refine in enumerate(entry.get("refine", [])):
            refine["_detail"] = _compile(refine["detail"], f"{where} refine #{j + 1}")
    unknown = set(data) - set(DIAGNOSIS_TYPES) - {"text"}
    if unknown:
        raise DataFileError(f"data/diagnoses.toml: unknown types {sorted(unknown)}")
    return data


@cache
def kb_titles() -> dict[str, dict[str, str]]:
    """KB id -> {'title': ..., 'url': ...}; titles only where they were confirmed."""
    data = _read("kb.toml")
    out = {}
    for kb_id, entry in data.items():
        if not re.fullmatch(r"\d+", kb_id):
            raise DataFileError(f"data/kb.toml: KB id {kb_id!r} is not a number")
        out[kb_id] = {k: v for k, v in entry.items() if isinstance(v, str)}
    return out


@cache
def known_issues() -> tuple[KnownIssue, ...]:
    data = _read("known_issues.toml")
    kb = kb_titles()
    issues = []
    for i, entry in enumerate(data.get("issue", [])):
        where = f"data/known_issues.toml issue #{i + 1}"
        if entry.get("kb") not in kb:
            raise DataFileError(f"{where}: KB {entry.get('kb')!r} is not in data/kb.toml")
        types = tuple(entry.get("types", ()))
        bad = [t for t in types if t not in DIAGNOSIS_TYPES]
        if bad:
            raise DataFileError(f"{where}: unknown types {bad}")
        message = entry.get("message")
        world = entry.get("world")
        if not (message or entry.get("frames") or world):
            raise DataFileError(f"{where}: needs message, frames or world")
        issues.append(
            KnownIssue(
                kb=entry["kb"],
                title=entry.get("title", ""),
                types=types,
                message=_compile(message, where) if message else None,
                frames=tuple(entry.get("frames", ())),
                world=_compile(world, where) if world else None,
                note=entry.get("note", {}),
                likely_cause=_cause(entry.get("likely_cause"), where),
            )
        )
    return tuple(issues)


def _cause(value: str | None, where: str) -> str | None:
    if value is not None and value not in CAUSES:
        raise DataFileError(f"{where}: likely_cause must be one of {CAUSES}")
    return value


@dataclass(frozen=True)
class ModuleKnowledge:
    vmware_modules: frozenset[str]
    vmware_patterns: tuple[re.Pattern[str], ...]
    driver_worlds: tuple[re.Pattern[str], ...]
    panic_frames: tuple[re.Pattern[str], ...]
    signature_skip: tuple[re.Pattern[str], ...]
    frame_types: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = ()

    def is_vmware(self, module: str) -> bool:
        """VMware's own module, allowing one misread letter in a name of five or more."""
        name = module.lower()
        if name in self.vmware_modules or any(p.search(name) for p in self.vmware_patterns):
            return True
        return len(name) >= 5 and any(
            Levenshtein.distance(name, known, score_cutoff=1) <= 1
            for known in self.vmware_modules
            if len(known) >= 5
        )


@cache
def modules() -> ModuleKnowledge:
    data = _read("modules.toml")
    where = "data/modules.toml"

    def pats(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(_compile(p, f"{where} {key}") for p in data.get(key, []))

    worlds = pats("driver_worlds")
    for p in worlds:
        if "driver" not in p.groupindex:
            raise DataFileError(f"{where} driver_worlds: {p.pattern!r} lacks a (?P<driver>...) group")
    return ModuleKnowledge(
        vmware_modules=frozenset(m.lower() for m in data.get("vmware_modules", [])),
        vmware_patterns=pats("vmware_module_patterns"),
        driver_worlds=worlds,
        panic_frames=pats("panic_frames"),
        signature_skip=pats("signature_skip"),
        frame_types=tuple(
            (kind, tuple(_compile(p, f"{where} frame_types.{kind}") for p in patterns))
            for kind, patterns in data.get("frame_types", {}).items()
        ),
    )


@cache
def coredump_phrases() -> dict[str, tuple[re.Pattern[str], ...]]:
    data = _read("coredump.toml")
    return {
        status: tuple(_compile(p, f"data/coredump.toml {status}") for p in data.get(status, []))
        for status in ("started", "completed", "failed", "other")
    }


@cache
def ui_text() -> dict[str, dict[str, str]]:
    data = _read("diagnoses.toml").get("text", {})
    for key, entry in data.items():
        for lang in LANGS:
            if lang not in entry:
                raise DataFileError(f"data/diagnoses.toml [text.{key}]: {lang} missing")
    return data


@cache
def web_text() -> dict[str, dict[str, str]]:
    """Labels of the web page (data/web.toml): key -> {lang: text}."""
    data = _read("web.toml")
    for key, entry in data.items():
        if not isinstance(entry, dict) or any(not entry.get(lang) for lang in LANGS):
            raise DataFileError(f"data/web.toml [{key}]: needs text in {', '.join(LANGS)}")
    return data


LEANS = ("hardware", "software", "driver", "none")


@dataclass(frozen=True)
class AnalysisRule:
    """One check of ``psod-ocr analyze``: what it leans to, how much, its thresholds, its words."""

    code: str
    lean: str
    weight: float
    stop: bool
    settings: dict[str, Any]
    text: dict[str, str]


@dataclass(frozen=True)
class AnalysisKnowledge:
    min_reports: int
    min_weight: float
    margin: float
    merge: dict[str, str]
    world_strip: tuple[re.Pattern[str], ...]
    rules: tuple[AnalysisRule, ...]
    text: dict[str, dict[str, str]]


def _number(value: Any, where: str, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataFileError(f"{where}: {value!r} is not a number")
    if value < low or (high is not None and value > high):
        raise DataFileError(f"{where}: {value!r} is outside {low}..{high if high is not None else ''}")
    return float(value)


def _langs(entry: Any, where: str) -> dict[str, str]:
    if not isinstance(entry, dict) or any(not entry.get(lang) for lang in LANGS):
        raise DataFileError(f"{where}: needs text in {', '.join(LANGS)}")
    return {lang: entry[lang] for lang in LANGS}


def _analysis_rule(code: str, entry: dict[str, Any]) -> AnalysisRule:
    where = f"data/analysis.toml [rule.{code}]"
    lean = entry.get("lean")
    if lean not in LEANS:
        raise DataFileError(f"{where}: lean must be one of {LEANS}")
    weight = _number(entry.get("weight", 0), f"{where} weight")
    if lean == "none" and weight:
        raise DataFileError(f"{where}: a rule that leans nowhere has no weight")
    settings = {k: v for k, v in entry.items() if k not in ("lean", "weight", "stop", "text")}
    bad = [t for t in settings.get("types", ()) if t not in DIAGNOSIS_TYPES]
    if bad:
        raise DataFileError(f"{where}: unknown types {bad}")
    if "kb" in settings and settings["kb"] not in kb_titles():
        raise DataFileError(f"{where}: KB {settings['kb']} is not in data/kb.toml")
    for key in ("min_share",):
        if key in settings:
            _number(settings[key], f"{where} {key}", 0.0, 1.0)
    for key in ("min_count", "min_hosts", "min_uptime_days", "min_world_id"):
        if key in settings:
            _number(settings[key], f"{where} {key}", 1.0)
    return AnalysisRule(code, lean, weight, bool(entry.get("stop", False)), settings,
                        _langs(entry.get("text"), f"{where} text"))  # fmt: skip


@cache
def analysis() -> AnalysisKnowledge:
    """The rules of pattern analysis over several crashes (data/analysis.toml)."""
    data = _read("analysis.toml")
    where = "data/analysis.toml"
    verdict = data.get("verdict", {})
    merge = verdict.get("merge", {})
    for key, value in merge.items():
        if key not in LEANS[:3] or value not in LEANS[:3]:
            raise DataFileError(f"{where} [verdict.merge]: {key} = {value!r} is not a pair of causes")
    rules = tuple(_analysis_rule(code, entry) for code, entry in data.get("rule", {}).items())
    if not rules:
        raise DataFileError(f"{where}: no rules")
    strip = data.get("world_names", {}).get("strip", [])
    return AnalysisKnowledge(
        min_reports=int(_number(verdict.get("min_reports", 2), f"{where} min_reports", 1.0)),
        min_weight=_number(verdict.get("min_weight", 1), f"{where} min_weight"),
        margin=_number(verdict.get("margin", 0), f"{where} margin"),
        merge=dict(merge),
        world_strip=tuple(_compile(p, f"{where} world_names") for p in strip),
        rules=rules,
        text={key: _langs(entry, f"{where} [text.{key}]") for key, entry in data.get("text", {}).items()},
    )
