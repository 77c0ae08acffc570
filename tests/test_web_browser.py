"""The web page end to end in a real headless Chromium (Debian's, driven by Playwright).

No browser is ever downloaded: the tests use /usr/bin/chromium, which scripts/setup.sh installs
with apt, and skip only when it is missing. The server is the real one in a subprocess.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import httpx
import pytest
from webserver import IMAGES, Server

from psod_ocr import knowledge
from psod_ocr.simulate import available_fonts, simulate

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PHOTO_TEXT = Path(__file__).resolve().parent.parent / "corpus" / "texts" / "033_esxi67_pf14_i40en.txt"
READ_TIMEOUT_MS = 90_000

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium is missing (scripts/setup.sh installs it with apt)"),
    pytest.mark.skipif(not available_fonts("esxi"),
                       reason="console fonts not installed (console-setup-linux)"),
]  # fmt: skip
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect


def ui(key: str, lang: str) -> str:
    return knowledge.web_text()[key][lang]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-browser")
    s = Server(folder / "history.sqlite3", folder / "server.log", "--workers", "2").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.base + "/")
    expect(page.locator("body[data-ready]")).to_have_count(1)
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """A simulated phone photo of an ESXi 6.7 #PF in i40en (one the reader gets right)."""
    text = PHOTO_TEXT.read_text()
    sim = simulate(text, "phone_photo", seed=7, font="esxi-like", severity="mild", size=(2000, 1500))
    return sim.capture.image_bytes


def stored(server: Server, page) -> dict:
    """The report behind the page's newest card, from the API."""
    href = page.locator(".report .permalink").first.get_attribute("href")
    return httpx.get(server.base + "/api" + href).json()


RECORD_STATES = """() => {
    window.seenStates = [];
    new MutationObserver((changes) => {
        for (const c of changes) {
            if (c.target.matches("article.report")) window.seenStates.push(c.target.dataset.state);
        }
    }).observe(document.getElementById("results"),
               {attributes: true, subtree: true, attributeFilter: ["data-state"]});
}"""


def test_a_chosen_photo_shows_the_verdict_and_headline_over_the_photo(page, server, phone_photo, valid):
    page.evaluate(RECORD_STATES)
    page.fill("#host", "esx-web")
    page.set_input_files("#files", files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg",
                                           "buffer": phone_photo}])  # fmt: skip
    card = page.locator(".report").first
    expect(card).to_have_attribute("data-state", "done", timeout=READ_TIMEOUT_MS)
    expect(card.locator(".verdict-type")).to_have_text("[pf14]")
    report = stored(server, page)
    assert report["source"]["kind"] == "phone_photo" and "Exception 14" in report["screen"]["message"]
    # Verdict first, then the headline the server read, then the rest.
    expect(card.locator(".verdict-title")).to_contain_text(report["diagnosis"]["title"])
    expect(card.locator(".headline")).to_have_text(report["screen"]["message"])
    expect(card.locator(".verdict")).to_have_class(re.compile(rf"\bcause-{report['diagnosis']['likely_cause']}\b"))
    cause = card.locator(".verdict .cause")
    if report["diagnosis"]["faulting_module"]:  # the module the reader found, next to the cause
        expect(cause).to_contain_text(f"({report['diagnosis']['faulting_module']})")
    assert card.locator(".verdict").bounding_box()["y"] < card.locator(".sections").bounding_box()["y"]
    # The screen the reader found, drawn over the photo in the photo's own pixels.
    svg = card.locator("svg.overlay")
    w, h = report["source"]["width"], report["source"]["height"]
    expect(svg).to_have_attribute("viewBox", f"0 0 {w} {h}")
    points = card.locator("polygon.quad").get_attribute("points").split()
    assert [[float(v) for v in p.split(",")] for p in points] == report["ocr"]["screen_quad"]
    expect(card.locator("table.backtrace tbody tr")).to_have_count(len(report["screen"]["frames"]))
    expect(card.locator(".sec-kb a").first).to_have_attribute("href", report["diagnosis"]["kb"][0]["url"])
    expect(card.locator(".host-link")).to_have_attribute("href", "/hosts/esx-web")
    # Characters the reader could not make out are marked, one mark per run of '?'.
    expect(card.locator("mark.unread")).to_have_count(len(re.findall(r"\?+", report["text"])))
    # It said what it was doing on the way.
    states = page.evaluate("() => window.seenStates")
    assert "uploading" in states and "reading" in states and states[-1] == "done", states

    # Copy as Markdown puts the server's rendering on the clipboard; Download JSON saves the report.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base)
    card.locator(".copy-markdown").click()
    expect(card.locator(".copy-markdown")).to_have_text(ui("copied", "en"))
    markdown = httpx.get(f"{server.base}/api{card.locator('.permalink').get_attribute('href')}",
                         params={"format": "md"}).text  # fmt: skip
    assert page.evaluate("() => navigator.clipboard.readText()") == markdown
    with page.expect_download() as download:
        card.locator(".download-json").click()
    assert download.value.suggested_filename == "IMG_0042.json"
    assert valid(json.loads(Path(download.value.path()).read_text("utf-8"))) == report


