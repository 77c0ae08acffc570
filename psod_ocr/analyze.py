"""Several purple screens of one host read together: does the pattern point at hardware, software
or a driver?

One crash says what failed; only a series says whether it is the same code every time (software),
a different place every time (hardware), one third-party driver, one world or one CPU. Each rule
below finds one such pattern and returns the facts its sentence needs; which rules run, their
order, weights, thresholds and wording are in ``data/analysis.toml``. Pure: no I/O.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import knowledge
from .facts import CrashFacts, as_dict, facts
from .report import Report

Params = dict[str, Any]
VERDICTS = ("hardware_suspected", "software_suspected", "driver_suspected", "inconclusive")


@dataclass(frozen=True)
class Reason:
    code: str
    lean: str  # hardware | software | driver | none
    weight: float
    params: Params  # what the rule found (driver, pcpu, signature, counts)
    text: dict[str, str]  # lang -> sentence

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "lean": self.lean, "weight": self.weight,
                               "params": self.params}  # fmt: skip
        out.update({f"text_{lang}": text for lang, text in self.text.items()})
        return out


@dataclass(frozen=True)
class Analysis:
    verdict: str  # one of VERDICTS
    reasons: tuple[Reason, ...]
    evidence: tuple[dict[str, Any], ...]  # one row per purple screen, in the order given

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reasons": [r.to_dict() for r in self.reasons],
            "evidence": [dict(row) for row in self.evidence],
        }


@dataclass(frozen=True)
class _Context:
    crashes: tuple[CrashFacts, ...]  # purple screens only
    skipped: int  # inputs without one
    hosts: Mapping[str, Collection[str]]
    data: knowledge.AnalysisKnowledge

    @property
    def n(self) -> int:
        return len(self.crashes)


def _most(values: Iterable[Hashable | None]) -> tuple[Any, int]:
    """The most common known value and how many times it occurs (first seen wins a tie)."""
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0] if counts else (None, 0)


def _shared(ctx: _Context, value: Any, count: int, s: Params) -> bool:
    return count >= max(2, s.get("min_count", 2)) and count / ctx.n >= s.get("min_share", 1.0)


def world_key(name: str | None, data: knowledge.AnalysisKnowledge) -> str | None:
    """A world name without what changes per boot or instance, so crashes can be compared."""
    if not name:
        return None
    for pattern in data.world_strip:
        name = pattern.sub("", name)
    return name or None


def _not_a_psod(ctx: _Context, s: Params) -> Params | None:
    return {"count": ctx.skipped} if ctx.skipped else None


def _too_few(ctx: _Context, s: Params) -> Params | None:
    return {"n": ctx.n, "min": ctx.data.min_reports} if ctx.n < ctx.data.min_reports else None


def _hardware_type(ctx: _Context, s: Params) -> Params | None:
    hits = [c.type for c in ctx.crashes if c.type in s["types"]]
    if len(hits) < s.get("min_count", 1):
        return None
    return {"count": len(hits), "n": ctx.n, "types": ", ".join(dict.fromkeys(hits))}


def _same_driver(ctx: _Context, s: Params) -> Params | None:
    driver, count = _most(d for c in ctx.crashes for d in c.drivers)
    if driver is None or count / ctx.n < s.get("min_share", 1.0):
        return None
    return {"driver": driver, "count": count, "n": ctx.n}


def _world_id_overflow(ctx: _Context, s: Params) -> Params | None:
    def long_run(c: CrashFacts) -> bool:
        uptime, world_id = c.uptime_seconds or 0, c.world_id or 0
        return uptime >= s["min_uptime_days"] * 86400 or world_id >= s["min_world_id"]

    hits = [c for c in ctx.crashes
            if any(f.split("@")[0] in s["frames"] for f in c.top_frames) and long_run(c)]  # fmt: skip
    if not hits:
        return None
    uptimes = [c.uptime_seconds for c in hits if c.uptime_seconds is not None]
    ids = [c.world_id for c in hits if c.world_id is not None]
    return {
        "count": len(hits),
        "days": int(max(uptimes) // 86400) if uptimes else "?",
        "world_id": max(ids) if ids else "?",
        "kb": s.get("kb", ""),
    }


def _same_signature(ctx: _Context, s: Params) -> Params | None:
    signature, count = _most(c.signature for c in ctx.crashes)
    if not _shared(ctx, signature, count, s):
        return None
    kind = next(c.type for c in ctx.crashes if c.signature == signature)
    return {"signature": signature, "count": count, "n": ctx.n, "type": kind}


def _different_signatures(ctx: _Context, s: Params) -> Params | None:
    distinct = len({c.signature for c in ctx.crashes if c.signature})
    if ctx.n < 2 or distinct / ctx.n < s.get("min_share", 1.0):
        return None
    return {"distinct": distinct, "n": ctx.n}


def _mixed_signatures(ctx: _Context, s: Params) -> Params | None:
    signature, count = _most(c.signature for c in ctx.crashes)
    distinct = len({c.signature for c in ctx.crashes if c.signature})
    if not (2 <= count < ctx.n and distinct >= 2):
        return None
    return {"signature": signature, "count": count, "n": ctx.n}


def _same_world(ctx: _Context, s: Params) -> Params | None:
    world, count = _most(world_key(c.world, ctx.data) for c in ctx.crashes)
    return {"world": world, "count": count, "n": ctx.n} if _shared(ctx, world, count, s) else None


def _same_pcpu(ctx: _Context, s: Params) -> Params | None:
    pcpu, count = _most(c.pcpu for c in ctx.crashes)
    return {"pcpu": pcpu, "count": count, "n": ctx.n} if _shared(ctx, pcpu, count, s) else None


def _other_hosts(ctx: _Context, s: Params) -> Params | None:
    seen = {c.signature: sorted(set(ctx.hosts.get(c.signature, ()))) for c in ctx.crashes if c.signature}
    if not seen:
        return None
    signature, hosts = max(seen.items(), key=lambda item: len(item[1]))
    if len(hosts) < s.get("min_hosts", 2):
        return None
    return {"signature": signature, "count": len(hosts), "hosts": ", ".join(hosts)}


def _builds(ctx: _Context, s: Params) -> Params | None:
    builds = list(dict.fromkeys(c.build for c in ctx.crashes if c.build))
    return {"count": len(builds), "builds": ", ".join(builds)} if len(builds) > 1 else None


Rule = Callable[[_Context, Params], "Params | None"]
# code -> (check, the placeholders its sentence may use)
RULES: dict[str, tuple[Rule, frozenset[str]]] = {
    "not_a_psod": (_not_a_psod, frozenset({"count"})),
    "too_few": (_too_few, frozenset({"n", "min"})),
    "hardware_type": (_hardware_type, frozenset({"count", "n", "types"})),
    "same_driver": (_same_driver, frozenset({"driver", "count", "n"})),
    "world_id_overflow": (_world_id_overflow, frozenset({"count", "days", "world_id", "kb"})),
    "same_signature": (_same_signature, frozenset({"signature", "count", "n", "type"})),
    "different_signatures": (_different_signatures, frozenset({"distinct", "n"})),
    "mixed_signatures": (_mixed_signatures, frozenset({"signature", "count", "n"})),
    "same_world": (_same_world, frozenset({"world", "count", "n"})),
    "same_pcpu": (_same_pcpu, frozenset({"pcpu", "count", "n"})),
    "other_hosts": (_other_hosts, frozenset({"signature", "count", "hosts"})),
    "builds": (_builds, frozenset({"count", "builds"})),
}
VERDICT_TEXT = {"conflict": frozenset({"scores"}), "no_signal": frozenset()}
# Labels the text and Markdown views use (render_history.py).
COLUMNS = ("time", "uptime", "build", "type", "world", "pcpu", "signature", "frames")
LABELS = ("title", "crashes", "reasons", "evidence", "hardware", "software", "driver",
          *(f"col_{c}" for c in COLUMNS))  # fmt: skip


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@cache
def rules() -> knowledge.AnalysisKnowledge:
    """data/analysis.toml, checked against the rules implemented here."""
    data = knowledge.analysis()
    where = "data/analysis.toml"
    for rule in data.rules:
        if rule.code not in RULES:
            raise knowledge.DataFileError(f"{where} [rule.{rule.code}]: no such rule in analyze.py")
        for lang, text in rule.text.items():
            unknown = sorted(_placeholders(text) - RULES[rule.code][1])
            if unknown:
                raise knowledge.DataFileError(f"{where} [rule.{rule.code}] text.{lang}: unknown {unknown}")
    for key in (*VERDICT_TEXT, *VERDICTS, *LABELS):
        if key not in data.text:
            raise knowledge.DataFileError(f"{where}: [text.{key}] missing")
    return data


def _reason(code: str, lean: str, weight: float, params: Params, texts: dict[str, str]) -> Reason:
    return Reason(code, lean, weight, params, {lang: t.format(**params) for lang, t in texts.items()})


def _verdict(reasons: list[Reason], data: knowledge.AnalysisKnowledge) -> tuple[str, Reason | None]:
    """The cause with the most weight, if it is enough and leads; else why it is inconclusive."""
    totals: Counter[str] = Counter()
    for r in reasons:
        if r.lean != "none":
            totals[r.lean] += r.weight
    for source, target in data.merge.items():
        if totals[target] > 0 and source in totals:
            totals[target] += totals.pop(source)
    ranked = totals.most_common()
    best, weight = ranked[0] if ranked else ("", 0.0)
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if ranked and weight >= data.min_weight and weight - runner_up >= data.margin:
        return f"{best}_suspected", None
    if runner_up > 0:
        text = {}
        for lang in knowledge.LANGS:
            scores = ", ".join(f"{data.text[c][lang]} {w:g}" for c, w in ranked)
            text[lang] = data.text["conflict"][lang].format(scores=scores)
        return "inconclusive", Reason("conflict", "none", 0.0, {"scores": dict(ranked)}, text)
    return "inconclusive", _reason("no_signal", "none", 0.0, {}, data.text["no_signal"])


def _evidence(obj: dict[str, Any], f: CrashFacts) -> dict[str, Any]:
    return {
        "path": (obj.get("source") or {}).get("path"),
        "crash_time": f.crash_time,
        "uptime_seconds": f.uptime_seconds,
        "build": f.build,
        "type": f.type,
        "signature": f.signature,
        "world": f.world,
        "pcpu": f.pcpu,
        "top_frames": list(f.top_frames),
    }


def analyze(
    reports: Sequence[dict[str, Any] | Report], hosts: Mapping[str, Collection[str]] | None = None
) -> Analysis:
    """Read the crashes of one host together.

    ``reports``: the host's reports (``Report`` or its ``to_dict()``), oldest first; inputs that
    hold no purple screen are left out with a note. ``hosts``: crash signature -> the hosts it
    was seen on (``Store.signature_hosts()``), for the rule that one crash on several machines
    is software.
    """
    data = rules()
    objs = [as_dict(r) for r in reports]
    pairs = [(obj, facts(obj)) for obj in objs]
    crashes = tuple(f for _, f in pairs if f.is_psod)
    ctx = _Context(crashes, len(pairs) - len(crashes), hosts or {}, data)
    reasons: list[Reason] = []
    stopped = False
    for rule in data.rules:
        params = RULES[rule.code][0](ctx, rule.settings)
        if params is None:
            continue
        reasons.append(_reason(rule.code, rule.lean, rule.weight, params, rule.text))
        if rule.stop:
            stopped = True
            break
    verdict, why = ("inconclusive", None) if stopped else _verdict(reasons, data)
    if why is not None:
        reasons.append(why)
    evidence = tuple(_evidence(obj, f) for obj, f in pairs if f.is_psod)
    return Analysis(verdict, tuple(reasons), evidence)
