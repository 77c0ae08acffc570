"""Deterministic generator of original synthetic purple-screen texts with their expected reading.

Every ESX generation with a purple screen (ESX 3.x and 4.x in VGA text mode, ESXi 5.x to 9.x and
ESXi-Arm in the 128x48 framebuffer, and the boot-time error screen) crossed with every diagnosis
type that generation can show. Texts are screen transcripts: hard-wrapped at the console width
(80 columns in text mode, 128 otherwise) and short enough to fit the screen (25 or 48 rows), so
a rendered picture shows all of them.

    >>> texts = generate_texts(300, seed=0)
    >>> texts[0].expected["type"], texts[0].text.splitlines()[0]

`expected` holds at least ``type``, ``message``, ``build`` and ``top_frames`` (the first five
frame symbols), plus generation, product, version, world, pcpu, frame_modules, code_start and
uptime_seconds where the screen shows them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import lexicon as lx
from .textparts import Backtrace, cpu_list, h, pcpu_states, regs32, regs64, uptime, wrap

__all__ = ["GENERATIONS", "GeneratedText", "generate_text", "generate_texts"]


@dataclass(frozen=True)
class GeneratedText:
    """A screen transcript (`text`: the rows as displayed, hard-wrapped) and its expected reading.

    `printed` is what the console printed before its hard wrap: render that, and the picture's
    rows are exactly `text` (rendering `text` itself would wrap the wrapped rows again).
    """

    name: str
    text: str
    expected: dict[str, Any]
    printed: str = ""


@dataclass(frozen=True)
class Generation:
    """A console generation: its releases (release, version shown, build range) and types."""

    name: str
    product: str | None
    releases: tuple[tuple[str, str | None, int, int], ...]
    types: tuple[str, ...]
    width: int = 128
    rows: int = 48


_EXCEPTIONS = ("pf14", "gp13", "de0", "ud6", "df8", "exception")
_CLASSIC = (*_EXCEPTIONS, "tlb_ack", "spin_deadlock", "assert", "not_implemented", "cos_oops",
            "lost_heartbeat", "mce", "nmi_lint1")  # fmt: skip
_ESXI = (*_EXCEPTIONS, "tlb_ack", "no_heartbeat", "spin_deadlock", "assert", "not_implemented", "mce",
         "nmi_lint1", "panic", "oom", "crashme", "other")  # fmt: skip
_MODERN = (*_ESXI, "nmi_ipi", "hw_incompat")

GENERATIONS: dict[str, Generation] = {
    g.name: g
    for g in (
        Generation("esx3", "VMware ESX Server", (("3.0", None, 27701, 62000), ("3.5", None, 64607, 260247)),
                   _CLASSIC, width=80, rows=25),
        Generation("esx4", "VMware ESX", (("4.0", None, 164009, 310000), ("4.1", None, 260247, 1000000)),
                   _CLASSIC, width=80, rows=25),
        Generation("esxi5", "VMware ESXi", (("5.0", "5.0.0", 469512, 920000),
                                            ("5.1", "5.1.0", 799733, 2200000),
                                            ("5.5", "5.5.0", 1331820, 9919000)), _ESXI),
        Generation("esxi6", "VMware ESXi", (("6.0", "6.0.0", 2494585, 15000000),
                                            ("6.5", "6.5.0", 4564106, 20000000),
                                            ("6.7", "6.7.0", 8169922, 20000000)), (*_ESXI, "nmi_ipi")),
        Generation("esxi7", "VMware ESXi", tuple((f"7.0.{k}", f"7.0.{k}", 15843807 + k * 2000000, 24500000)
                                                 for k in range(4)), _MODERN),
        Generation("esxi8", "VMware ESXi", tuple((f"8.0.{k}", f"8.0.{k}", 20513097 + k * 1000000, 24700000)
                                                 for k in range(4)), _MODERN),
        Generation("esxi9", "VMware ESXi", (("9.0.0", "9.0.0", 24755229, 25000000),
                                            ("9.0.1", "9.0.1", 25000000, 25600000)), _MODERN),
        Generation("esxi_arm", "VMware ESXi", (("7.0.0", "7.0.0", 17230755, 19000000),
                                               ("8.0.2", "8.0.2", 22353788, 23000000)),
                   ("assert", "crashme", "panic", "oom", "not_implemented", "spin_deadlock", "no_heartbeat",
                    "other")),
        Generation("boot", "VMware ESXi", tuple((v, v, lo, lo * 3 // 2) for v, lo in (
            ("6.0.0", 2494585), ("6.7.0", 8169922), ("7.0.3", 18644231), ("8.0.2", 22380479),
            ("9.0.0", 24755229))), ("boot_failure",)),
    )
}  # fmt: skip

DEBUGGER = 'No port for remote debugger. "Escape" for local debugger.'
NO_PORT = "No port for remote debugger."


# --- the machine that crashed ----------------------------------------------------------------


@dataclass
class Machine:
    """Everything about the host that is not the crash itself."""

    rng: random.Random
    gen: Generation
    release: str
    version: str | None
    build: int
    ncpu: int
    cpu: int  # the CPU that panicked (starred)
    code_start: int
    fp: int
    heap: int
    uptime: tuple[str, float] = ("0:00:00:00.000", 0.0)

    @property
    def classic(self) -> bool:
        return self.gen.name in ("esx3", "esx4")

    def at_least(self, release: str) -> bool:
        """Release order for grammar changes ('5.1', '6.5', '7.0' ...); classic counts as 4.x."""
        mine = tuple(int(p) for p in self.release.split(".")[:2])
        return mine >= tuple(int(p) for p in release.split(".")[:2])

    def world_range(self) -> tuple[int, int]:
        if self.gen.name == "esx3":
            return 1040, 1400
        if self.gen.name == "esx4":
            return 4110, 9000
        if not self.at_least("5.5"):
            return 8200, 40000
        if not self.at_least("6.5"):
            return 32800, 500000
        return 2097300, 2140000

    def idle_id(self, cpu: int) -> int:
        base = {"esx3": 1025, "esx4": 4096}.get(self.gen.name)
        if base is None:
            base = 8192 if not self.at_least("5.5") else 32768 if not self.at_least("6.5") else 2097152
        return base + cpu

    def other_cpu(self) -> int:
        return self.rng.choice([c for c in range(self.ncpu) if c != self.cpu])


def _machine(rng: random.Random, gen: Generation) -> Machine:
    release, version, lo, hi = rng.choice(gen.releases)
    if gen.name in ("esx3", "esx4"):
        ncpu = rng.choice((2, 4, 4, 8))
    elif gen.name == "esxi_arm":
        ncpu = rng.choice((4, 4, 8, 16, 32, 80))
    else:
        ncpu = rng.choice((4, 8, 12, 16, 20, 24, 32, 40, 48, 56, 64, 72, 80, 96, 128, 192))
    machine = Machine(rng, gen, release, version, rng.randrange(lo, hi), ncpu, rng.randrange(ncpu),
                      *_addresses(rng, gen.name, release))  # fmt: skip
    machine.uptime = uptime(rng)
    return machine


def _addresses(rng: random.Random, gen: str, release: str) -> tuple[int, int, int]:
    """Code start, first frame pointer and heap base, by generation."""
    slot = rng.randrange(0x10, 0xFF) * 0x400000
    if gen == "esx3":
        return 0x600000, rng.randrange(0x1B00000, 0x3F00000) & ~0x3, 0x0
    if gen == "esx4":
        return (
            0x418000000000 + slot,
            0x410000000000 + rng.randrange(0x0A000000, 0xC6000000) // 8 * 8,
            0x410000000000,
        )
    fp = rng.randrange(0x10000000, 0x4FFFFFFFF) // 8 * 8
    if gen == "esxi5":
        return 0x418000000000 + slot, 0x412200000000 + fp, 0x410000000000
    if gen == "esxi6":
        base = 0x451A00000000 if release == "6.7" else 0x439000000000
        return 0x418000000000 + slot, base + fp, 0x430000000000
    return 0x420000000000 + slot, 0x453800000000 + fp, 0x431000000000


# --- worlds ----------------------------------------------------------------------------------


def _vm_world(m: Machine) -> str:
    vm, vcpu = m.rng.choice(lx.VM_NAMES), m.rng.randrange(4)
    if m.at_least("6.5") and m.rng.random() < 0.6:
        return f"vmx-vcpu-{vcpu}:{vm}"
    return f"vmm{vcpu}:{vm}"


def _world(m: Machine, kind: str) -> tuple[int, str]:
    """A world running on the panicking CPU: a kind from the path tables or a literal name."""
    r = m.rng
    if kind == "idle":
        return m.idle_id(m.cpu), f"idle{m.cpu}"
    lo, hi = m.world_range()
    if kind == "vmm":
        name = _vm_world(m)
    elif kind == "helper":
        name = f"helper{r.randrange(1, 40)}-{r.randrange(8)}"
    elif kind == "user":
        name = r.choice(lx.USER_WORLDS_7 if m.at_least("7.0") else lx.USER_WORLDS)
    elif kind == "console" and m.classic:
        return m.idle_id(0) - 1 if m.gen.name == "esx3" else 4096, "console"
    else:
        name = kind
    return r.randrange(lo, hi), name


def _nic_world(m: Machine) -> tuple[int, str]:
    lo, hi = m.world_range()
    tag = m.rng.randrange(0x430000000000, 0x431000000000) // 0x40 * 0x40
    return m.rng.randrange(lo, hi), f"vmnic{m.rng.randrange(8)}-pollWorld-{m.rng.randrange(8)}-{h(tag)}"


# --- the crash -------------------------------------------------------------------------------


@dataclass
class Crash:
    """What went wrong. ``headline`` may hold ``{ip} {cr2} {sp} {ripoff} {rbp}`` placeholders,
    filled once the backtrace exists. ``frames`` are ``Symbol`` or ``Symbol@module``."""

    type: str
    headline: str | None
    frames: list[str]
    world: tuple[int, str]
    pcpu: int
    head_world: bool = False
    cr2: int = 0x0
    saved_from: int | None = None
    logs: list[str] = field(default_factory=list)
    module_line: str | None = None
    ptes: bool = False


def _panic_prefix(m: Machine) -> list[str]:
    if m.classic or not m.at_least("6.0"):
        return ["Panic", "Panic"] if m.gen.name == "esx3" and m.rng.random() < 0.5 else ["Panic"]
    return ["PanicvPanicInt", "Panic_NoSave"]


def _assert_prefix(m: Machine) -> list[str]:
    if m.at_least("6.5") and not m.classic:
        return ["PanicvPanicInt", "Panic_NoSave", "Panic_OnAssertAt", "Int6_UD2Assert", "gate_entry"]
    return _panic_prefix(m)


def _vmkernel_path(m: Machine) -> tuple[list[str], tuple[int, str]]:
    path = m.rng.choice(lx.CLASSIC_PATHS if m.classic else lx.VMKERNEL_PATHS)
    return list(path[1:]), _world(m, path[0])


def _driver_path(m: Machine) -> tuple[list[str], tuple[int, str], lx.Driver]:
    driver = m.rng.choice(lx.DRIVERS)
    own = [f"{s}@{driver.name}" for s in driver.symbols]
    if driver.kind == "nic":
        return own + list(lx.NIC_POLL_TAIL), _nic_world(m), driver
    interrupted = m.rng.choice(("idle", "vmm"))
    tail = list(lx.IDLE_TAIL[:1] + lx.IDLE_TAIL[-1:]) if interrupted == "idle" else ["VMMVMKCall_Call"]
    return own + list(lx.INTERRUPT_PATH) + tail, _world(m, interrupted), driver


def _fault_path(m: Machine) -> tuple[list[str], tuple[int, str], str | None]:
    """A backtrace for an exception: a third-party driver (ESXi only) or vmkernel code."""
    if not m.classic and m.gen.name != "esxi_arm" and m.rng.random() < 0.35:
        frames, world, driver = _driver_path(m)
        line = None
        if m.at_least("7.0") and m.rng.random() < 0.6:
            line = f"Module(s) involved in panic: [{driver.name} {driver.version} (External)]"
        return frames, world, line
    frames, world = _vmkernel_path(m)
    return frames, world, None


_VECTORS = {"pf14": ("PF", 14), "gp13": ("GP", 13), "de0": ("DE", 0), "ud6": ("UD", 6), "df8": ("DF", 8)}
_OTHER_VECTORS = (("NM", 7), ("TS", 10), ("NP", 11), ("SS", 12), ("MF", 16), ("AC", 17), ("XM", 19))


def exception_headline(m: Machine, mnemonic: str, vector: int, world: tuple[int, str]) -> str:
    """The exception headline in the grammar of the machine's release (world name cut to 12)."""
    wid, name = world[0], world[1][:12]
    if m.gen.name == "esx3":
        head = (
            f"#{mnemonic} Exception type {vector}" if mnemonic in ("PF", "GP") else f"Exception type {vector}"
        )
        return f"{head} in world {wid}:{name} @ {{ip}}"
    if m.classic or not m.at_least("5.1"):
        if mnemonic == "PF":
            return f"#PF Exception(14) in world {wid}:{name} ip {{ip}} addr {{cr2}}"
        return f"#{mnemonic} Exception({vector}) in world {wid}:{name} @ {{ip}}"
    if mnemonic == "DF":
        return "#DF Exception 8 IP {ip} SP {sp}"
    return f"#{mnemonic} Exception {vector} in world {wid}:{name} IP {{ip}} addr {{cr2}}"


