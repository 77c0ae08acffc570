"""Repairs of OCR confusions: each rule on small cases, and every change on record."""

from __future__ import annotations

import pytest

from psod_ocr._exec.tesseract import word_list
from psod_ocr.repair import (
    repair_decimal,
    repair_frame,
    repair_hex,
    repair_text,
    repair_words,
    respell_symbol,
)


@pytest.mark.parametrize(
    ("seen", "fixed"),
    [
        ("ip=8x418008e53ab2", "ip=0x418008e53ab2"),  # console zero read as 8
        ("cr2=@x0", "cr2=0x0"),  # ... as @
        ("addr Ox2O", "addr 0x20"),  # ... as O, in the prefix and the digits
        ("rbp=6x451a5f31bd8O", "rbp=0x451a5f31bd80"),
        ("stack: 0x4l00cB", "stack: 0x4100c8"),  # l -> 1, B -> 8: hex on screen is lowercase
        ("r9=0X9a6", "r9=0x9a6"),
        ("0x4S1aSf", "0x451a5f"),  # S -> 5
    ],
)
def test_hex_confusions(seen, fixed):
    assert repair_hex(seen) == fixed


def test_hex_repair_leaves_words_and_unreadable_tokens_alone():
    assert repair_hex("x86_64] Exception 0xZZ?q stack") == "x86_64] Exception 0xZZ?q stack"
    assert repair_hex("vmnic0 box 8xyz") == "vmnic0 box 8xyz"


def test_decimal_fields():
    assert repair_decimal("in world 2O98841:vmnic3") == "in world 2098841:vmnic3"
    assert repair_decimal("[Releasebuild-l43Z0388 x86_64]") == "[Releasebuild-14320388 x86_64]"
    assert repair_decimal("*PCPUZ7:2098841/vmx") == "*PCPU27:2098841/vmx"
    assert repair_decimal("[Releasebuild-205i3097 x86_64]") == "[Releasebuild-20513097 x86_64]"  # a dotted 1
    assert repair_decimal("in world idle:vmx") == "in world idle:vmx"  # a name, not a number
    assert repair_decimal("(Src 0x1, CPU1EE)") == "(Src 0x1, CPU188)"  # a blurred 8 read as E


def test_vocabulary_words_and_symbols():
    assert repair_words("Coredunp to disk.") == "Coredump to disk."
    line = "0x451b2c74ffe0:[0x41803a1e5a08]CpuSched_StartHorld@vmkerne1#nover+0x77 stack: 0x0"
    assert repair_words(line) == line.replace("StartHorld", "StartWorld").replace("vmkerne1", "vmkernel")


def test_vocabulary_keeps_punctuation_and_short_words():
    assert repair_words("Code start: 0x0") == "Code start: 0x0"
    # a word spelled right in another case is not a misreading
    assert repair_words("failed to allocate; a hardware problem") == "failed to allocate; a hardware problem"
    assert repair_words("in world 2097881:vanic0-pollW") == "in world 2097881:vanic0-pollW"


def test_every_change_is_recorded():
    text, repairs = repair_text("VMware ESXi 6.7.0\ncr2=@x0 cr3=8x7bae7000\nCoredunp to disk.")
    assert text == "VMware ESXi 6.7.0\ncr2=0x0 cr3=0x7bae7000\nCoredump to disk."
    assert [(r.line, r.rule) for r in repairs] == [(2, "hex"), (3, "vocabulary")]
    assert repairs[0].before == "cr2=@x0 cr3=8x7bae7000" and repairs[0].after == "cr2=0x0 cr3=0x7bae7000"


def test_headline_wording():
    from psod_ocr.repair import repair_headline

    assert repair_headline("HH feature incanpatibiIitg detected; cannot start") == (
        "HW feature incompatibility detected; cannot start"
    )
    fixed = repair_headline("#PF Exceptlon 14 in wor1d 2098841:vmnic3-pollW IP 0x41803a61c4b7")
    assert fixed == "#PF Exception 14 in world 2098841:vmnic3-pollW IP 0x41803a61c4b7"
    line = "2023-01-01T00:00:00Z cpu1:2)NetPort: 1632: enabled port 0x1"
    assert repair_headline(line) == line


@pytest.mark.parametrize(
    ("seen", "fixed"),
    [
        ("[0x42003d9f]Panic OnAssertAt@vmkernel#nover", "[0x42003d9f]Panic_OnAssertAt@vmkernel#nover"),
        ("[0x418025d3]gate entry @vmkernel#nover+0x228", "[0x418025d3]gate_entry_@vmkernel#nover+0x228"),
        ("0x3a37ef4:[0x625e94]Panic Foo+0x17 stack: 0x8", "0x3a37ef4:[0x625e94]Panic_Foo+0x17 stack: 0x8"),
        # the space before "stack:" is real; so are spaces outside a frame's symbol
        ("[0x625e94]Panic+0x17 stack: 0x833ab4", "[0x625e94]Panic+0x17 stack: 0x833ab4"),
        ("Coredump to disk. Slot 1 of 1", "Coredump to disk. Slot 1 of 1"),
    ],
)
def test_a_frame_symbol_holds_no_space(seen, fixed):
    from psod_ocr.repair import repair_symbol_gaps

    assert repair_symbol_gaps(seen) == fixed


