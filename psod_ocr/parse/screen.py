"""Find the purple-screen block in text and read its sections into a ``Screen``.

Works the way an oops extractor does: tag every line, find the cluster of lines only a purple
screen prints, then read sections from that block. Each section reader is a small function; one
that fails on odd input becomes a warning, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .. import knowledge
from ..report import Coredump, Cpu, Frame, InvolvedModule, Screen, Uptime, World
from . import grammar as g
from .headline import HeadlineMatch, fuzzy_headline, match_headline, message_of
from .lines import Line, split_lines

HEADLINE_REACH = 16  # lines from a screen's headline down to its backtrace, at most (fuzzy)
CLUSTER_GAP = 40  # non-blank lines between two crash blocks in one log
LEAD = 3  # lines above the first anchor that may hold the headline
TAIL = 25  # non-blank lines after the last anchor that may hold details and dump status
MAX_LINES = 200_000
# a frame or register line OCR misread: an address first, or after a register's '=' (or the
# '-' it may be read as) or a frame's '[' (a module's free-text headline may hold one after its
# words: "mb 0x43190e2cb800")
_HEX_RUN = r"[0-9a-fA-FxX]{2}[0-9a-fA-F]{6,}"
MISREAD_BODY = re.compile(rf"^\W*\S?{_HEX_RUN}|[=\[-]\s?\S?{_HEX_RUN}")
MASKED = re.compile(r"#(?![A-Z]{2}\b)")  # '#' that is not the start of "#PF", "#GP" ...


@dataclass
class Tagged:
    line: Line
    kind: str
    headline: HeadlineMatch | None = None


@dataclass(frozen=True)
class ParseResult:
    screen: Screen
    warnings: tuple[str, ...]
    evidence: int  # how many lines only a purple screen prints; 0 means no PSOD
    headline: HeadlineMatch | None
    block: tuple[int, int] | None  # first and last input line number of the crash block
    blocks_found: int = 0


@dataclass
class _State:
    block: list[Tagged]
    fuzzy: bool = False
    warnings: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)  # line numbers consumed by a section


def parse_text(text: str, fuzzy: bool = False) -> ParseResult:
    """Parse screen text or log text. Never raises; unreadable parts become warnings.

    ``fuzzy``: also accept headlines that only resemble a known wording (OCR output, where a
    few characters are misread); too slow and too lenient for long logs, so off by default.
    """
    warnings: list[str] = []
    lines = split_lines(text or "")
    if len(lines) > MAX_LINES:
        warnings.append(f"input has {len(lines)} lines; only the last {MAX_LINES} were read")
        lines = lines[-MAX_LINES:]
    tagged = [_tag(line, fuzzy) for line in lines]
    clusters = _clusters(tagged)
    if not clusters:
        texts = [t for t in tagged if t.kind != "blank"]
        logged = sum(1 for t in texts if t.line.logged)
        form = "log" if texts and logged * 2 > len(texts) else None
        return ParseResult(Screen(form=form), tuple(warnings), 0, None, None)
    block = max(clusters, key=lambda c: (_score(c), c[0].line.number))
    if fuzzy:
        block = _with_headline_above(tagged, block)
    if len(clusters) > 1:
        first, last = block[0].line.number, block[-1].line.number
        warnings.append(
            f"the input holds {len(clusters)} crash blocks; reporting the best one, "
            f"lines {first}-{last}"
        )
    state = _State(block, fuzzy=fuzzy)
    screen, headline = _read(state)
    evidence = sum(1 for t in block if t.kind in g.EVIDENCE or _anchor_headline(t))
    return ParseResult(
        screen=screen,
        warnings=tuple(warnings + state.warnings),
        evidence=evidence,
        headline=headline,
        block=(block[0].line.number, block[-1].line.number),
        blocks_found=len(clusters),
    )


# -- finding the block --------------------------------------------------------------------


def _tag(line: Line, fuzzy: bool = False) -> Tagged:
    kind = g.kind_of(line.text)
    t = Tagged(line, kind)
    if kind in ("text", "debugger"):
        t.headline = match_headline(line.text) or (fuzzy_headline(line.text) if fuzzy else None)
    return t


def _anchor_headline(t: Tagged) -> bool:
    return t.headline is not None and not t.headline.rule.weak


def _is_anchor(t: Tagged) -> bool:
    return t.kind in g.EVIDENCE or _anchor_headline(t)


def _clusters(tagged: list[Tagged]) -> list[list[Tagged]]:
    anchors = [i for i, t in enumerate(tagged) if _is_anchor(t)]
    if not anchors:
        return []
    groups: list[list[int]] = [[anchors[0]]]
    for i in anchors[1:]:
        gap = sum(1 for t in tagged[groups[-1][-1] + 1 : i] if t.kind != "blank")
        if gap > CLUSTER_GAP:
            groups.append([i])
        else:
            groups[-1].append(i)
    # A log often repeats the backtrace after the banner: a group with only frames that
    # matches frames of another group is part of the same crash, so merging by gap is enough.
    return [_extend(tagged, grp[0], grp[-1]) for grp in groups]


def _extend(tagged: list[Tagged], first: int, last: int) -> list[Tagged]:
    start = first
    seen = 0
    while start > 0 and seen < LEAD:
        start -= 1
        if tagged[start].kind not in ("blank", "text", "debugger"):
            continue  # registers, PTEs, LBR: structure above the first anchor
        if tagged[start].kind != "blank":
            seen += 1
    # Do not start the block on an unrelated line: keep lead lines only down to the first
    # one that could be a headline (text) or structure.
    while start < first and tagged[start].kind == "blank":
        start += 1
    end, seen = last, 0
    while end + 1 < len(tagged) and seen < TAIL:
        end += 1
        if tagged[end].kind != "blank":
            seen += 1
    return tagged[start : end + 1]


def _with_headline_above(tagged: list[Tagged], block: list[Tagged]) -> list[Tagged]:
    """In OCR output the block may start below its headline: register and CPU lines misread
    as text do not count as structure, and the lead stops short of the line under the banner.
    A line a rule names as a headline (a weak one too) that far up starts the block."""
    if any(t.headline for t in block):
        return block
    first = next(i for i, t in enumerate(tagged) if t is block[0])
    last = next(i for i, t in enumerate(tagged) if t is block[-1])
    above = [i for i in range(max(0, first - HEADLINE_REACH), first) if tagged[i].headline]
    return tagged[above[-1] : last + 1] if above else block


def _score(block: list[Tagged]) -> int:
    strong = {"bluescreen": 10, "banner": 10, "panic_details": 10}
    score = 0
    for t in block:
        if t.kind in strong:
            score += strong[t.kind]
        elif _anchor_headline(t):
            score += 10
        elif t.kind in g.EVIDENCE:
            score += 1
    return score


# -- reading the sections -----------------------------------------------------------------


def _read(state: _State) -> tuple[Screen, HeadlineMatch | None]:
    screen = Screen()
    readers: list[Callable[[_State, Screen], Screen]] = [
        _banner, _frames, _cpus, _registers, _uptime, _code_start, _modules_involved,
        _saved_backtrace, _coredump,
    ]  # fmt: skip
    for reader in readers:
        try:
            screen = reader(state, screen)
        except Exception as exc:  # a reader's bug must not lose the crash
            state.warnings.append(f"could not read {reader.__name__.strip('_')}: {exc!r}")
    headline: HeadlineMatch | None = None
    try:
        screen, headline = _headline(state, screen)
        screen = _world_and_pcpu(state, screen, headline)
    except Exception as exc:
        state.warnings.append(f"could not read the headline: {exc!r}")
    screen = replace(screen, form=_form(state.block, screen.message_line))
    # Unclaimed lines are kept for the reader, except a log's ordinary lines around the crash.
    keep_logged = screen.form == "screen"
    screen = replace(screen, other_lines=tuple(
        t.line.text for t in state.block
        if t.line.number not in state.used and t.kind in ("text", "debugger")
        and (keep_logged or not t.line.logged)
    ))  # fmt: skip
    return screen, headline


def _form(block: list[Tagged], message_line: int | None) -> str:
    """A log when the headline (or, without one, most crash lines) carries a log prefix or a
    zdump summary is present; a screen may show a few log lines of its own."""
    if any(t.kind == "panic_details" for t in block):
        return "log"
    if message_line is not None:
        head = next(t for t in block if t.line.number == message_line)
        return "log" if head.line.logged else "screen"
    anchors = [t for t in block if t.kind in g.EVIDENCE]
    logged = sum(1 for t in anchors if t.line.logged)
    return "log" if anchors and logged * 2 > len(anchors) else "screen"


def _lines(state: _State, kind: str) -> list[Tagged]:
    return [t for t in state.block if t.kind == kind]


def _use(state: _State, t: Tagged) -> None:
    state.used.add(t.line.number)


def _banner(state: _State, screen: Screen) -> Screen:
    for t in _lines(state, "banner"):
        m = g.BANNER.search(t.line.text)
        assert m is not None
        _use(state, t)
        product = {"ESX": "VMware ESX", "ESXi": "VMware ESXi", "ESX Server": "VMware ESX Server"}
        build = m.group("build") or m.group("build2")
        if build and not build.isdigit():
            state.warnings.append(f"build number is unreadable: {build!r}")
            build = None
        version = m.group("version")
        if version and not re.fullmatch(r"\d+(?:\.\d+){0,2}", version):
            state.warnings.append(f"version is unreadable: {version!r}")
            version = None
        arch = (m.group("arch") or "").lower() or None
        if m.group("flavour") and not arch:
            arch = "aarch64"
        return replace(
            screen, product=product[m.group("product")], version=version, build=build, arch=arch
        )
    return screen


def _split_symbol(name: str) -> tuple[str | None, str | None]:
    """``Sym@(mod)#ver`` -> (``Sym``, ``mod``); unreadable parts become None."""
    name = name.strip()
    symbol, _, module_part = name.partition("@")
    symbol = symbol.strip()
    module = module_part.split("#", 1)[0].strip().strip("()<>").strip() or None
    if module in ("None", None) or not g.MODULE_OK.match(module or ""):
        module = None
    if not g.SYMBOL_OK.match(symbol) or not re.search(r"[A-Za-z]", symbol):
        symbol = None
    return symbol, module


