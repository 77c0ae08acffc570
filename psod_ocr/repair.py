"""Repair what OCR gets wrong in the console text, with every change on record.

Ordered rules, each small: hex numbers (the ``0x`` prefix, then lowercase hex digits only),
decimal fields, and words and symbols one or two letters away from the screen's vocabulary.
A rule that cannot decide changes nothing; nothing is invented.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from ._exec.tesseract import word_list
from .knowledge import _read
from .report import Repair


@dataclass(frozen=True)
class Confusions:
    hex: dict[str, str]
    decimal: dict[str, str]
    prefix_zero: str
    prefix_x: str
    capitals: dict[str, str]


@cache
def confusions() -> Confusions:
    data = _read("confusions.toml")
    return Confusions(
        hex=dict(data["hex"]),
        decimal=dict(data["decimal"]),
        prefix_zero=data["prefix_zero"]["chars"],
        prefix_x=data["prefix_x"]["chars"],
        capitals=dict(data["capitals"]),
    )


@cache
def lookalikes() -> dict[str, str]:
    """Each character and the characters a console font draws like it (data/confusions.toml)."""
    out: dict[str, str] = {}
    for group in _read("confusions.toml")["lookalikes"]["groups"]:
        for ch in group:
            out[ch] = out.get(ch, "") + group
    return out


@cache
def vocabulary() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Words (letters and digits only: punctuation around a word is never rewritten), symbols."""
    data = _read("vocabulary.toml")
    words = {w for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", " ".join(data["words"] + data["modules"]))}
    return tuple(sorted(words)), tuple(data["symbols"])


@cache
def _hex_token() -> re.Pattern[str]:
    c = confusions()
    zero, x = re.escape(c.prefix_zero), re.escape(c.prefix_x)
    body = re.escape("".join(c.hex)) + "0-9a-f"
    return re.compile(rf"(?<![0-9A-Za-z_])[{zero}][{x}][{body}]+(?![0-9A-Za-z_?#])")


def repair_hex(line: str) -> str:
    """``8x45lb2c74fd40`` -> ``0x451b2c74fd40``: the prefix is always 0x, the digits hex."""
    table = confusions().hex

    def fix(m: re.Match[str]) -> str:
        digits = "".join(table.get(ch, ch) for ch in m.group(0)[2:])
        return "0x" + digits if re.fullmatch(r"[0-9a-f]+", digits) else m.group(0)

    return _hex_token().sub(fix, line)


DECIMAL_PRE = (
    r"(?P<pre>(?:in world |[Rr]eleasebuild-|[Bb]uild-|\*PCPU|PCPU |worldID=|CPU #|Src 0x[0-9a-f]+[,.;:]? ?CPU"
    r"|received \(|\((?=\S+ \S{4} received)|(?<=\d)/(?=\S+ \S{4} received|\S{1,3}\)\.?$)"  # (N/M) IPIs
    r"|(?<=bora/)\S+\.[ch]:))"  # an assertion's source line
)


@cache
def _decimal_fields() -> re.Pattern[str]:
    misread = re.escape("".join(confusions().decimal))
    return re.compile(DECIMAL_PRE + rf"(?P<num>[0-9{misread}]{{1,12}})(?=[:/\s\],)]|$)")


UPTIME = re.compile(r"(?<=uptime: )(\d+:\d\d:\d\d:\d\d)[,;:'` ?](?=\d{3}\b)")


def repair_uptime(line: str) -> str:
    """``uptime: 359:15:42:01,571``: the milliseconds follow a point (a speck a photo blurs,
    or a scaler blurs into a space)."""
    return UPTIME.sub(r"\1.", line)


# The kernel's code is loaded 2 MB aligned: "Code start: 0x420003c00000" ends in five zeros,
# and a blurred photo's reading of them is put back. Not where two or more of them read as
# digits nothing like a 0: some real screens print an unaligned start (0x420001a87200).
CODE_START = re.compile(r"(ode starts?(?:: | at )0x[0-9a-f]{7})([0-9a-zA-Z@?]{5})(?![0-9a-zA-Z])")
UNLIKE_ZERO = 2


def repair_code_start(line: str) -> str:
    def zeros(m: re.Match[str]) -> str:
        unlike = sum(ch not in lookalikes().get("0", "") + "0?" for ch in m[2])
        return m[1] + ("00000" if unlike < UNLIKE_ZERO else m[2])

    return CODE_START.sub(zeros, line)


def repair_decimal(line: str) -> str:
    """Digits after ``in world``, ``build-``, ``PCPU`` and the like are decimal."""
    table = confusions().decimal

    def fix(m: re.Match[str]) -> str:
        num = "".join(table.get(ch, ch) for ch in m["num"])
        return m["pre"] + (num if num.isdigit() else m["num"])

    return _decimal_fields().sub(fix, line)


@cache
def _misreadings() -> dict[str, str]:
    """What OCR may read each character as: its look-alikes, and the capitals it takes for
    one another (in either case: m for n as M for N)."""
    out = dict(lookalikes())
    for a, others in confusions().capitals.items():
        for ch, alike in ((a, others), (a.lower(), others.lower())):
            out[ch] = out.get(ch, "") + alike
    for ch in SAME_SHAPE_CASES + SAME_SHAPE_CASES.upper():
        out[ch] = out.get(ch, "") + ch.swapcase()
    return out


SAME_SHAPE_CASES = "cosuvwxz"  # letters whose capital is the small letter drawn taller


def _misread_as(token: str, word: str, limit: int) -> bool:
    """Could OCR have read ``word`` as ``token``: as long, and at most ``limit`` of its
    characters each taken for a look-alike? (VSI_GetInfo is no misread VSI_SetInfo, nor
    sfcb-vmware_ of vmware: both are other names.)"""
    if len(token) != len(word):
        return False
    wrong = [(a, b) for a, b in zip(token, word, strict=True) if a != b]
    alike = _misreadings()
    # (an I for an l, the commonest misreading, is not counted: "NetPoIIWorIdCaIIback")
    counted = [pair for pair in wrong if set(pair) != TWINS_UNCOUNTED]
    return len(counted) <= limit and all(a in alike.get(b, "") or b in alike.get(a, "") for a, b in wrong)


TWINS_UNCOUNTED = {"I", "l"}


def _closest(token: str, vocab: tuple[str, ...], any_case: bool = True) -> str | None:
    """The one vocabulary word ``token`` is a misreading of (None if several)."""
    if len(token) < 6 or token in vocab:  # short words are too close to each other
        return None
    limit = 1 if len(token) < 10 else 2
    if any_case and token.lower() in {w.lower() for w in vocab}:  # "failed" is as right as "Failed"
        return None
    hits = {w for w in vocab if _misread_as(token, w, limit)}
    return hits.pop() if len(hits) == 1 else None


FRAME_SYMBOL = re.compile(r"(\]\s?)([A-Za-z_][\w.&]*)(?=[@+ ])")


def repair_words(line: str) -> str:
    words, symbols = vocabulary()

    def fix_word(m: re.Match[str]) -> str:
        return _closest(m.group(0), words) or m.group(0)

    line = re.sub(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_]*", fix_word, line)

    def fix_symbol(m: re.Match[str]) -> str:
        return m.group(1) + (_closest(m.group(2), symbols, any_case=False) or m.group(2))

    return FRAME_SYMBOL.sub(fix_symbol, line)


# A frame's symbol runs from the "]" after the IP to "@module" or "+0x offset"; it never holds a
# space, so a space inside it is a blurred underscore.
SPACED_SYMBOL = re.compile(r"(?<=\])([A-Za-z_][\w.]*(?: [\w.]*)+)(?=@|\+0x)")


# The banner's fixed parts: "VMware ESXi 8.0.2 [Releasebuild-23310008 x86_64]"; a photo loses
# the dots between the version's numbers and the underscore of x86_64, and misreads the V.
BANNER_PARTS = (
    (re.compile(r"^(\s*)[^\sV]?Mware (?=ESX)"), r"\1VMware "),
    (re.compile(r"(?<=VMware )ES[^\sX](?=i? \d)"), "ESX"),
    (re.compile(r"(?<=Mware ESXi )(\d{1,2})[ ,:;.](\d)[ ,:;.](\d{1,2})(?=[ .]\d| [\[(]|$)"), r"\1.\2.\3"),
    (re.compile(r"(?<=Mware ESX )(\d)[ ,:;.](\d)[ ,:;.](\d)(?= [\[(]|$)"), r"\1.\2.\3"),
    (re.compile(r"(?<=\d )x86[ .,-]64(?=\])"), "x86_64"),
)


def repair_banner(line: str) -> str:
    """The parser finds the screen by its banner: a version read as ``8 0 2`` hides it."""
    for pattern, fixed in BANNER_PARTS:
        line = pattern.sub(fixed, line)
    return line


# A frame line: "0x4539ab448648:[0x4200cd5dfac1]Panic_NoSave@vmkernel#nover+0x3cf stack: 0x0".
# Between its two addresses only ":[" is ever printed, and after the offset only "stack:".
FRAME_OPENING = re.compile(  # (after a log's "cpu3:2098)", digits a transcript masked with '#')
    r"^((?:cpu[0-9#]+:[0-9#]+\))?\s*0x[0-9a-f#]{4,16})(?!:\[)[^0-9a-fx#\s]?\s?[^0-9a-fx#\s]?"
    r"(?=0x[0-9a-f#]{4,16}\])")
FRAME_STACK = re.compile(r"(\+0x[0-9a-f]+ )(\S{4,6}?) *(?=0x[0-9a-f])")


# ... and as a photo's Tesseract reads it: "0x4520443 : [(Ox42002af10cOdJPanicvPanicInt@":
# spaces around the ":[", "[" doubled or read "(", the O of "0x", "]" read as J, I, | or ")"
# (or, after a space, as 1 or l: no number holds a space).
LOOSE_FRAME = re.compile(r"^(\s*[0O]x[0-9a-fOo]{8,16}) {0,2}[:;] ?[\[(]{1,2} ?[0O]x([0-9a-fOo]{8,16})"
                         r"(?: ?[\]JI|)}]| [1l]) ?(?=[A-Za-z_])")


def _loose_frame(m: re.Match[str]) -> str:
    pointer, ip = (m[k].replace("O", "0").replace("o", "0") for k in (1, 2))
    return f"{pointer}:[0x{ip}]"


# ... and as a blurred cell grid reads it, each glyph in its column but the marks misnamed
# ("0x4539a6b2e0e0-[0x4K0025faaaf5Jlpfc_sli4_"): the IP is as wide as the frame pointer, so the
# two columns after the pointer and the one after the IP hold ":[" and "]".
GRID_POINTER = re.compile(r"^(\s*0x([0-9a-zA-Z?@]{10,16}))(\S\S)(?=0x)")
MISREAD_IN_POINTER = 2  # glyphs of the pointer that may be no hex digit
GRID_IP = r"0x(\S{%d})(\S)(?=[A-Za-z_])"  # (as wide as the pointer; a symbol follows the mark)
WHOLE_FRAME = re.compile(r"\s*0x\S+:\[0x[^\s\]]+\]")  # (its marks all read, whatever its IP's width)


def _grid_frame(line: str) -> str:
    m = GRID_POINTER.match(line)
    # (a 32-bit screen's IP may be shorter than its pointer: "0x1402fd8:[0x7a2ea4]")
    if m is None or sum(ch not in "0123456789abcdef?" for ch in m.group(2)) > MISREAD_IN_POINTER:
        return line
    ip = re.compile(GRID_IP % len(m.group(2))).match(line, m.end())
    if ip is None or WHOLE_FRAME.match(line):
        return line
    return f"{m.group(1)}:[0x{ip.group(1)}]{line[ip.end() :]}"


def repair_frame(line: str) -> str:
    """The punctuation a frame line always has: a frame misread there is lost to the parser."""
    line = LOOSE_FRAME.sub(_loose_frame, line)
    line = _grid_frame(line)
    line = FRAME_OPENING.sub(r"\1:[", line)
    m = FRAME_STACK.search(line) if re.match(r"\s*0x\S+:\[0x", line) else None
    if m and m.group(2) != "stack:" and fuzz.ratio(m.group(2), "stack:") >= 60:
        line = line[: m.start(2)] + "stack: " + line[m.end() :]
    return line


# A source file in an assertion's path: "bora/vmkernel/sched/cpusched.c:9092"; its dot is a
# speck a photo may lose.
SOURCE_FILE = re.compile(r"(?<=/)(\w+)[ ,'`]?([ch]):(\d+)\b")


@cache
def _punctuation() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p["pattern"]), p["replace"]) for p in _read("confusions.toml")["punctuation"])


