"""End to end: the real `scrapy crawl cpc` against the replay proxy serving crawler/demo_site.

Each crawl is a subprocess with http_proxy pointing at a ReplayServer on a free loopback port;
politeness is relaxed for loopback (no delay, no AutoThrottle) but robots.txt is obeyed. The
archive is then checked: the right articles with the right fields, the multi-page article
merged, every fault ending as a correct article or a `failures` row with its reason, and
never a wrong article.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from crawler.archive import lockfile
from crawler.archive.current import article_record
from crawler.archive.db import open_archive
from crawler.cli.demo import ROOT
from crawler.components import spool
from crawler.items import CrawledPage
from crawler.pages.article import parse_article
from crawler.records import Fetch, NotArticle
from crawler.replay import ReplayServer
from crawler.urls import is_article_url
from tests.crawl_helpers import crawl, peek, query, wait_for
from tests.site_paths import SITE, manifest

pytestmark = pytest.mark.e2e

FIXTURES = ROOT / "tests" / "fixtures"
CPC = "http://cpc.people.com.cn"

MULTIPAGE = f"{CPC}/n1/2024/0806/c64387-40293310.html"
FAULTS = {
    # url -> ("article",), ("failure", kind, text the reason contains), or ("flagged", the
    # missing page): an article stored with the pages that came in, flagged incomplete
    f"{CPC}/n1/2024/0730/c64387-40295001.html": ("failure", "http_500", "500"),
    f"{CPC}/n1/2024/0730/c64387-40295002.html": ("article",),  # 503 + Retry-After, then 200
    f"{CPC}/n1/2024/0730/c64387-40295003.html": ("article",),  # 429 + Retry-After, then 200
    f"{CPC}/n1/2024/0730/c64387-40295004.html": ("failure", "fetch_error", "took longer"),
    f"{CPC}/n1/2024/0730/c64387-40295005.html": ("failure", "fetch_error", "DataLoss"),
    f"{CPC}/n1/2024/0730/c64387-40295006.html": ("failure", "empty", "empty body"),
    f"{CPC}/n1/2024/0730/c64387-40295007.html": ("article",),  # ISO-8859-1 header, GBK bytes
    f"{CPC}/n1/2024/0730/c64387-40295008.html": ("article",),  # 10 MB
    f"{CPC}/n1/2024/0730/c64387-40295010.html": ("failure", "redirect_home", "home page"),
    # A redirect off the site: not followed, the 302 itself recorded.
    f"{CPC}/n1/2024/0730/c64387-40295011.html": ("failure", "http_302", "302"),
    f"{CPC}/n1/2024/0729/c64387-40295099.html": ("failure", "not_found", "页面没有找到"),
    f"{CPC}/n1/2024/0731/c64094-40289917.html": ("failure", "not_found", "页面没有找到"),
    f"{CPC}/n1/2023/1108/c64387-40113520.html": ("failure", "not_found", "出错啦"),
    f"{CPC}/n1/2024/0729/c64387-40295098.html": ("failure", "http_404", "404"),
    "http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html": ("article",),  # GBK header
    # Continuation pages the recording does not hold (404): the article of the pages that
    # came in, flagged with the missing one (once a failure, unsearchable: a deliberate change).
    f"{CPC}/n1/2024/0805/c164113-40292178.html": ("flagged", "-2.html"),
    "http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html": ("flagged", "-2.html"),
}
MALFORMED = f"{CPC}/n1/2024/0730/c64387-40295009.html"


def clean_record(url: str):
    """What the recorded page says when served without its fault."""
    entry = manifest()["pages"][url]
    return parse_article((SITE / entry["file"]).read_bytes(), url, entry["headers"])


def fixture_expectations() -> dict[str, dict]:
    out = {}
    for case in FIXTURES.iterdir():
        expected = case / "expected.json"
        if not expected.exists():
            continue
        record = json.loads(expected.read_text("utf-8")).get("record")
        if record:
            out[json.loads((case / "meta.json").read_text("utf-8"))["url"]] = record
    return out


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory):
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    with ReplayServer(SITE) as server:
        code, out = crawl(db, server)
        first_log = out
        first_hits = list(server.hits)
        del server.hits[:]
        code2, out2 = crawl(db, server)
        second_hits = list(server.hits)
    assert code == 0, out
    assert code2 == 0, out2
    return db, first_hits, second_hits, first_log


def articles(db: Path) -> dict[str, tuple[str, str]]:
    """url -> (key, title) of every archived article."""
    return {u: (k, t) for k, u, t in query(db, "SELECT key, url, title FROM articles")}


def test_every_readable_fixture_article_is_archived_with_its_fields(first_crawl):
    db, *_ = first_crawl
    archive = open_archive(db)
    by_url = {u: k for k, u in archive.execute("SELECT key, url FROM articles").fetchall()}
    checked = 0
    for url, expected in fixture_expectations().items():
        if url in FAULTS and FAULTS[url][0] != "article":
            continue
        assert url in by_url, f"{url} not archived"
        record = article_record(archive, by_url[url])
        for name in ("title", "published_at", "source", "editors", "content_id", "page_count"):
            if name in expected:
                assert getattr(record, name) == expected[name], (url, name)
        if "body_text" in expected:
            assert record.body_text == expected["body_text"], url
        checked += 1
    archive.close()
    assert checked >= 8


def test_multipage_article_is_one_article_of_three_pages(first_crawl):
    db, *_ = first_crawl
    ((key, count, urls),) = query(
        db, "SELECT key, page_count, page_urls FROM articles WHERE url = ?", [MULTIPAGE]
    )
    assert key == "people:40293310"
    assert count == 3
    assert json.loads(urls) == [
        MULTIPAGE,
        *(MULTIPAGE.replace(".html", f"-{n}.html") for n in (2, 3)),
    ]
    snapshots = query(db, "SELECT page FROM snapshots WHERE article_key = ? ORDER BY page", [key])
    assert [p for (p,) in snapshots] == [1, 2, 3]


@pytest.mark.parametrize("url", sorted(FAULTS))
def test_fault_ends_as_article_or_failure_with_reason(first_crawl, url):
    db, *_ = first_crawl
    expected = FAULTS[url]
    stored = articles(db)
    failures = query(db, "SELECT kind, reason FROM failures WHERE url = ?", [url])
    if expected[0] == "flagged":
        assert url in stored, failures
        (missing,) = query(db, "SELECT missing_pages FROM articles WHERE url = ?", [url])[0]
        pages = json.loads(missing)
        assert pages[0]["url"].endswith(expected[1])
        assert {(p["reason"], p["transient"]) for p in pages} == {("answered HTTP 404", False)}
        assert failures == []
    elif expected[0] == "article":
        assert url in stored, failures
        assert stored[url][1] == clean_record(url).title
        assert failures == []
    else:
        assert url not in stored
        assert len(failures) == 1
        kind, reason = failures[0]
        assert kind == expected[1]
        assert expected[2] in reason


def test_malformed_page_is_the_right_article_or_a_failure(first_crawl):
    db, *_ = first_crawl
    stored = articles(db)
    if MALFORMED in stored:
        assert stored[MALFORMED][1] == clean_record(MALFORMED).title
    else:
        assert query(db, "SELECT count(*) FROM failures WHERE url = ?", [MALFORMED]) == [(1,)]


def test_never_a_wrong_article(first_crawl):
    db, *_ = first_crawl
    for url, (_key, title) in articles(db).items():
        assert title == clean_record(url).title, url
    # No article holds text the recorded pages do not (mojibake, a list page's text).
    bodies = query(db, "SELECT url, body_text FROM articles")
    for url, body in bodies:
        # Page 1's text opens the body; a multi-page article goes on with its other pages.
        assert body.startswith(clean_record(url).body_text), url


def test_all_article_urls_end_somewhere(first_crawl):
    db, *_ = first_crawl
    stored = set(articles(db))
    failed = {u for (u,) in query(db, "SELECT url FROM failures")}
    linked = set(FAULTS) | set(fixture_expectations()) | {MALFORMED}
    generated = {u for u in manifest()["pages"] if "/generated/" in manifest()["pages"][u]["file"]}
    for url in linked | {u for u in generated if is_article_url(u)}:
        assert url in stored or url in failed, url


def test_scope_robots_offsite_assets_calendars(first_crawl):
    _, hits, *_ = first_crawl
    urls = {h.url for h in hits}
    assert not any("/GB/99999/" in u for u in urls)  # robots.txt Disallow
    assert "http://www.gov.cn/" not in urls
    assert not any("example.org" in u for u in urls)  # an article redirected off the site
    # List pages are walked on the crawl's own site only, not the whole family's.
    assert not any(u.startswith("http://www.people.com.cn/") for u in urls)
    assert not any(u.endswith(".png") or "calendar" in u for u in urls)
    assert f"{CPC}/robots.txt" in urls


def test_user_agent_names_the_project(first_crawl):
    _, hits, *_ = first_crawl
    assert all(h.user_agent.startswith("cpc-archive/") for h in hits)


def test_retry_after_is_honoured(first_crawl):
    _, hits, _, log = first_crawl
    for n in ("40295002", "40295003"):
        url = f"{CPC}/n1/2024/0730/c64387-{n}.html"
        # The fault answers 503/429 with Retry-After: 1 (the backoff would be 0.1 s).
        assert f"Waiting 1.0s before retrying {url}" in log
        times = [h.at for h in hits if h.url == url]
        assert len(times) == 2
        # A lower bound on the wait itself, not a speed: the retry can come no sooner.
        assert times[1] - times[0] >= 1.0


def test_run_row_records_the_crawl(first_crawl):
    db, *_ = first_crawl
    rows = query(db, "SELECT kind, finish_reason, new, failed FROM runs ORDER BY id")
    assert rows[0][:2] == ("crawl", "finished")
    assert rows[0][2] == len(articles(db))
    assert rows[0][3] == query(db, "SELECT count(*) FROM failures WHERE run_id = 1")[0][0]
    assert query(db, "SELECT count(*) FROM crawl_frontier") == [(0,)]


def test_second_run_fetches_list_pages_only(first_crawl):
    db, first, second, _ = first_crawl
    fetched = [h.url for h in second if not h.url.endswith("/robots.txt")]
    assert not [u for u in fetched if is_article_url(u)]
    # The home page and each channel's first list page: every one starts with known articles.
    assert sorted(fetched) == sorted(
        [f"{CPC}/"]
        + [f"{CPC}/GB/{c}/index.html" for c in ("64093/64387", "64093/64094", "164113", "117005")]
    )
    assert len(second) < len(first) / 5
    rows = query(db, "SELECT finish_reason, new, changed, removed FROM runs WHERE id = 2")
    assert rows == [("finished", 0, 0, 0)]


def test_kill_and_resume_loses_nothing_and_stores_nothing_twice(tmp_path):
    db = tmp_path / "archive.db"
    no_faults = {u: None for u, e in manifest()["pages"].items() if e.get("fault")}
    with ReplayServer(SITE, faults=no_faults, delay=0.05) as server:
        proc = crawl(db, server, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", wait=False)
        wait_for(db, "SELECT count(*) FROM articles", at_least=8)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        killed_at = query(db, "SELECT count(*) FROM articles")[0][0]
        del server.hits[:]
        code, out = crawl(db, server)
        second_hits = [h.url for h in server.hits]
    assert code == 0, out
    assert "Resuming an interrupted crawl" in out
    assert 8 <= killed_at < 40
    # Nothing stored twice: one snapshot per URL across both runs.
    assert query(db, "SELECT url, count(*) FROM snapshots GROUP BY url HAVING count(*) > 1") == []
    # Nothing fetched twice but what was in flight at the kill (fetched, never stored). How
    # many that is depends on the machine's load at the kill (responses waiting for the
    # writer), so it is not bounded by a number.
    stored_before = {u for (u,) in query(db, "SELECT url FROM snapshots WHERE run_id = 1")}
    assert not stored_before & set(second_hits)
    # Nothing lost: the same articles as an uninterrupted crawl of the same site.
    with ReplayServer(SITE, faults=no_faults) as server:
        reference = tmp_path / "reference.db"
        assert crawl(reference, server)[0] == 0
    assert set(articles(db)) == set(articles(reference))
    runs = query(db, "SELECT finish_reason FROM runs ORDER BY id")
    assert runs == [("interrupted",), ("finished",)]


# Lines the crawl logs as errors (Scrapy's format: "... [logger] LEVEL: message").
ERRORS = re.compile(r"^.*\] (?:ERROR|CRITICAL): .*$", re.M)


def test_second_crawl_on_a_locked_archive_exits_at_once(tmp_path):
    db = tmp_path / "archive.db"
    # Every page hangs: the first crawl sits on its first requests, holding the lock. Its
    # spool retry loop is off, so a page spooled below waits for a crawl to drain it.
    hang = {"*": {"kind": "timeout", "seconds": 30}}
    with ReplayServer(SITE, faults=hang) as server:
        first = crawl(
            db, server, "-s", "DOWNLOAD_TIMEOUT=30", "-s", "ARCHIVE_SPOOL_RETRY=3600", wait=False
        )
        try:
            wait_for(db, "SELECT count(*) FROM runs")  # the first crawl holds the lock
            url = f"{CPC}/GB/164113/index.html"
            spooled = spool.put(
                spool.spool_dir(db),
                CrawledPage(
                    url,
                    [Fetch(url, b"<html></html>", 200, fetched_at="2024-08-07T00:00:00Z")],
                    NotArticle(url, "listing", "listing page, crawled"),
                ),
            )
            frontier = query(db, "SELECT * FROM crawl_frontier ORDER BY url")
            code, out = crawl(db, server)
            frontier_after = query(db, "SELECT * FROM crawl_frontier ORDER BY url")
        finally:
            first.kill()
            first.communicate()
    assert code == 1, out
    # One line says it all, naming the lock file and its holder: no traceback, no other error.
    (line,) = ERRORS.findall(out)
    assert "CRITICAL" in line
    assert f"Archive {db} is locked" in line
    assert f"pid {first.pid}" in line
    assert f"{db}.lock" in line
    assert "Traceback" not in out
    # The first crawl's run is still open; the refused one is recorded as such, and started
    # no run of its own.
    rows = query(db, "SELECT finish_reason, fetched, args FROM runs ORDER BY id")
    assert [r[:2] for r in rows] == [(None, 0), ("locked", 0)]
    assert f"pid {first.pid}" in json.loads(rows[1][2])["refused"]
    # Nothing else touched: the spooled page still waits, the frontier is as it was.
    assert spooled.exists()
    assert query(db, "SELECT count(*) FROM snapshots") == [(0,)]
    assert frontier_after == frontier


def test_a_killed_crawls_lock_is_free_at_once_and_its_run_closed_interrupted(tmp_path):
    db = tmp_path / "archive.db"
    hang = {"*": {"kind": "timeout", "seconds": 30}}
    with ReplayServer(SITE, faults=hang) as server:
        first = crawl(db, server, "-s", "DOWNLOAD_TIMEOUT=30", wait=False)
        wait_for(db, "SELECT count(*) FROM runs")
        os.kill(first.pid, signal.SIGKILL)
        first.communicate()
    # At once: no staleness to wait out, the kernel let go of the lock with the process.
    with ReplayServer(SITE, faults={u: None for u in manifest()["pages"]}) as server:
        code, out = crawl(db, server)
    assert code == 0, out
    assert "is locked" not in out
    assert "Crawl run 1 never finished: recorded as 'interrupted'" in out
    runs = query(db, "SELECT id, finish_reason FROM runs ORDER BY id")
    assert runs == [(1, "interrupted"), (2, "finished")]
    # The finished crawl let go of it too.
    lockfile.acquire(db).release()


def test_ban_detection_stops_the_crawl_with_its_reason(tmp_path):
    db = tmp_path / "archive.db"
    with ReplayServer(SITE, faults={"*": {"kind": "status", "status": 403}}) as server:
        code, out = crawl(db, server, "-s", "ARCHIVE_BAN_WINDOW=5")
        hits = len(server.hits)
    assert code == 0, out
    assert query(db, "SELECT finish_reason FROM runs") == [("banned",)]
    assert "the site is refusing us" in out
    assert hits < 15
    # The refused pages stay pending: the next run asks for them again.
    assert query(db, "SELECT count(*) FROM crawl_frontier WHERE state = 'pending'")[0][0] >= 5
    with ReplayServer(SITE) as server:
        code, out = crawl(db, server)
    assert code == 0, out
    assert "Resuming an interrupted crawl" in out
    assert query(db, "SELECT finish_reason FROM runs ORDER BY id") == [("banned",), ("finished",)]
    assert query(db, "SELECT count(*) FROM articles")[0][0] >= 30


def test_since_walks_back_to_the_date_only(tmp_path):
    db = tmp_path / "archive.db"
    with ReplayServer(SITE) as server:
        code, out = crawl(db, server, "-a", "since=2024-08-15")
        hits = {h.url for h in server.hits}
    assert code == 0, out
    days = {u.split("/")[5] for u in hits if "/n1/" in u}
    assert days and all(d >= "0815" for d in days)
    # Pagination stops at the page that reaches back before the date.
    assert f"{CPC}/GB/64093/64387/index3.html" not in hits


def test_recheck_days_records_edits_and_removals(tmp_path):
    db = tmp_path / "archive.db"
    with ReplayServer(SITE) as server:
        assert crawl(db, server)[0] == 0
    # The site a day later: one article edited, one taken down.
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    edited = f"{CPC}/n1/2024/0820/c64387-40296001.html"
    removed = f"{CPC}/n1/2024/0819/c64387-40296002.html"
    pages = json.loads((site / "manifest.json").read_text("utf-8"))
    page = site / pages["pages"][edited]["file"]
    correction = "更正：本文第二段中的数字有误，已更正。".encode("gb18030")
    body_start = b'<div class="show_text">\n'
    page.write_bytes(
        page.read_bytes().replace(body_start, body_start + b"<p>" + correction + b"</p>\n", 1)
    )
    del pages["pages"][removed]
    (site / "manifest.json").write_text(json.dumps(pages, ensure_ascii=False), "utf-8")
    with ReplayServer(site) as server:
        code, out = crawl(db, server, "-a", "recheck_days=1")
        rechecked = {h.url for h in server.hits}
    assert code == 0, out
    assert {edited, removed} <= rechecked, out
    versions = "SELECT count(*) FROM versions WHERE article_key = ?"
    assert query(db, versions, ["people:40296001"]) == [(2,)]
    (body,) = query(db, "SELECT body_text FROM articles WHERE url = ?", [edited])[0]
    assert "更正：本文第二段中的数字有误，已更正。" in body
    assert query(db, "SELECT removed_at IS NOT NULL FROM articles WHERE url = ?", [removed]) == [
        (1,)
    ]
    assert query(db, "SELECT changed, removed FROM runs WHERE id = 2") == [(1, 1)]


def test_start_urls_argument_replaces_the_seeds(tmp_path):
    db = tmp_path / "archive.db"
    seed = f"{CPC}/n1/2024/0807/c64094-40294513.html"
    with ReplayServer(SITE) as server:
        code, out = crawl(db, server, "-a", f"start_urls={seed},{MULTIPAGE}")
        hits = sorted(h.url for h in server.hits if not h.url.endswith("/robots.txt"))
    assert code == 0, out
    # The two articles (and the multi-page one's pages), nothing the home page links.
    rest = [MULTIPAGE.replace(".html", f"-{n}.html") for n in (2, 3)]
    assert hits == sorted([seed, MULTIPAGE, *rest])
    assert set(articles(db)) == {seed, MULTIPAGE}


def test_a_run_stopped_by_its_page_limit_is_completed_by_the_next(first_crawl, tmp_path):
    db = tmp_path / "archive.db"
    with ReplayServer(SITE) as server:
        code, out = crawl(db, server, "-s", "CLOSESPIDER_PAGECOUNT=15")
        assert code == 0, out
        assert query(db, "SELECT finish_reason FROM runs") == [("closespider_pagecount",)]
        assert peek(db, "SELECT count(*) FROM crawl_frontier WHERE state = 'pending'") > 0
        code, out = crawl(db, server)
    assert code == 0, out
    assert "Resuming an interrupted crawl" in out
    # The same articles as the uninterrupted first crawl of the same site.
    assert set(articles(db)) == set(articles(first_crawl[0]))
    assert query(db, "SELECT url, count(*) FROM articles GROUP BY url HAVING count(*) > 1") == []


def test_the_archive_replays_itself_into_the_same_articles(first_crawl, tmp_path):
    db, *_ = first_crawl
    copy = tmp_path / "copy.db"
    with ReplayServer(db) as server:
        code, out = crawl(copy, server)
    assert code == 0, out
    assert set(articles(copy)) == set(articles(db))
    for url, (_key, title) in articles(copy).items():
        assert title == articles(db)[url][1]


def fixture_site(tmp_path: Path, cases: list[str]) -> Path:
    """A site folder serving the given fixtures (every page of each) at their URLs."""
    site = tmp_path / "fixture-site"
    pages = {}
    for case in cases:
        meta = json.loads((FIXTURES / case / "meta.json").read_text("utf-8"))
        for name, url in {"page.bin": meta["url"], **meta.get("pages", {})}.items():
            target = site / case / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((FIXTURES / case / name).read_bytes())
            pages[url] = {"file": f"{case}/{name}", "headers": meta["headers"]}
    (site / "manifest.json").write_text(json.dumps({"pages": pages}), "utf-8")
    return site


def test_the_extract_fixtures_list_pages_are_walked_and_every_entry_fetched(tmp_path):
    """The channel list as its own fixtures reconstruct it (20 dated entries a page, sidebars,
    sister hosts): every entry of both recorded pages is fetched, the walk goes on to page 3,
    and the next run fetches the list's first page and no article."""
    site = fixture_site(
        tmp_path, ["cpc_list_64387", "cpc_list_64387_p2", "cpc_multipage_2024_c64387-40293310"]
    )
    listing = {}
    for case in ("cpc_list_64387", "cpc_list_64387_p2"):
        listing[case] = json.loads((FIXTURES / case / "expected.json").read_text("utf-8"))
    db = tmp_path / "archive.db"
    first_page = f"{CPC}/GB/64093/64387/index.html"
    with ReplayServer(site) as server:
        code, out = crawl(db, server, "-a", f"start_urls={first_page}")
        first = {h.url for h in server.hits}
        del server.hits[:]
        code2, out2 = crawl(db, server, "-a", f"start_urls={first_page}")
        second = [h.url for h in server.hits]
    assert code == 0, out
    assert code2 == 0, out2
    for case in listing.values():
        assert set(case["listing"]["entry_urls"]) <= first
    assert f"{CPC}/GB/64093/64387/index3.html" in first
    assert MULTIPAGE in articles(db)
    # Unrecorded entries answered 404: failures, and known as such by the next run.
    assert not [u for u in second if is_article_url(u)]
    assert first_page in second
    assert f"{CPC}/GB/64093/64387/index2.html" not in second


def test_sigint_pauses_the_crawl_and_the_next_run_resumes_it(first_crawl, tmp_path):
    """What systemd's KillSignal=SIGINT and Ctrl-C do: a graceful stop that keeps the rest."""
    db = tmp_path / "archive.db"
    with ReplayServer(SITE, delay=0.05) as server:
        proc = crawl(db, server, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", wait=False)
        wait_for(db, "SELECT count(*) FROM articles", at_least=5)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert query(db, "SELECT finish_reason FROM runs") == [("shutdown",)], out
        assert peek(db, "SELECT count(*) FROM crawl_frontier WHERE state = 'pending'") > 0
        code, out = crawl(db, server)
    assert code == 0, out
    assert "Resuming an interrupted crawl" in out
    assert set(articles(db)) == set(articles(first_crawl[0]))
    assert query(db, "SELECT url, count(*) FROM snapshots WHERE status = 200 GROUP BY url "
                 "HAVING count(*) > 1") == []  # fmt: skip