def crash_exception(m: Machine, crash_type: str) -> Crash:
    frames, world, module_line = _fault_path(m)
    mnemonic, vector = _VECTORS.get(crash_type) or m.rng.choice(_OTHER_VECTORS)
    if crash_type == "df8" and len(frames) >= 2:  # runaway recursion
        frames = frames[:1] + frames[:2] * 3 + frames[1:]
    head = exception_headline(m, mnemonic, vector, world)
    cr2 = 0x0
    if crash_type == "pf14":
        cr2 = m.rng.choice((m.rng.randrange(0, 0x400, 8), m.heap + m.rng.randrange(0x1000, 0x3FFFFFFF)))
    return Crash(crash_type, head, frames, world, m.cpu, head_world="in world" in head, cr2=cr2,
                 module_line=module_line, ptes=crash_type == "pf14")  # fmt: skip


def crash_tlb_ack(m: Machine) -> Crash:
    locked = m.other_cpu()
    head = f"PCPU {locked} locked up. Failed to ack TLB invalidate."
    if m.release == "5.0" and m.rng.random() < 0.5:
        more = sorted({locked, *m.rng.sample(range(m.ncpu), min(3, m.ncpu))} - {m.cpu})
        head = head[:-1] + f" (total of {len(more)} locked up, PCPU(s): {','.join(map(str, more))})."
    tail, world = _vmkernel_path(m)
    flush = ["TLBFlushMultiple"] if m.gen.name == "esx3" else ["TLBDoInvalidate", "TLB_FlushRangeAll"]
    return Crash("tlb_ack", head, _panic_prefix(m) + flush + tail, world, locked)


