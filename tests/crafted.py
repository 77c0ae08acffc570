"""Crafted ESXi 7 purple-screen texts for the history and pattern-analysis tests.

Each crash is written as the screen shows it and parsed by the real parser, so the tests
exercise the signature and world/PCPU reading the analysis depends on.
"""

from __future__ import annotations

from psod_ocr import Report, read_text

VMK = "vmkernel#nover"

HEADLINES = {
    "pf14": "#PF Exception 14 in world {wid}:{world} IP 0x42001c2b3c4d addr 0x18",
    "gp13": "#GP Exception 13 in world {wid}:{world} IP 0x4200224881f4 addr 0x0",
    "assert": "ASSERT bora/vmkernel/main/pframe_int.h:527",
    "mce": "Machine Check Exception on PCPU{pcpu} in world {wid}:{world}",
    "nmi_lint1": "LINT1 motherboard interrupt. This is a hardware problem; please contact your vendor.",
}


def screen(
    kind: str = "pf14",
    frames: tuple[str, ...] = ("Heap_Free", "Net_PortDisconnect", "vmkWorldFunc"),
    world: str = "hostd-worker",
    wid: int = 2099652,
    pcpu: int = 3,
    uptime: str = "2:03:04:05.006",
    build: str = "19193900",
    module: str = VMK,
) -> str:
    """One screen; each frame is ``symbol`` (in ``module``) or ``symbol@(driver)#<None>``."""
    lines = [
        f"VMware ESXi 7.0.3 [Releasebuild-{build} x86_64]",
        HEADLINES[kind].format(wid=wid, world=world, pcpu=pcpu),
        "cr0=0x80010031 cr2=0x18 cr3=0x1b3a2000 cr4=0x142768",
        f"*PCPU{pcpu}:{wid}/{world}",
        "PCPU  0: SSSSSSSSSSSSSSSS",
        f"Code start: 0x42001b800000 VMK uptime: {uptime}",
    ]
    for i, frame in enumerate(frames):
        where = frame if "@" in frame else f"{frame}@{module}"
        lines.append(f"0x453a123400{i:02x}:[0x42001c2b3c{i:02x}]{where}+0x1d stack: 0x1")
    return "\n".join(lines) + "\n"


def report(text: str, path: str = "-") -> Report:
    return read_text(text, path=path)
