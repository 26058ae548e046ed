"""End to end: the monitors at the end of a real `scrapy crawl cpc` over the recorded site (and
variants of it built in a temporary folder), their verdicts in the archive, `health`, the
alarm email (to an aiosmtpd sink) and webhook (to an HTTP receiver), both on loopback.

Each crawl is a fresh archive, so the monitors judge it without history (absolute limits).
"""

from __future__ import annotations

import dataclasses
import email
import json
import re
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from crawler.archive.checks import run_checks
from crawler.archive.db import open_archive
from crawler.cli import main
from crawler.cli.demo import ROOT, crawl_command, crawl_env
from crawler.pages import selectors as S
from crawler.pages.article import parse_article
from crawler.replay import ReplayServer
from tests import test_extract_fixtures as fixture_tests
from tests.site_paths import SITE, manifest
from tests.site_variants import redesigned_channel, unlinked_list_page

pytestmark = pytest.mark.e2e

CPC = "http://cpc.people.com.cn"
FAST = ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "LOG_LEVEL=INFO"]
COVERAGE, FALLBACK = "Field coverage per template", "Fallback and unknown share"
LISTINGS = "List pages with article links"
UNLINKED = f"{CPC}/GB/117005/index.html"
REDESIGNED_ARTICLE = f"{CPC}/n1/2024/0820/c64387-40296001.html"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """aiosmtpd handler keeping every message it is handed."""

    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((self.path, self.headers["Content-Type"], body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receivers():
    sink = SmtpSink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    http.posts = []
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    notify = [
        "-s", "SPIDERMON_EMAIL_TO=ops@example.org",
        "-s", "SPIDERMON_SMTP_HOST=127.0.0.1",
        "-s", f"SPIDERMON_SMTP_PORT={smtp.port}",
        "-s", f"ARCHIVE_MONITOR_WEBHOOK_URL=http://127.0.0.1:{http.server_port}/alarm",
    ]  # fmt: skip
    yield sink, http, notify
    http.shutdown()
    http.server_close()
    smtp.stop()


def crawl(db: Path, site: Path, *extra: str) -> str:
    with ReplayServer(site) as server:
        env = crawl_env(server.url)
        # The crawl reaches the site through the replay proxy; the webhook on loopback must not.
        env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
        proc = subprocess.run(
            [*crawl_command(db, FAST), *extra],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def checks(db: Path) -> dict[str, tuple[bool, str]]:
    archive = open_archive(db)
    try:
        return {c.monitor: (c.passed, c.message) for c in run_checks(archive, 1)}
    finally:
        archive.close()


@pytest.fixture(scope="module")
def healthy(tmp_path_factory, receivers):
    sink, http, notify = receivers
    db = tmp_path_factory.mktemp("healthy") / "archive.db"
    log = crawl(db, SITE, *notify)
    return db, log, len(sink.messages), len(http.posts)


@pytest.fixture(scope="module")
def redesigned(tmp_path_factory, receivers, healthy):
    sink, http, notify = receivers
    before = len(sink.messages), len(http.posts)
    tmp = tmp_path_factory.mktemp("redesign")
    site = redesigned_channel(tmp / "site", "64387")
    db = tmp / "archive.db"
    crawl(db, site, *notify)
    return db, sink.messages[before[0] :], http.posts[before[1] :]


def test_healthy_crawl_passes_every_monitor(healthy):
    db, log, _, _ = healthy
    verdicts = checks(db)
    assert len(verdicts) == 7
    assert {m for m, (ok, _) in verdicts.items() if not ok} == set()
    assert "[Spidermon] 7 monitors in" in log


def test_healthy_crawl_sends_no_alarm(healthy):
    _, _, mails, posts = healthy
    assert (mails, posts) == (0, 0)


def test_health_exits_zero_after_a_healthy_crawl(healthy):
    result = CliRunner().invoke(main, ["health", "--db", str(healthy[0])])
    assert result.exit_code == 0, result.output
    assert "FAILED" not in result.output


def test_redesign_fails_coverage_naming_template_and_fields(redesigned):
    passed, message = checks(redesigned[0])[COVERAGE]
    assert not passed
    assert re.search(r"template fallback \(\d+ articles\)", message), message
    assert "published_time" in message and "source_url" in message


def test_redesign_fails_fallback_share_naming_the_channel(redesigned):
    passed, message = checks(redesigned[0])[FALLBACK]
    assert not passed
    assert "channel 64387: 16" in message


def test_redesign_fails_only_the_monitors_it_concerns(redesigned):
    failed = {m for m, (ok, _) in checks(redesigned[0]).items() if not ok}
    assert failed == {COVERAGE, FALLBACK}


def test_a_crawl_whose_monitors_fail_still_archives_what_it_fetched(redesigned, healthy):
    def counts(db):
        archive = open_archive(db)
        try:
            return archive.execute(
                "SELECT finish_reason, new, (SELECT count(*) FROM articles) FROM runs"
            ).fetchall()
        finally:
            archive.close()

    assert counts(redesigned[0]) == counts(healthy[0])


def test_health_exits_non_zero_naming_the_failed_monitors(redesigned):
    result = CliRunner().invoke(main, ["health", "--db", str(redesigned[0])])
    assert result.exit_code == 1
    assert f"FAILED {COVERAGE}" in result.output
    assert f"FAILED {FALLBACK}" in result.output


def test_runs_shows_the_failed_monitors_and_why(redesigned):
    result = CliRunner().invoke(main, ["runs", "--db", str(redesigned[0]), "--json"])
    (run,) = json.loads(result.output)
    failed = {c["monitor"]: c["message"] for c in run["checks"] if not c["passed"]}
    assert set(failed) == {COVERAGE, FALLBACK}
    table = CliRunner().invoke(main, ["runs", "--db", str(redesigned[0])])
    assert f"run 1: {COVERAGE} failed: field coverage dropped" in table.output


def test_redesign_sends_one_email_naming_the_failures(redesigned):
    _, mails, _ = redesigned
    assert len(mails) == 1
    message = email.message_from_bytes(mails[0])
    assert message["To"] == "ops@example.org"
    assert message["Subject"] == "cpc-archive: 2 monitor(s) failed on cpc run 1"
    (text,) = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    body = text.get_payload(decode=True).decode("utf-8")
    assert f"- {COVERAGE}: field coverage dropped: template fallback" in body
    assert f"- {FALLBACK}: pages fell to the fallback template" in body


def test_redesign_posts_one_webhook_naming_the_failures(redesigned):
    _, _, posts = redesigned
    assert len(posts) == 1
    path, content_type, body = posts[0]
    assert (path, content_type) == ("/alarm", "application/json; charset=utf-8")
    payload = json.loads(body)
    assert (payload["spider"], payload["run_id"]) == ("cpc", 1)
    assert [f["monitor"] for f in payload["failed"]] == [COVERAGE, FALLBACK]
    assert len(payload["passed"]) == 5


def test_a_list_page_that_stops_linking_articles_fails_its_monitor(tmp_path):
    site = unlinked_list_page(tmp_path / "site", UNLINKED)
    db = tmp_path / "archive.db"
    crawl(db, site)
    verdicts = checks(db)
    assert verdicts[LISTINGS] == (False, f"list pages with no article link: {UNLINKED}")
    assert [m for m, (ok, _) in verdicts.items() if not ok] == [LISTINGS]


# --- from alarm to fix ------------------------------------------------------------------------

# What the redesign renamed (tests/site_variants.REDESIGN), as CSS classes.
RENAMED = {
    "text_c": "art-main",
    "show_text": "art-body",
    "sou": "art-meta",
    "edit": "art-credit",
    "pre": "art-kicker",
    "sub": "art-deck",
}


def fixed_cpc_template() -> S.Template:
    """The selector fix a person would make: the cpc template reading the renamed classes."""

    def rename(sel: str) -> str:
        return re.sub(r"\.([\w-]+)\b(?![\w-])", lambda m: "." + RENAMED.get(m[1], m[1]), sel)

    changes = {
        f.name: tuple(rename(s) for s in getattr(S.CPC, f.name))
        for f in dataclasses.fields(S.Template)
        if f.name != "name"
    }
    return dataclasses.replace(S.CPC, **changes)


def field_failures(case: Path) -> list[str]:
    """The fields of `case` the project's fixture test (test_extract_fixtures) fails on."""
    fixture_tests._RESULTS.pop(case, None)
    failing = []
    for name in json.loads((case / "expected.json").read_text("utf-8"))["record"]:
        try:
            fixture_tests.test_field(case, name)
        except AssertionError:
            failing.append(name)
    return failing


def test_fixture_of_a_redesigned_page_fails_until_the_selector_is_fixed(
    redesigned, tmp_path, monkeypatch
):
    db = redesigned[0]
    args = ["fixture", REDESIGNED_ARTICLE, "--name", "redesign", "--dir", str(tmp_path)]
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    case = tmp_path / "redesign"
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    assert meta["url"] == REDESIGNED_ARTICLE and meta["origin"] == "real"
    # As written, expected.json is today's (fallback) parse: the fixture passes as it stands.
    expected = json.loads((case / "expected.json").read_text("utf-8"))
    assert expected["record"]["template"] == "fallback"
    assert field_failures(case) == []
    # A person corrects it to what the page says (what the cpc template read before the
    # redesign), and the fixture test fails…
    entry = manifest()["pages"][REDESIGNED_ARTICLE]
    before = parse_article(
        (SITE / entry["file"]).read_bytes(), REDESIGNED_ARTICLE, entry["headers"]
    )
    correct = {k: v for k, v in before.to_dict().items() if k in expected["record"]}
    (case / "expected.json").write_text(json.dumps({"record": correct}, ensure_ascii=False))
    assert {"template", "published_at", "source", "source_url"} <= set(field_failures(case))
    # …until the cpc template's selectors read the new classes.
    order = tuple(fixed_cpc_template() if t is S.CPC else t for t in S.TEMPLATE_ORDER)
    monkeypatch.setattr(S, "TEMPLATE_ORDER", order)
    assert field_failures(case) == []


def test_fixture_keeps_the_archived_bytes_exactly(redesigned, tmp_path):
    db = redesigned[0]
    CliRunner().invoke(
        main, ["fixture", "people:40293310", "--name", "m", "--dir", str(tmp_path), "--db", str(db)]
    )
    case = tmp_path / "m"
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    assert sorted(meta["pages"]) == ["page-2.bin", "page-3.bin"]
    for name, url in [("page.bin", meta["url"]), *meta["pages"].items()]:
        served = redesigned[0].parent / "site" / manifest()["pages"][url]["file"]
        assert (case / name).read_bytes() == served.read_bytes()


def test_fixture_refuses_to_overwrite(redesigned, tmp_path):
    args = ["fixture", "people:40296001", "--name", "x", "--dir", str(tmp_path)]
    args += ["--db", str(redesigned[0])]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1 and "--force" in again.output
