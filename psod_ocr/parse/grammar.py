"""The line grammar of purple screens, ESX 3.x to 9.x, and a tagger that names each line's kind.

Patterns tolerate what captures do to text: a cut-off first character, masked digits (``#``),
stray spaces around ``:`` and ``[``. Values are kept as shown; nothing is normalised here.
"""

from __future__ import annotations

import re

HEX = r"(?:0x|0X|#x)?[0-9a-fA-F#?]+"  # ('?': a digit the reader was not sure of)

BANNER = re.compile(
    r"(?:V|\S)?Mware (?P<product>ESX(?:i| Server)?)(?:[ -](?P<flavour>Arm))?"
    r"(?: (?P<version>\d[\w.#]*))?\s*"
    r"(?:\[(?:Release)?[Bb]uild[- ](?P<build>[0-9#?]+)(?: (?P<arch>[\w-]+))?\]?"
    r"|\(VMKernel Release Build (?P<build2>[0-9#?]+)\))"
)
BLUESCREEN = re.compile(r"(?:^|@|(?:Panic|PSOD) Message: @?)[Bb]lue[Ss]creen: ?(?P<message>.*)$")
PANIC_DETAILS = re.compile(
    r"Panic Details: Crash at (?P<time>\S+) on CPU (?P<cpu>[0-9#]+) running world "
    r"(?P<world_id>[0-9#]+)(?: - (?P<world_name>.+?))?\.?\s*VMK Uptime: ?(?P<uptime>[0-9#:.]+)"
)
BACKTRACE_HEADER = re.compile(
    r"^Backtrace(?: for (?:(?:current|Current) CPU(?: #| - )(?P<cpu>[0-9#]+)"
    r"(?:, worldID=(?P<world>[0-9#]+))?|Saved/Locked CPU - (?P<saved>[0-9#]+)|.*))?:?"
)
SAVED_BACKTRACE = re.compile(r"Saved backtrace(?: from)?: (?P<what>pcpu [0-9#]+ .*)$")
FRAME = re.compile(
    r"(?P<frame>(?:0x|\S?x)?[0-9a-fA-Fn#]+(?: [0-9a-f#]{1,4})?)? ?: ?"
    # (an IP with a glyph or two OCR read as no hex digit is still a frame's: "0x42003}f9362a";
    # with more, its "0x" says it is one: "0x4K002Bd7Scd0")
    r"\[ ?(?P<ip>(?:0x|#x)?[0-9a-fA-Fn#]+(?:[^\s\[\]:][0-9a-fA-Fn#]+){0,2}|0x[^\s\[\]:]{6,16}) ?\]"
    r"(?P<body>.*)$"
)
FRAME_BODY = re.compile(
    r"^(?P<name>.*?)(?:\+(?P<offset>(?:0x)?[0-9a-fA-F#]+))?\s*(?:stack:\s*(?P<stack>.*))?$"
)
SYMBOL_OK = re.compile(r"^[A-Za-z_.$][\w.$ ]*$")
MODULE_OK = re.compile(r"^[A-Za-z_][\w.\-]*$")
REGISTER_LINE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*=\S+\s*)+$")
REGISTER = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9]*)=(?P<value>\S+)")
BASE_LINE = re.compile(r"^.?ase (?P<regs>fs=.*)$")
FSBASE_LINE = re.compile(
    rf"FSbase ?[:(] ?(?P<fs>{HEX})\)? GSbase ?[:(] ?(?P<gs>{HEX})\)? "
    rf"kernelGSbase ?[:(] ?(?P<kgs>{HEX})"
)
PTES = re.compile(r"^PTEs: ?(?P<ptes>.*?);?$")
LBR = re.compile(rf"^LBR: from (?P<src>{HEX}) to (?P<dst>{HEX})")
CODE_START = re.compile(rf".?ode start(?:s at|:) ?(?P<addr>{HEX})")
UPTIME = re.compile(r"VMK [Uu]ptime: ?(?P<uptime>[0-9#]+:[0-9#]{2}:[0-9#]{2}:[0-9#]{2}(?:\.[0-9#]+)?)")
TSC = re.compile(r"\bTSC: ?(?P<tsc>\d+)")
CURRENT_PCPU = re.compile(r"^[*?]?PCPU ?(?P<pcpu>[0-9#]+):(?P<world>[0-9#]+)/(?P<name>.*)$")
PCPU_STATES = re.compile(r"^[*?]?P?CPU\s+(?P<first>[0-9#]+): (?P<states>[A-Z]+)$")
CPU_TOKEN = re.compile(r"(?P<star>\*)?(?P<cpu>cpu|CPU)?(?P<pcpu>\d+):(?P<world>\d+)/(?P<name>\S*)")
CPU_LIST = re.compile(r"^(?:\*?(?:cpu|CPU)?\d+:\d+/\S*\s*)+$")
CPU_LIST_OLD = re.compile(r"^(?:(?:cpu|CPU) \d+ \d+ \S+\s*)+$")  # ESX 3.0: "cpu 0 2673 vmm0:keys:"
CPU_TOKEN_OLD = re.compile(r"(?P<cpu>cpu|CPU) (?P<pcpu>\d+) (?P<world>\d+) (?P<name>\S+)")
MODULES_INVOLVED = re.compile(r"Module\(s\) involved in panic: (?P<list>.*)$")
MODULE_ENTRY = re.compile(r"\[(?P<name>[\w.\-]+)(?: (?P<version>[^\s\]()]+))?(?: \((?P<tag>\w+)\))?\]")
DEBUGGER = re.compile(r"(?i)(?:no port for remote debugger|ebugger waiting|for local debugger)")
LOG_MESSAGE_PREFIX = re.compile(r"^(?:(?:ALERT|WARNING|VMNIX|WARN): )?[A-Za-z][\w.]*: \d+: ")

