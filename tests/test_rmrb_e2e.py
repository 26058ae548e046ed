"""End to end: the real `scrapy crawl rmrb` through the replay proxy over a generated week.

The week 2024-11-28 .. 2024-12-04 spans the layout switch (2024-12-01). bench.papergen serves
it from memory, in the markup of the reconstructed fixtures (tests/fixtures_rmrb): 4 pages an
issue, 3 articles a page, a day without a paper served as the site's not-found page
(2024-11-30) and one answering 404 (2024-12-02), a page with no articles (2024-12-03 page 04),
and a PDF that always answers 500 (2024-12-01 page 02).
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
from datetime import date

import pytest

from bench.papergen import PaperSite
from crawler.replay import ReplayServer
from tests.crawl_helpers import crawl, query, wait_for

pytestmark = pytest.mark.e2e

FIRST, LAST = date(2024, 11, 28), date(2024, 12, 4)
MISSING = {date(2024, 11, 30): "page", date(2024, 12, 2): "404"}
EMPTY = (date(2024, 12, 3), 4)
ISSUES = 5  # 7 days, 2 without a paper
PAGES = ISSUES * 4
ARTICLES = PAGES * 3 - 3  # the empty page
FAULTY_PDF = "http://paper.people.com.cn/rmrb/pc/attachement/202412/01/p02.pdf"
FAULTY_PAGE = "http://paper.people.com.cn/rmrb/pc/layout/202412/01/node_02.html"
WEEK = ["-a", f"since={FIRST}", "-a", f"until={LAST}"]


# The print spider, with crawl_command's timeout (2 s) rather than FAST's.
rmrb = functools.partial(crawl, spider="rmrb", settings=["-s", "LOG_LEVEL=INFO"])


def site() -> PaperSite:
    return PaperSite(FIRST, LAST, missing=dict(MISSING), empty_pages=frozenset({EMPTY}))


def stat(out: str, name: str) -> int | None:
    m = re.search(rf"'{re.escape(name)}': (\d+)", out)
    return int(m[1]) if m else None


FAULTS = {FAULTY_PDF: {"kind": "status", "status": 500}}


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    db = tmp_path_factory.mktemp("rmrb") / "archive.db"
    with ReplayServer(site(), faults=FAULTS) as server:
        code, out = rmrb(db, server, *WEEK)
        first = [h.url for h in server.hits]
        del server.hits[:]
        code2, out2 = rmrb(db, server, *WEEK)
        second = [h.url for h in server.hits]
    assert code == 0, out
    assert code2 == 0, out2
    return db, out, first, second


def test_every_page_of_every_issue_is_a_row(week):
    db, *_ = week
    rows = query(db, "SELECT date, number, layout FROM print_pages ORDER BY date, number")
    expected = [
        (d.isoformat(), f"{n:02d}", "rmrb-pc" if d >= date(2024, 12, 1) else "rmrb-html")
        for d in site().issue_days()
        for n in range(1, 5)
    ]
    assert rows == expected


def test_every_article_is_archived_once_with_its_place_on_the_page(week):
    db, *_ = week
    s = site()
    rows = query(
        db,
        "SELECT key, json_extract(print_edition, '$.page'), "
        "json_extract(print_edition, '$.position') FROM articles",
    )
    expected = {
        (s.article_url(d, n, k), f"{n:02d}", k)
        for d in s.issue_days()
        for n in range(1, 5)
        for k in range(1, s.article_count(d, n) + 1)
    }
    assert len(rows) == ARTICLES
    assert set(rows) == expected


def test_page_rows_list_their_articles_in_page_order(week):
    db, *_ = week
    s = site()
    for day, number, urls in query(db, "SELECT date, number, article_urls FROM print_pages"):
        d, n = date.fromisoformat(day), int(number)
        assert json.loads(urls) == [
            s.article_url(d, n, k) for k in range(1, s.article_count(d, n) + 1)
        ]


def test_page_with_no_articles_is_a_row_with_none(week):
    db, *_ = week
    rows = query(
        db,
        "SELECT article_urls FROM print_pages WHERE date = ? AND number = '04'",
        [EMPTY[0].isoformat()],
    )
    assert rows == [("[]",)]


def test_missing_days_are_no_issue_failures(week):
    db, *_ = week
    rows = query(db, "SELECT url, kind FROM failures WHERE kind = 'no_issue' ORDER BY url")
    assert rows == [
        ("http://paper.people.com.cn/rmrb/html/2024-11/30/nbs.D110000renmrb_01.htm", "no_issue"),
        ("http://paper.people.com.cn/rmrb/pc/layout/202412/02/node_01.html", "no_issue"),
    ]


def test_pdfs_are_snapshots_and_the_faulty_one_a_failure(week):
    db, *_ = week
    kept = query(db, "SELECT count(*) FROM print_pages WHERE pdf_snapshot_id IS NOT NULL")
    assert kept == [(PAGES - 1,)]
    (row,) = query(
        db, "SELECT pdf_status, pdf_snapshot_id FROM print_pages WHERE url = ?", [FAULTY_PAGE]
    )
    assert row == (500, None)
    kinds = {k for (k,) in query(db, "SELECT kind FROM failures WHERE url = ?", [FAULTY_PDF])}
    assert kinds == {"http_500"}


def test_nothing_else_failed(week):
    db, *_ = week
    assert query(db, "SELECT count(*) FROM failures") == [(4,)]  # 2 days, 1 PDF twice


def test_run_rows_and_stats(week):
    db, out, *_ = week
    runs = query(db, "SELECT kind, finish_reason, args, new FROM runs ORDER BY id")
    assert [(k, r) for k, r, _, _ in runs] == [("crawl", "finished")] * 2
    assert json.loads(runs[0][2])["spider"] == "rmrb"
    assert runs[0][3] == ARTICLES
    assert stat(out, "print/issues") == ISSUES
    assert stat(out, "print/pages") == PAGES
    assert stat(out, "print/articles") == ARTICLES
    assert stat(out, "print/missing_days") == 2
    assert stat(out, "print/pdfs") == PAGES - 1


def test_rerun_fetches_only_what_it_lacks(week):
    db, _, first, second = week
    assert len(first) > ARTICLES + PAGES
    # The one page whose PDF never came is asked again (index page and PDF); nothing else.
    assert set(second) - {"http://paper.people.com.cn/robots.txt"} == {FAULTY_PAGE, FAULTY_PDF}
    assert query(db, "SELECT new, changed FROM runs ORDER BY id DESC LIMIT 1") == [(0, 0)]


def test_no_argument_first_run_takes_today(tmp_path):
    db = tmp_path / "archive.db"
    with ReplayServer(site()) as server:
        code, out = rmrb(db, server, "-s", "ARCHIVE_PRINT_TODAY=2024-12-04")
        dates = query(db, "SELECT DISTINCT date FROM print_pages")
        del server.hits[:]
        # The next day: from the last archived issue (complete: nothing to fetch) to today.
        code2, out2 = rmrb(db, server, "-s", "ARCHIVE_PRINT_TODAY=2024-12-05")
        hits = {h.url for h in server.hits} - {"http://paper.people.com.cn/robots.txt"}
    assert code == 0, out
    assert code2 == 0, out2
    assert dates == [("2024-12-04",)]
    assert hits == {"http://paper.people.com.cn/rmrb/pc/layout/202412/05/node_01.html"}


def test_daily_run_after_a_backfill_asks_for_the_new_day_only(tmp_path):
    db = tmp_path / "archive.db"
    first, last, today = date(2024, 12, 3), date(2024, 12, 4), date(2024, 12, 5)
    with ReplayServer(PaperSite(first, last, empty_pages=frozenset({EMPTY}))) as server:
        code, out = rmrb(db, server, "-a", f"since={first}", "-a", f"until={last}")
    assert code == 0, out
    # The site gains a day; the scheduled run (no argument) asks for its page indexes, PDFs and
    # articles, each once, and for nothing of the two archived issues.
    with ReplayServer(PaperSite(first, today, empty_pages=frozenset({EMPTY}))) as server:
        code, out = rmrb(db, server, "-s", f"ARCHIVE_PRINT_TODAY={today}")
        asked = [h.url for h in server.hits if not h.url.endswith("/robots.txt")]
    assert code == 0, out
    that_day = list(PaperSite(today, today).urls())
    assert len(that_day) == 4 + 4 + 12  # page indexes, their PDFs, 3 articles a page
    assert sorted(asked) == sorted(that_day)
    assert query(db, "SELECT count(*) FROM articles WHERE published_at = ?", [str(today)]) == [
        (12,)
    ]


def test_killed_backfill_resumes_with_nothing_lost_or_doubled(tmp_path):
    db = tmp_path / "archive.db"
    with ReplayServer(site(), delay=0.03) as server:
        proc = rmrb(db, server, *WEEK, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", wait=False)
        wait_for(db, "SELECT count(*) FROM articles", 15)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        killed_at = query(db, "SELECT count(*) FROM articles")[0][0]
        code, out = rmrb(db, server, *WEEK)
    assert code == 0, out
    assert 15 <= killed_at < ARTICLES
    assert query(db, "SELECT count(*) FROM articles") == [(ARTICLES,)]
    assert query(db, "SELECT count(*) FROM print_pages") == [(PAGES,)]
    # Nothing doubled: one version per article, one article snapshot per article URL.
    assert query(db, "SELECT count(*) FROM versions") == [(ARTICLES,)]
    doubled = query(
        db,
        "SELECT url FROM snapshots WHERE article_key IS NOT NULL GROUP BY url HAVING count(*) > 1",
    )
    assert doubled == []
    runs = query(db, "SELECT finish_reason FROM runs ORDER BY id")
    assert runs == [("interrupted",), ("finished",)]


def test_the_archive_replays_pages_and_pdfs(week):
    import urllib.request

    db, *_ = week
    s = site()
    pdf = s.pdf_url(date(2024, 12, 4), 3)
    index = "http://paper.people.com.cn/rmrb/html/2024-11/28/nbs.D110000renmrb_01.htm"
    with ReplayServer(db) as replay:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": replay.url}))
        for url in (pdf, index):
            with opener.open(url, timeout=10) as response:
                assert response.read() == s.get(url).body, url


def test_date_argument_crawls_that_issue_only(tmp_path):
    db = tmp_path / "archive.db"
    with ReplayServer(site()) as server:
        code, out = rmrb(db, server, "-a", "date=2024-11-29", "-s", "ARCHIVE_PRINT_PDFS=False")
        kinds = {h.url.rsplit(".", 1)[-1] for h in server.hits} - {"txt"}
    assert code == 0, out
    assert query(db, "SELECT DISTINCT date FROM print_pages") == [("2024-11-29",)]
    assert query(db, "SELECT count(*) FROM articles") == [(12,)]
    # PDFs switched off: none asked for, none kept.
    assert kinds == {"htm"}
    assert query(db, "SELECT count(*) FROM print_pages WHERE pdf_snapshot_id IS NULL") == [(4,)]
