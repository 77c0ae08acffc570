"""The classifier: every type from its wording, causes, modules, KB references, signatures."""

from __future__ import annotations

import pytest

from psod_ocr import read_text
from psod_ocr.knowledge import DIAGNOSIS_TYPES, diagnoses, kb_titles

# One headline per type, several wordings where ESX generations differ (our own examples).
HEADLINES = [
    ("#PF Exception type 14 in world 1037:helper1-2 @ 0x61c2a0", "pf14"),
    ("#PF Exception(14) in world 4129:helper11-1 ip 0x41800c2a10f0 addr 0x8", "pf14"),
    ("#PF Exception 14 in world 2099011:vmx-vcpu-1 IP 0x4200123ab4c0 addr 0x0", "pf14"),
    ("Exception type 14 in world 1051:vmm1:fs02 @ 0x7a3c10", "pf14"),
    ("#GP Exception(13) in world 4188:helper14-3 @ 0x41801e8c0a11", "gp13"),
    ("#GP Exception 13 in world 35012:vmm0:web IP 0x41802a010203 addr 0x0", "gp13"),
    ("#DE Exception 0 in world 2097650:hostd IP 0x420001010101 addr 0x0", "de0"),
    ("#UD Exception(6) in world 4222:bnx2x @ 0x418000aa0011", "ud6"),
    ("Exception type 6 in world 1033:helper0-0 @ 0x5c20aa", "ud6"),
    ("#DF Exception 8 IP 0x420003040506 SP 0x453900001000", "df8"),
    ("#NM Exception 7 in world 2097700:vmx IP 0x420000000010 addr 0x0", "exception"),
    ("#SS Exception 12 in world 2097701:vmx IP 0x420000000011 addr 0x0", "exception"),
    ("PCPU 6 locked up. Failed to ack TLB invalidate.", "tlb_ack"),
    ("PCPU 2 locked up. Failed to ack TLB invalidate (total of 3 locked up, PCPU(s): 2,5,7).",
     "tlb_ack"),
    ("Spin count exceeded (migrateLock) - possible deadlock with PCPU 4", "spin_deadlock"),
    ("ASSERT bora/vmkernel/main/pframe_int.h:611", "assert"),
    ("Failed at bora/vmkernel/storage/scsi.c:902 -- NOT REACHED", "assert"),
    ("Failed at bora/vmkernel/net/port.c:77 -- VMK_ASSERT(port != NULL)", "assert"),
    ("NOT_IMPLEMENTED /build/mts/release/bora-99881/bora/vmkernel/main/timer.c:40", "not_implemented"),
    ("COS Error: Oops", "cos_oops"),
    ("Oops", "cos_oops"),
    ("Lost heartbeat", "lost_heartbeat"),
    ("COS Error: Lost heartbeat", "lost_heartbeat"),
    ("Machine Check Exception: Unable to continue", "mce"),
    ("Hardware (Machine) Error", "mce"),
    ("Machine Check Exception on PCPU12 in world 2097300:idle12", "mce"),
    ("LINT1 motherboard interrupt. This is a hardware problem; please contact your hardware "
     "vendor.", "nmi_lint1"),
    ("ApeiHESTNmiHandler requested PSOD", "nmi_lint1"),
    # its start unreadable (a blurred photo): the sentence only it prints
    ("LWT1AMS (netherbeard nenneckable teterruyt), andiagnessd. This may be a hardware problem; "
     "please contact your hardware vendor.", "nmi_lint1"),
    ("PCPU 3: no heartbeat, IPIs received (0/1).", "no_heartbeat"),
    ("PCPU 40: no heartbeat (1/2 IPIs received)", "no_heartbeat"),
    ("NMI IPI: Panic requested by another PCPU. RIPOFF(base):RBP:CS [0x10(0x420000000000):0x0:0x0] "
     "(Src 0x1, CPU9)", "nmi_ipi"),
    ("PANIC bora/vmkernel/main/dlmalloc.c:4924 - Usage error in dlmalloc", "panic"),
    ("Out of memory allocating 65536 bytes for world 2097200", "oom"),
    ("CrashMe", "crashme"),
    ("HW feature incompatibility detected; cannot start", "hw_incompat"),
    ("The system has found a problem on your machine and cannot continue.", "boot_failure"),
]  # fmt: skip