def repair_punctuation(line: str) -> str:
    """A field separator read as a look-alike mark, where the fields say which line it is."""
    for pattern, replace in _punctuation():
        line = pattern.sub(replace, line)
    return line


PATH_PART = re.compile(r"(?<=/)[a-z0-9]+(?=[/_])")  # a directory or a file's first word: "scsi/"


def repair_source_file(line: str) -> str:
    """The source file's lost dot; a directory or file word one look-alike letter from an
    identifier word ("storage/scsl/" -> "scsi/")."""
    if "bora/" not in line:
        return line
    fixed = SOURCE_FILE.sub(r"\1.\2:\3", line)
    return PATH_PART.sub(lambda m: _identifier_word(m.group(0), capitalised=False), fixed)


def repair_symbol_gaps(line: str) -> str:
    return SPACED_SYMBOL.sub(lambda m: m.group(1).replace(" ", "_"), line)


# A frame's symbol holds letters, digits and '_' only. A glyph no reader named ('?') between
# two of its letters is the one a blur thins most, an underscore ("tcp?timer_rexmt"); a '!' or
# '|' is an l or an I (the case rules then tell which: "VS!_SetInfo" -> "VSI_").
MARKED_SYMBOL = re.compile(r"(?<=\])([A-Za-z_][\w?!|]*)(?=@|\+0x)")
SYMBOL_MARKS = ((re.compile(r"(?<=[A-Za-z0-9])\?(?=[A-Za-z])"), "_"), (re.compile(r"[!|]"), "l"))


