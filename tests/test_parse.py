"""The section parser on small texts of our own, one behaviour per test."""

from __future__ import annotations

import pytest

from psod_ocr.parse import parse_text
from psod_ocr.parse.lines import split_lines
from psod_ocr.parse.screen import uptime_seconds
from psod_ocr.repair import repair_text

ESXI67 = """\
VMware ESXi 6.7.0 [Releasebuild-15160138 x86_64]
#GP Exception 13 in world 2098112:nmlx5_core IP 0x418013a4c2d1 addr 0x0
cr0=0x80010031 cr2=0x0 cr3=0x1ab3000 cr4=0x42768
frame=0x451a1d11bb30 ip=0x418013a4c2d1 err=0 rflags=0x10246
rax=0x0 rbx=0x43065f2d8010 rcx=0x1
*PCPU14:2098112/nmlx5_core_poll
PCPU  0: SVVUSSSSVVVSSSVUSVVS
Code start: 0x418013200000 VMK uptime: 12:03:14:05.250
0x451a1d11bbb8:[0x418013a4c2d1]mlx5e_rx_poll@(nmlx5_core)#<None>+0x2d1 stack: 0x4306a0c01000
0x451a1d11bc40:[0x418013288a5e]NetPollWorldCallback@vmkernel#nover+0x14a stack: 0x0
0x451a1d11bfe0:[0x4180134c8d45]CpuSched_StartWorld@vmkernel#nover+0x99 stack: 0x0
base fs=0x0 gs=0x418043800000 Kgs=0x0
Coredump to disk. Slot 1 of 1 on device naa.600508b1001c3f2a:7.
Finalized dump header (14/14) DiskDump: Successful.
No port for remote debugger. "Escape" for local debugger.
"""


def test_esxi_screen_sections():
    s = parse_text(ESXI67).screen
    assert (s.product, s.version, s.build, s.arch) == ("VMware ESXi", "6.7.0", "15160138", "x86_64")
    assert s.message.startswith("#GP Exception 13 in world 2098112:nmlx5_core")
    assert (s.world.id, s.world.name, s.pcpu) == (2098112, "nmlx5_core", 14)
    assert s.registers["cr3"] == "0x1ab3000" and s.registers["gsbase"] == "0x418043800000"
    assert s.pcpu_states == "SVVUSSSSVVVSSSVUSVVS"
    assert s.code_start == "0x418013200000"
    assert s.uptime.seconds == 12 * 86400 + 3 * 3600 + 14 * 60 + 5.25
    f = s.frames[0]
    assert (f.frame, f.ip, f.symbol, f.module, f.offset, f.stack) == (
        "0x451a1d11bbb8", "0x418013a4c2d1", "mlx5e_rx_poll", "nmlx5_core", "0x2d1",
        ("0x4306a0c01000",),
    )  # fmt: skip
    assert [f.module for f in s.frames] == ["nmlx5_core", "vmkernel", "vmkernel"]
    assert s.coredump.status == "completed" and len(s.coredump.lines) == 2
    assert s.form == "screen"


ESX3 = """\
VMware ESX Server [Releasebuild-64607]
#PF Exception type 14 in world 1042:vmware-vm @ 0x5a21c3
frame=0x2b7dc44 ip=0x5a21c3 cr2=0x18 cr3=0x3f4c1000 cr4=0x6f0
es=0x4010 ds=0x4010 fs=0x0 gs=0x0
eax=0x0 ebx=0x18 ecx=0x2b7dd10 edx=0x1
ebp=0x2b7dd30 esi=0x9c0a1e0 edi=0x0 err=2 eflags=0x10246
0:1024/console *1:1042/vmware-vm 2:1031/idle2 3:1033/vmm0:web01
0x2b7dd30:[0x5a21c3]SCSIQueueCommand+0x3b stack: 0x9c0a1e0, 0x1, 0x2b7dd6c
0x2b7dd6c:[0x59f0a4]FS_Write+0x11c stack: 0x0, 0x2b7ddb0, 0x1
VMK uptime: 3:11:20:41.732 TSC: 739204811920412
Starting coredump to disk Dumping using slot 1 of 1...
"""