def drop_files(page, selector: str, files: list[tuple[str, bytes, str]], event: str = "drop") -> None:
    """Fire a drop (or paste) carrying ``files`` as a browser would: a DataTransfer of File objects."""
    payload = [[name, base64.b64encode(data).decode(), mime] for name, data, mime in files]
    page.evaluate(
        """([selector, files, event]) => {
            const dt = new DataTransfer();
            for (const [name, b64, type] of files) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], name, {type}));
            }
            const target = document.querySelector(selector);
            if (event === "paste") {
                const init = {bubbles: true, cancelable: true, clipboardData: dt};
                target.dispatchEvent(new ClipboardEvent("paste", init));
                return;
            }
            for (const type of ["dragenter", "dragover", "drop"]) {
                const init = {bubbles: true, cancelable: true, dataTransfer: dt};
                target.dispatchEvent(new DragEvent(type, init));
            }
        }""",
        [selector, payload, event],
    )


def test_dropped_and_pasted_screenshots_are_read(page, server):
    gp13 = (IMAGES / "kvm-esx40-gp13.png").read_bytes()
    drop_files(page, "#drop", [("kvm-esx40.png", gp13, "image/png")])
    card = page.locator(".report").first
    expect(card).to_have_attribute("data-state", "done", timeout=READ_TIMEOUT_MS)
    expect(card.locator(".verdict-type")).to_have_text("[gp13]")
    expect(card.locator(".headline")).to_contain_text("#GP Exception(13) in world 4141:helper22-2")

    drop_files(page, "body", [("image.png", gp13, "image/png")], event="paste")
    expect(page.locator(".report")).to_have_count(2)
    expect(page.locator(".report").first).to_have_attribute("data-state", "done", timeout=READ_TIMEOUT_MS)
    expect(page.locator(".report").first.locator(".verdict-type")).to_have_text("[gp13]")

    drop_files(page, "#drop", [("notes.png", b"not a picture at all", "image/png")])
    failed = page.locator(".report").first
    expect(failed).to_have_attribute("data-state", "failed", timeout=READ_TIMEOUT_MS)
    expect(failed.locator(".error")).to_contain_text("not an image")


def test_the_japanese_toggle_changes_the_labels(page, server):
    drop_files(page, "#drop", [("kvm.png", (IMAGES / "kvm-esx40-gp13.png").read_bytes(), "image/png")])
    card = page.locator(".report").first
    expect(card).to_have_attribute("data-state", "done", timeout=READ_TIMEOUT_MS)
    expect(page.locator("#drop p").first).to_have_text(ui("drop_hint", "en"))
    expect(card.locator(".verdict-label")).to_have_text(knowledge.ui_text()["verdict"]["en"])

    page.click("[data-lang=ja]")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#drop p").first).to_have_text(ui("drop_hint", "ja"))
    expect(page.locator("label[for=host]")).to_have_text(ui("host", "ja"))
    expect(card.locator(".verdict-label")).to_have_text(knowledge.ui_text()["verdict"]["ja"])
    expect(card.locator(".sec-backtrace h3")).to_have_text(knowledge.ui_text()["backtrace"]["ja"])
    expect(card.locator(".verdict-title")).to_contain_text(knowledge.diagnoses()["gp13"]["title"]["ja"])
    expect(card.locator(".copy-text")).to_have_text(ui("copy_text", "ja"))

    page.click("[data-lang=en]")
    expect(page.locator("#drop p").first).to_have_text(ui("drop_hint", "en"))
    expect(card.locator(".verdict-title")).to_contain_text(knowledge.diagnoses()["gp13"]["title"]["en"])


def test_the_host_page_shows_history_and_analysis(page, server):
    for name in ("kvm-esx40-gp13.png", "kvm-esxi67-i40en.png"):
        files = {"file": (name, (IMAGES / name).read_bytes())}
        r = httpx.post(server.base + "/api/reports", files=files, data={"host": "esx-page"}, timeout=120)
        assert r.status_code == 200, r.text
    page.goto(server.base + "/hosts/esx-page")
    expect(page.locator("body[data-ready]")).to_have_count(1)
    expect(page.locator("table.history tbody tr")).to_have_count(2)
    expect(page.locator("table.evidence tbody tr")).to_have_count(2)
    analysis = httpx.get(server.base + "/api/hosts/esx-page/analysis").json()
    expect(page.locator(".analysis-verdict")).to_have_text(knowledge.analysis().text[analysis["verdict"]]["en"])
    page.click("[data-lang=ja]")
    expect(page.locator(".analysis-verdict")).to_have_text(knowledge.analysis().text[analysis["verdict"]]["ja"])
    expect(page.locator("#host-title")).to_have_text(ui("history_of", "ja").format(host="esx-page"))