@pytest.mark.parametrize(("headline", "kind"), HEADLINES)
def test_headline_wordings(headline, kind):
    report = read_text(f"@BlueScreen: {headline}\n")
    assert report.diagnosis.type == kind
    assert report.screen.message == headline


def test_every_type_is_covered_by_a_wording():
    covered = {kind for _, kind in HEADLINES} | {"other", "not_a_psod"}
    assert covered == set(DIAGNOSIS_TYPES)


def test_every_type_has_titles_summaries_and_known_kb():
    kb = kb_titles()
    for kind, entry in diagnoses().items():
        if kind == "text":
            continue
        for lang in ("en", "ja"):
            assert entry["title"][lang] and entry["summary"][lang].count("。" if lang == "ja" else ".") >= 1
        assert all(ref in kb for ref in entry.get("kb", []))


def test_plain_text_is_not_a_psod():
    report = read_text("Dear team, the host rebooted last night after a power cut.\nRegards\n")
    assert report.diagnosis.type == "not_a_psod"
    assert report.diagnosis.signature is None
    assert any("no purple" in w for w in report.warnings)


def test_ordinary_log_with_allocation_warning_is_not_a_psod():
    text = (
        "2024-03-01T10:00:00.000Z cpu1:2097152)WARNING: Heap: 3651: Heap vmklnx_x already at its "
        "maximum size. Cannot expand.\n"
        "2024-03-01T10:00:01.000Z cpu1:2097152)WARNING: Failed to allocate 4096 bytes\n"
    )
    assert read_text(text).diagnosis.type == "not_a_psod"


FRAMES_QFLE3 = (
    "0x451a00001000:[0x41800a000001]vmk_PktFrameLenSet@vmkernel#nover+0x0 stack: 0x0\n"
    "0x451a00001100:[0x41800a500002]qfle3_rxeof@(qfle3)#<None>+0x1a2 stack: 0x0\n"
    "0x451a00001200:[0x41800a000003]NetPollWorldCallback@vmkernel#nover+0x16 stack: 0x0\n"
)


def test_third_party_module_in_backtrace_means_driver():
    text = "#PF Exception 14 in world 2097921:vmnic0-pollW IP 0x41800a000001 addr 0x0\n"
    d = read_text(text + FRAMES_QFLE3).diagnosis
    assert d.faulting_module == "qfle3" and d.likely_cause == "driver"
    assert "qfle3" in d.summary


def test_vmware_modules_are_not_blamed():
    text = (
        "#PF Exception 14 in world 2097300:vmx IP 0x420001000001 addr 0x0\n"
        "0x4539:[0x420001000001]Fil6Read@esx#nover+0x1 stack: 0x0\n"
        "0x4540:[0x420001000002]VSCSI_Read@vmkernel#nover+0x1 stack: 0x0\n"
        "0x4541:[0x420001000003]ehci_poll@(vmkusb)#<None>+0x1 stack: 0x0\n"
    )
    d = read_text(text).diagnosis
    assert d.faulting_module is None and d.likely_cause == "software"


def test_driver_named_world_without_module_frames():
    text = "#PF Exception(14) in world 4301:lpfc_worker_2 ip 0x418000010000 addr 0x0\n"
    d = read_text(text).diagnosis
    assert (d.faulting_module, d.likely_cause) == ("lpfc", "driver")


def test_hardware_types_stay_hardware_with_driver_frames():
    text = "@BlueScreen: Machine Check Exception on PCPU1 in world 2097200:vmnic0-pollW\n"
    d = read_text(text + FRAMES_QFLE3).diagnosis
    assert d.type == "mce" and d.likely_cause == "hardware"


def test_boot_failure_cause_follows_the_reason():
    base = "The system has found a problem on your machine and cannot continue.\n\n"
    secure = read_text(base + "UEFI Secure Boot failed:\nFailed to verify signatures\n").diagnosis
    micro = read_text(base + "Unsupported microcode level 0x0\n").diagnosis
    assert (secure.likely_cause, micro.likely_cause) == ("software", "hardware")


def test_known_issue_kb_comes_first():
    text = (
        "@BlueScreen: #PF Exception(14) in world 1073741830:sh ip 0x418000001 addr 0x0\n"
        "0x4100c:[0x418000001]WorldNewInt+0xa3 stack: 0x0\n"
    )
    d = read_text(text).diagnosis
    assert [k.id for k in d.kb][:2] == ["2012404", "1020181"]
    assert d.kb[0].title and d.kb[0].url