@pytest.mark.parametrize(
    ("seen", "fixed"),
    [
        ("]SCSlResvHandleConflict@vmkernel#nover+0x2", "]SCSIResvHandleConflict@vmkernel#nover+0x2"),
        ("[0x41801]VSl_GetList@vmkernel#nover+0x2", "[0x41801]VSI_GetList@vmkernel#nover+0x2"),
        ("]lDT_Handlelnterrupt@vmkernel#nover+0x2", "]IDT_HandleInterrupt@vmkernel#nover+0x2"),
        ("[0x41801]FS3_lOCompletion@vmfs3#nover+0x2", "[0x41801]FS3_IOCompletion@vmfs3#nover+0x2"),
        ("[0x41801]AsyncPopCallbackFramelnt+0x2", "[0x41801]AsyncPopCallbackFrameInt+0x2"),
        # a real l stays: in lowercase words, driver prefixes, before a lowercase letter
        ("]vmklnx_netpoll@com.vmware.driverAPI#9.2+0x2", "]vmklnx_netpoll@com.vmware.driverAPI#9.2+0x2"),
        ("[0x41801]qlnativefcIntrHandler@qlnativefc+0x2", "[0x41801]qlnativefcIntrHandler@qlnativefc+0x2"),
        ("[0x41801]lsi_mr3_intr@lsi_mr3+0x2", "[0x41801]lsi_mr3_intr@lsi_mr3+0x2"),
        ("[0x41801]Panic_NoSave@vmkernel#nover+0x2", "[0x41801]Panic_NoSave@vmkernel#nover+0x2"),
        # an O read as 0 in a capital run before a CamelCase word; a digit elsewhere stays
        ("]FDS_AsyncI0Completion@vmkernel#nover+0x2", "]FDS_AsyncIOCompletion@vmkernel#nover+0x2"),
        ("]E1000_Intr@e1000+0x2", "]E1000_Intr@e1000+0x2"),
        ("]IPv40Handler@tcpip4+0x2", "]IPv40Handler@tcpip4+0x2"),
        # an I after an underscore or of IRQ; a B in a capital run
        ("]NMI_lnterrupt@vmkernel#nover+0x2", "]NMI_Interrupt@vmkernel#nover+0x2"),
        ("]SPLocklRQWork@vmkernel#nover+0x2", "]SPLockIRQWork@vmkernel#nover+0x2"),
        ("]FSS_Passthroughloctl@vmkernel#nover+0x2", "]FSS_PassthroughIoctl@vmkernel#nover+0x2"),
        ("]SP_Unlock@vmkernel#nover+0x2", "]SP_Unlock@vmkernel#nover+0x2"),
        ("]NetWorldletPerVMC8@vmkernel#nover+0x2", "]NetWorldletPerVMCB@vmkernel#nover+0x2"),
        ("]Worldlet8HHandler@vmkernel#nover+0x2", "]WorldletBHHandler@vmkernel#nover+0x2"),
        ("]X86_Fault@vmkernel#nover+0x2", "]X86_Fault@vmkernel#nover+0x2"),
        ("]SCSIDeviceCmdCompleteC8@vmkernel#nover+0x2", "]SCSIDeviceCmdCompleteCB@vmkernel#nover+0x2"),
        # an l read as I in a driver's lowercase name, which holds no capital
        ("]lsimr3_compIete_cmd@(lsi_mr3)#<None>+0x2", "]lsimr3_complete_cmd@(lsi_mr3)#<None>+0x2"),
        ("]lpfc_sli4_fcp_cmpI@lpfc#nover+0x2", "]lpfc_sli4_fcp_cmpl@lpfc#nover+0x2"),
        ("]vmk_IOFree@vmkernel#nover+0x2", "]vmk_IOFree@vmkernel#nover+0x2"),
    ],
)
def test_an_i_read_as_l_in_a_symbol_is_put_back_where_only_a_capital_fits(seen, fixed):
    from psod_ocr.repair import repair_symbol_case

    assert repair_symbol_case(seen) == fixed