def _frames(state: _State, screen: Screen) -> Screen:
    frames: list[Frame] = []
    seen: set[tuple[str | None, ...]] = set()
    for t in _lines(state, "frame"):
        m = g.FRAME.search(t.line.text)
        assert m is not None
        _use(state, t)
        body = g.FRAME_BODY.match(m.group("body").strip())
        name = body.group("name") if body else m.group("body")
        symbol, module = _split_symbol(name)
        stack = body.group("stack") if body and body.group("stack") else ""
        words = tuple(w for w in re.split(r"[,\s]+", stack) if re.fullmatch(g.HEX, w))
        ip = m.group("ip")
        if not re.fullmatch(g.HEX, ip) or "?" in ip:
            state.warnings.append(f"a frame's IP is unreadable: {ip!r}")
            ip = None
        frame = Frame(
            frame=(m.group("frame") or "").strip() or None,
            ip=ip,
            symbol=symbol,
            module=module,
            offset=body.group("offset") if body else None,
            stack=words,
        )
        key = (frame.frame, frame.ip, frame.symbol, frame.offset)
        if key in seen:
            continue  # logs repeat the backtrace (current CPU, then again after the banner)
        seen.add(key)
        frames.append(frame)
    return replace(screen, frames=tuple(frames))


def _cpus(state: _State, screen: Screen) -> Screen:
    cpus: list[Cpu] = []
    states: list[str] = []
    for t in state.block:
        text = t.line.text
        if t.kind == "cpu_list":
            _use(state, t)
            for m in g.CPU_TOKEN.finditer(text):
                cpus.append(Cpu(int(m["pcpu"]), int(m["world"]), m["name"] or None,
                                bool(m["star"]) or m["cpu"] == "CPU"))  # fmt: skip
            for m in g.CPU_TOKEN_OLD.finditer(text):
                cpus.append(Cpu(int(m["pcpu"]), int(m["world"]), m["name"], m["cpu"] == "CPU"))
        elif t.kind == "current_pcpu":
            _use(state, t)
            m = g.CURRENT_PCPU.match(text)
            assert m is not None
            if m["pcpu"].isdigit():
                world = int(m["world"]) if m["world"].isdigit() else None
                cpus.append(Cpu(int(m["pcpu"]), world, m["name"].strip() or None, True))
            else:
                state.warnings.append(f"current PCPU is unreadable: {text!r}")
        elif t.kind == "pcpu_states":
            _use(state, t)
            states.append(g.PCPU_STATES.match(text)["states"])  # type: ignore[index]
    return replace(screen, cpus=tuple(cpus), pcpu_states="".join(states) or None)