def crash_spin_deadlock(m: Machine) -> Crash:
    holder = m.other_cpu()
    head = f"Spin count exceeded ({m.rng.choice(lx.LOCKS)}) - possible deadlock with PCPU {holder}"
    tail, world = _vmkernel_path(m)
    return Crash(
        "spin_deadlock", head, [*_panic_prefix(m), "SP_WaitLockIRQ", "SPLockIRQWork", *tail], world, m.cpu
    )


def _stuck_path(m: Machine) -> list[str]:
    """What a CPU that stopped answering was doing: a driver interrupt or a lock wait."""
    if m.gen.name != "esxi_arm" and m.rng.random() < 0.5:
        return _driver_path(m)[0]
    return ["SP_WaitLock", "SPLockWork", *_vmkernel_path(m)[0]]


def crash_no_heartbeat(m: Machine) -> Crash:
    stuck = m.other_cpu()
    if m.at_least("6.7"):
        k = m.rng.randrange(1, 4)
        head = f"PCPU {stuck}: no heartbeat ({k}/{k} IPIs received)"
    else:
        head = f"PCPU {stuck}: no heartbeat, IPIs received ({m.rng.randrange(2)}/1)."
    world = _world(m, m.rng.choice(("helper", "user", "idle")))
    return Crash("no_heartbeat", head, _stuck_path(m), world, stuck, saved_from=stuck)


def crash_nmi_ipi(m: Machine) -> Crash:
    head = (
        "NMI IPI: Panic requested by another PCPU. RIPOFF(base):RBP:CS [{ripoff}"
        f"({h(m.code_start)}):{{rbp}}:0x4010] (Src 0x{m.rng.randrange(1, 5)}, CPU{m.cpu})"
    )
    world = _world(m, m.rng.choice(("idle", "helper")))
    return Crash("nmi_ipi", head, _stuck_path(m), world, m.cpu, saved_from=m.cpu)


def _assert_location(m: Machine) -> str:
    source, line = m.rng.choice(lx.SOURCE_FILES), m.rng.randrange(80, 24000)
    if m.gen.name == "esx3":
        return f"/build/mts/release/bora-{m.build}/bora/vmkernel/{source}:{line}"
    return f"bora/vmkernel/{source}:{line}"


def crash_assert(m: Machine) -> Crash:
    where = _assert_location(m)
    prefix = _assert_prefix(m)
    if m.at_least("7.0") and not m.classic:
        if m.rng.random() < 0.5:
            head = f"Failed at {where} -- VMK_ASSERT({m.rng.choice(lx.ASSERT_CONDITIONS)})"
            prefix = ["PanicvPanicInt", "Panic_vPanic", "vmk_PanicWithModuleID"]
        else:
            head = f"Failed at {where} -- NOT REACHED"
    else:
        head = f"ASSERT {where}" + (
            f" bugNr={m.rng.randrange(100000, 400000)}" if m.gen.name == "esx3" else ""
        )
    tail, world = _vmkernel_path(m)
    return Crash("assert", head, prefix + tail, world, m.cpu)