@pytest.mark.parametrize(
    ("seen", "fixed"),
    [
        ("Spim coumt exceeded (SCSIPathLock) - possible deadlock with PCPU 17",
         "Spin count exceeded (SCSIPathLock) - possible deadlock with PCPU 17"),  # two fixed wordings
        ("PCPU 2 locked up. Failed to ack TLB invalidate,",
         "PCPU 2 locked up. Failed to ack TLB invalidate."),
        ("#PF Exceptlon 14 in world 1", "#PF Exception 14 in world 1"),  # not the "(14)" variant
        # another headline is not a misreading of a known one: digits and capitals that OCR
        # does not mix up are left as read
        ("#MF Exception 16 in world 2102827:vmx", "#MF Exception 16 in world 2102827:vmx"),
        ("#XM Exception(19) in world 4124:vmware-vm", "#XM Exception(19) in world 4124:vmware-vm"),
        # a fixed sentence misread, and one whose closing stop a photo lost
        ("The system has found a problen on your machine and cannot continue.",
         "The system has found a problem on your machine and cannot continue."),
        ("undiagnosed. This may be a hardware problem; please contact your hardware vendor",
         "undiagnosed. This may be a hardware problem; please contact your hardware vendor."),
        # a window never starts or ends inside a word or on a space it would swallow
        ("), undiagnosed. This may be a hardware problem; please contact your hardware vendor",
         "), undiagnosed. This may be a hardware problem; please contact your hardware vendor."),
        ("please contact your vendor", "please contact your vendor"),
        # a capital misread in a long keyword is a misreading; in a two-letter mnemonic it is not
        ("NOT_IMPEEMENTED bora/vmkernel/main/vmkstats.c:23094",
         "NOT_IMPLEMENTED bora/vmkernel/main/vmkstats.c:23094"),
        ("#GP Exception 14 in world 1:x", "#GP Exception 14 in world 1:x"),
        ("#DF Exception(8) in world 8393:vmware-vm", "#DF Exception(8) in world 8393:vmware-vm"),  # a variant
        ("Failed at bora/vmkernel/sched/cpusched.c:19541 -- VMK_&SSERT(!CpuSched_IsPreemptible())",
         "Failed at bora/vmkernel/sched/cpusched.c:19541 -- VMK_ASSERT(!CpuSched_IsPreemptible())"),
        ("Heap lsom-heap already at its maximum size  Cannot expand.",
         "Heap lsom-heap already at its maximum size. Cannot expand."),
        # a comma lost between two wordings; B and R are capitals OCR mixes up
        ("LINT1/NMI (motherboard nonmaskable interrupt)  undiagnosed. This may be",
         "LINT1/NMI (motherboard nonmaskable interrupt), undiagnosed. This may be"),
        ("PCPU 27 locked up. faiied to ack TLR invalidate.",
         "PCPU 27 locked up. Failed to ack TLB invalidate."),
        ("PCPU 3: no heartbeat (3/3 lPls received)", "PCPU 3: no heartbeat (3/3 IPIs received)"),
        # a mnemonic's '#' read as a letter at the start of a word; not inside one
        ("BOF Exception 8 IP 0x42002cdaafe3 SP 0x4539753f2940",
         "#DF Exception 8 IP 0x42002cdaafe3 SP 0x4539753f2940"),
        ("xBOF Exception 8 IP 0x4", "xBOF Exception 8 IP 0x4"),
        # words where the wording has none (or none where it has one) make another wording
        ("PCPU 2 saw an IPI received. Was it late", "PCPU 2 saw an IPI received. Was it late"),
        ("PCPU 7 locked up. Failed to ack TLB invalidate (total of 3 locked up, PCPU(s): 7,12,19).",
         "PCPU 7 locked up. Failed to ack TLB invalidate (total of 3 locked up, PCPU(s): 7,12,19)."),
        # a stop read as a comma before the newer wording's count; a brace for the lock's parenthesis
        ("PCPU 7 locked up, Failed to ack TLB invalidate (total of 3 locked up, PCPU(s): 7,12,19).",
         "PCPU 7 locked up. Failed to ack TLB invalidate (total of 3 locked up, PCPU(s): 7,12,19)."),
        ("Spin count exceeded (SCSIPathLock} - possible deadlock with PCPU 3",
         "Spin count exceeded (SCSIPathLock) - possible deadlock with PCPU 3"),
        ("Qut of memory: failed to allocate 39853 bytes", "Out of memory: failed to allocate 39853 bytes"),
        # a glyph no reader named ('?') where the wording has a space
        ("The system has found a problem?on your machine and cannot continue.",
         "The system has found a problem on your machine and cannot continue."),
        ("NMI IPI: Panic requested by another PCPU. RIPOFF(base):RBP:CS [0x17e8] (Sre 0x1, CPU14)",
         "NMI IPI: Panic requested by another PCPU. RIPOFF(base):RBP:CS [0x17e8] (Src 0x1, CPU14)"),
    ],
)  # fmt: skip
def test_headline_wordings_are_put_back_without_changing_the_headline(seen, fixed):
    from psod_ocr.repair import repair_headline

    assert repair_headline(seen) == fixed


@pytest.mark.parametrize(
    "seen, fixed",
    [
        ("@Mware ESXi 8 0 2 [Releasebuild-23310008 x86 64]",
         "VMware ESXi 8.0.2 [Releasebuild-23310008 x86_64]"),
        ("UMware ESX 4 1 0 [Releasebuild-348481 x86 64]", "VMware ESX 4.1.0 [Releasebuild-348481 x86_64]"),
        ("VMware ESXi 6 7 0 (VMKernel Release Build 123)", "VMware ESXi 6.7.0 (VMKernel Release Build 123)"),
        ("VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]",
         "VMware ESXi 7.0.3 [Releasebuild-21930508 x86_64]"),
        ("VMware ESKi 7.0.2 [Releasebuild-17873578 x86_64]",
         "VMware ESXi 7.0.2 [Releasebuild-17873578 x86_64]"),
        ("VMware ES% 4.1.0 [Releasebuild-348481 x86_64]", "VMware ESX 4.1.0 [Releasebuild-348481 x86_64]"),
        ("vmnic 8 0 2 x86 64", "vmnic 8 0 2 x86 64"),  # only the banner has this shape
    ],
)  # fmt: skip
def test_the_banners_dots_underscore_and_v_are_put_back(seen, fixed):
    from psod_ocr.repair import repair_banner

    assert repair_banner(seen) == fixed