def test_esx3_text_mode_screen():
    s = parse_text(ESX3).screen
    assert (s.product, s.build, s.version) == ("VMware ESX Server", "64607", None)
    assert (s.world.id, s.world.name, s.pcpu) == (1042, "vmware-vm", 1)
    assert [c.pcpu for c in s.cpus] == [0, 1, 2, 3]
    assert [c.current for c in s.cpus] == [False, True, False, False]
    assert s.cpus[3].world_name == "vmm0:web01"
    assert s.registers["eflags"] == "0x10246" and s.registers["es"] == "0x4010"
    assert s.frames[1].symbol == "FS_Write" and s.frames[1].module is None
    assert s.frames[0].stack == ("0x9c0a1e0", "0x1", "0x2b7dd6c")
    assert s.tsc == 739204811920412
    assert s.coredump.status == "started"


def test_uppercase_cpu_marks_the_current_cpu():
    text = "VMware ESX Server [Releasebuild-110268]\nPCPU 2 locked up. Failed to ack TLB invalidate.\n"
    text += "cpu0:1024/console CPU1:1188/vmm0:db cpu2:1039/idle2\n"
    s = parse_text(text).screen
    assert [c.current for c in s.cpus] == [False, True, False]
    assert s.pcpu == 2  # the headline names the PCPU, which wins over the current CPU


def test_log_prefixes_are_stripped_and_remembered():
    text = (
        "2023-04-02T10:11:12.123Z cpu7:2101455)@BlueScreen: #PF Exception 14 in world "
        "2101455:vmx-vcpu-0 IP 0x420012345678 addr 0x8\n"
        "2023-04-02T10:11:12.130Z cpu7:2101455)Code start: 0x420011e00000 VMK uptime: "
        "0:02:00:00.000\n"
        "2023-04-02T10:11:12.131Z cpu7:2101455)0x453a1b2c3d40:[0x420012345678]"
        "VmMemCow_Share@vmkernel#nover+0x42 stack: 0x1\n"
    )
    lines = split_lines(text)
    assert lines[0].logged and lines[0].cpu == 7 and lines[0].world == 2101455
    r = parse_text(text)
    assert r.screen.form == "log"
    assert r.screen.message.startswith("#PF Exception 14")
    assert r.screen.uptime.seconds == 7200.0
    assert r.screen.frames[0].symbol == "VmMemCow_Share"


def test_a_log_prefix_with_a_misread_cpu_number_is_still_a_prefix():
    line = split_lines("YYYY-MM-DDTHH:MM:SS.114Z cpud8:40848027)IDT: 1895: Uncorrectable machine check")[0]
    assert line.logged and line.text.startswith("IDT: 1895")
    assert line.cpu is None and line.world == 40848027  # unreadable: not invented
    assert not split_lines("cpudd:40848027)IDT: 1895")[0].logged  # no digit at all: no prefix


def test_logefi_prefix():
    text = (
        "2024-01-09T01:02:03.456Z In(14) LogEFI[2099001]: #PF Exception 14 in world "
        "2099001:nvme-worker IP 0x420034aa1b2c addr 0x10\n"
        "2024-01-09T01:02:03.460Z In(14) LogEFI: cpu3:2099001)cr0=0x80050033 cr2=0x10\n"
        "2024-01-09T01:02:03.461Z In(14) LogEFI: cpu3:2099001)0x453a00112230:[0x420034aa1b2c]"
        "NvmeQueueSubmit@(nvme_pcie)#<None>+0x5c stack: 0x0\n"
    )
    s = parse_text(text).screen
    assert s.world.name == "nvme-worker" and s.registers["cr2"] == "0x10"
    assert s.frames[0].module == "nvme_pcie"


def test_wrapped_128_column_lines_are_joined():
    head = "0:00:00:03.100 cpu0:262144)Cpu: 2210: Fatal CPU mismatch on feature \"Example feature\"; "
    filler = "x" * (128 - len(head) - len("cpu3 value = 0x1"))
    first = head + filler + "cpu3 value = 0x1"
    assert len(first) == 128
    text = (
        "VMware ESXi 8.0.2 [Releasebuild-22380479 x86_64]\n"
        "HW feature incompatibility detected; cannot start\n"
        f"{first}\n2345, but cpu0 value = 0x1"
        "2346\nNo place on disk to dump data.\n"
    )
    s = parse_text(text).screen
    assert any(d.endswith("cpu3 value = 0x12345, but cpu0 value = 0x12346") for d in s.details)