def crash_not_implemented(m: Machine) -> Crash:
    tail, world = _vmkernel_path(m)
    prefix = _assert_prefix(m) if m.at_least("6.5") else [*_panic_prefix(m), "Util_NotImplemented"]
    return Crash("not_implemented", f"NOT_IMPLEMENTED {_assert_location(m)}", prefix + tail, world, m.cpu)


def _log_prefix(m: Machine, world_id: int) -> str:
    """A vmkernel log line prefix: uptime before 5.x, a timestamp after."""
    if m.classic:
        return f"{m.uptime[0]} cpu{m.cpu}:{world_id})"
    r = m.rng
    stamp = (
        f"20{r.randrange(12, 26)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}T"
        f"{r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}.{r.randrange(1000):03d}Z"
    )
    return f"{stamp} cpu{m.cpu}:{world_id})"


_COS_SYMBOLS = ("irq_desc", "softirq_vec", "init_task", "boot_cpu_data")


def crash_cos(m: Machine, crash_type: str) -> Crash:
    """ESX classic service console: an Oops or a lost heartbeat, reported as VMNIX log lines."""
    m.cpu = 0
    world = _world(m, "console")
    prefix = _log_prefix(m, world[0])
    if crash_type == "lost_heartbeat":
        head = (
            "COS Error: Lost heartbeat" if m.gen.name == "esx3" or m.rng.random() < 0.5 else "Lost heartbeat"
        )
        logs = [
            f"{prefix}VMNIX: ALERT: HB: {m.rng.randrange(300, 400)}: Lost heartbeat (comm=vmnixhbd "
            f"pid={m.rng.randrange(10, 40)} t=31 to=30 clt=1)."
        ]
        frames = [
            "CpuSched_Wait",
            "VMNIXHeartbeatCheck",
            "Timer_BHHandler",
            "BH_Check",
            "CpuSched_StartWorld",
        ]
    else:
        head = "COS Error: Oops"
        logs = [
            f"{prefix}VMNIX: <1>Unable to handle kernel NULL pointer dereference at virtual address "
            f"{m.rng.randrange(0, 0x400):08x}",
            f"{prefix}VMNIX: <4>Oops: 000{m.rng.choice('0123')}",
        ]
        frames = ["VMNIXPanic", "VMNIXVMKCallHandler", "VMNIX_VMKCall", "IDT_HandleVMNIXCall", "gate_entry"]
    if m.gen.name == "esx3":
        frames = [m.rng.choice(_COS_SYMBOLS)]  # a COS address resolved to a meaningless symbol
    return Crash(crash_type, head, frames, world, 0, logs=logs)


def _mce_logs(m: Machine, world_id: int) -> list[str]:
    r, prefix = m.rng, _log_prefix(m, world_id)
    status = r.choice((0xBE00000000800400, 0xB200000000070F0F, 0xFE00000000800400))
    bank = r.randrange(1, 12)
    if m.classic:
        return [f"{prefix}MCE: {r.randrange(100, 800)}: Error on bank {bank}, status {h(status)}"]
    if not m.at_least("7.0"):
        return [
            f"{prefix}MCE: {r.randrange(100, 300)}: cpu{m.cpu}: bank{bank}: status={h(status)}: (VAL=1, "
            "OVFLW=0, UC=1, EN=1, PCC=1, S=1, AR=0), ECC=no, Addr:0x0 (invalid), Misc:0x0 (invalid)"
        ]
    kind = r.choice(("Memory Controller Read Error on Channel 1.", "Internal Timer Error on CPU "
                     f"{m.cpu}.", "Cache Hierarchy Error, level 2."))  # fmt: skip
    return [f"{prefix}MCA: {r.randrange(180, 240)}: UC Excp G3 B{status:x} A0 M0 P0/0 {kind}"]


def crash_mce(m: Machine) -> Crash:
    world = _world(m, "idle")
    if m.classic:
        head = "Machine Check Exception: Unable to continue"
    elif not m.at_least("7.0"):
        head = m.rng.choice(("Hardware (Machine) Error", "Machine Check Exception: Unable to continue"))
    elif m.rng.random() < 0.7:
        head = f"Machine Check Exception on PCPU{m.cpu} in world {world[0]}:{world[1][:12]}"
    else:
        head = "System has encountered a Hardware Error - Please contact the hardware vendor"
    handler = "MCE_Handler" if m.classic else "MCE_HandleException"
    frames = [
        *_panic_prefix(m),
        "MCEHandleError",
        handler,
        "IDT_HandleException",
        "gate_entry",
        *lx.IDLE_TAIL,
    ]
    return Crash(
        "mce", head, frames, world, m.cpu, head_world="in world" in head, logs=_mce_logs(m, world[0])
    )


def crash_nmi_lint1(m: Machine) -> Crash:
    world = _world(m, "idle")
    if m.at_least("7.0") and not m.classic and m.rng.random() < 0.35:
        log = (
            f"{_log_prefix(m, world[0])}WARNING: ApeiHEST: {m.rng.randrange(400, 600)}: GHES status 0x1 "
            f"error severity fatal, section PCIe error (port 0000:{m.rng.randrange(256):02x}:00.0)"
        )
        frames = [
            "PanicvPanicInt",
            "Panic_NoSave",
            "ApeiHESTNmiHandler@vmkapei",
            "NMI_Interrupt",
            "IDTNMIWork",
            "IDT_IntrHandler",
            "gate_entry",
            *lx.IDLE_TAIL,
        ]
        return Crash("nmi_lint1", "ApeiHESTNmiHandler requested PSOD", frames, world, m.cpu, logs=[log])
    if m.classic:
        head = "LINT1 motherboard interrupt. This is a hardware problem; please contact your hardware vendor."
    else:
        head = (
            "LINT1/NMI (motherboard nonmaskable interrupt), undiagnosed. This may be a hardware problem; "
            "please contact your hardware vendor."
        )
    frames = [*_panic_prefix(m), "NMICheckLint1", "NMI_Interrupt", "IDTNMIWork", "IDT_HandleInterrupt",
              "gate_entry", *lx.IDLE_TAIL]  # fmt: skip
    return Crash("nmi_lint1", head, frames, world, m.cpu)