def repair_symbol_marks(line: str) -> str:
    def fix(m: re.Match[str]) -> str:
        symbol = m.group(1)
        for pattern, replace in SYMBOL_MARKS:
            symbol = pattern.sub(replace, symbol)
        return symbol

    return MARKED_SYMBOL.sub(fix, line)


# A console's I and l differ by a serif or two, which a scaled or compressed screen loses. In an
# identifier an uppercase I is what sits in a run of capitals (SCSI_, VSI_, IDT_, IRQ) and
# what starts a CamelCase word "In..." (Interrupt, Info, Int); a lowercase l seldom does either.
CAPITAL_I = (
    (re.compile(r"(?<=[A-Z])l(?=[A-Z0-9_]|$)"), "I"),  # SCSl_, VSl_: inside or ending a capital run
    (re.compile(r"(?:^|(?<=_))l(?=[A-Z])"), "I"),  # lDT_, _lRQ: starting one
    # Framelnt, Handlelnterrupt: a CamelCase word "In..." inside a capitalised word (so neither
    # vmklnx_ nor qlnativefc, which start in lowercase)
    (re.compile(r"([A-Z][a-z]*?)l(?=n[a-z])"), r"\1I"),
    (re.compile(r"(?<=_)l(?=n[a-z])"), "I"),  # NMI_lnterrupt: after an underscore
    (re.compile(r"(?<=[a-z])l(?=RQ)"), "I"),  # SPLocklRQWork: the IRQ of a CamelCase name
    (re.compile(r"(?<=[a-z])l(?=octl)"), "I"),  # DevfsWraploctl: an Ioctl in CamelCase
)

