"""The JSON API of ``psod-ocr serve`` over a real uvicorn on loopback, in a subprocess.

Pictures are the small samples in images/; where a test needs pictures the history has not seen
(to make the workers read them), a sample gets random bytes appended after its end, which the
PNG decoder ignores but the sha256 does not.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from webserver import IMAGES, Server, proc_status, workers

from psod_ocr.analyze import VERDICTS

PF14 = (IMAGES / "kvm-esxi67-i40en.png").read_bytes()
GP13 = (IMAGES / "kvm-esx40-gp13.png").read_bytes()
MiB = 1024 * 1024


def unseen(picture: bytes, padding: int = 1024) -> bytes:
    """The same picture as bytes no one has uploaded before."""
    return picture + os.urandom(padding)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-api")
    s = Server(folder / "history.sqlite3", folder / "server.log", "--workers", "2").start()
    yield s
    s.stop()


def post(server: Server, data: bytes, name: str = "shot.png", **form: str) -> httpx.Response:
    files = {"file": (name, data, "application/octet-stream")}
    return httpx.post(server.base + "/api/reports", files=files, data=form, timeout=120)


def error_of(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"], body
    return body["error"]


def test_healthz(server):
    r = httpx.get(server.base + "/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["workers"] == 2
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_upload_answers_the_schema_valid_report_and_its_id(server, valid):
    r = post(server, PF14, "kvm-esxi67.png", host="esx-api")
    assert r.status_code == 200, r.text
    obj = valid(r.json())  # the body is the report itself, nothing added
    assert obj["diagnosis"]["type"] == "pf14" and obj["source"]["path"] == "kvm-esxi67.png"
    assert obj["source"]["sha256"] == hashlib.sha256(PF14).hexdigest()
    report_id = int(r.headers["x-report-id"])
    assert r.headers["location"] == f"/api/reports/{report_id}"

    got = httpx.get(f"{server.base}/api/reports/{report_id}")
    assert got.status_code == 200 and valid(got.json()) == obj
    ja = httpx.get(f"{server.base}/api/reports/{report_id}", params={"lang": "ja"}).json()
    assert ja["diagnosis"]["type"] == "pf14" and ja["diagnosis"]["title"] != obj["diagnosis"]["title"]
    text = httpx.get(f"{server.base}/api/reports/{report_id}", params={"format": "text"}).text
    assert text.startswith("Verdict: ") and "[pf14]" in text
    md = httpx.get(f"{server.base}/api/reports/{report_id}", params={"format": "md", "lang": "ja"}).text
    assert md.startswith("## ") and "判定" in md

    again = post(server, PF14, "same-picture.png")  # known: taken from the history, same id
    assert again.status_code == 200 and int(again.headers["x-report-id"]) == report_id
    assert again.json()["source"]["path"] == "same-picture.png"


def test_render_gives_the_page_its_text_and_markdown(server, valid):
    obj = post(server, PF14).json()
    r = httpx.post(server.base + "/api/render", params={"lang": "ja"}, json=obj)
    assert r.status_code == 200
    views = r.json()
    assert valid(views["report"])["diagnosis"]["type"] == "pf14"
    assert views["text"].startswith("判定: ") and views["markdown"].startswith("## ")
    bad = httpx.post(server.base + "/api/render", json={"not": "a report"})
    assert bad.status_code == 422 and "not a valid report" in error_of(bad)


def test_a_corrupt_upload_gets_a_clear_4xx_and_the_next_upload_works(server):
    r = post(server, GP13[: len(GP13) // 3], "cut.png")
    assert r.status_code == 422
    assert "cut.png: corrupt or truncated image" in error_of(r)
    r = post(server, GP13, "whole.png")
    assert r.status_code == 200 and r.json()["diagnosis"]["type"] == "gp13"


def test_content_decides_not_the_file_name(server):
    r = post(server, b"VMware ESXi 7.0.3 [Releasebuild-19193900 x86_64]\n", "photo.jpg")
    assert r.status_code == 422 and "not an image: text" in error_of(r)
    r = post(server, PF14, "screenshot.txt")  # a PNG by any other name
    assert r.status_code == 200 and r.json()["diagnosis"]["type"] == "pf14"


def test_a_picture_without_a_purple_screen_is_a_report_but_not_stored(server, valid, tmp_path):
    ramp = np.tile(np.linspace(40, 220, 320, dtype=np.uint8), (240, 1))
    Image.fromarray(np.dstack([ramp] * 3)).save(tmp_path / "grey.png")
    r = post(server, (tmp_path / "grey.png").read_bytes(), "grey.png", host="esx-api")
    assert r.status_code == 200
    assert valid(r.json())["diagnosis"]["type"] == "not_a_psod"
    assert "x-report-id" not in r.headers


def test_the_client_file_name_is_only_a_label(server):
    for name in ("../../etc/passwd.png", "..\\..\\windows\\passwd.png", "/etc/passwd.png"):
        r = post(server, PF14, name)
        assert r.status_code == 200 and r.json()["source"]["path"] == "passwd.png"
    assert not Path("/etc/passwd.png").exists()


def test_bad_requests_get_json_errors(server):
    no_file = httpx.post(server.base + "/api/reports", data={"host": "x"})
    assert no_file.status_code == 400 and "'file'" in error_of(no_file)
    assert post(server, PF14, lang="fr").status_code == 400
    assert "host" in error_of(post(server, PF14, host="esx\n01"))
    missing = httpx.get(server.base + "/api/reports/999999")
    assert missing.status_code == 404 and "999999" in error_of(missing)
    assert httpx.get(server.base + "/api/reports/abc").status_code == 422
    assert httpx.get(server.base + "/api/reports/1", params={"format": "pdf"}).status_code in (400, 404)
    two_files = [("file", ("a.png", PF14)), ("file", ("b.png", GP13))]
    two = httpx.post(server.base + "/api/reports", files=two_files)
    assert two.status_code == 400 and error_of(two)


def test_the_upload_limit_is_enforced_before_and_while_reading(server):
    rss_before = proc_status(server.pid, "VmRSS")
    # Announced too large: refused from the headers, before a byte of the body is read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /api/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: multipart/form-data; boundary=b\r\n"
                  b"Content-Length: 1000000000\r\n\r\n")  # fmt: skip
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert b"upload limit" in answer

    # Not announced (chunked): cut off at the limit while streaming.
    def body():
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\r\n"
        for _ in range(80):
            yield b"\0" * MiB

    try:
        r = httpx.post(server.base + "/api/reports", content=body(), timeout=60,
                       headers={"Content-Type": "multipart/form-data; boundary=b"})  # fmt: skip
        assert r.status_code == 413 and "upload limit" in error_of(r)
    except httpx.TransportError:
        pass  # the server may close the connection before the client has finished sending
    assert httpx.get(server.base + "/healthz").status_code == 200
    assert proc_status(server.pid, "VmRSS") - rss_before < 48 * 1024  # KiB: the 80 MiB were not kept


def test_host_analysis(server):
    with ThreadPoolExecutor(2) as threads:  # pictures of their own: the first host label stays
        uploads = [(unseen(PF14), "one.png"), (unseen(GP13), "two.png")]
        for r in threads.map(lambda u: post(server, *u, host="esx-analysis"), uploads):
            assert r.status_code == 200
    r = httpx.get(server.base + "/api/hosts/esx-analysis/analysis", params={"lang": "ja"})
    assert r.status_code == 200
    body = r.json()
    assert body["host"] == "esx-analysis" and body["verdict"] in VERDICTS
    assert len(body["evidence"]) == 2 and {h["type"] for h in body["history"]} == {"pf14", "gp13"}
    assert all(reason["text_ja"] for reason in body["reasons"])
    assert body["text"].startswith("パターン分析") and body["markdown"].startswith("## ")
    hosts = httpx.get(server.base + "/api/hosts").json()
    assert {"host": "esx-analysis", "reports": 2} in hosts
    unknown = httpx.get(server.base + "/api/hosts/nobody/analysis")
    assert unknown.status_code == 404 and "nobody" in error_of(unknown)


def test_a_burst_of_uploads_is_queued_with_the_memory_bounded(server):
    # 20 uploads of 8 MiB at once: 4 pictures never seen before, each sent 5 times under other names.
    pictures = [unseen(PF14 if i % 2 else GP13, 8 * MiB) for i in range(4)]
    uploads = [(pictures[i % 4], f"burst-{i}.png") for i in range(20)]
    rss_before = proc_status(server.pid, "VmRSS")
    peak_server, peak_workers, stop = [0], [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak_server[0] = max(peak_server[0], proc_status(server.pid, "VmRSS"))
            peak_workers[0] = max(peak_workers[0], sum(proc_status(w, "VmRSS") for w in workers(server.pid)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(20) as threads:
            responses = list(threads.map(lambda u: post(server, u[0], u[1], host="esx-burst"), uploads))
    finally:
        stop.set()
        sampler.join()
    took = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 20, [r.text[:200] for r in responses]
    ids = [int(r.headers["x-report-id"]) for r in responses]
    assert len(set(ids)) == 4  # each picture read and stored once
    assert [r.json()["source"]["path"] for r in responses] == [name for _, name in uploads]
    hwm = proc_status(server.pid, "VmHWM")
    print(f"\nburst: 20 x 8 MiB in {took:.1f} s; server RSS {rss_before // 1024} MiB before, peak "
          f"{peak_server[0] // 1024} MiB (VmHWM {hwm // 1024} MiB); workers' RSS peak "
          f"{peak_workers[0] // 1024} MiB in all")  # fmt: skip
    # 160 MiB went through the server: it spools uploads to disk, so its memory hardly moves.
    assert hwm < 300 * 1024, hwm
    assert peak_workers[0] < 2 * 1024 * 1024, peak_workers[0]


def test_a_worker_crash_does_not_take_the_server_down(server):
    before = set(workers(server.pid))
    assert before
    result: list[httpx.Response] = []
    upload = threading.Thread(target=lambda: result.append(post(server, unseen(PF14), "victim.png")))
    upload.start()
    deadline = time.monotonic() + 10
    while httpx.get(server.base + "/healthz").json()["in_progress"] < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # the worker is reading it now
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    upload.join(60)
    assert result and result[0].status_code in (200, 500), result[0].text
    if result[0].status_code == 500:
        assert "crashed" in error_of(result[0])
    after = post(server, unseen(GP13), "after.png")
    assert after.status_code == 200 and after.json()["diagnosis"]["type"] == "gp13"
    assert server.proc.poll() is None
    assert set(workers(server.pid)).isdisjoint(before)  # a new pool took over


def alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's reaper may be slow, or absent in a container)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_workers_end_when_the_server_is_killed_outright(tmp_path):
    server = Server(tmp_path / "h.sqlite3", tmp_path / "serve.log", "--workers", "2").start()
    deadline = time.monotonic() + 60
    while len(pool := workers(server.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pool) == 2, server.log()
    server.proc.kill()  # kill -9: the server can stop nothing itself
    server.proc.wait()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pool) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in pool if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers left running after the server was killed"


def test_history_survives_a_restart_and_a_full_queue_answers_503(server, tmp_path):
    report_id = int(post(server, PF14, host="esx-api").headers["x-report-id"])
    assert server.stop() == 0  # Ctrl-C stops it cleanly
    again = Server(server.db, tmp_path / "again.log", "--workers", "1", "--queue", "0").start()
    try:
        got = httpx.get(f"{again.base}/api/reports/{report_id}")
        assert got.status_code == 200 and got.json()["diagnosis"]["type"] == "pf14"
        history = httpx.get(f"{again.base}/api/hosts/esx-analysis/analysis").json()["history"]
        assert len(history) == 2

        # One worker, no queue: while one picture is being read, another upload is refused.
        slow: list[httpx.Response] = []
        first = threading.Thread(target=lambda: slow.append(post(again, unseen(GP13), "first.png")))
        first.start()
        deadline = time.monotonic() + 10
        while httpx.get(again.base + "/healthz").json()["in_progress"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = post(again, unseen(PF14), "second.png")
        first.join(60)
        assert refused.status_code == 503 and "busy" in error_of(refused)
        assert refused.headers["retry-after"]
        assert slow and slow[0].status_code == 200
    finally:
        assert again.stop() == 0
