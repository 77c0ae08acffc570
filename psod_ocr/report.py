"""The data that flows between stages, and its JSON form (``data/psod-report.schema.json``).

Every stage returns one of these frozen dataclasses so that a report can show what was decided.
Fields that could not be read stay ``None`` (or empty) and a warning says why.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class World:
    id: int | None
    name: str | None


@dataclass(frozen=True)
class Cpu:
    pcpu: int
    world_id: int | None
    world_name: str | None
    current: bool


@dataclass(frozen=True)
class Frame:
    frame: str | None
    ip: str | None
    symbol: str | None
    module: str | None
    offset: str | None
    stack: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``symbol@module`` without addresses: what a signature and a person compare."""
        sym = self.symbol or "?"
        return f"{sym}@{self.module}" if self.module else sym


@dataclass(frozen=True)
class Uptime:
    text: str
    seconds: float | None


@dataclass(frozen=True)
class Coredump:
    status: str  # started | completed | failed | unknown
    lines: tuple[str, ...]


@dataclass(frozen=True)
class InvolvedModule:
    name: str
    version: str | None
    external: bool


@dataclass(frozen=True)
class Screen:
    """What the parser read off the screen (or log); the schema's ``screen``."""

    product: str | None = None
    version: str | None = None
    build: str | None = None
    arch: str | None = None
    message: str | None = None
    message_line: int | None = None
    details: tuple[str, ...] = ()
    world: World | None = None
    pcpu: int | None = None
    registers: dict[str, str] = field(default_factory=dict)
    cpus: tuple[Cpu, ...] = ()
    pcpu_states: str | None = None
    saved_backtrace_from: str | None = None
    frames: tuple[Frame, ...] = ()
    modules_involved: tuple[InvolvedModule, ...] = ()
    uptime: Uptime | None = None
    tsc: int | None = None
    code_start: str | None = None
    coredump: Coredump | None = None
    form: str | None = None  # screen | log; None when no crash was found
    other_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class KbRef:
    id: str
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    type: str
    title: str
    summary: str
    likely_cause: str
    faulting_module: str | None
    kb: tuple[KbRef, ...]
    signature: str | None
    signature_frames: tuple[str, ...]
    confidence: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    path: str
    kind: str  # kvm_screenshot | phone_photo | text | log | unknown
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Repair:
    line: int
    before: str
    after: str
    rule: str
    evidence: str = ""  # what on the screen says so, where the rule weighed it


def uncertain_share(text: str) -> float:
    """The share of a reading's non-blank characters that are '?': cells no reader was sure of."""
    chars = sum(not c.isspace() for c in text)
    return round(text.count("?") / chars, 4) if chars else 0.0


@dataclass(frozen=True)
class OcrResult:
    engine: str
    model: str
    raw_text: str
    mean_confidence: float | None
    uncertain_share: float = 0.0  # of the text's non-blank characters, those shown as '?' (unsure)
    screen_quad: tuple[tuple[float, float], ...] | None = None
    repairs: tuple[Repair, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    source: Source
    text: str
    screen: Screen
    diagnosis: Diagnosis
    warnings: tuple[str, ...] = ()
    ocr: OcrResult | None = None

    @property
    def is_psod(self) -> bool:
        return self.diagnosis.type != "not_a_psod"

    def to_dict(self) -> dict[str, Any]:
        """The schema's JSON object (tuples become lists; internal-only fields dropped)."""
        screen = asdict(self.screen)
        screen.pop("message_line", None)
        if not screen["registers"]:
            screen["registers"] = {}
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "source": _drop_empty(asdict(self.source), keep=("sha256", "width", "height")),
            "ocr": asdict(self.ocr) if self.ocr else None,
            "text": self.text,
            "screen": screen,
            "diagnosis": _diagnosis(self.diagnosis),
            "warnings": list(self.warnings),
        }
        return _lists(out)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def _diagnosis(d: Diagnosis) -> dict[str, Any]:
    out = asdict(d)
    out["kb"] = [{k: v for k, v in ref.items() if v is not None} for ref in out["kb"]]
    return out


def _drop_empty(d: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k in keep or v not in (None, (), [], "")}


def _lists(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_lists(v) for v in obj]
    return obj


@cache
def schema() -> dict[str, Any]:
    text = resources.files("psod_ocr").joinpath("data/psod-report.schema.json").read_text("utf-8")
    return json.loads(text)


def validate(obj: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``obj`` is a valid report."""
    import jsonschema

    jsonschema.validate(obj, schema(), cls=jsonschema.Draft202012Validator)


def _make(cls: type, obj: dict[str, Any], **given: Any) -> Any:
    """``cls`` from the JSON keys it knows (keys from a newer or older psod-ocr are ignored)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in obj.items() if k in names and k not in given}, **given)


def _tuple(obj: dict[str, Any], key: str) -> tuple[Any, ...]:
    return tuple(obj.get(key) or ())


def from_dict(obj: dict[str, Any]) -> Report:
    """The ``Report`` whose ``to_dict()`` is ``obj``: a report kept in the history or a JSON file."""
    s = obj.get("screen") or {}
    screen = _make(
        Screen, s,
        details=_tuple(s, "details"),
        world=_make(World, s["world"]) if s.get("world") else None,
        registers=dict(s.get("registers") or {}),
        cpus=tuple(_make(Cpu, c) for c in s.get("cpus") or ()),
        frames=tuple(_make(Frame, f, stack=_tuple(f, "stack")) for f in s.get("frames") or ()),
        modules_involved=tuple(_make(InvolvedModule, m) for m in s.get("modules_involved") or ()),
        uptime=_make(Uptime, s["uptime"]) if s.get("uptime") else None,
        coredump=_make(Coredump, s["coredump"], lines=_tuple(s["coredump"], "lines"))
        if s.get("coredump") else None,
        other_lines=_tuple(s, "other_lines"),
    )  # fmt: skip
    d = obj["diagnosis"]
    diagnosis = _make(
        Diagnosis, d,
        kb=tuple(_make(KbRef, k) for k in d.get("kb") or ()),
        signature_frames=_tuple(d, "signature_frames"),
        reasons=_tuple(d, "reasons"),
    )  # fmt: skip
    ocr = None
    if obj.get("ocr"):
        o = obj["ocr"]
        quad = tuple(tuple(p) for p in o["screen_quad"]) if o.get("screen_quad") else None
        repairs = tuple(_make(Repair, r) for r in o.get("repairs") or ())
        timings = dict(o.get("timings_ms") or {})
        ocr = _make(OcrResult, o, screen_quad=quad, repairs=repairs, timings_ms=timings)
    source = _make(Source, obj.get("source") or {"path": "-", "kind": "unknown"},
                   paths=_tuple(obj.get("source") or {}, "paths"))  # fmt: skip
    return Report(source, obj.get("text") or "", screen, diagnosis, _tuple(obj, "warnings"), ocr)