def crash_panic(m: Machine) -> Crash:
    r = m.rng
    if m.at_least("7.0") and m.gen.name != "esxi_arm" and r.random() < 0.5:
        module, template, own, tail = r.choice(lx.MODULE_PANICS)
        head = template.format(small=r.randrange(0, 8), big=r.randrange(64, 4096),
                               addr=h(m.heap + r.randrange(0x1000000, 0xFFFFFFF) * 0x100))  # fmt: skip
        frames = ["PanicvPanicInt", "Panic_vPanic", "vmk_vPanic", f"panic@{module}#"]
        frames += [f"{s}@{module}#" for s in own] + list(tail)
        world = _world(m, "user")
        return Crash("panic", head, frames, world, m.cpu)
    template = r.choice(lx.VMKERNEL_PANICS)
    head = template.format(line=r.randrange(200, 6000), heap=r.choice(lx.HEAPS))
    tail, world = _vmkernel_path(m)
    if "dlmalloc" in head:
        tail = ["DLM_free", "Heap_Free", *tail]
    return Crash("panic", head, _panic_prefix(m) + tail, world, m.cpu)


def crash_oom(m: Machine) -> Crash:
    r = m.rng
    heap = r.choice(lx.HEAPS)
    if r.random() < 0.5:
        head = f"Heap {heap} already at its maximum size. Cannot expand."
    else:
        head = (
            f'Out of memory: failed to allocate {r.randrange(64, 70000)} bytes from heap "{heap}" '
            f"(max {r.choice((8, 16, 32, 64)) * 1048576} bytes reached)"
        )
    tail, world = _vmkernel_path(m)
    return Crash(
        "oom", head, [*_panic_prefix(m), "HeapAllocFailed", "Heap_AlignWithTimeoutAndRA", *tail], world, m.cpu
    )


def crash_crashme(m: Machine) -> Crash:
    frames = [
        *_panic_prefix(m),
        "CrashMeCurrentCore",
        "CrashMe_VsiCommandSet",
        "VSI_SetInfo",
        "UW64VMKSyscallUnpackVSI_Set",
        "User_UWVMK64SyscallHandler",
        "SyscallUWVMK64",
    ]
    return Crash("crashme", "CrashMe", frames, _world(m, "vsish"), m.cpu)


CRASHES: dict[str, Callable[[Machine], Crash]] = {
    **{t: (lambda m, t=t: crash_exception(m, t)) for t in _EXCEPTIONS},
    "tlb_ack": crash_tlb_ack,
    "spin_deadlock": crash_spin_deadlock,
    "no_heartbeat": crash_no_heartbeat,
    "nmi_ipi": crash_nmi_ipi,
    "assert": crash_assert,
    "not_implemented": crash_not_implemented,
    "cos_oops": lambda m: crash_cos(m, "cos_oops"),
    "lost_heartbeat": lambda m: crash_cos(m, "lost_heartbeat"),
    "mce": crash_mce,
    "nmi_lint1": crash_nmi_lint1,
    "panic": crash_panic,
    "oom": crash_oom,
    "crashme": crash_crashme,
}


# --- backtrace -------------------------------------------------------------------------------


def _module_text(m: Machine, module: str | None, driver_names: set[str]) -> tuple[str, str | None]:
    """How a frame's module shows on screen, and the module a reader should report."""
    if module is None:
        return "@vmkernel#nover", "vmkernel"
    if module.endswith("#"):  # a module that carries no version: '@(tcpip4)#'
        return f"@({module[:-1]})#", module[:-1]
    if module in driver_names or module == "nmp":
        if m.gen.name == "esxi5" and module != "nmp" and m.rng.random() < 0.3:
            return "@<None>#<None>", None  # vmklinux-era driver: the module name is not shown
        return f"@({module})#<None>", module
    return f"@{module}#nover", module


def build_backtrace(m: Machine, frames: list[str]) -> Backtrace:
    bt = Backtrace(m.rng, m.code_start, m.fp, m.heap, nstack=3 if m.gen.name == "esx3" else 1,
                   classic=m.classic, small=m.gen.name == "esx3")  # fmt: skip
    drivers = {d.name for d in lx.DRIVERS}
    for i, entry in enumerate(frames):
        symbol, _, module = entry.partition("@")
        text, name = _module_text(m, module or None, drivers)
        bt.add(symbol, text, name, last=i == len(frames) - 1)
    return bt


def _fill_headline(m: Machine, crash: Crash, bt: Backtrace) -> str | None:
    if crash.headline is None:
        return None
    return crash.headline.format(ip=h(bt.first_ip), cr2=h(crash.cr2), sp=h(bt.first_fp - 0x1010),
                                 ripoff=h(bt.first_ip - m.code_start), rbp=h(bt.first_fp + 0x28))  # fmt: skip


# --- screens ---------------------------------------------------------------------------------
# A screen is a list of (line, drop rank): rank 0 lines always stay, higher ranks are dropped
# first when the screen would not fit; FRAMES marks where the backtrace goes.

FRAMES = "\0frames"
Lines = list[tuple[str, int]]


def _dump_lines(m: Machine, world_id: int) -> list[str]:
    r = m.rng
    if m.gen.name == "esx3":
        return ["Starting coredump to disk", "Dumping using slot 1 of 1..."] + (
            ["Disk dump successful."] if r.random() < 0.6 else []
        )
    if m.gen.name == "esx4":
        return ["Coredump to disk.", "Dump: Starting dump. Slot 1 of 1."]
    if not m.at_least("5.5"):
        result = r.choice(("Successful.", "Partial Dump: Out of space o=0x63ff800 l=0x1000"))
        return [
            f"Coredump to disk. Slot 1 of 1. 9876543210 DiskDump: {result}",
            f"Debugger waiting(world {world_id}) -- {DEBUGGER[0].lower()}{DEBUGGER[1:]}",
        ]
    last = DEBUGGER if not m.at_least("7.0") else NO_PORT
    device = f"{r.choice(lx.DEVICES)}:{r.choice((2, 7, 9))}"
    return r.choice((
        [f"Coredump to disk. Slot 1 of 1 on device {device}.",
         "Finalized dump header (15/15) DiskDump: Successful.", last],
        [f"Coredump to disk. Slot 1 of 1 on device {device}.", "Faulting world regs (01/15)"],
        ["No place on disk to dump data.", "Finalized dump header (15/15) FileDump: Successful.", last],
        ["No place on disk to dump data.", "No file configured to dump data.", NO_PORT],
    ))  # fmt: skip