# A snake_case name in lowercase but for an I or two: "lsimr3_compIete_cmd", "fcp_cmpI".
LOWERCASE_BUT_I = re.compile(r"(?=.*[a-z]{2})(?=.*[a-z]I|.*I[a-z])[a-z0-9_I]+")


# A console's O and 0 differ by a slash or dot, which a photo may blur away: a 0 between a
# capital and a CamelCase word ("AsyncI0Completion") is the O of a capital run (IO, MMIO).
CAPITAL_O = re.compile(r"(?<=[A-Z])0(?=[A-Z][a-z])")
# ... and a B and 8 by the straight left side: an 8 in a capital run (VMCB, BHHandler) is a B
CAPITAL_B = re.compile(r"(?<=[A-Z])8(?=[A-Z])|(?<=[A-Z]{2}|[a-z][A-Z])8$|(?<=[a-z])8(?=[A-Z]{2})")


@cache
def spelling_alternatives() -> dict[str, str]:
    """A letter read inside an identifier and the letters it may stand for (confusions.toml)."""
    return dict(_read("confusions.toml")["spelling"])


# An identifier's words: CamelCase parts and runs between '_' and digits ("AlignWith", "IO")
IDENTIFIER_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
MIN_CAPITALISED = 4  # letters of a lowercase word respelt into a capitalised one ("Ioctl")


def _spelt(symbol: str, words: frozenset[str]) -> tuple[int, int, frozenset[int]]:
    """Letters of the symbol's capitalised words (three letters or more; not capital runs,
    which are acronyms, nor lowercase ones, a driver's abbreviations: "cmpl", "fcp") that are
    dictionary words, letters that are not, and where its words start."""
    known = unknown = 0
    starts = []
    for m in IDENTIFIER_PART.finditer(symbol):
        part = m.group(0)
        starts.append(m.start())
        if len(part) >= 3 and part[0].isupper() and part[1:].islower():
            if part.lower() in words:
                known += len(part)
            else:
                unknown += len(part)
    return known, unknown, frozenset(starts)


def respell_symbol(symbol: str, words: frozenset[str], letters: int = 2) -> str:
    """A symbol with a word no dictionary holds (``AlignNithTimeout``), one look-alike letter
    at a time (up to ``letters``) so that a word becomes one: only when a single spelling
    does it best."""
    for _ in range(letters):
        known, unknown, parts = _spelt(symbol, words)
        better: dict[str, tuple[int, int]] = {}
        for i, ch in enumerate(symbol):
            for alt in spelling_alternatives().get(ch, ""):
                candidate = symbol[:i] + alt + symbol[i + 1 :]
                k, u, starts = _spelt(candidate, words)
                # (a letter's other case that splits a word makes two short "words" of it;
                # a lowercase word becomes a capitalised one only if long: "_loctl", not "lnk";
                # a capital splits a word only where that spells both: "DoInvalidate")
                capital = alt.isupper() and ch.islower()
                if capital and not _part_at(candidate, i, MIN_CAPITALISED):
                    continue
                split = capital and u < unknown and _known_split(candidate, i, words)
                if capital and not split and _snake_case(symbol, i):
                    continue  # lpfc_sli4_intr_handler: its words are all lowercase
                fewer = u < unknown or capital or len(starts) < len(parts)  # (or two parts one word: HandIe)
                if k > known and u <= unknown and fewer and (starts <= parts or split):
                    better[candidate] = (k, -u)
        if not better:
            break
        best = max(better.values())
        winners = [c for c, v in better.items() if v == best]
        if len(winners) > 1:
            break
        symbol = winners[0]
    return symbol


def _snake_case(symbol: str, i: int) -> bool:
    """Another word of the identifier than the one at ``i`` is all lowercase."""
    return any(m.group(0).islower() for m in IDENTIFIER_PART.finditer(symbol) if not m.start() <= i < m.end())


