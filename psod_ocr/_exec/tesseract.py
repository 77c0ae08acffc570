"""The only place that runs Tesseract: version probe, one ``run`` with a timeout and
``OMP_THREAD_LIMIT=1`` (parallelism is per process), errors sorted into ``OcrError``."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image

from ..atomic import write_atomically
from ..errors import PsodError

TIMEOUT_S = 60
CACHE_FORMAT = "psod-ocr-words-v2"  # the word-list cache's header and name (v1: bare words, unchecked)
PROBE_FORMAT = "psod-ocr-tesseract-v1"  # the names of the files keeping what Tesseract said of itself


class OcrError(PsodError):
    """Tesseract is missing, failed, or timed out."""


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float  # 0-100
    block: int
    par: int
    line: int  # paragraph-relative line number from Tesseract


@cache
def _console_charset() -> dict[int, str]:
    """Tesseract's typographic output (dashes, curly quotes) mapped to the console's ASCII."""
    from ..knowledge import _read

    return str.maketrans(dict(_read("confusions.toml").get("unicode", {})))


@cache
def version() -> str:
    """e.g. 'tesseract 5.3.0'; raises OcrError when Tesseract is not installed."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise OcrError("tesseract is not installed (Debian/Ubuntu: apt-get install tesseract-ocr)")
    answer = _asked("version", lambda: f"tesseract {pytesseract.get_tesseract_version()}")
    if answer is None:  # (the question raises rather than answer nothing)
        raise OcrError("tesseract did not say which version it is")
    return answer


def _asked(fact: str, ask: Callable[[], str | None]) -> str | None:
    """What Tesseract says of itself (its version, its tessdata folder), asked once per
    installed binary and kept in the cache folder: asking costs a process start, and a screen
    read from its cell grid alone runs no Tesseract at all. Kept under the binary's path, size
    and time and TESSDATA_PREFIX, so an upgraded or another Tesseract is asked again."""
    binary = shutil.which(pytesseract.pytesseract.tesseract_cmd)
    if binary is None:
        return ask()
    st = Path(binary).stat()
    key = f"{binary}|{st.st_size}|{st.st_mtime_ns}|{os.environ.get('TESSDATA_PREFIX', '')}"
    cached = _cache_folder() / f"{PROBE_FORMAT}-{fact}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.txt"
    try:
        known = cached.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        known = ""
    if known:
        return known
    answer = ask()
    if answer:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(cached, answer + "\n")
        except OSError:
            pass  # a read-only home: asked again next time
    return answer


def run(image: np.ndarray, *, psm: int = 6, lang: str = "eng", config: str = "") -> list[Word]:
    """Recognise a binarised image; words with boxes and confidences, in reading order."""
    version()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    options = f"--oem 1 --psm {psm} -c preserve_interword_spaces=1 -c tessedit_do_invert=0 {config}".strip()
    # handed over uncompressed: encoding a screen as PNG (pytesseract's default) costs more
    # than Tesseract's start
    picture = Image.fromarray(image)
    picture.format = "BMP"
    try:
        data = pytesseract.image_to_data(
            picture, lang=lang, config=options, output_type=pytesseract.Output.DICT, timeout=TIMEOUT_S
        )
    except RuntimeError as exc:  # pytesseract raises RuntimeError on timeout
        raise OcrError(f"tesseract timed out after {TIMEOUT_S} s") from exc
    except pytesseract.TesseractError as exc:
        raise OcrError(f"tesseract failed: {exc.message or exc.status}") from exc
    words = []
    ascii_only = _console_charset()
    for i, text in enumerate(data["text"]):
        text = text.translate(ascii_only)
        conf = float(data["conf"][i])
        if conf < 0 or not text.strip():
            continue
        box = {k: data[k][i] for k in ("left", "top", "width", "height")}
        words.append(
            Word(text=text, conf=conf, block=data["block_num"][i], par=data["par_num"][i],
                 line=data["line_num"][i], **box)
        )
    return words


@cache
def word_list(lang: str = "eng") -> frozenset[str]:
    """The lowercase words of Tesseract's dictionary for ``lang`` (not its names and acronyms:
    "Apel", "EMPL"); empty when the model or Debian's training tools that unpack it are
    missing. Kept in the user's cache directory: unpacking takes longer than a scan's OCR. A
    cache file that fails its check (cut short, edited) is unpacked again and replaced."""
    model = _model_file(lang)
    if model is None:
        return frozenset()
    cached = cache_file(lang, model)
    try:
        words = read_cached_words(cached.read_bytes())
    except OSError:
        words = None
    if words is not None:
        return words
    words = _unpack_words(model)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cached, cached_words(words))
    except OSError:
        pass  # a read-only home: unpacked again next time
    return words


def cache_file(lang: str, model: Path) -> Path:
    """Named after the model's size and time, so an updated model is unpacked again."""
    st = model.stat()
    return _cache_folder() / f"{CACHE_FORMAT}-{lang}-{st.st_size}-{int(st.st_mtime)}.txt"


def _cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "psod-ocr"


def cached_words(words: frozenset[str]) -> bytes:
    """The cache file: a header with the word count and the SHA-256 of the word lines."""
    body = "\n".join(sorted(words)).encode("utf-8")
    return f"{CACHE_FORMAT} {len(words)} {hashlib.sha256(body).hexdigest()}\n".encode() + body


def read_cached_words(data: bytes) -> frozenset[str] | None:
    """The words of a cache file, or None when it is not one whole (a file cut short by a
    killed process or a full disk would otherwise be trusted for ever)."""
    head, _, body = data.partition(b"\n")
    parts = head.split()
    if len(parts) != 3 or parts[0] != CACHE_FORMAT.encode() or not parts[1].isdigit():
        return None
    if hashlib.sha256(body).hexdigest().encode() != parts[2]:
        return None
    try:
        words = frozenset(body.decode("utf-8").split())
    except UnicodeDecodeError:
        return None
    return words if len(words) == int(parts[1]) else None


def _model_file(lang: str) -> Path | None:
    folder = _asked("tessdata", _tessdata_folder)
    model = Path(folder) / f"{lang}.traineddata" if folder else None
    return model if model is not None and model.is_file() else None


def _tessdata_folder() -> str | None:
    try:
        listing = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'"([^"]+)"', listing.stdout + listing.stderr)
    return found.group(1) if found else None


def _unpack_words(model: Path) -> frozenset[str]:
    """The model's word DAWG as text (combine_tessdata and dawg2wordlist, in tesseract-ocr)."""
    if not (shutil.which("combine_tessdata") and shutil.which("dawg2wordlist")):
        return frozenset()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "model.")
            subprocess.run(["combine_tessdata", "-u", str(model), prefix], capture_output=True, timeout=30)
            out = Path(tmp) / "words.txt"
            subprocess.run(["dawg2wordlist", prefix + "lstm-unicharset", prefix + "lstm-word-dawg", str(out)],
                           capture_output=True, timeout=30)  # fmt: skip
            text = out.read_text(encoding="utf-8", errors="replace")
            return frozenset(w for w in text.split() if w.isalpha() and w.islower())
    except (OSError, subprocess.SubprocessError):
        return frozenset()