def _banner(m: Machine) -> str:
    if m.gen.name == "esx3":
        return f"VMware ESX Server [Releasebuild-{m.build}]"
    if m.gen.name == "esx4":
        return f"VMware ESX [Releasebuild-{m.build} X86_64]"
    arch = "aarch64" if m.gen.name == "esxi_arm" else "x86_64"
    kind = "build" if m.at_least("7.0") and arch == "x86_64" and m.rng.random() < 0.25 else "Releasebuild"
    return f"VMware ESXi {m.version} [{kind}-{m.build} {arch}]"


def _cpu_entries(m: Machine, world: tuple[int, str]) -> list[tuple[int, str]]:
    """The ESX 3.x/4.x CPU list: the crashing world on its CPU, idle, console or VM worlds elsewhere."""
    lo, hi = m.world_range()
    entries = []
    for cpu in range(m.ncpu):
        if cpu == m.cpu:
            entries.append(world)
        elif cpu == 0 and m.rng.random() < 0.7:
            entries.append((m.idle_id(0) - 1 if m.gen.name == "esx3" else 4096, "console"))
        elif m.rng.random() < 0.5:
            entries.append((m.idle_id(cpu), f"idle{cpu}"))
        else:
            entries.append((m.rng.randrange(lo, hi), f"vmm0:{m.rng.choice(lx.VM_NAMES)}"))
    return entries


def classic_screen(m: Machine, crash: Crash, bt: Backtrace, head: str) -> Lines:
    """ESX 3.x (32-bit registers) and ESX 4.x (64-bit) text-mode screens."""
    r = m.rng
    lines: Lines = [(_banner(m), 0), (head, 0)]
    frame = bt.first_fp - r.choice((0x68, 0x98, 0xA8, 0xD8))
    cr3 = r.randrange(0x1000, 0x7FFFF) * 0x1000
    if m.gen.name == "esx3":
        lines += [(x, 0) for x in regs32(r, frame, bt.first_ip, crash.cr2, cr3, bt.first_fp)]
    else:
        lines += [(f"frame={h(frame)} ip={h(bt.first_ip)} cr2={h(crash.cr2)} cr3={h(cr3)}", 0),
                  (f"err={r.choice((0, 0, 2))} rflags=0x{r.choice(('10202', '10246', '246'))} "
                   f"cr4=0x{r.choice(('16c', '216c', '6f0'))}", 0)]  # fmt: skip
        lines += [(x, 0) for x in regs64(r, m.heap, bt.first_fp & ~0xFFF)]
    lines += [(x, 0) for x in cpu_list(_cpu_entries(m, crash.world), m.cpu)]
    if m.gen.name == "esx4" or (m.release == "3.5" and r.random() < 0.5):
        lines.append((f"@BlueScreen: {head}", 3))
    if m.gen.name == "esx4":
        if r.random() < 0.6:
            src = bt.first_ip - r.randrange(0x10, 0x60)
            lines.append((f"LBR: from {h(src)} to {h(src + r.randrange(4, 0x18))}", 2))
        lines.append((f"Code starts at {h(m.code_start)}", 0))
    lines.append((FRAMES, 0))
    tsc = int(m.uptime[1] * r.uniform(2.0, 3.4) * 1e9) + r.randrange(10**6)
    lines.append((f"VMK uptime: {m.uptime[0]} TSC: {tsc}", 0))
    lines += [(x, 1) for x in crash.logs]
    if m.gen.name == "esx4":
        lines.append(("FSbase:0x0 GSbase:0x0 kernelGSbase:0x0", 0))
    dump = _dump_lines(m, crash.world[0])
    return lines + [(x, 0 if i == 0 else 2) for i, x in enumerate(dump)]


def _ptes(m: Machine, crash: Crash) -> str:
    if crash.cr2 < 0x1000:
        return "PTEs:0x0;"
    a, b = (m.rng.randrange(0x100000, 0xFFFFF0) * 0x1000 + 0x27 for _ in range(2))
    return f"PTEs:{h(a)};{h(b)};0x0;"


def _cr4(m: Machine) -> str:
    if not m.at_least("6.0"):
        return m.rng.choice(("0x2768", "0x42768"))
    if not m.at_least("7.0"):
        return "0x10216c" if m.release == "6.7" else m.rng.choice(("0x216c", "0x42660"))
    return "0x142660" if not m.at_least("8.0") else "0x3406e0"


def _fms(m: Machine) -> str:
    r = m.rng
    family, model, stepping = r.choice(("06", "06", "17", "19")), r.randrange(0x30, 0xD0), r.randrange(10)
    return f"FMS={family}/{model:02x}/{stepping} uCode={h(r.randrange(0x100, 0xD0003FF))}"


def _registers(m: Machine, crash: Crash, bt: Backtrace) -> list[str]:
    r = m.rng
    cr3 = h(r.randrange(0x10000, 0x7FFFF) * 0x1000)
    cr0 = "0x80010031" if not m.at_least("5.1") else "0x8001003d"
    lines = [f"cr0={cr0} cr2={h(crash.cr2)} cr3={cr3} cr4={_cr4(m)}"]
    if m.at_least("7.0"):
        lines.append(_fms(m))
    frame = bt.first_fp - r.choice((0x68, 0x88, 0xC8, 0x108, 0x148))
    rflags = "0x" + r.choice(("10202", "10246", "10286", "10206", "10082"))
    lines.append(f"frame={h(frame)} ip={h(bt.first_ip)} err={r.choice((0, 0, 2))} rflags={rflags}")
    over = {"rcx": 0x0} if crash.type == "de0" else None
    return lines + regs64(r, m.heap, bt.first_fp & ~0xFFF, over)