def _known_split(symbol: str, i: int, words: frozenset[str]) -> bool:
    """The identifier's words ending just before ``i`` and starting at it are both words."""
    parts = [m.group(0) for m in IDENTIFIER_PART.finditer(symbol) if i in (m.start(), m.end())]
    return len(parts) == 2 and all(p.lower() in words for p in parts)


def _part_at(symbol: str, i: int, least: int) -> bool:
    """A word of the symbol starts at ``i`` and has ``least`` letters or more."""
    return any(m.start() == i and len(m.group(0)) >= least for m in IDENTIFIER_PART.finditer(symbol))


@cache
def identifier_words() -> frozenset[str]:
    return frozenset(_read("vocabulary.toml")["identifier_words"])


CAPITALISED_WORD = re.compile(r"[A-Z][a-z1]{2,}(?![a-z1])")  # (a 1 in it is a misread i or l)


def _identifier_word(word: str, capitalised: bool = True) -> str:
    """The one identifier word ``word`` is a misreading of by one look-alike letter, or it:
    capitalised, as in a CamelCase symbol, or else in lowercase, as in a source file's path
    (where a word of the general dictionary is taken as it is)."""
    known = identifier_words()
    if word.lower() in known or (not capitalised and word in word_list()):
        return word
    spellings = {word[:i] + alt + word[i + 1 :] for i, ch in enumerate(word)
                 for alt in spelling_alternatives().get(ch, "")}  # fmt: skip
    found = {c for c in spellings if (c[0].isupper() if capitalised else c.islower()) and c.lower() in known}
    return found.pop() if len(found) == 1 else word


def repair_symbol_spelling(line: str) -> str:
    words = word_list()
    known = set(vocabulary()[1])

    def fix(m: re.Match[str]) -> str:
        symbol = m.group(2)
        if symbol in known:
            return m.group(0)
        symbol = CAPITALISED_WORD.sub(lambda w: _identifier_word(w.group(0)), symbol)
        return m.group(1) + (respell_symbol(symbol, words) if words else symbol)

    return FRAME_SYMBOL.sub(fix, line)


# A lock's name in a spin-count headline is an identifier as a frame's symbol is.
SPIN_LOCK = re.compile(r"(exceeded \()([^)\s]+)(?=\))")


# An identifier never starts with a digit: a frame's symbol that does starts with the capital
# OCR took for it (8H_Check is BH_Check); 0 is left, being any of O, D, Q and U.
SYMBOL_DIGIT = re.compile(r"(?<=\])[125678](?=[A-Za-z_]\w*[@+ ])")
LEADING_CAPITALS = {"1": "I", "2": "Z", "5": "S", "6": "G", "7": "T", "8": "B"}


def repair_symbol_case(line: str) -> str:
    def fix(m: re.Match[str]) -> str:
        symbol = m.group(2)
        for pattern, capital in CAPITAL_I:
            symbol = pattern.sub(capital, symbol)
        if LOWERCASE_BUT_I.fullmatch(symbol):  # a driver's lowercase name holds no capital
            symbol = symbol.replace("I", "l")
        # (no symbol holds an '&': a serif font's A looks like one)
        return m.group(1) + CAPITAL_B.sub("B", CAPITAL_O.sub("O", symbol)).replace("&", "A")

    line = SYMBOL_DIGIT.sub(lambda m: LEADING_CAPITALS[m.group(0)], line)
    return SPIN_LOCK.sub(fix, FRAME_SYMBOL.sub(fix, line))


@cache
def acronyms() -> frozenset[str]:
    return frozenset(_read("vocabulary.toml")["acronyms"])


# A capital run of an identifier (its last capital starts a CamelCase word, "BHHandler"), with
# the digits and the lowercase l OCR reads for capitals in it ("Timer_0HHandler", "AsynclOCompletion")
CAPITAL_RUN = re.compile(r"(?:(?<=[a-z])l)?[A-Z0-9]*[A-Z0-9](?=[A-Z][a-z])|(?:(?<=[a-z])l)?[A-Z0-9]+")
# A capital read for another is put back only in a run this long (VSCSI for USCSI): short
# acronyms are too many and too close (MPT is no misread NPT); a digit or l in a run is.
MIN_ACRONYM = 5


def _known_run(run: str) -> bool:
    """A known acronym, or two run together (VMMVMKCall); NFS41, UWVMK64: a version, a width."""
    run = run.rstrip("0123456789") or run
    known = acronyms()
    return run in known or any(run[:i] in known and run[i:] in known for i in range(2, len(run) - 1))


def _acronym(run: str) -> str:
    """The known acronym a capital run is one misread character away from, or the run."""
    if _known_run(run) or not any(c.isupper() for c in run):
        return run
    alike = _misreadings()
    found = set()
    for i, ch in enumerate(run):
        for alt in alike.get(ch, ""):
            candidate = run[:i] + alt + run[i + 1 :]
            long_enough = len(candidate.rstrip("0123456789")) >= MIN_ACRONYM or not ch.isupper()
            if (alt.isupper() or alt.isdigit()) and long_enough and _known_run(candidate):
                found.add(candidate)
    return found.pop() if len(found) == 1 else run


