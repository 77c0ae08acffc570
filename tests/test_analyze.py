"""Pattern analysis over crafted series of crashes, each read by the real parser."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS
from crafted import report, screen

from psod_ocr import knowledge
from psod_ocr.analyze import RULES, VERDICTS, analyze, rules, world_key
from psod_ocr.facts import crash_time, facts
from psod_ocr.render_history import analysis_to_markdown, analysis_to_text

LPFC = "lpfc_sli_handle_ring@(lpfc)#<None>"


def codes(analysis) -> list[str]:
    return [r.code for r in analysis.reasons]


def series(*texts: str) -> list[dict]:
    return [report(t, path=f"psod{i}.txt").to_dict() for i, t in enumerate(texts)]


def test_one_report_alone_is_inconclusive():
    a = analyze(series(screen(kind="mce")))
    assert a.verdict == "inconclusive" and codes(a) == ["too_few"]
    assert "2" in a.reasons[0].text["en"] and len(a.evidence) == 1


def test_nothing_but_non_psods():
    a = analyze([report("just a note\n").to_dict()])
    assert a.verdict == "inconclusive" and codes(a) == ["not_a_psod", "too_few"] and a.evidence == ()


def test_same_message_and_stack_is_software():
    a = analyze(series(*(screen(pcpu=p, wid=2099000 + p) for p in (1, 5, 9))))
    assert a.verdict == "software_suspected"
    assert codes(a) == ["same_signature", "same_world"]
    assert a.reasons[0].params["count"] == 3 and a.reasons[1].params["world"] == "hostd-worker"


def test_different_messages_and_stacks_are_hardware():
    a = analyze(series(
        screen(kind="pf14", frames=("Heap_Free", "vmkWorldFunc"), world="hostd-worker", pcpu=1),
        screen(kind="gp13", frames=("Vmxnet3_Poll", "NetPollWorldCallback"), world="vmnic0-pollW", pcpu=7),
        screen(kind="assert", frames=("PFrame_Alloc", "MemSched_Alloc"), world="vmx", pcpu=12),
    ))  # fmt: skip
    assert a.verdict == "hardware_suspected" and codes(a) == ["different_signatures"]
    assert a.reasons[0].params == {"distinct": 3, "n": 3}


@pytest.mark.parametrize("kinds", [("mce", "pf14"), ("nmi_lint1", "mce", "nmi_lint1")])
def test_machine_checks_and_lint1_are_hardware(kinds):
    a = analyze(series(*(screen(kind=k, pcpu=i) for i, k in enumerate(kinds))))
    assert a.verdict == "hardware_suspected" and codes(a)[0] == "hardware_type"
    assert a.reasons[0].params["count"] == sum(k != "pf14" for k in kinds)


def test_a_driver_in_every_backtrace_is_the_driver_even_when_stacks_differ():
    a = analyze(series(
        screen(frames=(LPFC, "vmkWorldFunc"), world="hostd-worker", pcpu=1),
        screen(kind="gp13", frames=("Heap_Free", "lpfc_sli_issue_iocb@(lpfc)#<None>"), world="vmx", pcpu=2),
    ))  # fmt: skip
    assert a.verdict == "driver_suspected" and codes(a)[0] == "same_driver"
    assert a.reasons[0].params["driver"] == "lpfc" and "different_signatures" in codes(a)


def test_a_repeating_stack_in_a_driver_is_the_driver():
    a = analyze(series(*(screen(frames=(LPFC, "vmkWorldFunc"), world="lpfc_worker", pcpu=p) for p in (1, 2))))
    assert a.verdict == "driver_suspected"
    assert codes(a) == ["same_driver", "same_signature", "same_world"]


def test_a_driver_named_world_in_every_crash_is_the_driver():
    a = analyze(series(
        screen(frames=("Heap_Free", "vmkWorldFunc"), world="lpfc_worker", pcpu=1),
        screen(kind="gp13", frames=("SCSI_Done", "vmkWorldFunc"), world="lpfc_worker", pcpu=4),
    ))  # fmt: skip
    assert a.verdict == "driver_suspected" and a.reasons[0].params["driver"] == "lpfc"


def test_the_same_pcpu_every_time_points_at_that_cpu():
    a = analyze(series(
        screen(kind="pf14", frames=("Heap_Free", "vmkWorldFunc"), world="hostd-worker", pcpu=6),
        screen(kind="gp13", frames=("Vmxnet3_Poll", "NetPollWorldCallback"), world="vmx", pcpu=6),
    ))  # fmt: skip
    assert a.verdict == "hardware_suspected"
    assert codes(a) == ["different_signatures", "same_pcpu"] and a.reasons[1].params["pcpu"] == 6


def test_world_names_compare_without_instance_numbers():
    data = rules()
    assert world_key("vmast.63405", data) == world_key("vmast.70001", data) == "vmast"
    assert world_key("vmnic3-pollWorld-1-0x43031e8c2a40", data) == "vmnic3-pollWorld"
    assert world_key("helper13-0", data) == "helper13"
    a = analyze(series(
        screen(kind="pf14", frames=("Heap_Free", "vmkWorldFunc"), world="vmast.63405", pcpu=1),
        screen(kind="gp13", frames=("VmMemPf_Fault", "vmkWorldFunc"), world="vmast.71234", pcpu=2),
    ))  # fmt: skip
    assert "same_world" in codes(a) and a.verdict == "inconclusive"  # hardware 2 against software 2
    assert codes(a)[-1] == "conflict"


def test_world_id_overflow_after_a_long_uptime():
    frames = ("WorldNewInt", "World_New", "UserCartel_Fork")
    a = analyze(series(*(screen(frames=frames, world="sh", uptime=f"{d}:01:02:03.004", pcpu=d % 8)
                         for d in (400, 401))))  # fmt: skip
    assert a.verdict == "software_suspected" and codes(a)[0] == "world_id_overflow"
    assert a.reasons[0].params["days"] == 401 and "2012404" in a.reasons[0].text["en"]
    short = analyze(series(*(screen(frames=frames, world="sh", pcpu=p) for p in (1, 2))))
    assert "world_id_overflow" not in codes(short)


def test_the_same_signature_on_other_hosts_is_software():
    reports = series(
        screen(kind="pf14", frames=("Heap_Free", "vmkWorldFunc"), world="hostd-worker", pcpu=1),
        screen(kind="gp13", frames=("Vmxnet3_Poll", "NetPollWorldCallback"), world="vmx", pcpu=7),
    )
    sig = reports[0]["diagnosis"]["signature"]
    alone = analyze(reports, hosts={sig: ["esx01"]})
    assert alone.verdict == "hardware_suspected"
    shared = analyze(reports, hosts={sig: ["esx01", "esx02", "esx03"]})
    assert "other_hosts" in codes(shared) and shared.verdict == "inconclusive"
    same = series(screen(pcpu=1), screen(pcpu=2))
    a = analyze(same, hosts={same[0]["diagnosis"]["signature"]: ["esx01", "esx02"]})
    assert a.verdict == "software_suspected" and "other_hosts" in codes(a)
    assert a.reasons[-1].params["hosts"] == "esx01, esx02"


def test_mixed_series_and_builds_are_noted():
    a = analyze(series(screen(build="19193900"), screen(build="21424296"), screen(kind="gp13", pcpu=9)))
    assert "mixed_signatures" in codes(a) and "builds" in codes(a)


def test_reports_and_dicts_give_the_same_analysis():
    texts = [screen(pcpu=1), screen(kind="mce", pcpu=2)]
    from_reports = analyze([report(t) for t in texts])
    assert from_reports == analyze([report(t).to_dict() for t in texts])


def test_to_dict_is_json_with_both_languages():
    a = analyze(series(screen(pcpu=1), screen(pcpu=2), "no crash here\n"))
    obj = json.loads(json.dumps(a.to_dict()))
    assert set(obj) == {"verdict", "reasons", "evidence"} and obj["verdict"] in VERDICTS
    assert all(r["text_en"] and r["text_ja"] and r["code"] for r in obj["reasons"])
    assert codes(a)[0] == "not_a_psod"
    row = obj["evidence"][0]
    assert {"crash_time", "build", "type", "signature", "world", "pcpu", "top_frames"} <= set(row)
    assert row["top_frames"] == ["Heap_Free@vmkernel", "Net_PortDisconnect@vmkernel", "vmkWorldFunc@vmkernel"]


def test_text_and_markdown_in_both_languages():
    a = analyze(series(screen(pcpu=1), screen(pcpu=2)))
    text = analysis_to_text(a)
    assert text.startswith("Pattern analysis: software suspected") and "Heap_Free@vmkernel" in text
    assert analysis_to_text(a, "ja").startswith("パターン分析: ソフトウェアの疑い")
    md = analysis_to_markdown(a, "ja")
    assert md.startswith("## パターン分析") and "| 発生時刻 |" in md


def test_crash_time_comes_from_the_log_or_the_dump():
    log = (CORPUS / "056_log_vmkernel70_pf14_lpfc.txt").read_text()
    assert crash_time(log) == "2023-05-14T08:12:41.986Z"
    zdump = (CORPUS / "057_log_zdump_gp13.txt").read_text()
    assert crash_time(zdump) == "2022-11-03T17:41:09.512Z"
    assert facts(report(screen())).crash_time is None


def test_every_rule_in_the_data_is_implemented_and_worded():
    data = rules()
    assert {r.code for r in data.rules} <= set(RULES)
    assert all(r.text["en"] and r.text["ja"] for r in data.rules)


def test_a_bad_rule_entry_names_file_and_rule():
    with pytest.raises(knowledge.DataFileError, match=r"analysis\.toml \[rule\.x\]: lean"):
        knowledge._analysis_rule("x", {"lean": "sideways", "text": {"en": "a", "ja": "b"}})
    with pytest.raises(knowledge.DataFileError, match=r"unknown types"):
        knowledge._analysis_rule("x", {"lean": "hardware", "types": ["pf15"], "text": {"en": "a", "ja": "b"}})
    with pytest.raises(knowledge.DataFileError, match=r"needs text"):
        knowledge._analysis_rule("x", {"lean": "none", "text": {"en": "a"}})