def _arm_registers(m: Machine, bt: Backtrace) -> list[str]:
    r = m.rng
    lr = bt.frames[1].ip if len(bt.frames) > 1 else bt.first_ip
    esr, spsr = r.choice(("0x96000046", "0x56000000", "0x96000005")), r.choice(("0x600003c5", "0x800003c5"))
    return [f"esr={esr} far={h(r.randrange(0, 0x400, 8))} elr={h(bt.first_ip)}",
            f"sp={h(bt.first_fp - 0x40)} spsr={spsr} lr={h(lr)}"]


def esxi_screen(m: Machine, crash: Crash, bt: Backtrace, head: str | None) -> Lines:
    """ESXi 5.x-9.x and ESXi-Arm framebuffer screens."""
    lines: Lines = [(_banner(m), 0), (head or "", 0)]
    if crash.ptes and m.gen.name != "esxi_arm":
        lines.append((_ptes(m, crash), 0))
    if crash.module_line:
        lines.append((crash.module_line, 0))
    if m.gen.name == "esxi_arm":
        lines += [(x, 0) for x in _arm_registers(m, bt)]
    else:
        lines += [(x, 0) for x in _registers(m, crash, bt)]
    lines.append((f"*PCPU{m.cpu}:{crash.world[0]}/{crash.world[1]}", 0))
    lines += [(x, 0) for x in pcpu_states(m.rng, m.ncpu)]
    if crash.saved_from is not None:
        lines.append((f"Saved backtrace from: pcpu {crash.saved_from} Heartbeat NMI", 0))
    lines += [(f"Code start: {h(m.code_start)} VMK uptime: {m.uptime[0]}", 0), (FRAMES, 0)]
    if m.gen.name != "esxi_arm":
        gs = (0x420040000000 if m.at_least("7.0") else 0x418040000000) + m.rng.randrange(0, 0x30) * 0x400000
        lines.append((f"base fs=0x0 gs={h(gs)} Kgs=0x0", 0))
    lines += [(x, 1) for x in crash.logs]
    return lines + [(x, 0 if i == 0 else 2) for i, x in enumerate(_dump_lines(m, crash.world[0]))]


def _fit(lines: Lines, frames: list[str], width: int, rows: int) -> list[str]:
    """Drop optional lines (highest rank first), then frames from the bottom, until it fits."""

    def render(keep: Lines, n: int) -> list[str]:
        out: list[str] = []
        for text, _ in keep:
            out += frames[:n] if text == FRAMES else [text]
        return out

    keep = list(lines)
    for rank in (1, 2, 3):
        if len(wrap(render(keep, 5), width)) <= rows:
            break
        keep = [(t, k) for t, k in keep if k != rank]
    n = len(frames)
    while n > 1 and len(wrap(render(keep, n), width)) > rows:
        n -= 1
    return render(keep, n)


# --- special screens -------------------------------------------------------------------------


def hw_incompat_screen(m: Machine) -> tuple[list[str], Crash, Backtrace]:
    """Boot-time CPU uniformity check: no register block, 'Fatal CPU mismatch' log lines."""
    r = m.rng
    seconds = r.randrange(2000, 9000) / 1000
    m.cpu, m.uptime = 0, (f"0:00:00:{seconds:06.3f}", seconds)
    world = (262144, "bootstrap")
    frames = [
        "PanicvPanicInt",
        "Panic_NoSave",
        "CPU_CheckUniformity",
        "SMP_BootAPs",
        "SysInitTable_Start",
        "InitVMKernel",
        "LegacyBootVMKernel",
        "BootVMKernel",
    ]
    crash = Crash("hw_incompat", "HW feature incompatibility detected; cannot start", frames, world, 0)
    bt = build_backtrace(m, frames)
    lines = [
        _banner(m),
        crash.headline or "",
        f"cr0=0x8001003d cr2=0x0 cr3={h(r.randrange(0x100, 0x7FFFF) * 0x1000)} cr4={_cr4(m)}",
        _fms(m),
        "*PCPU0:262144/bootstrap",
        "PCPU  0: S" + "I" * (min(m.ncpu, 64) - 1),
        f"Code start: {h(m.code_start)} VMK uptime: {m.uptime[0]}",
        *bt.lines(),
        f"base fs=0x0 gs={h(0x420040000000)} Kgs=0x0",
    ]
    code = r.randrange(1800, 2600)
    for _ in range(r.randrange(2, 6)):
        feature, bad, good = r.choice(lx.CPU_FEATURES)
        lines.append(
            f'{m.uptime[0]} cpu0:262144)Cpu: {code}: Fatal CPU mismatch on feature "{feature}"; '
            f"cpu{r.randrange(1, m.ncpu)} value = {h(bad)}, but cpu0 value = {h(good)}"
        )
    lines += ["No place on disk to dump data.", "No file configured to dump data.", NO_PORT]
    return lines, crash, bt


def _boot_reason(m: Machine) -> list[str]:
    r = m.rng
    choice = r.randrange(3)
    if choice == 0:
        vibs = ", ".join(r.sample(lx.BOOT_VIBS, r.randrange(1, 3)))
        return ["UEFI Secure Boot failed:", f"Failed to verify signatures of the following vib(s): [{vibs}]."]
    if choice == 1:
        have, need = r.randrange(0, 0x30), r.randrange(0x30, 0x1000070)
        return [
            f"Unsupported microcode level {h(have)[:2]}{have:08x}",
            f"Please use microcode patch level 0x{need:08x} or higher with",
            f"Intel Family 6 Model {r.randrange(0x3A, 0x9F):X}h processors.",
        ]
    return ["Unsupported CPU:", f"{r.choice(lx.CPUS)} is not supported by this release."]


