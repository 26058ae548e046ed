"""A hostile recorded site, crawled for real: every response it sends ends in the archive.

Bombs (gzip and deflate bodies inflating far past DOWNLOAD_MAXSIZE), a body bigger than the
cap on the wire, a redirect loop and a list page with a broken <base href>: each is a snapshot
with its status, headers and (capped) bytes, and a failures row saying why; only a URL
robots.txt forbids is never requested and leaves no row.
"""

from __future__ import annotations

import json

import pytest

from crawler.cli.demo import ROOT, crawl_command, crawl_env
from crawler.replay import ReplayServer, bomb, with_base
from tests.crawl_helpers import FAST, crawl, query
from tests.peak_rss import run_measured
from tests.site_paths import SITE, manifest_entry
from tests.test_crawl_e2e import CPC, MULTIPAGE

pytestmark = pytest.mark.e2e

CAP = 2_000_000
BOMB_SIZE = 256 << 20  # inflated fully, the bomb alone would take the process past this
GZIP_BOMB = f"{CPC}/n1/2024/0820/c64387-40296001.html"
DEFLATE_BOMB = f"{CPC}/n1/2024/0819/c64387-40296002.html"
HUGE = f"{CPC}/n1/2024/0818/c64387-40296003.html"
LOOP = f"{CPC}/n1/2024/0817/c64387-40296004.html"
BROKEN_BASE = f"{CPC}/GB/164113/index.html"
FORBIDDEN = f"{CPC}/GB/99999/index.html"  # robots.txt: Disallow /GB/99999/
ENDLESS = MULTIPAGE  # its pager made to name 5,000 pages; pages 2 and 3 are recorded
MAX_PAGES = 3
FAULTS = {
    GZIP_BOMB: {"kind": "bomb", "size": BOMB_SIZE},
    DEFLATE_BOMB: {"kind": "bomb", "size": BOMB_SIZE, "encoding": "deflate"},
    HUGE: {"kind": "huge", "size": 3 * CAP},
    LOOP: {"kind": "loop"},
    BROKEN_BASE: {"kind": "base", "href": "http://[::1/"},
    ENDLESS: {"kind": "pager", "count": 5000},
}


def crawl_measured(db, server, *args):
    """The crawl's exit code, output and peak RSS in bytes (tests.peak_rss)."""
    cmd = [*crawl_command(db, FAST), "-s", f"DOWNLOAD_MAXSIZE={CAP}"]
    # A loaded machine sends a few MB slower than FAST's one-second timeout allows.
    cmd += ["-s", f"ARCHIVE_MAX_PAGES={MAX_PAGES}", "-s", "DOWNLOAD_TIMEOUT=5", *args]
    return run_measured(cmd, env=crawl_env(server.url), cwd=ROOT)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile") / "archive.db"
    seeds = ",".join([BROKEN_BASE, GZIP_BOMB, DEFLATE_BOMB, HUGE, LOOP, FORBIDDEN, ENDLESS])
    for encoding in ("gzip", "deflate"):
        bomb(BOMB_SIZE, encoding)  # made now: made on the first request, it would time out
    with ReplayServer(SITE, faults=FAULTS) as server:
        code, out, rss = crawl_measured(db, server, "-a", f"start_urls={seeds}")
        hits = list(server.hits)
    assert code == 0, out
    print(f"peak RSS of the crawl with two {BOMB_SIZE >> 20} MB bombs: {rss >> 20} MB")
    return db, hits, rss


def failure(db, url):
    return query(db, "SELECT kind, reason FROM failures WHERE url = ?", [url])


def snapshot(db, url):
    rows = query(db, "SELECT status, headers, size FROM snapshots WHERE url = ?", [url])
    assert len(rows) == 1, rows
    status, headers, size = rows[0]
    return status, json.loads(headers), size


@pytest.mark.parametrize(("url", "encoding"), [(GZIP_BOMB, "gzip"), (DEFLATE_BOMB, "deflate")])
def test_a_bomb_is_kept_compressed_as_it_arrived_and_recorded_too_large(hostile, url, encoding):
    db, *_ = hostile
    ((kind, reason),) = failure(db, url)
    assert kind == "too_large"
    assert "inflates past DOWNLOAD_MAXSIZE" in reason
    status, headers, size = snapshot(db, url)
    assert status == 200
    assert headers["Content-Encoding"] == encoding
    assert 0 < size < CAP


def test_a_body_past_the_cap_on_the_wire_keeps_its_first_bytes(hostile):
    db, *_ = hostile
    ((kind, reason),) = failure(db, HUGE)
    assert kind == "too_large"
    assert "passed DOWNLOAD_MAXSIZE" in reason
    status, headers, size = snapshot(db, HUGE)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert CAP < size < 3 * CAP  # the cap and at most the chunk that crossed it


def test_a_redirect_loop_is_recorded_with_its_last_answer(hostile):
    db, hits, _ = hostile
    ((kind, reason),) = failure(db, LOOP)
    assert kind == "redirect_loop"
    assert "more than 20 redirects" in reason
    status, headers, _ = snapshot(db, LOOP)
    assert (status, headers["Location"]) == (302, LOOP)
    assert sum(1 for h in hits if h.url == LOOP) == 21


def test_a_broken_base_href_keeps_the_list_page_and_its_links(hostile):
    db, *_ = hostile
    status, _, size = snapshot(db, BROKEN_BASE)
    page = SITE / manifest_entry(BROKEN_BASE)["file"]
    assert (status, size) == (200, len(with_base(page.read_bytes(), "http://[::1/")))
    assert failure(db, BROKEN_BASE) == []
    # The list's articles were read through the page URL, as a browser ignores such a base.
    listed = f"{CPC}/n1/2024/0820/c164113-40296021.html"
    assert query(db, "SELECT count(*) FROM articles WHERE url = ?", [listed]) == [(1,)]