def _registers(state: _State, screen: Screen) -> Screen:
    regs: dict[str, str] = {}

    def put(name: str, value: str) -> None:
        regs.setdefault(name.lower(), value)

    for t in state.block:
        text = t.line.text
        if t.kind == "registers":
            for m in g.REGISTER.finditer(text):
                put(m["name"], m["value"])
        elif t.kind == "base":
            for m in g.REGISTER.finditer(g.BASE_LINE.match(text)["regs"]):  # type: ignore[index]
                put({"fs": "fsbase", "gs": "gsbase", "kgs": "kernelgsbase"}.get(
                    m["name"].lower(), m["name"]), m["value"])  # fmt: skip
        elif t.kind == "fsbase":
            m = g.FSBASE_LINE.search(text)
            assert m is not None
            put("fsbase", m["fs"])
            put("gsbase", m["gs"])
            put("kernelgsbase", m["kgs"])
        elif t.kind == "ptes":
            put("ptes", g.PTES.match(text)["ptes"])  # type: ignore[index]
        elif t.kind == "lbr":
            m = g.LBR.match(text)
            assert m is not None
            put("lbr_from", m["src"])
            put("lbr_to", m["dst"])
        else:
            continue
        _use(state, t)
    return replace(screen, registers=regs)


def uptime_seconds(text: str) -> float | None:
    """``d:hh:mm:ss.mmm`` -> seconds; None when any digit is masked."""
    m = re.fullmatch(r"(\d+):(\d\d):(\d\d):(\d\d)(?:\.(\d+))?", text)
    if not m:
        return None
    days, hours, minutes, seconds = (int(x) for x in m.groups()[:4])
    frac = float("0." + m.group(5)) if m.group(5) else 0.0
    return round(days * 86400 + hours * 3600 + minutes * 60 + seconds + frac, 3)