def test_line_of_exactly_128_leaves_an_empty_row_that_is_dropped():
    full = "y" * 128
    lines = split_lines(f"{full}\n\nnext line\n")
    assert [line.text for line in lines] == [full, "next line", ""]


def test_80_column_wrap_on_text_mode_screen():
    headline = "@BlueScreen: #PF Exception(14) in world 1048577:sfcb-vmware_b ip 0x418002b1c0de addr 0x417f"
    first, rest = headline[:80], headline[80:]
    text = f"VMware ESX [Releasebuild-261974 X86_64]\n{first}\n{rest}\nCode starts at 0x418002a00000\n"
    s = parse_text(text).screen
    assert s.message == headline.removeprefix("@BlueScreen: ")
    assert s.world.name == "sfcb-vmware_b"


def test_psod_block_found_inside_a_long_log():
    noise = [
        f"2023-09-0{d % 9 + 1}T12:00:{d % 60:02d}.000Z cpu{d % 8}:209{d:04d})NetPort: 1632: "
        f"enabled port 0x{d:x} with mac 00:50:56:aa:bb:{d % 99:02d}"
        for d in range(300)
    ]
    crash = [
        "2023-09-09T13:00:00.001Z cpu5:2100222)@BlueScreen: Spin count exceeded (vmkLock) - "
        "possible deadlock with PCPU 11",
        "2023-09-09T13:00:00.002Z cpu5:2100222)Code start: 0x420002600000 VMK uptime: "
        "40:00:00:00.000",
        "2023-09-09T13:00:00.003Z cpu5:2100222)0x453b22334450:[0x4200026a1b22]"
        "SP_WaitLock@vmkernel#nover+0x1b2 stack: 0x0",
    ]
    r = parse_text("\n".join(noise[:200] + crash + noise[200:]))
    assert r.screen.message == "Spin count exceeded (vmkLock) - possible deadlock with PCPU 11"
    assert r.screen.pcpu == 5  # the spinning CPU (log prefix), not the holder the headline names
    assert r.block[0] >= 198 and r.block[1] <= 240
    assert not any("NetPort" in line for line in r.screen.other_lines)


def test_two_crashes_in_one_log_report_one_and_warn():
    one = "@BlueScreen: #PF Exception 14 in world 2097200:helper IP 0x42000a000001 addr 0x0"
    two = "@BlueScreen: PCPU 9 locked up. Failed to ack TLB invalidate."
    filler = "\n".join(f"routine line {i}" for i in range(60))
    r = parse_text(f"{one}\n{filler}\n{two}\n")
    assert r.blocks_found == 2
    assert r.screen.message == two.removeprefix("@BlueScreen: ")  # ties go to the later one
    assert any("2 crash blocks" in w for w in r.warnings)


def test_junk_lines_do_not_break_sections():
    text = ESXI67.replace("PCPU  0:", "~~##@@ garbage ~~\nPCPU  0:").replace(
        "Code start", "\x07\x01 noise\nCode start"
    )
    s = parse_text(text).screen
    assert s.build == "15160138" and len(s.frames) == 3 and s.pcpu == 14


def test_headline_only():
    r = parse_text("Machine Check Exception: Unable to continue\n")
    assert r.screen.message == "Machine Check Exception: Unable to continue"
    assert r.evidence == 1 and r.screen.frames == ()


def test_backtrace_only_has_no_headline_and_says_so():
    text = "\n".join(ESXI67.splitlines()[7:11])
    r = parse_text(text)
    assert r.screen.message is None and len(r.screen.frames) == 3
    assert any("no headline" in w for w in r.warnings)


def test_boot_time_error_screen():
    text = (
        "\n\n\n            VMware ESXi 7.0.3 (VMKernel Release Build 21930508)\n\n"
        "            Example Systems X100\n" + "\n" * 15 +
        "   The system has found a problem on your machine and cannot continue.\n\n"
        "   Unsupported microcode level 0x00000010\n"
        "   Please update the processor microcode.\n" + "\n" * 10 +
        "No port for remote debugger.\n"
    )  # fmt: skip
    s = parse_text(text).screen
    assert (s.version, s.build) == ("7.0.3", "21930508")
    assert s.message == "The system has found a problem on your machine and cannot continue."
    assert s.details == (
        "Unsupported microcode level 0x00000010", "Please update the processor microcode."
    )