def test_japanese_titles_and_summaries():
    report = read_text("@BlueScreen: PCPU 6 locked up. Failed to ack TLB invalidate.\n", lang="ja")
    assert "TLB" in report.diagnosis.title and "。" in report.diagnosis.summary
    assert report.diagnosis.kb[0].title.endswith("について")


def _screen(ip_base: int, frame_base: int) -> str:
    return (
        f"#PF Exception 14 in world {2097000 + ip_base % 97}:vmx IP 0x{ip_base:x}10 addr 0x0\n"
        f"0x{frame_base:x}00:[0x{ip_base:x}10]PanicvPanicInt@vmkernel#nover+0x1 stack: 0x0\n"
        f"0x{frame_base:x}40:[0x{ip_base:x}20]VmMemMap_Unmap@vmkernel#nover+0x22 stack: 0x0\n"
        f"0x{frame_base:x}80:[0x{ip_base:x}30]nvme_io@(nvme_pcie)#<None>+0x9 stack: 0x0\n"
    )


def test_signature_ignores_addresses_and_panic_frames():
    a = read_text(_screen(0x420001000, 0x4539a0)).diagnosis
    b = read_text(_screen(0x420077000, 0x4539ff)).diagnosis
    assert a.signature == b.signature and a.signature.startswith("pf14-")
    assert a.signature_frames[0] == "VmMemMap_Unmap@vmkernel"


def test_signature_differs_with_the_stack():
    a = read_text(_screen(0x420001000, 0x4539a0)).diagnosis
    other = _screen(0x420001000, 0x4539a0).replace("VmMemMap_Unmap", "VmMemMap_Map")
    assert read_text(other).diagnosis.signature != a.signature


def test_signature_without_frames_uses_masked_headline():
    a = read_text("PCPU 3 locked up. Failed to ack TLB invalidate.\n").diagnosis
    b = read_text("PCPU 17 locked up. Failed to ack TLB invalidate.\n").diagnosis
    assert a.signature == b.signature


def test_free_text_headline_over_module_panic_frames_is_panic():
    text = (
        "vmk_net: stack instance table is full\n"
        "Code start: 0x420001000000 VMK uptime: 1:00:00:00.000\n"
        "0x4539a0:[0x420001000001]PanicvPanicInt@vmkernel#nover+0x1 stack: 0x0\n"
        "0x4539b0:[0x420001000002]vmk_vPanic@vmkernel#nover+0x1 stack: 0x0\n"
        "0x4539c0:[0x420001000003]panic@(netstack)#+0x4 stack: 0x0\n"
    )
    d = read_text(text).diagnosis
    assert d.type == "panic" and d.faulting_module == "netstack"


def test_an_unreadable_headline_over_a_crashme_frame_is_the_deliberate_crash():
    text = (
        "VMware ESXi 8.0.2 [Releasebuild-22827371 aarch64]\n"
        "Gr*shMe\n"
        "Code start: 0x42001c400000 VMK uptime: 187:21:49:02.675\n"
        "0x453a1a4e3a18:[0x42001cf43989]PanicvPanicInt@vmkernel#nover+0x2c6 stack: 0x0\n"
        "0x453a1a4e3ab8:[0x42001cb9f3b4]CrashMeCurrentCore@vmkernel#nover+0x690 stack: 0x0\n"
    )
    d = read_text(text).diagnosis
    assert d.type == "crashme" and any("CrashMeCurrentCore" in r for r in d.reasons)
    # without such a frame the same screen stays unknown
    assert read_text(text.replace("CrashMeCurrentCore", "World_Dispatch")).diagnosis.type == "other"


def test_damaged_headline_is_matched_approximately_with_lower_confidence():
    exact = read_text("VMware ESXi 6.5.0 [Releasebuild-4564106 x86_64]\nCrashMe\n").diagnosis
    damaged = read_text("VMware ESXi 6.5.0 [Releasebuild-4564106 x86_64]\n?rashMe\n").diagnosis
    assert damaged.type == exact.type == "crashme"
    assert damaged.confidence < exact.confidence


def test_unknown_headline_is_other():
    text = "VMware ESXi 7.0.3 [Releasebuild-20328353 x86_64]\nSomething odd happened here\ncr0=0x1\n"
    d = read_text(text).diagnosis
    assert d.type == "other" and d.likely_cause == "unknown"
