"""Hostile clients against a real ``psod-ocr serve`` on loopback: pages of other sites, Host names
of other machines (DNS rebinding), bodies that never finish (slowloris), ids out of SQLite's range.

Every request goes to 127.0.0.1; a foreign site is only an ``Origin`` or ``Host`` header.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time

import httpx
import pytest
from webserver import IMAGES, ROOT, Server, child_env

GP13 = (IMAGES / "kvm-esx40-gp13.png").read_bytes()
READ_TIMEOUT_S = 2  # the server's --read-timeout here: short, so stalled bodies are dropped quickly
STALLED = 40  # more than --workers + --queue: each would have held an upload slot
PROXY_NAME = "psod.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-hostile")
    s = Server(folder / "history.sqlite3", folder / "server.log", "--workers", "1", "--queue", "2",
               "--read-timeout", str(READ_TIMEOUT_S), "--allow-host", PROXY_NAME).start()  # fmt: skip
    yield s
    s.stop()


def post(server: Server, data: bytes, headers: dict[str, str] | None = None, **form: str) -> httpx.Response:
    files = {"file": ("shot.png", data, "application/octet-stream")}
    return httpx.post(server.base + "/api/reports", files=files, data=form, headers=headers, timeout=60)


def error_of(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"] and "\n" not in body["error"], body
    return body["error"]


def stored_hosts(server: Server) -> set[str]:
    return {h["host"] for h in httpx.get(server.base + "/api/hosts").json()}


def test_a_page_of_another_site_cannot_upload_or_post(server):
    own = f"http://127.0.0.1:{server.port}"
    foreign = [{"Origin": "http://evil.example"}, {"Origin": f"http://localhost:{server.port}"},
               {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
               {"Origin": own, "Sec-Fetch-Site": "cross-site"}]  # fmt: skip
    for headers in foreign:
        r = post(server, GP13, headers, host="esx-csrf")
        assert r.status_code == 403, (headers, r.text)
        assert "another site" in error_of(r)
        render = httpx.post(server.base + "/api/render", json={}, headers=headers)
        assert render.status_code == 403 and error_of(render)
    assert "esx-csrf" not in stored_hosts(server)
    # The page itself, a typed-in URL and clients that are no browser (curl) may write.
    for headers in ({"Origin": own, "Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}):
        r = post(server, GP13, headers, host="esx-own")
        assert r.status_code == 200 and r.json()["diagnosis"]["type"] == "gp13", (headers, r.text)
    # Reading is not a write: another site's page may link here (and CORS keeps the answer from it).
    assert httpx.get(server.base + "/api/hosts", headers={"Origin": "http://evil.example"}).status_code == 200


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:80", "127.0.0.1.attacker.example",
                                  "localhost.attacker.example", "127.0.0.1:99999", "evil@127.0.0.1",
                                  "[::1", "10.0.0.1", "a b"])  # fmt: skip
def test_a_request_for_another_host_name_is_refused(server, host):
    for path in ("/", "/healthz", "/api/hosts", "/static/app.js"):
        r = httpx.get(server.base + path, headers={"Host": host})
        assert r.status_code == 400, (host, path, r.text)
        assert "host" in error_of(r)
    r = post(server, GP13, {"Host": host}, host="esx-rebind")
    assert r.status_code == 400 and "esx-rebind" not in stored_hosts(server)


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost.:{port}", "127.0.0.2",
                                  "[::1]:{port}", PROXY_NAME, "PSOD.example:443"])  # fmt: skip
def test_loopback_names_and_allowed_hosts_are_served(server, host):
    r = httpx.get(server.base + "/healthz", headers={"Host": host.format(port=server.port)})
    assert r.status_code == 200, (host, r.text)


def stall(port: int) -> socket.socket:
    """A connection that sends headers for a 1 MB upload and the first bytes of it, then nothing."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"POST /api/reports HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
              "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n"
              '--b\r\nContent-Disposition: form-data; name="file"; filename="slow.png"\r\n\r\n'
              "\x89PNG".encode("latin-1"))  # fmt: skip
    return s


def answer(s: socket.socket, deadline: float) -> tuple[bytes, bool]:
    """What the server says on ``s`` until it closes the connection or the deadline passes."""
    got = b""
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            chunk = s.recv(4096)
        except (TimeoutError, ConnectionResetError):
            return got, False
        if not chunk:
            return got, True
        got += chunk
    return got, False


def test_stalled_uploads_hold_no_slot_and_are_cut_off(server):
    sockets = [stall(server.port) for _ in range(STALLED)]
    try:
        time.sleep(0.3)  # every one of them is in the server, waiting for the rest of its body
        r = post(server, GP13 + b"stalled", host="esx-slow")  # a picture of its own: a worker reads it
        assert r.status_code == 200 and r.json()["diagnosis"]["type"] == "gp13", r.text
        health = httpx.get(server.base + "/healthz").json()
        assert health["in_progress"] == 0, health  # a body still coming holds no upload slot
        deadline = time.monotonic() + READ_TIMEOUT_S + 5
        answers = [answer(s, deadline) for s in sockets]
    finally:
        for s in sockets:
            s.close()
    for got, closed in answers:
        assert closed and got.startswith(b"HTTP/1.1 408"), got
        assert b'{"error":' in got and b"timeout" in got
    assert httpx.get(server.base + "/healthz").status_code == 200


def test_a_trickled_body_is_cut_off_at_the_deadline(server):
    # A byte every 0.3 s never stalls for --read-timeout, but falls behind the minimum rate.
    s = stall(server.port)
    started = time.monotonic()
    try:
        got, closed = b"", False
        while not closed and time.monotonic() - started < READ_TIMEOUT_S + 5:
            with contextlib.suppress(OSError):  # the server may have closed it already
                s.sendall(b"\0")
            got, closed = answer(s, time.monotonic() + 0.3)
    finally:
        s.close()
    assert closed and got.startswith(b"HTTP/1.1 408"), got
    assert time.monotonic() - started < READ_TIMEOUT_S + 3


@pytest.mark.parametrize("report_id", ["9223372036854775808", "9223372036854775807", "0", "-1",
                                       "-9223372036854775809", "1" + "0" * 40])  # fmt: skip
def test_report_ids_out_of_range_are_not_found(server, report_id):
    for params in ({}, {"format": "text"}, {"format": "md", "lang": "ja"}):
        r = httpx.get(f"{server.base}/api/reports/{report_id}", params=params)
        assert r.status_code == 404, (report_id, r.text)
        assert "no report" in error_of(r)
    assert httpx.get(f"{server.base}/reports/{report_id}").status_code == 200  # the page says so itself
    assert "Traceback" not in server.log()


def test_a_report_id_that_is_no_number_is_a_json_422(server):
    for report_id in ("abc", "1e3", "1.5", "0x10"):
        r = httpx.get(f"{server.base}/api/reports/{report_id}")
        assert r.status_code == 422 and "report_id" in error_of(r)
    assert "Traceback" not in server.log()


def test_an_allowed_host_that_is_no_name_is_a_usage_error(tmp_path):
    argv = [sys.executable, "-m", "psod_ocr", "serve", "--db", str(tmp_path / "h.sqlite3"), "--port", "0",
            "--allow-host", "proxy.lan", "--allow-host", "evil@proxy.lan"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "--allow-host" in done.stderr and "evil@proxy.lan" in done.stderr