def _uptime(state: _State, screen: Screen) -> Screen:
    for t in state.block:
        if t.kind in ("uptime", "code_start", "panic_details"):
            m = g.UPTIME.search(t.line.text) or g.PANIC_DETAILS.search(t.line.text)
            if not m:
                continue
            _use(state, t)
            text = m.group("uptime")
            seconds = uptime_seconds(text)
            if seconds is None:
                state.warnings.append(f"uptime is unreadable: {text!r}")
            tsc = g.TSC.search(t.line.text)
            return replace(
                screen, uptime=Uptime(text, seconds), tsc=int(tsc["tsc"]) if tsc else None
            )
    return screen


def _first(state: _State, kind: str, pattern, group: str) -> str | None:
    """The named group of the first line of a kind (and mark that line read)."""
    for t in _lines(state, kind):
        m = pattern.search(t.line.text)
        if m:
            _use(state, t)
            return m[group]
    return None


def _code_start(state: _State, screen: Screen) -> Screen:
    addr = _first(state, "code_start", g.CODE_START, "addr")
    if addr is not None and "?" in addr:
        state.warnings.append(f"code start is unreadable: {addr!r}")
        addr = None
    return replace(screen, code_start=addr)


def _saved_backtrace(state: _State, screen: Screen) -> Screen:
    what = _first(state, "saved_backtrace", g.SAVED_BACKTRACE, "what")
    return replace(screen, saved_backtrace_from=what)


def _modules_involved(state: _State, screen: Screen) -> Screen:
    mods: list[InvolvedModule] = []
    for t in _lines(state, "modules_involved"):
        _use(state, t)
        for m in g.MODULE_ENTRY.finditer(t.line.text):
            mods.append(InvolvedModule(m["name"], m["version"], m["tag"] == "External"))
    return replace(screen, modules_involved=tuple(mods))


def _coredump(state: _State, screen: Screen) -> Screen:
    phrases = knowledge.coredump_phrases()
    lines: list[str] = []
    found: set[str] = set()
    for t in state.block:
        if t.kind not in ("text", "debugger"):
            continue
        hits = {s for s, pats in phrases.items() if any(p.search(t.line.text) for p in pats)}
        if hits:
            _use(state, t)
            lines.append(t.line.text)
            found |= hits
    if not lines:
        return screen
    status = next((s for s in ("completed", "failed", "started") if s in found), "unknown")
    return replace(screen, coredump=Coredump(status, tuple(lines)))


# -- headline, world and PCPU ---------------------------------------------------------------


def _headline(state: _State, screen: Screen) -> tuple[Screen, HeadlineMatch | None]:
    block = state.block
    for t in block:
        if t.kind != "bluescreen":
            continue
        message = g.BLUESCREEN.search(t.line.text)["message"].strip()  # type: ignore[index]
        if not message:
            continue
        _use(state, t)
        return _with_headline(state, screen, t, message, match_headline(message)
                              or fuzzy_headline(message))  # fmt: skip
    candidates = [t for t in block if t.headline is not None]
    if candidates:
        t = max(candidates, key=lambda c: (c.headline.rule.priority, -c.line.number))  # type: ignore[union-attr]
        return _with_headline(state, screen, t, message_of(t.line.text), t.headline)
    t = _free_text_headline(state)
    if t is not None:
        return _with_headline(state, screen, t, t.line.text, fuzzy_headline(t.line.text))
    if "ptes" in screen.registers:
        state.warnings.append(
            "no headline visible; the PTEs line suggests a page fault (#PF) whose headline is "
            "cut off"
        )
    else:
        state.warnings.append("no headline visible: the top of the screen may be cut off")
    return screen, None