def _capital_run(seen: str, after_lowercase: bool) -> str:
    """A capital run put back as a known acronym. After a lowercase word, the l or I it starts
    with is that word's last l ("SyscaIIUWVMK64": Syscall, UWVMK) or an acronym's I
    ("AsynclO": AsyncIO; not before digits alone: Fil6FreeBlocks)."""
    if _known_run(seen) or not after_lowercase:
        return _acronym(seen)
    rest = seen.lstrip("lI")
    lead = len(seen) - len(rest)
    if not lead or not rest:
        return _acronym(seen)
    if _known_run(fixed := _acronym(rest)):
        return "l" * lead + fixed
    if lead == 1 and not rest.isdigit() and _known_run(fixed := _acronym("I" + rest)):
        return fixed
    return seen


def repair_symbol_acronyms(line: str) -> str:
    def fix(m: re.Match[str]) -> str:
        symbol = m.group(2)
        return m.group(1) + CAPITAL_RUN.sub(
            lambda r: _capital_run(r.group(0), r.start() > 0 and symbol[r.start() - 1].islower()), symbol
        )

    return SPIN_LOCK.sub(fix, FRAME_SYMBOL.sub(fix, line))


@cache
def exception_vectors() -> dict[int, str]:
    return {int(n): mnemonic for n, mnemonic in _read("headlines.toml")["vectors"].items()}


# "#PF Exception 14 in world 2099:vmx IP 0x41801d addr 0x0" (or "Exception(14)", "type 14")
EXCEPTION = re.compile(r"(?<!\S)(\S{3}) (?=Exception(?: type)? ?\(?(\d{1,2})\b)")
IP_FIELD = re.compile(r"(?<=\S )[l1|!]P(?= 0x)")


def repair_exception(line: str) -> str:
    """``#KF Exception 16`` -> ``#MF Exception 16``: the number names the exception, and a
    mnemonic that is no exception's was misread. One that is another's (``#PF`` with 16) is
    left: the number may be the misread part. And ``lP 0x`` after the world is ``IP``."""
    vectors = exception_vectors()

    def fix(m: re.Match[str]) -> str:
        right = vectors.get(int(m[2]))
        if right is None or m[1] in vectors.values() or Levenshtein.distance(m[1], right) > 2:
            return m[0]
        return right + " "

    line = EXCEPTION.sub(fix, line)
    return IP_FIELD.sub("IP", line) if "Exception" in line else line


@cache
def _headline_wordings() -> tuple[str, ...]:
    from .knowledge import headline_rules, known_issues

    examples = {e for r in headline_rules() for e in r.examples if len(e) >= 12}
    # a known issue's message, where its pattern is plain text ("tcp_syncache\.hashbase == NULL")
    plain = [p for i in known_issues() if i.message and PLAIN_PATTERN.fullmatch(p := i.message.pattern)]
    examples |= {m for p in plain if len(m := re.sub(r"\\(.)", r"\1", p)) >= KNOWN_MESSAGE_MIN}
    return tuple(sorted(examples | set(_read("vocabulary.toml")["sentences"]), key=len, reverse=True))


KNOWN_MESSAGE_MIN = 16  # letters of a known issue's message put back as a wording (not "world.c:2307")
PLAIN_PATTERN = re.compile(r"(?:[^\\.^$*+?{}\[\]|()]|\\[^A-Za-z0-9])+")  # no regex but escaped marks


@cache
def _whole_line_headlines() -> tuple[str, ...]:
    """Headline wordings that are a whole line (CrashMe): long enough that one of them
    without its first letter is no other line."""
    from .knowledge import headline_rules

    return tuple(e for r in headline_rules() for e in r.examples
                 if len(e) >= WHOLE_LINE_MIN and any(p.fullmatch(e) for p in r.patterns))  # fmt: skip


WHOLE_LINE_MIN = 6  # letters of a whole-line wording put back without its first one
MNEMONIC = 3  # capital letters (and '_') a word of meaning as short as #PF or NMI has


def _meaningful(before: str, after: str) -> bool:
    """Would turning ``before`` into ``after`` change what the line says, not just how it was
    read? A digit for another digit (``Exception 16`` is not ``Exception 14``) or one capital
    for another in a short capital word (``#MF`` is not ``#PF``) does, unless OCR mixes those
    two up; in a long one (``NOT_IMPEEMENTED``) it is a misread letter."""
    for op, i, j in Levenshtein.editops(before, after):
        if op != "replace":
            continue
        a, b = before[i], after[j]
        twins = confusions().capitals.get(a, "")
        word = re.search(r"[A-Z_]*\Z", after[:j]).group() + re.match(r"[A-Z_]*", after[j:]).group()
        mnemonic = len(word) <= MNEMONIC
        if (a.isdigit() and b.isdigit()) or (a.isupper() and b.isupper() and b not in twins and mnemonic):
            return True
    return False




