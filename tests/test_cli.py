"""The CLI in-process (argv and streams in, exit code out) and once as a real subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from psod_ocr.cli import main

SCREEN = """\
VMware ESXi 7.0.3 [Releasebuild-19193900 x86_64]
#PF Exception 14 in world 2099652:lpfc_worker IP 0x42001c2b3c4d addr 0x18
*PCPU9:2099652/lpfc_worker
Code start: 0x42001b800000 VMK uptime: 2:03:04:05.006
0x453a12340010:[0x42001c2b3c4d]lpfc_sli_handle_ring@(lpfc)#<None>+0x1d stack: 0x1
0x453a12340080:[0x42001b9a0a0b]vmkWorldFunc@vmkernel#nover+0x49 stack: 0x0
"""


def run(argv, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def screen_file(tmp_path: Path) -> Path:
    path = tmp_path / "psod.txt"
    path.write_text(SCREEN)
    return path


def test_text_output_puts_the_verdict_first(screen_file):
    code, out, err = run(["parse", str(screen_file)])
    assert code == 0 and err == ""
    first = out.splitlines()[0]
    assert first.startswith("Verdict: Page fault") and "driver (lpfc)" in first
    assert "lpfc_sli_handle_ring@lpfc+0x1d" in out
    assert out.index("Headline") < out.index("Backtrace") < out.index("KB references")


def test_json_output_is_one_valid_report(screen_file, valid):
    code, out, _ = run(["parse", "--format", "json", str(screen_file)])
    obj = valid(json.loads(out))
    assert code == 0 and isinstance(obj, dict)
    assert obj["diagnosis"]["type"] == "pf14" and obj["screen"]["pcpu"] == 9
    assert obj["source"]["path"] == str(screen_file) and obj["ocr"] is None


def test_several_files_give_a_json_array(screen_file, tmp_path, valid):
    other = tmp_path / "other.txt"
    other.write_text("@BlueScreen: CrashMe\n")
    code, out, _ = run(["parse", "--format", "json", str(screen_file), str(other)])
    objs = valid(json.loads(out))
    assert code == 0 and [o["diagnosis"]["type"] for o in objs] == ["pf14", "crashme"]


def test_markdown_output(screen_file):
    code, out, _ = run(["parse", "--format", "md", str(screen_file)])
    assert code == 0 and out.startswith("## Page fault")
    assert "| 0 | 0x453a12340010 | 0x42001c2b3c4d | lpfc_sli_handle_ring | lpfc | 0x1d |" in out


def test_japanese(screen_file):
    code, out, _ = run(["parse", "--lang", "ja", str(screen_file)])
    assert code == 0 and out.startswith("判定: ページ フォールト")


def test_stdin():
    code, out, _ = run(["parse", "--format", "json", "-"], stdin=SCREEN)
    assert code == 0 and json.loads(out)["source"]["path"] == "-"


def test_no_psod_says_so_in_one_line_and_exits_1(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("nothing purple here\n")
    code, _, err = run(["parse", str(path)])
    assert code == 1
    assert err.count("\n") == 1 and "no purple diagnostic screen" in err


def test_missing_file_exits_2_and_the_batch_goes_on(screen_file, tmp_path):
    code, out, err = run(["parse", str(tmp_path / "nope.txt"), str(screen_file)])
    assert code == 2
    assert err.count("\n") == 1 and "nope.txt" in err and "No such file" in err
    assert "Verdict: Page fault" in out


def test_directory_and_binary_input(tmp_path):
    code, _, err = run(["parse", str(tmp_path)])
    assert code == 2 and "is a directory" in err
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(256)) * 40)
    code, _, err = run(["parse", str(blob)])
    assert code == 1 and "no purple" in err


def test_usage_error_exits_2():
    code, _, _ = run(["parse", "--format", "yaml", "x"])
    assert code == 2


def test_console_script_runs_as_a_subprocess(screen_file):
    exe = Path(sys.executable).with_name("psod-ocr")
    proc = subprocess.run([str(exe), "parse", "--format", "json", str(screen_file)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["diagnosis"]["faulting_module"] == "lpfc"