def test_only_a_robots_refusal_leaves_no_row(hostile):
    db, hits, _ = hostile
    assert FORBIDDEN not in {h.url for h in hits}
    assert query(db, "SELECT count(*) FROM snapshots WHERE url = ?", [FORBIDDEN]) == [(0,)]
    assert failure(db, FORBIDDEN) == []


def test_every_response_is_accounted_for(hostile):
    db, hits, _ = hostile
    # A redirect's target is stored as the final URL of the snapshot of the URL asked for.
    stored = {u for row in query(db, "SELECT url, final_url FROM snapshots") for u in row}
    answered = {h.url for h in hits if not h.url.endswith("/robots.txt")}
    # A request the proxy saw but that brought no response (a timeout, a connection cut) has
    # no bytes to keep: its failures row is its record.
    no_response = {u for (u,) in query(db, "SELECT url FROM failures WHERE kind = 'fetch_error'")}
    assert answered - stored - no_response == set()
    assert no_response - stored == answered - stored
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT finish_reason FROM runs") == [("finished",)]


def test_memory_stays_bounded_by_the_cap_not_the_bombs(hostile):
    *_, rss = hostile
    assert rss < BOMB_SIZE


def test_an_article_past_the_page_limit_is_stored_flagged_once(hostile):
    db, hits, _ = hostile
    assert failure(db, ENDLESS) == []
    ((count, missing),) = query(
        db, "SELECT page_count, missing_pages FROM articles WHERE url = ?", [ENDLESS]
    )
    assert count == 5000  # as the pager says
    (over,) = json.loads(missing)
    assert over["url"] == ENDLESS.replace(".html", "-4.html")
    assert "the pager names 5000 pages, past ARCHIVE_MAX_PAGES (3)" in over["reason"]
    assert over["transient"] is False
    stem = ENDLESS[: -len(".html")]
    asked = sorted(h.url for h in hits if h.url.startswith(stem))
    assert asked == sorted([ENDLESS, f"{stem}-2.html", f"{stem}-3.html"])
    assert query(db, "SELECT count(*) FROM snapshots WHERE url LIKE ?", [stem + "%"]) == [(3,)]
    # Done for good: nothing pending, and a later run does not ask for it again.
    assert query(db, "SELECT count(*) FROM crawl_frontier") == [(0,)]


def test_an_article_left_incomplete_by_a_5xx_is_completed_by_a_later_crawl(tmp_path):
    """Stored flagged, searchable; the next crawl asks again and completes it (version 2)."""
    db = tmp_path / "archive.db"
    page2 = MULTIPAGE.replace(".html", "-2.html")
    other = f"{CPC}/n1/2024/0807/c64094-40294513.html"
    no_retry = ["-s", "RETRY_TIMES=0"]
    with ReplayServer(SITE, faults={page2: {"kind": "status", "status": 500}}) as server:
        code, out = crawl(db, server, *no_retry, "-a", f"start_urls={MULTIPAGE}")
    assert code == 0, out
    # Stored with pages 1 and 3, searchable, flagged with page 2 and why.
    ((body, missing),) = query(db, "SELECT body_text, missing_pages FROM articles")
    assert json.loads(missing) == [{"url": page2, "reason": "answered HTTP 500", "transient": True}]
    assert failure(db, MULTIPAGE) == []
    with ReplayServer(SITE) as server:
        code, out = crawl(db, server, *no_retry, "-a", f"start_urls={other}")
        asked = {h.url for h in server.hits}
    assert code == 0, out
    assert {MULTIPAGE, page2, other} <= asked
    rows = query(db, "SELECT url, page_count, missing_pages, version FROM articles")
    assert (MULTIPAGE, 3, None, 2) in rows  # whole now: a new version
    (whole,) = query(db, "SELECT body_text FROM articles WHERE url = ?", [MULTIPAGE])[0]
    assert len(whole) > len(body)
    assert query(db, "SELECT finish_reason FROM runs") == [("finished",), ("finished",)]
    # Whole now: a third crawl does not ask for it.
    with ReplayServer(SITE) as server:
        assert crawl(db, server, *no_retry, "-a", f"start_urls={other}")[0] == 0
        assert MULTIPAGE not in {h.url for h in server.hits}


def test_a_body_trickling_slower_than_the_timeout_is_a_failure_and_the_crawl_goes_on(tmp_path):
    """Headers at once, then the body a piece at a time past DOWNLOAD_TIMEOUT: the page is a
    fetch_error saying it took too long, and the next seed is stored all the same."""
    db = tmp_path / "archive.db"
    trickled, after = (f"{CPC}/n1/2024/08{11 + n}/c64094-{40296020 - n}.html" for n in (0, 1))
    seeds = ["-a", f"start_urls={trickled},{after}", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    faults = {trickled: {"kind": "trickle", "seconds": 3, "chunks": 6}}
    with ReplayServer(SITE, faults=faults) as server:
        code, out = crawl(db, server, *seeds)  # FAST: DOWNLOAD_TIMEOUT=1
        hits = [h.url for h in server.hits]
    assert code == 0, out
    assert trickled in hits
    ((kind, reason),) = failure(db, trickled)
    assert kind == "fetch_error"
    assert "took longer than 1.0 seconds" in reason
    # The bytes that came in are a cut-off page: never stored as the page.
    assert query(db, "SELECT count(*) FROM snapshots WHERE url = ?", [trickled]) == [(0,)]
    assert query(db, "SELECT count(*) FROM articles WHERE url = ?", [after]) == [(1,)]
    assert query(db, "SELECT finish_reason FROM runs") == [("finished",)]