def _at_word_edges(line: str, start: int, end: int) -> int:
    return int(start == 0 or not line[start - 1].isalnum()) + int(end >= len(line) or not line[end].isalnum())


def repair_headline(line: str) -> str:
    """A misread fixed headline wording (``HH feature incanpatibiIitg detected``) is put back
    as the screen prints it; the numbers and names around it, and any change that would alter
    what the headline says, are left alone."""
    wordings = _headline_wordings()
    # a whole-line headline whose first column the capture cut off ("rashMe")
    cut = next((e for e in _whole_line_headlines() if line.strip() == e[1:]), None)
    if cut is not None:
        return line.replace(cut[1:], cut, 1)
    # Wordings the line already shows, or was given back, are not to be written over by a
    # neighbouring variant ("#PF Exception(14) in world" over "#PF Exception 14 in world"):
    # the closest wording wins its place. A window is as long as its wording, so putting one
    # back moves nothing else on the line.
    kept = [(m.start(), m.end()) for w in wordings for m in re.finditer(re.escape(w), line)]
    found = [hit for w in wordings if w not in line and (hit := _closest_window(w, line))]
    for _, _, start, wording in sorted(found, reverse=True):
        end = start + len(wording)
        if not any(a < end and start < b for a, b in kept):
            line = line[:start] + wording + line[end:]
            kept.append((start, end))
    return line


def _same_spacing(window: str, wording: str, spaced: bool) -> bool:
    """Do the words fall where the wording's do? Where it has a space the line has one too;
    where the line has one, a glyph was lost ('disk  Slot' for 'disk. Slot'), at the
    wording's end only if a space (or the line's end) follows (``spaced``). So "IPI received.
    Was" is another wording than "IPIs received)", and "invalidate (total" than "invalidate."."""
    last = len(wording) - 1
    # ('?', a glyph no reader named, may have been either)
    return all(seen in " ?" if meant == " " else (seen != " " or i < last or spaced)
               for i, (seen, meant) in enumerate(zip(window, wording, strict=True)))  # fmt: skip


def _closest_window(wording: str, line: str) -> tuple[float, int, int, str] | None:
    """Where ``wording`` was misread on the line: (score, word edges, start, wording)."""
    hit = fuzz.partial_ratio_alignment(wording, line, score_cutoff=85)
    if hit is None:
        return None
    # The alignment may slide past a misread first letter: settle on the window of the
    # wording's own length that fits it best, and that starts and ends where words do.
    n = len(wording)
    best = None
    for start in range(max(0, hit.dest_start - 2), min(len(line) - n, hit.dest_start + 2) + 1):
        window = line[start : start + n]
        # a mnemonic's '#' read as a letter ("BOF Exception") still starts the word
        hash_read = wording[0] == "#" and window[0].isalnum() and (start == 0 or line[start - 1] == " ")
        if (window[0].isalnum() != wording[0].isalnum() and not hash_read) or (
                window[-1].isalnum() != wording[-1].isalnum()):  # fmt: skip
            continue  # it starts and ends as the wording does: never half a word or a space
        score = fuzz.ratio(wording, window)
        spaced = line[start + n : start + n + 1] in ("", " ")
        if score >= 85 and not _meaningful(window, wording) and _same_spacing(window, wording, spaced):
            candidate = (score, _at_word_edges(line, start, start + n), start, wording)
            best = max(best, candidate) if best else candidate
    # A sentence's closing stop is a speck a photo may lose at the end of the line.
    start = len(line) - (n - 1)
    if best is None and wording[-1] == "." and start >= 0 and line[start - 1 : start] in ("", " "):
        window = line[start:]
        if fuzz.ratio(wording[:-1], window) >= 85 and not _meaningful(window, wording[:-1]):
            best = (0.0, 2, start, wording)
    return best


RULES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("banner", repair_banner),
    ("frame punctuation", repair_frame),  # before hex: it reads "cf0i[" as "cf01["
    ("hex", repair_hex),
    ("frame punctuation", repair_frame),  # and after: an address with a misread digit
    ("decimal", repair_decimal),
    ("code start alignment", repair_code_start),
    ("uptime", repair_uptime),
    ("exception mnemonic", repair_exception),  # before wordings: "#KF" blocks "#MF Exception"
    ("headline wording", repair_headline),
    ("field punctuation", repair_punctuation),
    ("source file", repair_source_file),
    ("symbol underscore", repair_symbol_gaps),
    ("symbol marks", repair_symbol_marks),
    ("symbol capitals", repair_symbol_case),
    ("symbol underscore", repair_symbol_gaps),  # and after: "8H Check" started with a digit
    ("symbol acronym", repair_symbol_acronyms),
    ("symbol spelling", repair_symbol_spelling),
    ("vocabulary", repair_words),
)