@pytest.mark.parametrize(
    "seen,fixed",
    [
        ("0x4539ab440770 [0x4200cd7b1478]DLM_free@vmkernel#nover+0x148 stack: 0x205",
         "0x4539ab440770:[0x4200cd7b1478]DLM_free@vmkernel#nover+0x148 stack: 0x205"),
        ("0x2b1c704;(0x71a2b3]Panic+0x4c4 #tack; 0x2b1c744, 0x31d45a7",
         "0x2b1c704:[0x71a2b3]Panic+0x4c4 stack: 0x2b1c744, 0x31d45a7"),
        ("0x2b1c704:[0x71a2b3]Panic+0x4c4 staek:0x0", "0x2b1c704:[0x71a2b3]Panic+0x4c4 stack: 0x0"),
        ("0x1c52940:[0x610f70]MemSchedTimerCallback+0x2d3 stack  0x1c529a8, 0x4",  # ':' lost
         "0x1c52940:[0x610f70]MemSchedTimerCallback+0x2d3 stack: 0x1c529a8, 0x4"),
        # as a photo's Tesseract reads one: spaced, "[" doubled, O for 0, "]" as J or " 1"
        ("Ox452044398d36 : [(Ox42002af10cOdJPanicvPanicInt@vmkernel#nover+0x1f3 stack: 0x0",
         "0x452044398d36:[0x42002af10c0d]PanicvPanicInt@vmkernel#nover+0x1f3 stack: 0x0"),
        ("0x452044398e46  : (0x42002ae89c88 1CPU_CheckUniformity@vmkernel#nover+0xb65 stack: 0x0",
         "0x452044398e46:[0x42002ae89c88]CPU_CheckUniformity@vmkernel#nover+0xb65 stack: 0x0"),
        # after a log's prefix, with digits a posted screen masked
        ("cpu##:########)0x############ [0x############]AllocPreallocOneDomain@vmkernel#nover+0x44",
         "cpu##:########)0x############:[0x############]AllocPreallocOneDomain@vmkernel#nover+0x44"),
        # as a blurred cell grid reads one: each glyph in its column, the marks and some digits
        # misnamed; the IP is as wide as the pointer, a symbol follows its "]"
        ("0x4ee6e6eae0e0-[0x4K0025faaaf5Jlpfc_sli4_process_cq@{lpfc)#<None>+0x330 stack: 0x0",
         "0x4ee6e6eae0e0:[0x4K0025faaaf5]lpfc_sli4_process_cq@{lpfc)#<None>+0x330 stack: 0x0"),
        ("0x4ee6e6eaeP20-[0x4K002Bc51faddCpuSchedIdleLoopInt@vmkernel#nover+0x694",
         "0x4ee6e6eaeP20:[0x4K002Bc51fad]CpuSchedIdleLoopInt@vmkernel#nover+0x694"),
        # not a frame line, or nothing to fix: unchanged
        ("0x4ee6e6eae0e0 0x4K0025faaaf5 0x43", "0x4ee6e6eae0e0 0x4K0025faaaf5 0x43"),
        ("0x1402fd8:[0x7a2ea4]Savage_Thing+0x1d stack: 0x1",  # 32 bits: the IP may be shorter
         "0x1402fd8:[0x7a2ea4]Savage_Thing+0x1d stack: 0x1"),
        ("0x4ee6e6eae0e0:[0x4K0025faaa]CpuSched+0x1d", "0x4ee6e6eae0e0:[0x4K0025faaa]CpuSched+0x1d"),
        ("cr0=0x8001003d cr2=0x0 +0x12 stuff: 0x1", "cr0=0x8001003d cr2=0x0 +0x12 stuff: 0x1"),
        ("0x4539######30:[0x4200######27]Panic@vmkernel#nover+0x327 stack: 0x0",
         "0x4539######30:[0x4200######27]Panic@vmkernel#nover+0x327 stack: 0x0"),
    ],
)  # fmt: skip
def test_a_frame_lines_fixed_punctuation_is_put_back(seen, fixed):
    assert repair_frame(seen) == fixed


@pytest.mark.parametrize(
    ("seen", "fixed"),
    [
        ("ASSERT bora/vmkernel/sched/cpusched c:9092", "ASSERT bora/vmkernel/sched/cpusched.c:9092"),
        ("PANIC bora/vmkernel/main/dlmallocc:5080 - x", "PANIC bora/vmkernel/main/dlmalloc.c:5080 - x"),
        ("Failed at bora/vmkernel/main/heap.c:16806", "Failed at bora/vmkernel/main/heap.c:16806"),
        # its directories and its line number, and an assertion's "-- NOT REACHED"
        ("Failed at bora/vmkernel/storage/scsl/scsi_path.c:22l4 == NOTfREACHED",
         "Failed at bora/vmkernel/storage/scsi/scsi_path.c:2214 -- NOT REACHED"),
        ("stack c:1 is no path", "stack c:1 is no path"),
        # the counts of a no-heartbeat headline are decimal
        ("PCPU 9: no heartbeat, IPIs received (@/1).", "PCPU 9: no heartbeat, IPIs received (0/1)."),
        ("PCPU 118: no heartbeat (3/S IPIs received)", "PCPU 118: no heartbeat (3/5 IPIs received)"),
        ("x (O/l) y", "x (O/l) y"),
        # a spin lock's name is an identifier: I where only a capital fits
        ("Spin count exceeded (SCSlPathLock) - possible deadlock with PCPU 3",
         "Spin count exceeded (SCSIPathLock) - possible deadlock with PCPU 3"),
    ],
)  # fmt: skip
def test_a_source_files_dot_the_ipi_counts_and_a_lock_names_capitals_are_put_back(seen, fixed):
    assert repair_text(seen)[0] == fixed


@pytest.mark.parametrize(
    ("seen", "fixed"),
    [
        # the vector number names the exception: a mnemonic that is no exception's is put back
        ("#KF Exception 16 in vorld 2102827:vmx-vcpu-0:m IP 0x4180096d6e5a addr 0x0",
         "#MF Exception 16 in world 2102827:vmx-vcpu-0:m IP 0x4180096d6e5a addr 0x0"),
        ("BUD Exception(6) in world 1:x IP 0x1", "#UD Exception(6) in world 1:x IP 0x1"),
        # ... but one that is another exception's may be right where the number is misread
        ("#PF Exception 16 in world 1:a IP 0x0", "#PF Exception 16 in world 1:a IP 0x0"),
        ("#QQ Exception 9 in world 1:a IP 0x0", "#QQ Exception 9 in world 1:a IP 0x0"),  # no vector 9
        # the instruction pointer's name after the world
        ("#PF Exception 14 in world 123:prealloc-1 lP 0x4180 addr 0x0",
         "#PF Exception 14 in world 123:prealloc-1 IP 0x4180 addr 0x0"),
        ("mov lP 0x4180", "mov lP 0x4180"),  # only in an exception's headline
        # capitals a console blurs into each other, in fixed wordings
        ("LINT1/NKI (motherboard nonmaskable interrupt), undiagnosed.",
         "LINT1/NMI (motherboard nonmaskable interrupt), undiagnosed."),
        ("PCPU 1: no heartbeat, TPTs received (0/l).", "PCPU 1: no heartbeat, IPIs received (0/1)."),
    ],
)  # fmt: skip
def test_an_exceptions_mnemonic_its_ip_and_blurred_capitals_are_put_back(seen, fixed):
    assert repair_text(seen)[0] == fixed