def _free_text_headline(state: _State) -> Tagged | None:
    """The headline when no rule knows it: the text line under the banner, or just above
    the registers, CPU list or backtrace."""
    block = state.block
    for i, t in enumerate(block):
        if t.kind == "banner":
            nxt = next((b for b in block[i + 1 :] if b.kind != "blank"), None)
            if nxt is not None and _free_text(state, nxt):
                return nxt
            break
    first_body = next((i for i, t in enumerate(block) if t.kind in g.BODY), None)
    if first_body is None:
        return None
    for t in reversed(block[max(0, first_body - 2) : first_body]):
        if t.kind == "blank":
            continue
        return t if _free_text(state, t) and not t.line.logged else None
    return None


def _free_text(state: _State, t: Tagged) -> bool:
    text = t.line.text
    if state.fuzzy and (MISREAD_BODY.search(text) or "?" in text):
        return False  # in OCR output, a misread frame or register line, not a headline
    return (
        t.kind == "text"
        and t.line.number not in state.used
        and len(text) >= 4
        and len(re.findall(r"[A-Za-z]", text)) >= 3
    )


def _with_headline(
    state: _State, screen: Screen, t: Tagged, message: str, match: HeadlineMatch | None
) -> tuple[Screen, HeadlineMatch | None]:
    _use(state, t)
    details: list[str] = []
    if match is not None and match.rule.details == "following":
        after = False
        for b in state.block:
            if b is t:
                after = True
            elif after and b.kind == "text" and b.line.number not in state.used:
                details.append(b.line.text)
                _use(state, b)
            elif after and b.kind == "debugger":
                break
    elif match is not None:
        for b in state.block:
            if b is t or b.kind not in ("text", "debugger"):
                continue
            for pattern in match.rule.details:  # type: ignore[union-attr]
                m = pattern.search(b.line.text)
                if m:
                    if m.group(0) not in details:
                        details.append(m.group(0))
                    _use(state, b)
                    break
    if MASKED.search(message):
        state.warnings.append("the headline has masked or unreadable characters ('#')")
    return (
        replace(screen, message=message, message_line=t.line.number, details=tuple(details)),
        match,
    )


def _num(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _world_and_pcpu(state: _State, screen: Screen, headline: HeadlineMatch | None) -> Screen:
    groups = headline.groups if headline else {}
    world: World | None = None
    pcpu: int | None = None
    if groups.get("world_name") or groups.get("world_id"):
        world = World(_num(groups.get("world_id")), groups.get("world_name"))
        if world.id is None and groups.get("world_id"):
            state.warnings.append(f"world id is unreadable: {groups['world_id']!r}")
    if "pcpu" in groups:
        pcpu = _num(groups["pcpu"])
        if pcpu is None:
            state.warnings.append(f"PCPU in the headline is unreadable: {groups['pcpu']!r}")
    current = next((c for c in screen.cpus if c.current), None)
    details = next((g.PANIC_DETAILS.search(t.line.text) for t in _lines(state, "panic_details")), None)
    header = next(
        (m for t in _lines(state, "backtrace_header")
         if (m := g.BACKTRACE_HEADER.match(t.line.text)) and m["cpu"]), None
    )  # fmt: skip
    for t in _lines(state, "panic_details") + _lines(state, "backtrace_header"):
        _use(state, t)
    if world is None and current is not None:
        world = World(current.world_id, current.world_name)
    if world is None and details is not None:
        name = (details["world_name"] or "").strip() or None
        world = World(_num(details["world_id"]), name)
    if world is None and header is not None and header["world"]:
        world = World(_num(header["world"]), None)
    head = next((t.line for t in state.block if t.line.number == screen.message_line), None)
    if world is None and head is not None and head.world is not None:
        world = World(head.world, None)  # the world that logged the headline
    if pcpu is None and "pcpu" not in groups:
        if current is not None:
            pcpu = current.pcpu
        elif details is not None:
            pcpu = _num(details["cpu"])
        elif header is not None:
            pcpu = _num(header["cpu"])
        elif head is not None:
            pcpu = head.cpu
    return replace(screen, world=world, pcpu=pcpu)