# Values a screen prints more than once: the code addresses (a frame's IP, the register ip=,
# the headline's "IP 0x...", "@ 0x..." or "ip 0x..."), the stack ones (a frame's pointer, the
# register frame=) and the faulting world's ID (the headline's "in world N:", the CPU list's
# "*PCPU2:N/" or ESX 4's "*1:N/", a log line's "cpu2:N)", "running world N", "worldID=N").
# The addresses' shared top digits were tried too: a real digit seen once among them (an IP
# further into the code) was "put back" as often as a misread one.
ADDRESS_SLOTS = (
    re.compile(r"(?:\[|\bip=|\b[Ii][Pp] |@ )(0x[0-9a-f]{10,16})(?![0-9a-f])"),
    re.compile(r"(?:^\s*|\bframe=)(0x[0-9a-f]{10,16})(?=:\[|\s)"),
    re.compile(r"(?:\bin world |\*(?:PCPU)?\d{1,4}:|\bcpu\d{1,4}:|\brunning world |\bworldID=)"
               r"(\d{3,10})(?=[:/),\s]|$)"),
)
MAX_AGREED = 2  # digits of one address put back to agree with the others


def _twins(a: str, b: str) -> bool:
    """Hex digits a console font draws alike (0 8 6 9, b 8, e 8 ...: data/confusions.toml)."""
    alike = lookalikes()
    return any(x in alike.get(y, "") for x in (a, a.upper()) for y in (b, b.upper()))


def _misread_address(seen: str, other: str) -> bool:
    wrong = [(a, b) for a, b in zip(seen, other, strict=True) if a != b]
    return 0 < len(wrong) <= MAX_AGREED and all(_twins(a, b) for a, b in wrong)


def _agreed(values: list[str]) -> dict[int, str]:
    """An address read once that is a misreading of exactly one read twice or more."""
    counts = Counter(values)
    fixed = {}
    for k, v in enumerate(values):
        repeated = {w for w, n in counts.items() if n > 1 and len(w) == len(v) and _misread_address(v, w)}
        if counts[v] == 1 and len(repeated) == 1:
            fixed[k] = repeated.pop()
    return fixed


def agree_addresses(lines: list[str]) -> list[str]:
    """Put a misread address (or world ID) back where the screen's others say what it is."""
    lines = list(lines)
    for slot in ADDRESS_SLOTS:
        found = [(n, m.start(1), m.group(1)) for n, line in enumerate(lines) for m in slot.finditer(line)]
        fixes = _agreed([v for _, _, v in found])
        for k, value in sorted(fixes.items(), reverse=True):
            n, start, old = found[k]
            lines[n] = lines[n][:start] + value + lines[n][start + len(old) :]
    return lines


# A frame's IP less its offset is where its function starts: frames that share it are one
# function's (a recursion's), whose name is the one most of them show.
FRAME_PARTS = re.compile(r"^\s*0x[0-9a-f]+:\[0x(?P<ip>[0-9a-f]+)\](?P<name>\S*?)\+0x(?P<offset>[0-9a-f]+)\b")


def agree_functions(lines: list[str]) -> list[str]:
    """Put back a frame's misread name where other frames of its function agree on one."""
    lines = list(lines)
    by_start: dict[int, list[tuple[int, re.Match[str]]]] = {}
    for n, line in enumerate(lines):
        if (m := FRAME_PARTS.match(line)) is not None:
            by_start.setdefault(int(m["ip"], 16) - int(m["offset"], 16), []).append((n, m))
    for frames in by_start.values():
        names = Counter(m["name"] for _, m in frames).most_common()
        if len(names) < 2 or names[0][1] < 2 or names[0][1] == names[1][1]:
            continue
        for n, m in frames:
            lines[n] = lines[n][: m.start("name")] + names[0][0] + lines[n][m.end("name") :]
    return lines


TEXT_RULES: tuple[tuple[str, Callable[[list[str]], list[str]]], ...] = (
    ("address agreement", agree_addresses),
    ("function agreement", agree_functions),
)


def repair_text(text: str) -> tuple[str, tuple[Repair, ...]]:
    """Apply the rules line by line, then those that compare lines; each changed line is one
    Repair per rule."""
    repairs: list[Repair] = []
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        for name, rule in RULES:
            try:
                fixed = rule(line)
            except Exception:  # a rule's bug must not lose the line
                continue
            if fixed != line:
                repairs.append(Repair(line=number, before=line, after=fixed, rule=name))
                line = fixed
        out.append(line)
    for name, text_rule in TEXT_RULES:
        try:
            fixed_lines = text_rule(out)
        except Exception:  # as above: the text stays as it was
            continue
        for number, (before, after) in enumerate(zip(out, fixed_lines, strict=True), start=1):
            if before != after:
                repairs.append(Repair(line=number, before=before, after=after, rule=name))
        out = fixed_lines
    return "\n".join(out), tuple(repairs)
