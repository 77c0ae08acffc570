"""The few facts of a report that history and pattern analysis compare, read from its JSON form.

Stored reports and report files are dicts (possibly from an older psod-ocr), so everything here
works on ``Report.to_dict()`` output and recomputes what it needs from the screen section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import knowledge
from .parse import grammar
from .report import Report

TOP_FRAMES = 5
ISO_TIME = re.compile(r"\b(?P<time>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z?)")


@dataclass(frozen=True)
class CrashFacts:
    """One crash as the history table and the analysis rules see it."""

    type: str
    headline: str | None
    signature: str | None
    build: str | None
    world_id: int | None
    world: str | None
    pcpu: int | None
    uptime_seconds: float | None
    crash_time: str | None
    top_frames: tuple[str, ...]
    drivers: tuple[str, ...]  # third-party modules and driver-named worlds, in order of appearance
    likely_cause: str | None

    @property
    def is_psod(self) -> bool:
        return self.type != "not_a_psod"


def as_dict(report: Report | dict[str, Any]) -> dict[str, Any]:
    return report.to_dict() if isinstance(report, Report) else report


def crash_time(text: str) -> str | None:
    """When the host crashed, if the input says: a zdump's ``Crash at`` or the log line's time."""
    for line in text.splitlines():
        details = grammar.PANIC_DETAILS.search(line)
        if details:
            return details["time"]
    for line in text.splitlines():
        if "BlueScreen:" in line:
            m = ISO_TIME.search(line.split("BlueScreen:")[0])
            if m:
                return m["time"]
    return None


def _label(frame: dict[str, Any]) -> str:
    sym = frame.get("symbol") or "?"
    return f"{sym}@{frame['module']}" if frame.get("module") else sym


def top_frames(screen: dict[str, Any], n: int = TOP_FRAMES) -> tuple[str, ...]:
    """The first frames as ``symbol@module``, below the panic machinery every crash shares."""
    skip = knowledge.modules().signature_skip
    frames = [f for f in screen.get("frames") or [] if f.get("symbol")]
    while frames and any(p.search(frames[0]["symbol"]) for p in skip):
        frames.pop(0)
    return tuple(_label(f) for f in frames[:n])


def drivers(screen: dict[str, Any]) -> tuple[str, ...]:
    """Every third-party module the crash names, and the driver a driver-named world belongs to."""
    mods = knowledge.modules()
    found: list[str] = []
    for involved in screen.get("modules_involved") or []:
        if involved.get("external") or not mods.is_vmware(involved["name"]):
            found.append(involved["name"])
    for frame in screen.get("frames") or []:
        if frame.get("symbol") and frame.get("module") and not mods.is_vmware(frame["module"]):
            found.append(frame["module"])
    world = (screen.get("world") or {}).get("name")
    for pattern in mods.driver_worlds if world else ():
        m = pattern.search(world)
        if m:
            found.append(m["driver"])
            break
    return tuple(dict.fromkeys(name.lower() for name in found))


def facts(report: Report | dict[str, Any]) -> CrashFacts:
    obj = as_dict(report)
    screen, diagnosis = obj.get("screen") or {}, obj.get("diagnosis") or {}
    world = screen.get("world") or {}
    uptime = screen.get("uptime") or {}
    return CrashFacts(
        type=diagnosis.get("type") or "other",
        headline=screen.get("message"),
        signature=diagnosis.get("signature"),
        build=screen.get("build"),
        world_id=world.get("id"),
        world=world.get("name"),
        pcpu=screen.get("pcpu"),
        uptime_seconds=uptime.get("seconds"),
        crash_time=crash_time(obj.get("text") or ""),
        top_frames=top_frames(screen),
        drivers=drivers(screen),
        likely_cause=diagnosis.get("likely_cause"),
    )