@pytest.mark.parametrize(
    ("seen", "fixed"),
    [
        # an identifier never starts with a digit: the capital OCR took for one
        ("0x4539:[0x4200363a965d]8H_Check@vmkernel#nover+0x31a stack: 0x0",
         "0x4539:[0x4200363a965d]BH_Check@vmkernel#nover+0x31a stack: 0x0"),
        ("0x4539:[0x4200363a965d]0x1234+0x31a stack: 0x0", "0x4539:[0x4200363a965d]0x1234+0x31a stack: 0x0"),
        # ... and its blurred underscore, whichever rule comes first
        ("0x4539:[0x42003]8H Check@vmkernel#nover+0x31a stack: 0x0",
         "0x4539:[0x42003]BH_Check@vmkernel#nover+0x31a stack: 0x0"),
        # a serif A read as '&', which no symbol holds
        ("0x451defb2cef0:[0x418008be254c]BH_Drain&ndDisableInterrupts@vmkernel#nover+0x20c",
         "0x451defb2cef0:[0x418008be254c]BH_DrainAndDisableInterrupts@vmkernel#nover+0x20c"),
        # a word ending in l before an acronym is no misread I
        ("0x4391c85ec088:[0x41801a1635a2]SyscallUWVMK64@vmkernel#nover+0x25 stack: 0x0",
         "0x4391c85ec088:[0x41801a1635a2]SyscallUWVMK64@vmkernel#nover+0x25 stack: 0x0"),
        # the uptime's milliseconds, and the banner's version, after points
        ("Code start: 0x420035c00000 VMK uptime: 359:15:42:01,571",
         "Code start: 0x420035c00000 VMK uptime: 359:15:42:01.571"),
        ("Code start: 0x42001b000000 VMK uptime: 206:07:21:13 799",  # a point blurred away
         "Code start: 0x42001b000000 VMK uptime: 206:07:21:13.799"),
        # an NMI IPI's CPU number is decimal, and a vmkernel PANIC's word is fixed
        ("[0x17e89ec(0x418012c00000):0x43924e01bd48:0x4010] (Src 0x1, CPUI4)",
         "[0x17e89ec(0x418012c00000):0x43924e01bd48:0x4010] (Src 0x1, CPU14)"),
        ("PANlC bora/vmkernel/main/dlmalloc.c:5080 - Corruption in dlmalloc",
         "PANIC bora/vmkernel/main/dlmalloc.c:5080 - Corruption in dlmalloc"),
        ("VMware ESXi 7 0.2 [Releasebuild-21231290 x86_64]",
         "VMware ESXi 7.0.2 [Releasebuild-21231290 x86_64]"),
    ],
)  # fmt: skip
def test_a_symbols_leading_digit_and_the_uptimes_point_are_put_back(seen, fixed):
    assert repair_text(seen)[0] == fixed


@pytest.mark.parametrize(
    "line",
    [
        # names one letter from a known one, but not by a look-alike: other names, kept
        "0x453ad877f8a0:[0x420013deae01]VSI_GetInfo@vmkernel#nover+0x204 stack: 0x0",
        "#PF Exception 14 in world 48180:sfcb-vmware_ IP 0x41803e25491f addr 0x228",
        "Code starts at 0x418033800000",
        "<4>Modules involved: [vmkernel]",
    ],
)
def test_a_name_that_is_no_misreading_of_a_known_one_is_kept(line):
    assert repair_text(line)[0] == line


def test_a_fixed_wording_takes_back_a_word_a_photo_lost_to_blur():
    seen = "The system has found a -       on your machine and cannot continuc."
    assert repair_text(seen)[0] == "The system has found a problem on your machine and cannot continue."


needs_dictionary = pytest.mark.skipif(not word_list(), reason="Tesseract's eng dictionary cannot be unpacked")


@needs_dictionary
@pytest.mark.parametrize("seen,fixed", [
    ("UserUbj_FDClose", "UserObj_FDClose"),  # O read as U
    ("LinuxFlleDesc_Close", "LinuxFileDesc_Close"),  # i read as l
    ("DeviceTreeHorldFunc", "DeviceTreeWorldFunc"),  # W read as H
    ("UW64VMKSyscalIUnpackVSI_Set", "UW64VMKSyscallUnpackVSI_Set"),  # l read as I
    ("FSS_loctlByFH", "FSS_IoctlByFH"),  # I read as l: a capitalised word after all
    ("TLBDoinvalidate", "TLBDoInvalidate"),  # I read as i: two words where it splits one
    ("MCEHandIeError", "MCEHandleError"),  # l read as I: one word of two parts
    ("UserCartel_HewChildWorld", "UserCartel_NewChildWorld"),  # N read as H
])  # fmt: skip
def test_a_symbol_word_misread_by_one_look_alike_letter_is_respelt(seen, fixed):
    line = f"0x4390d1fbbe40:[0x41801a2d3c4b]{seen}@vmkernel#nover+0x1f stack: 0x0"
    text, repairs = repair_text(line)
    assert text == line.replace(seen, fixed)
    assert [r.rule for r in repairs] == ["symbol spelling"]


@needs_dictionary
@pytest.mark.parametrize("symbol", [
    "VSICacheCopyListInfo", "IOFilterCacheAllocBlockMap", "qla2x00_mark_all_devices_lost",
    "lpfc_sli4_fp_handle_fcp_wcqe", "VmMemPf_PreallocRange", "Util_Udelay", "elxnet_UnregisterNetdev",
    "nmlx5_en_RxCqe", "vmklnx_workqueue_callout", "SP_WaitLockIRQ", "elxnet_lnk_up", "vmk_list_add",
    "Timer_loop", "lpfc_sli4_intr_handler", "tcp_init", "Freelist",
])  # fmt: skip
def test_a_symbol_whose_words_no_dictionary_holds_is_kept(symbol):
    # acronyms, abbreviations and words the dictionary lacks are no sign of a misreading, a
    # letter whose other case would split a word in two ("Unreg" "Ister", "Free" "Iist") is
    # no fix, nor is a capital in a symbol of lowercase words ("_intr_")
    assert respell_symbol(symbol, word_list()) == symbol


