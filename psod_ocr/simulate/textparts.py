"""Building blocks of a synthetic purple-screen text: backtraces, registers, CPU lists, wrapping.

Used by ``texts.py``. Addresses follow the shapes real screens show (frame pointers rising by
small steps, code addresses a little above ``Code start``, stack values that are zero, small
counters, nearby stack or heap pointers) without copying any real screen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

STEPS = (0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xE0, 0x100, 0x130, 0x160)
REGS64 = ("rax", "rbx", "rcx", "rdx", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
          "r14", "r15")  # fmt: skip
ODD_VALUES = (0xBAD0014, 0xBAD0003, 0xBAD0021, 0x1, 0x400, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000)


def h(value: int) -> str:
    """Hex as the purple screen prints it: lower case, no padding."""
    return f"0x{value:x}"


def uptime(rng: random.Random, max_days: int = 400) -> tuple[str, float]:
    """A ``d:hh:mm:ss.mmm`` uptime and its value in seconds."""
    d, hh, mm, ss, ms = (rng.randrange(max_days + 1), rng.randrange(24), rng.randrange(60),
                         rng.randrange(60), rng.randrange(1000))  # fmt: skip
    return f"{d}:{hh:02d}:{mm:02d}:{ss:02d}.{ms:03d}", round(
        d * 86400 + hh * 3600 + mm * 60 + ss + ms / 1000, 3
    )


@dataclass
class Frame:
    fp: int
    ip: int
    symbol: str
    module_text: str  # what follows the symbol on screen ('@vmkernel#nover', '' ...)
    module: str | None  # the module a reader should report
    offset: int
    stack: list[int]


@dataclass
class Backtrace:
    """Frames with rising frame pointers and code addresses near ``code_start``.

    ``classic``: ESX 3.x/4.x lines (no module, ESX 3.x shows three stack values).
    """

    rng: random.Random
    code_start: int
    fp: int
    heap: int
    nstack: int = 1
    classic: bool = False
    small: bool = False  # 32-bit ESX 3.x addresses
    frames: list[Frame] = field(default_factory=list)
    _bases: dict[str, int] = field(default_factory=dict)
    _ips: dict[tuple[str, str], int] = field(default_factory=dict)

    def _ip_for(self, symbol: str, module: str) -> int:
        key = (symbol, module)
        if key not in self._ips:
            r = self.rng
            if self.small:
                ip = self.code_start + r.randrange(0x1000, 0x1A0000)
            elif module == "vmkernel":
                ip = self.code_start + r.randrange(0x20000, 0xE00000)
            else:
                base = self._bases.setdefault(module, self.code_start + r.randrange(0x1000, 0x1E00) * 0x1000)
                ip = base + r.randrange(0x800, 0x60000)
            self._ips[key] = ip
        return self._ips[key]

    def _stack_value(self) -> int:
        r, fp = self.rng, self.fp
        if self.small:
            return r.choice(
                [
                    0x0,
                    r.randrange(1, 0x40),
                    fp + r.randrange(0x8, 0x80, 4),
                    self.code_start + r.randrange(0x1000, 0x200000),
                    r.randrange(0x1000000, 0x4000000),
                ]
            )
        c = r.random()
        if c < 0.18:
            return 0x0
        if c < 0.32:
            return r.randrange(1, 0x400)
        if c < 0.55:
            return fp + r.randrange(0x10, 0x100, 8)
        if c < 0.75:
            return self.heap + r.randrange(0x100000, 0x3FFFFFFF) // 8 * 8
        if c < 0.9:
            return self.code_start + r.randrange(0x20000, 0xE00000)
        return r.choice(ODD_VALUES)

    def add(self, symbol: str, module_text: str = "", module: str | None = None, last: bool = False) -> None:
        r = self.rng
        if self.frames:
            self.fp += r.choice(STEPS) // (2 if self.small else 1)
        offset = r.randrange(0x8, 0x6FF)
        ip = self._ip_for(symbol, module or "vmkernel") + offset
        stack = [0x0] * self.nstack if last else [self._stack_value() for _ in range(self.nstack)]
        self.frames.append(Frame(self.fp, ip, symbol, module_text, module, offset, stack))

    def lines(self) -> list[str]:
        out = []
        for f in self.frames:
            stack = ", ".join(h(s) for s in f.stack)
            module = "" if self.classic else f.module_text
            out.append(f"{h(f.fp)}:[{h(f.ip)}]{f.symbol}{module}+{h(f.offset)} stack: {stack}")
        return out

    def top(self, n: int = 5) -> tuple[list[str], list[str | None]]:
        frames = self.frames[:n]
        return [f.symbol for f in frames], [None if self.classic else f.module for f in frames]

    @property
    def first_ip(self) -> int:
        return self.frames[0].ip

    @property
    def first_fp(self) -> int:
        return self.frames[0].fp


def regs64(rng: random.Random, heap: int, fp: int, over: dict[str, int] | None = None) -> list[str]:
    """Five lines of three 64-bit registers (``rax=.. rbx=.. rcx=..``)."""
    values = {}
    for name in REGS64:
        c = rng.random()
        if c < 0.25:
            v = 0x0
        elif c < 0.45:
            v = rng.randrange(1, 0x2000)
        elif c < 0.7:
            v = heap + rng.randrange(0x100000, 0x3FFFFFFF) // 8 * 8
        elif c < 0.85:
            v = fp + rng.randrange(0x0, 0xFFF) // 8 * 8
        else:
            v = rng.choice(
                [0xFFFFFFFFFFFFFFFF, 0x80000000, 0xFFFFFFFF, 0x1000, rng.randrange(0x10000, 0xFFFFFFFF)]
            )
        values[name] = v
    values.update(over or {})
    return [" ".join(f"{n}={h(values[n])}" for n in REGS64[i : i + 3]) for i in range(0, 15, 3)]


def regs32(rng: random.Random, frame: int, ip: int, cr2: int, cr3: int, ebp: int) -> list[str]:
    """The four ESX 3.x register lines (32-bit)."""
    return [
        f"frame={h(frame)} ip={h(ip)} cr2={h(cr2)} cr3={h(cr3)} cr4=0x{rng.choice(['16c', '6f0', '2f0'])}",
        f"es=0x4028 ds=0x4028 fs=0x{rng.choice(['0', '4028'])} gs=0x0",
        f"eax={h(rng.randrange(0, 0x3000))} ebx={h(rng.randrange(0x1000000, 0x3F00000))} "
        f"ecx={h(rng.randrange(0, 0x400))} edx={h(rng.randrange(0, 0x100))}",
        f"ebp={h(ebp)} esi={h(rng.randrange(0, 0x2000000))} edi={h(rng.randrange(0, 0x200))} "
        f"err={rng.choice(['0', '-1', '2'])} eflags=0x{rng.choice(['246', '286', '10202', '202'])}",
    ]


def pcpu_states(rng: random.Random, n: int, letters: str = "SSSSVVVVUUI") -> list[str]:
    """``PCPU  0: SSUV...`` lines, 64 letters a line."""
    states = "".join(rng.choice(letters) for _ in range(n))
    return [f"PCPU {i:2d}: {states[i : i + 64]}" for i in range(0, n, 64)]


def cpu_list(entries: list[tuple[int, str]], current: int, per_line: int = 4) -> list[str]:
    """ESX 3.x/4.x ``0:1024/console *1:1107/vmm0:web`` lines; ``*`` marks the faulting CPU."""
    items = [("*" if i == current else "") + f"{i}:{wid}/{name}" for i, (wid, name) in enumerate(entries)]
    return [" ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]


def wrap(lines: list[str], width: int) -> list[str]:
    """Screen rows: long lines continue at column 0; a line of exactly `width` leaves an empty row."""
    rows: list[str] = []
    for line in lines:
        chunks = [line[i : i + width] for i in range(0, len(line), width)] or [""]
        if line and len(line) % width == 0:
            chunks.append("")
        rows.extend(chunks)
    return rows
