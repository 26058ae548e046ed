"""The reading room in a real headless Chromium (Debian's, driven by Playwright) against
`cpc-archive browse` on a free loopback port: search 改革, open an article, open its snapshot,
and check that the snapshot page asks nothing of any host but loopback.

Screenshots go to tests/artifacts/screenshots/ (not committed);
`ARCHIVE_TEST_SCREENSHOT_DIR=docs/screenshots` makes a run refresh the ones docs/reading-room.md and
the README show.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fixture_archive import ADDED, SEED_KEY

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(
    os.environ.get("ARCHIVE_TEST_SCREENSHOT_DIR")
    or Path(__file__).parents[1] / "tests" / "artifacts" / "screenshots"
)
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}

playwright = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(archive):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "browse", "--db", str(archive), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"browse did not start: {proc.stdout.read().decode()}")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


class Recorded:
    """Every request a page makes (all frames), and its console messages. A request to any
    host but loopback is recorded and refused before it leaves the browser."""

    def __init__(self, context):
        self.requests: list[str] = []
        self.console: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            route.abort()

    def watch(self, page):
        page.on("console", lambda message: self.console.append(message.text))
        return page


@pytest.fixture
def recorded(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    recorded = Recorded(context)
    recorded.page = recorded.watch(context.new_page())
    yield recorded
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def search(page, server: str, query: str) -> None:
    page.goto(server + "/")
    page.fill('input[name="q"]', query)
    page.press('input[name="q"]', "Enter")
    page.wait_for_selector(".room-hit")


def test_search_finds_a_two_character_word(server, recorded):
    page = recorded.page
    search(page, server, "改革")
    assert page.inner_text("p.total").startswith("2 articles match")
    assert page.locator(".room-hit").count() == 2
    assert page.locator(".room-hit .snippet mark").first.inner_text() == "改革"
    shot(page, "search.png")


def test_a_hit_opens_the_article(server, recorded):
    page = recorded.page
    search(page, server, "妇联")
    page.click(".room-hit h3 a")
    page.wait_for_selector(".room-article h1")
    assert parse_qs(urlsplit(page.url).query)["key"] == [SEED_KEY]
    assert page.inner_text(".room-article .source") == "中国妇女报"
    shot(page, "article.png")


def test_the_article_shows_the_diff_of_two_versions(server, recorded):
    page = recorded.page
    page.goto(f"{server}/-/article?key={SEED_KEY}")
    page.select_option('select[name="old"]', "1")
    page.select_option('select[name="new"]', "2")
    page.click(".diff-form button")
    page.wait_for_selector(".diff")
    assert page.inner_text(".diff p.ins").endswith(ADDED)
    page.locator(".diff").evaluate("diff => diff.scrollIntoView()")  # its heading at the top
    page.screenshot(path=str(SCREENSHOTS / "diff.png"))


def open_snapshot(page, server: str):
    page.goto(f"{server}/-/article?key={SEED_KEY}")
    page.click("table.snapshots a >> nth=-1")  # the first fetch: the page as first published
    page.wait_for_selector("iframe.snapshot")
    frame = page.frame_locator("iframe.snapshot")
    frame.locator("body").wait_for()
    page.wait_for_load_state("load")
    return frame


def test_the_snapshot_renders_the_archived_page(server, recorded):
    page = recorded.page
    frame = open_snapshot(page, server)
    # decoded with its charset (GB2312 bytes): the Chinese title reads as Chinese
    assert "凝心聚力抓落实" in frame.locator("body").inner_text()
    assert page.locator("a.download").get_attribute("href").endswith("/raw")
    shot(page, "snapshot.png")


def test_the_snapshot_page_makes_no_request_off_loopback(server, recorded):
    open_snapshot(recorded.page, server)
    page_requests = [u for u in recorded.requests if "/-/snapshot/" in u]
    assert any(u.endswith("/page") for u in page_requests)  # the frame was loaded
    off = [u for u in recorded.requests if urlsplit(u).hostname not in LOOPBACK]
    assert off == []
    # the archived page does link the live site's images and styles: the policy refused them
    refused = [m for m in recorded.console if "Content Security Policy" in m]
    assert any("people.com.cn" in m for m in refused)


def test_the_snapshot_runs_no_script(server, recorded):
    open_snapshot(recorded.page, server)
    blocked = [m for m in recorded.console if "Blocked script execution" in m]
    assert blocked  # the page's own scripts were there, and the sandbox stopped them


def test_runs_and_failures_pages(server, recorded):
    page = recorded.page
    page.goto(server + "/-/runs")
    assert "ran to the end" in page.inner_text(".run >> nth=0")
    shot(page, "runs.png")
    page.goto(server + "/-/failures")
    assert "not-found page" in page.inner_text(".failure")
    shot(page, "failures.png")


def test_the_tables_stay_available(server, recorded):
    page = recorded.page
    page.goto(server + "/archive/articles")
    assert page.locator("table.rows-and-columns tbody tr").count() == 7


def test_the_server_refuses_a_foreign_host_header(server):
    host, port = urlsplit(server).hostname, urlsplit(server).port
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/", headers={"Host": "rebound.example"})
    assert conn.getresponse().status == 421
    conn.close()