@needs_dictionary
def test_a_known_symbol_spelt_irregularly_is_kept_and_put_back():
    # its lowercase word run on would be split in two ("NetInstance") by the spelling rule
    line = "0x4539c7a1bb00:[0x4200152ad42b]NetVsi_TcpipCreateNetinstanceSet@vmkernel#nover+0x184 stack: 0x3b"
    assert repair_text(line)[0] == line
    assert repair_text(line.replace("Netinstance", "NetInstance"))[0] == line


def test_a_respelling_is_made_only_when_one_letter_alone_makes_a_word():
    # "Keit": "Meit" (M read as K) and "Kelt" (l read as i) are both words here
    assert respell_symbol("NetKeitPoll", frozenset({"net", "meit", "kelt", "poll"})) == "NetKeitPoll"
    assert respell_symbol("NetKeitPoll", frozenset({"net", "meit", "poll"})) == "NetMeitPoll"
    # a word the dictionary holds is kept, however like another it is
    assert respell_symbol("NetVithPoll", frozenset({"net", "vith", "with", "poll"})) == "NetVithPoll"


@pytest.mark.parametrize(
    ("seen", "fixed"),
    [
        ("NMI IPI: Panic requested by another PCPU. (Src 0x1. CPU19)",
         "NMI IPI: Panic requested by another PCPU. (Src 0x1, CPU19)"),
        ("RIPOFF(base):RBP:CS [0x1adfe52(0x420034000000)!0x45388823eed0|0x4010] (Src 0x1; CPU188)",
         "RIPOFF(base):RBP:CS [0x1adfe52(0x420034000000):0x45388823eed0:0x4010] (Src 0x1, CPU188)"),
        ("RIPOFF(base):RBP:CS [0x9079cd(0x41801e800000):0x451e6063e028;0x4010]",
         "RIPOFF(base):RBP:CS [0x9079cd(0x41801e800000):0x451e6063e028:0x4010]"),
        ("#DE Exception 0 in world 2108742|helper11-0 IP 0x420023c24fc8",
         "#DE Exception 0 in world 2108742:helper11-0 IP 0x420023c24fc8"),
        ("#PF Exception 14 in world 2099:prealloc~1 IP 0x41801d addr 0x0",
         "#PF Exception 14 in world 2099:prealloc-1 IP 0x41801d addr 0x0"),
        ("LINT1 motherboard interrupt; This is a hardware problem; please contact your hardware vendor.",
         "LINT1 motherboard interrupt. This is a hardware problem; please contact your hardware vendor."),
        ("LINT1 motherboard interrupt  This is a hardware problem; please contact your hardware vendor.",
         "LINT1 motherboard interrupt. This is a hardware problem; please contact your hardware vendor."),
        ("Exception type 6 in world 1133:helper17-2?@ 0x6bb098",
         "Exception type 6 in world 1133:helper17-2 @ 0x6bb098"),
        ("PCYV 9: no heartbeat (2/2 IPIs received)", "PCPU 9: no heartbeat (2/2 IPIs received)"),
        ("(Src 0x1  CPU7)", "(Src 0x1, CPU7)"),  # a comma blurred into a space
        # only a double fault prints its stack pointer: its D, 8 and S read as look-alikes
        ("#OF Exception 0 IP 0x42002cdaafe3 GP 0x4539753f2940",
         "#DF Exception 8 IP 0x42002cdaafe3 SP 0x4539753f2940"),
        ("#OF Exception 3 IP 0x42002cdaafe3 SP 0x4539753f2940",  # a blurred 8's left side open
         "#DF Exception 8 IP 0x42002cdaafe3 SP 0x4539753f2940"),
        ("@BlueScreen: LINT1 motherboard interrupt, This is a hardware problem; please contact",
         "@BlueScreen: LINT1 motherboard interrupt. This is a hardware problem; please contact"),
        ("0x4123:[0x418006be6d61]VSCS]_FSSGenericCmdDone@vmkernel#nover+0x1da stack: 0x1",
         "0x4123:[0x418006be6d61]VSCSI_FSSGenericCmdDone@vmkernel#nover+0x1da stack: 0x1"),
        # only between the fields of those lines: a stop elsewhere is the text's own
        ("Src 0x1. CPU19 was idle", "Src 0x1. CPU19 was idle"),
        ("#OF Exception 4 in world 2099:vmx IP 0x42002cdaafe3 addr 0x0",
         "#OF Exception 4 in world 2099:vmx IP 0x42002cdaafe3 addr 0x0"),
        ("0x4123:[0x418006be6d61]VSCSI_FSSGenericCmdDone@vmkernel#nover+0x1da stack: [0x1]",
         "0x4123:[0x418006be6d61]VSCSI_FSSGenericCmdDone@vmkernel#nover+0x1da stack: [0x1]"),
        ("in world 2108742|helper11-0", "in world 2108742|helper11-0"),
    ],
)  # fmt: skip
def test_a_field_separator_read_as_a_look_alike_mark_is_put_back(seen, fixed):
    from psod_ocr.repair import repair_punctuation

    assert repair_punctuation(seen) == fixed
    assert any(r.rule == "field punctuation" for r in repair_text(seen)[1]) == (seen != fixed)


def test_a_whole_line_headline_whose_first_column_was_cut_off_is_put_back():
    text, repairs = repair_text("?Mware ESXi 5.0.0 [Releasebuild-441354 x86_64]\nrashMe\nashMe\nthe rashMe")
    assert text.split("\n")[1:] == ["CrashMe", "ashMe", "the rashMe"]  # one column, whole line only
    assert [(r.line, r.rule) for r in repairs if r.after == "CrashMe"] == [(2, "headline wording")]