# The kinds a line can be, in the order tried: (kind, pattern, found anywhere in the line rather
# than at its start, a substring the line must contain for the pattern to be worth trying).
STRUCTURE = (
    ("bluescreen", BLUESCREEN, True, "BlueScreen"),
    ("panic_details", PANIC_DETAILS, True, "Panic Details"),
    ("banner", BANNER, True, "Mware ESX"),
    ("frame", FRAME, True, "]"),
    ("backtrace_header", BACKTRACE_HEADER, False, "Backtrace"),
    ("saved_backtrace", SAVED_BACKTRACE, True, "aved backtrace"),
    ("current_pcpu", CURRENT_PCPU, False, "CPU"),
    ("pcpu_states", PCPU_STATES, False, "CPU"),
    ("cpu_list", CPU_LIST, False, "/"),
    ("cpu_list", CPU_LIST_OLD, False, "pu "),
    ("code_start", CODE_START, True, "ode start"),
    ("uptime", UPTIME, True, "ptime"),
    ("ptes", PTES, False, "PTEs"),
    ("lbr", LBR, False, "LBR"),
    ("base", BASE_LINE, False, "ase fs="),
    ("fsbase", FSBASE_LINE, True, "GSbase"),
    ("registers", REGISTER_LINE, False, "="),
    ("modules_involved", MODULES_INVOLVED, True, "involved in panic"),
    ("debugger", DEBUGGER, True, "ebugger"),
)

# Kinds that only a purple screen (or its log) prints.
EVIDENCE = frozenset(
    {"bluescreen", "panic_details", "banner", "frame", "backtrace_header", "saved_backtrace",
     "current_pcpu", "pcpu_states", "cpu_list", "code_start", "uptime", "modules_involved"}
)  # fmt: skip
# Kinds that sit below the headline on a screen: the headline is the free text just above.
BODY = frozenset(
    {"frame", "current_pcpu", "pcpu_states", "cpu_list", "code_start", "ptes", "lbr",
     "registers", "uptime", "backtrace_header"}
)  # fmt: skip


def kind_of(text: str) -> str:
    if not text:
        return "blank"
    for kind, pattern, anywhere, needle in STRUCTURE:
        if needle in text and (pattern.search if anywhere else pattern.match)(text):
            return kind
    return "text"