def test_panic_details_give_world_pcpu_and_uptime():
    text = (
        "Panic Details: Crash at 2025-02-01T00:00:00.000Z on CPU 12 running world 2100001 - "
        "hostd-worker. VMK Uptime:3:04:05:06.700\n"
        "Panic Message: @BlueScreen: ASSERT bora/vmkernel/sched/cpusched.c:1234\n"
    )
    s = parse_text(text).screen
    assert (s.pcpu, s.world.id, s.world.name) == (12, 2100001, "hostd-worker")
    assert s.uptime.text == "3:04:05:06.700"
    assert s.message == "ASSERT bora/vmkernel/sched/cpusched.c:1234"


def test_backtrace_header_gives_pcpu_and_world_id():
    text = (
        "@BlueScreen: NOT_IMPLEMENTED bora/vmkernel/main/heap.c:99\n"
        "Backtrace for current CPU #21, worldID=2099123, fp=0x0\n"
        "0x453a01:[0x420001]Heap_Free@vmkernel#nover+0x10 stack: 0x0\n"
    )
    s = parse_text(text).screen
    assert (s.pcpu, s.world.id, s.world.name) == (21, 2099123, None)


def test_masked_values_become_null_with_warnings():
    text = (
        "VMware ESXi 8.0.#  [Releasebuild-######## x86_64]\n"
        "#PF Exception 14 in world ####:vmx IP 0x######## addr 0x0\n"
        "Code start: 0x41##c0000### VMK uptime: #:##:##:##.###\n"
    )
    r = parse_text(text)
    assert r.screen.build is None and r.screen.world.id is None and r.screen.uptime.seconds is None
    assert any("build" in w for w in r.warnings) and any("uptime" in w for w in r.warnings)


def test_cut_off_first_column_is_tolerated():
    text = (
        "?Mware ESXi 5.5.0 [Releasebuild-1331820 x86_64]\n"
        "?rashMe\n"
        "?PCPU3:35211/vsish\n"
        "?ode start: 0x418021200000 VMK uptime: 0:01:02:03.004\n"
        "?ase fs=0x0 gs=0x418040c00000 Kgs=0x0\n"
    )
    s = parse_text(text).screen
    assert (s.build, s.pcpu, s.code_start) == ("1331820", 3, "0x418021200000")
    assert s.registers["gsbase"] == "0x418040c00000"


def test_modules_involved_and_saved_backtrace():
    text = (
        "@BlueScreen: NMI IPI: Panic requested by another PCPU. RIPOFF(base):RBP:CS "
        "[0x1a2b(0x420000000000):0x0:0xf48] (Src 0x4, CPU6)\n"
        "Module(s) involved in panic: [i40en 2.1.5.0-1OEM.700.1.0.15843807 (External)]\n"
        "Saved backtrace from: pcpu 3 Heartbeat NMI\n"
        "0x4539:[0x420001]i40en_clean_rx@(i40en)#<None>+0x1 stack: 0x0\n"
    )
    s = parse_text(text).screen
    assert s.pcpu == 6
    assert s.modules_involved[0].name == "i40en" and s.modules_involved[0].external
    assert s.saved_backtrace_from == "pcpu 3 Heartbeat NMI"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0:00:00:05.587", 5.587), ("1:00:00:00", 86400.0), ("##:##:##:##", None), ("5:61", None)],
)
def test_uptime_seconds(text, seconds):
    assert uptime_seconds(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "\n\n\n", "hello world", "0x0", ":[", "@BlueScreen:", "VMware ESXi"]
)
def test_degenerate_inputs(text):
    r = parse_text(text)
    assert r.screen.frames == () or isinstance(r.screen.frames, tuple)


def test_a_line_of_80_on_a_128_column_screen_is_not_wrapped():
    headline = "#PF Exception 14 in world 2098111:vmx-vcpu-0 IP 0x420012345678 addr 0x1234567"
    headline += "8" * (80 - len(headline))
    wide = "0x453a00112230:[0x420034aa1b2c]Heap_Free@vmkernel#nover+0x5c stack: 0x0 " + "x" * 40
    text = f"VMware ESXi 7.0.3 [Releasebuild-20036589 x86_64]\n{headline}\ncr0=0x1 cr2=0x0\n{wide}\n"
    s = parse_text(text).screen
    assert s.message == headline and s.registers["cr2"] == "0x0"