def boot_screen(m: Machine) -> list[str]:
    """The boot-time fatal error screen: all white, a header, hardware lines, the problem sentence."""
    r = m.rng
    indent = " " * r.randrange(8, 16)
    grid = [""] * 48
    top = r.randrange(0, 5)
    grid[top] = f"{indent}VMware ESXi {m.version} (VMKernel Release Build {m.build})"
    hardware = [
        r.choice(lx.SERVERS),
        "",
        r.choice(lx.CPUS),
        f"{r.choice((16, 32, 64, 127.9, 255.6))} GiB Memory",
    ]
    for i, line in enumerate(hardware):
        grid[top + 2 + i] = indent + line if line else ""
    problem, inset = r.randrange(17, 25), " " * r.choice((0, 3))
    grid[problem] = inset + "The system has found a problem on your machine and cannot continue."
    for i, line in enumerate(_boot_reason(m)):
        grid[problem + 2 + i] = inset + line
    grid[47] = NO_PORT
    return grid


# --- putting it together ---------------------------------------------------------------------


def _expected(m: Machine, crash: Crash, bt: Backtrace | None, head: str | None, shown: int) -> dict[str, Any]:
    symbols, modules = bt.top(min(5, shown)) if bt else ([], [])
    world = None
    if crash.world:
        wid, name = crash.world
        world = {"id": wid, "name": name[:12] if crash.head_world else name}
    return {
        "generation": m.gen.name, "form": "screen", "type": crash.type, "message": head,
        "product": m.gen.product, "version": m.version, "build": str(m.build), "world": world,
        "pcpu": crash.pcpu, "top_frames": symbols, "frame_modules": modules,
        "code_start": h(m.code_start) if bt and m.gen.name != "esx3" else None,
        "uptime_seconds": m.uptime[1] if bt else None,
    }  # fmt: skip


GeneratedTextParts = tuple[list[str], dict[str, Any]]


def _crop_top(lines: list[str], m: Machine) -> list[str]:
    """A photo that missed the top of the screen: it starts at the registers, CPU or Code line."""
    starts = [i for i, line in enumerate(lines) if line.startswith(("rbx=", "rdx=", "*PCPU", "Code start:"))]
    return lines[m.rng.choice(starts) :]


def _other(m: Machine) -> GeneratedTextParts:
    """A crash whose top lines (banner, headline) are not on the picture: type 'other'."""
    base = (
        m.rng.choice(("pf14", "gp13", "ud6", "assert", "spin_deadlock"))
        if m.gen.name != "esxi_arm"
        else "assert"
    )
    crash = CRASHES[base](m)
    crash.logs, crash.head_world = [], False
    bt = build_backtrace(m, crash.frames)
    lines = _crop_top(_fit(esxi_screen(m, crash, bt, _fill_headline(m, crash, bt)), bt.lines(), 128, 48), m)
    shown = sum(1 for line in lines if "]" in line and ":[0x" in line)
    expected = _expected(m, crash, bt, None, shown)
    world_shown = any(line.startswith("*PCPU") for line in lines)
    expected.update(
        type="other",
        message=None,
        product=None,
        version=None,
        build=None,
        generation=None,
        world=expected["world"] if world_shown else None,
        pcpu=m.cpu if world_shown else None,
    )
    return lines, expected


def _screen_text(m: Machine, crash_type: str) -> GeneratedTextParts:
    gen = m.gen
    if crash_type == "boot_failure":
        expected = {"generation": "boot", "form": "screen", "type": "boot_failure",
                    "message": "The system has found a problem on your machine and cannot continue.",
                    "product": gen.product, "version": m.version, "build": str(m.build), "world": None,
                    "pcpu": None, "top_frames": [], "frame_modules": []}  # fmt: skip
        return boot_screen(m), expected
    if crash_type == "other":
        return _other(m)
    if crash_type == "hw_incompat":
        lines, crash, bt = hw_incompat_screen(m)
        return lines, _expected(m, crash, bt, crash.headline, len(bt.frames))
    crash = CRASHES[crash_type](m)
    bt = build_backtrace(m, crash.frames)
    head = _fill_headline(m, crash, bt)
    layout = classic_screen(m, crash, bt, head or "") if m.classic else esxi_screen(m, crash, bt, head)
    lines = _fit(layout, bt.lines(), gen.width, gen.rows)
    shown = sum(1 for line in lines if ":[0x" in line)
    return lines, _expected(m, crash, bt, head, shown)


def generate_text(generation: str, crash_type: str, rng: random.Random, name: str = "") -> GeneratedText:
    """One screen of `generation` (a GENERATIONS key) showing a crash of `crash_type`."""
    gen = GENERATIONS[generation]
    if crash_type not in gen.types:
        raise ValueError(f"{generation} shows no {crash_type} screen; it shows {', '.join(gen.types)}")
    m = _machine(rng, gen)
    lines, expected = _screen_text(m, crash_type)
    while lines and not lines[-1]:
        lines.pop()
    rows = wrap(lines, gen.width)
    while rows and not rows[-1]:
        rows.pop()
    text = "\n".join(rows) + "\n"
    return GeneratedText(name or f"{generation}_{crash_type}", text, expected, "\n".join(lines) + "\n")


def combinations() -> list[tuple[str, str]]:
    """Every (generation, type) pair the generator makes."""
    return [(g.name, t) for g in GENERATIONS.values() for t in g.types]


def generate_texts(n: int, seed: int = 0) -> list[GeneratedText]:
    """`n` texts cycling through every (generation, type) pair in a seeded order; each text has
    its own random stream, so text i is the same whatever `n` is."""
    pairs = combinations()
    order: list[tuple[str, str]] = []
    cycle = 0
    while len(order) < n:
        batch = list(pairs)
        random.Random(f"psod-texts:{seed}:{cycle}").shuffle(batch)
        order += batch
        cycle += 1
    out = []
    for i, (gen, crash_type) in enumerate(order[:n]):
        rng = random.Random(f"psod-text:{seed}:{i}")
        out.append(generate_text(gen, crash_type, rng, name=f"gen{seed}_{i:04d}_{gen}_{crash_type}"))
    return out