@pytest.mark.parametrize(
    "seen,fixed",
    [
        ("TL0_FlushRangeAll", "TLB_FlushRangeAll"),  # a B blurred into a 0
        ("Timer_0HHandler", "Timer_BHHandler"),  # the run's last capital starts a word
        ("USCSI_FSSGenericCmdDone", "VSCSI_FSSGenericCmdDone"),
        ("FDS_AsynclOCompletion", "FDS_AsyncIOCompletion"),  # an I read as l
        ("SyscaIIUWVMK64", "SyscallUWVMK64"),  # a word's ll read as II before the run
        ("SyscallUWVHK64", "SyscallUWVMK64"),  # the l before the run ends a word
        ("VMNVMKCall_Call", "VMMVMKCall_Call"),  # two acronyms run together
        ("VMKVMH_ArchEnterVMKernel", "VMKVMM_ArchEnterVMKernel"),
    ],
)
def test_a_capital_run_one_look_alike_from_a_known_acronym_is_put_back(seen, fixed):
    text, repairs = repair_text(f"0x4509:[0x41800a]{seen}@vmkernel#nover+0x9 stack: 0x1")
    assert f"]{fixed}@" in text and repairs[-1].rule == "symbol acronym"


@pytest.mark.parametrize(
    "symbol",
    [
        "User_UWVMK64SyscallHandler",  # a known acronym, a width after it
        "NFS41_GetAttrCompletion",
        "SR_Thing",  # SP and NPT are one look-alike away, but short runs are too close to tell
        "MPT2_Start",
        "Fil6FreeBlocks",  # an l and a digit: no IO
        "ISCSI_Login", "IDT_IntrHandler", "ModelSCSIThing",
    ],
)
def test_a_capital_run_that_is_no_misread_acronym_is_kept(symbol):
    line = f"0x4509:[0x41800a]{symbol}@vmkernel#nover+0x9 stack: 0x1"
    assert repair_text(line)[0] == line


@pytest.mark.parametrize(
    "seen,fixed",
    [
        ("HemSchedComputeTargetPct", "MemSchedComputeTargetPct"),  # "hem" is an English word
        ("Heap_AlignVithTimeoutAndRA", "Heap_AlignWithTimeoutAndRA"),
        ("YmkDev_UnregisterDevice", "VmkDev_UnregisterDevice"),
        ("LinuxFileDese_Close", "LinuxFileDesc_Close"),
        ("Scs1Path_SctState", "ScsiPath_SetState"),  # a 1 for an i, a c for an e
        ("VmMemCowPShareFreeRint", "VmMemCowPShareFreeHint"),
        ("AsyncPopCallhackFrameInt", "AsyncPopCallbackFrameInt"),  # a blurred b's bowl open
        ("VmkEvemt_WakeupWorlds", "VmkEvent_WakeupWorlds"),  # an n's stem doubled by blur
        ("LinuxFileOesc_Close", "LinuxFileDesc_Close"),  # a D's corners blurred round
        ("OevFSFileClose", "DevFSFileClose"),
    ],
)
def test_an_identifier_word_one_look_alike_letter_away_is_put_back(seen, fixed):
    text, _ = repair_text(f"0x4509:[0x41800a]{seen}@vmkernel#nover+0x9 stack: 0x1")
    assert f"]{fixed}@" in text


@pytest.mark.parametrize("symbol", ["Hemlock_Init", "VmMemCow_Frame1", "Nfs41_Mount", "Cover_Start"])
def test_a_word_no_look_alike_letter_makes_an_identifier_word_is_kept(symbol):
    line = f"0x4509:[0x41800a]{symbol}@vmkernel#nover+0x9 stack: 0x1"
    assert repair_text(line)[0] == line


def test_a_known_symbol_with_a_y_read_as_g_is_put_back():
    text, _ = repair_text("0x4539:[0x42003728ec2b]gate_entrg@vmkernel#nover+0x97 stack: 0x0")
    assert "]gate_entry@" in text


def test_a_known_issues_plain_message_is_put_back_as_a_headline_wording():
    # data/known_issues.toml: 'tcp_syncache\.hashbase == NULL' (a regex of plain text)
    fixed, repairs = repair_text("tcp syncache,hashbase == NULL")
    assert fixed == "tcp_syncache.hashbase == NULL" and repairs[0].rule == "headline wording"
    # ... not a short one, whose digits say something ("world.c:2307")
    assert repair_text("PANIC bora/vmkernel/main/world.c:2387")[0].endswith("world.c:2387")


@pytest.mark.parametrize(
    "seen,fixed",
    [
        ("CpuSched_Startworld", "CpuSched_StartWorld"),  # a capital read as its small letter
        ("NetPoIIWorIdCaIIback", "NetPollWorldCallback"),  # l read as I, however often
        ("lnt6_UD2Assert", "Int6_UD2Assert"),  # an assertion's frame: I read as l
        ("IDT_MandleInterrupt", "IDT_HandleInterrupt"),  # an interrupt's: H read as M
    ],
)
def test_a_known_symbol_misread_by_case_or_by_i_for_l_is_put_back(seen, fixed):
    text, _ = repair_text(f"0x4539:[0x42003728ec2b]{seen}@vmkernel#nover+0x97 stack: 0x0")
    assert f"]{fixed}@" in text