def test_a_modules_free_text_headline_holding_an_address_is_the_headline_in_ocr_output_too():
    headline = "sbflush_internal: ccc 0 mb 0x43190e2cb800 mbcnt 256"
    text = (f"VMware ESXi 8.0.2 [Releasebuild-23310008 x86_64]\n{headline}\n"
            "cr0=0x8001003d cr2=0x0 cr3=0x70c41000 cr4=0x3406e0\n")  # fmt: skip
    assert parse_text(text, fuzzy=True).screen.message == headline
    # a register or frame line OCR misread is still no headline
    for misread in ("cr0-0x8001003d cr2-Ox0 cr3-0x70c41000", "Ox453abc41b6f0 :[Ox42000f0543]PanicvPanicInt"):
        assert parse_text(text.replace(headline, misread), fuzzy=True).screen.message is None


def test_a_frame_whose_ip_holds_a_glyph_no_hex_digit_keeps_its_symbol_without_the_ip():
    text = ("VMware ESXi 7.0.0 [Releasebuild-16324942 x86_64]\n"
            "#GP Exception 13 in world 2097178:idle26 IP 0x420037f550a4 addr 0x0\n"
            "0x453934184400:[0x420037f983df]lsimr3_process_reply_queue@(lsi_mr3)#<None>+0x1c1 stack: 0x0\n"
            "0x453934184560:[0x42003}f9362a]lsimr3_isr@(lsi_mr3)#<None>+0xf9 stack: 0x453934184570\n"
            "0x4539341845d0:[0x4200369a8b3a]IntrCookieBH@vmkernel#nover+0x59c stack: 0x0\n")  # fmt: skip
    result = parse_text(text, fuzzy=True)
    frames = result.screen.frames
    assert [f.symbol for f in frames] == ["lsimr3_process_reply_queue", "lsimr3_isr", "IntrCookieBH"]
    assert frames[1].ip is None and frames[1].frame == "0x453934184560"
    assert any("0x42003}f9362a" in w for w in result.warnings)


def test_in_ocr_output_a_headline_above_misread_register_and_cpu_lines_still_heads_the_block():
    # the banner unread, and the lines between headline and backtrace misread as text: the
    # block found from the frames starts too low for the line under the banner
    text = "\n".join([
        "VN*ere ESEi 5 1 0 [Releeeebuild-1924209 x06 64]",
        "CRITICALJ Loet ecceee to boot device",
        "cr0=0x0001003d cr2=0x0 cr3=0x2e062000 cr4=0x2766",
        "8reee-0x41266be97520 ip=0x410009bee72c err=0 rtlegs=0x10202",
        "r13=0xtt8ttt8t r14=0x4100360c5d00 r1$=0x41266be97990",
        "=PCro2!27690/hoetd",
        "PCro  0  $#Soo@o$",
        "Cone stert  0x416009600000 VNK nptixe  00 23 4T;0$ 040",
        "0x41266be97580:[0x416009bee72c]Panic@vmkernel#nover+0x245 stack: 0x41600e3021be",
        "0x41266be97620:[0x4160096b1d4b]DLM_free@vmkernel#nover+0x426 stack: 0x41266be97700",
    ])  # fmt: skip
    result = parse_text(repair_text(text)[0], fuzzy=True)
    assert result.screen.message == "CRITICAL: Lost access to boot device"
    assert result.headline is not None and result.headline.rule.type == "panic"


def test_a_headline_a_fifth_misread_is_still_told_by_its_wording_in_ocr_output():
    line = "#oP Exception 13Rin wur1d 25WN573 vmeic5=pul1W IP 0x425555752dc4 addrJ0x0"
    text = f"VMware ESXi 8.0.0 [Releasebuild-20849552 x86_64]\n{line}\ncr0=0x8001003d cr2=0x0\n"
    result = parse_text(text, fuzzy=True)
    assert result.headline is not None and result.headline.rule.type == "gp13"
    assert not result.headline.exact and result.headline.score < 85
