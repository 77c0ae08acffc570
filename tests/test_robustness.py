"""Arbitrary text never raises and always yields a schema-valid report (Hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psod_ocr import read_text
from psod_ocr.report import validate

# Fragments of real line shapes, so generated text reaches deep into the grammar.
FRAGMENTS = [
    "@BlueScreen: ", "#PF Exception 14 in world ", "2097152:vmx", " IP 0x4200", "0x", ":[",
    "]", "@vmkernel#nover", "+0x1f", " stack: ", "*PCPU", "PCPU  0: ", "SSVU", "cr0=", "rax=",
    "base fs=", "Code start: ", "VMK uptime: ", "1:02:03:04.005", "TSC: ", "VMware ESXi 7.0.3 ",
    "[Releasebuild-", "x86_64]", "Coredump to disk.", "DiskDump: Successful.", "Panic Details: ",
    "Crash at ", " on CPU ", " running world ", "Backtrace for current CPU #", ", worldID=",
    "2023-01-01T00:00:00.000Z cpu1:2)", "In(14) LogEFI: ", "Module(s) involved in panic: [",
    "(External)]", "Spin count exceeded", "locked up. Failed to ack TLB invalidate.", "#",
    "The system has found a problem on your machine and cannot continue.", "\n", "\n", " ",
]  # fmt: skip

psod_like = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_any_text_gives_a_valid_report(text):
    validate(read_text(text).to_dict())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(psod_like, st.sampled_from(["en", "ja"]))
def test_psod_like_text_gives_a_valid_report(text, lang):
    report = read_text(text, lang=lang)
    validate(report.to_dict())
    assert 0 <= report.diagnosis.confidence <= 1