def test_an_address_read_once_agrees_with_the_same_address_read_twice():
    screen = [
        "#GP Exception(13) in world 23965:vpxa-worker @ 0x4100065c6c9f",  # 8 read as 0
        "frame=0x4123de4f7f68 ip=0x4180065c6c9f err=0 rflags=0x10202",
        "0x4123de4f7fd0:[0x4180065c6c9f]UserMem_MapPages@vmkernel#nover+0x494 stack: 0x0",
        "0x4123de4f7ff0:[0x4180060ab5aa]UserMemMapObjInt@vmkernel#nover+0x1bc stack: 0x0",
    ]
    text, repairs = repair_text("\n".join(screen))
    assert text.splitlines()[0].endswith("@ 0x4180065c6c9f")
    assert [(r.line, r.rule) for r in repairs] == [(1, "address agreement")]


def test_a_world_id_read_once_agrees_with_the_same_world_read_twice():
    prefix = "2024-05-01T10:00:00.000Z cpu5:2098455)"
    log = [
        prefix + "@BlueScreen: #PF Exception 14 in world 2090455:vmnic0-pollW IP 0x420012345678 addr 0x0",
        prefix + "Code start: 0x420000000000 VMK uptime: 1:02:03:04.567",
        prefix + "0x4539:[0x420012345678]Foo@vmkernel#nover+0x1 stack: 0x0",
    ]
    text, repairs = repair_text("\n".join(log))  # 8 read as 0
    assert "in world 2098455:vmnic0-pollW" in text.splitlines()[0]
    assert [(r.line, r.rule) for r in repairs] == [(1, "address agreement")]
    other = "\n".join(log).replace("world 2090455", "world 2093455")  # 3 is no 8's look-alike
    assert "in world 2093455:" in repair_text(other)[0]


@pytest.mark.parametrize(
    "screen",
    [
        # another address: a digit that is no look-alike (5 for 9), or more than two digits apart
        ("ip=0x4180065c6c5f", "0x41:[0x4180065c6c9f]A+0x1", "0x42:[0x4180065c6c9f]B+0x1"),
        ("ip=0x4100865c6c0f", "0x41:[0x4180065c6c9f]A+0x1", "0x42:[0x4180065c6c9f]B+0x1"),
        # a value read once each: no majority
        ("ip=0x4100065c6c9f", "0x41:[0x4180065c6c9f]A+0x1", "0x42:[0x4180060ab5aa]B+0x1"),
        # two readings each: no majority
        ("ip=0x4100065c6c9f @ 0x4100065c6c9f", "0x41:[0x4180065c6c9f]A+0x1", "0x42:[0x4180065c6c9f]B+0x1"),
    ],
)
def test_addresses_that_may_differ_are_left_alone(screen):
    text = "\n".join(screen)
    assert repair_text(text)[0] == text


@pytest.mark.parametrize(
    "seen,fixed",
    [
        ("tcp?timer_rexmt", "tcp_timer_rexmt"),  # an unread glyph between letters: an underscore
        ("VS!_SetInfo", "VSI_SetInfo"),  # a '!' in a capital run: an I
        ("Heap_A|loc", "Heap_Alloc"),  # ... else an l
    ],
)
def test_a_frame_symbols_marks_are_put_back_as_what_a_symbol_holds(seen, fixed):
    text, _ = repair_text(f"0x4539:[0x420039c468cd]{seen}@(tcpip4)#+0x22 stack: 0x1")
    assert f"]{fixed}@" in text


def test_frames_of_one_function_agree_on_its_name():
    # IP less offset is where the function starts: 0x42002cdaace8 for all three
    screen = [
        "0x4539753f3950:[0x42002cdaafe3]DevFSFileClone@vmkernel#nover+0x2fb stack: 0x0",
        "0x4539753f39a0:[0x42002cdaad50]DevFSFileClose@vmkernel#nover+0x68 stack: 0x0",
        "0x4539753f39d0:[0x42002d10d0e8]FSS_CloseFile@vmkernel#nover+0x503 stack: 0x0",
        "0x4539753f3ad0:[0x42002cdab03b]OevFSFileClcwsfvzoernei#nover+0x353 stack: 0x0",
        "0x4539753f3b90:[0x42002cdab147]DevFSFileClose@vmkernel#nover+0x45f stack: 0x0",
    ]
    text, repairs = repair_text("\n".join(screen))
    lines = text.splitlines()
    assert lines[0].startswith("0x4539753f3950:[0x42002cdaafe3]DevFSFileClose@vmkernel#nover+0x2fb")
    assert lines[3].startswith("0x4539753f3ad0:[0x42002cdab03b]DevFSFileClose@vmkernel#nover+0x353")
    assert [r.line for r in repairs if r.rule == "function agreement"] == [1, 4]


def test_frames_of_one_function_without_a_majority_are_left_alone():
    screen = [
        "0x4539753f3950:[0x42002cdaafe3]DevFSFileClone@vmkernel#nover+0x2fb stack: 0x0",
        "0x4539753f39a0:[0x42002cdaad50]DevFSFileClose@vmkernel#nover+0x68 stack: 0x0",
        "0x4539753f3b90:[0x42002cdab148]DevFSFileClose@vmkernel#nover+0x45f stack: 0x0",  # another start
    ]
    text = "\n".join(screen)
    assert repair_text(text)[0] == text


@pytest.mark.parametrize(
    "seen,fixed",
    [
        ("Code start: 0x420036800300 VMK uptime: 234:06:25:06.081",
         "Code start: 0x420036800000 VMK uptime: 234:06:25:06.081"),  # loaded 2 MB aligned
        ("Code starts at 0x41803640e0O8", "Code starts at 0x418036400000"),
        ("Code start: 0x4200######00 VMK", "Code start: 0x4200######00 VMK"),  # masked: left alone
        ("Code start: 0x42003c00000 VMK", "Code start: 0x42003c00000 VMK"),  # a digit lost: which?
        ("Code start: 0x420001a87200 VMK", "Code start: 0x420001a87200 VMK"),  # unaligned, as read
    ],
)  # fmt: skip
def test_the_code_starts_last_five_digits_are_zeros(seen, fixed):
    assert repair_text(seen)[0] == fixed
