"""The print edition in the archive: page rows, print articles, PDFs, missing days, same_as."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from crawler.archive.current import article_record
from crawler.archive.paper import issue_complete, issue_pages, store_print_page
from crawler.archive.reparse import reparse
from crawler.archive.runs import start_run
from crawler.archive.same_as import same_as
from crawler.archive.store import store_fetches
from crawler.pages.paper import parse_paper_page
from crawler.records import Fetch, PrintEdition
from tests.archive_helpers import record

FIXTURES = Path(__file__).parent / "fixtures_rmrb"
AT = "2024-08-07T01:00:00Z"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fixture_fetch(case: str) -> Fetch:
    meta = json.loads((FIXTURES / case / "meta.json").read_text("utf-8"))
    body = (FIXTURES / case / "page.bin").read_bytes()
    return Fetch(meta["url"], body, meta["status"], meta["headers"], fetched_at=AT)


@pytest.fixture
def run(db):
    return start_run(db, "crawl", {"spider": "rmrb"})


def store_page_one(db, run, pdf_status=200):
    index = fixture_fetch("rmrb_html_page_20240807_01")
    page = parse_paper_page(index.body, index.url, index.headers)
    pdf = Fetch(page.pdf_url, PDF if pdf_status == 200 else b"error", pdf_status, fetched_at=AT)
    return page, store_print_page(db, run, index, page, pdf)


def test_page_row_holds_name_snapshots_and_articles_in_order(db, run):
    page, outcome = store_page_one(db, run)
    (row,) = issue_pages(db, "2024-08-07")
    assert (row["number"], row["name"], row["layout"]) == ("01", "第01版：要闻", "rmrb-html")
    assert row["article_urls"] == page.article_urls
    assert row["index_snapshot_id"] == outcome.index.snapshot_ids[0]
    assert row["pdf_snapshot_id"] == outcome.pdf.snapshot_ids[0]
    assert [p["number"] for p in row["issue_pages"]] == ["01", "02", "03", "04"]


def test_pdf_is_kept_byte_for_byte(db, run):
    from crawler.archive.snapshots import snapshot_fetch

    _, outcome = store_page_one(db, run)
    assert snapshot_fetch(db, outcome.pdf.snapshot_ids[0]).body == PDF


def test_pdf_fault_is_a_failure_and_the_page_is_still_a_row(db, run):
    page, _ = store_page_one(db, run, pdf_status=500)
    (row,) = issue_pages(db, "2024-08-07")
    assert (row["pdf_snapshot_id"], row["pdf_status"]) == (None, 500)
    kinds = db.execute("SELECT url, kind FROM failures").fetchall()
    assert kinds == [(page.pdf_url, "http_500")]


def test_index_page_is_not_a_failure(db, run):
    store_page_one(db, run)
    assert db.execute("SELECT count(*) FROM failures").fetchone()[0] == 0


@pytest.mark.parametrize("status", [200, 404])
def test_missing_day_is_a_no_issue_failure(db, run, status):
    from crawler.pages.paper import parse_paper_page as parse

    index = fixture_fetch("rmrb_notfound_20241130")
    if status == 404:
        index = Fetch(index.url, b"<html><body>404</body></html>", 404, fetched_at=AT)
    result = parse(index.body, index.url) if status == 200 else None
    if result is None:
        from crawler.records import NotArticle

        result = NotArticle(index.url, "no_issue", "no issue on 2024-11-30: HTTP 404")
    outcome = store_print_page(db, run, index, result)
    assert outcome.stored is False
    assert db.execute("SELECT kind FROM failures").fetchall() == [("no_issue",)]
    assert issue_pages(db, "2024-11-30") == []


def test_print_article_is_an_articles_row_keyed_by_its_url(db, run):
    f = fixture_fetch("rmrb_html_article_20240807_1-01")
    outcome = store_fetches(db, run, [f])
    assert (outcome.status, outcome.article_key) == ("new", f.url)
    stored = article_record(db, f.url)
    assert stored.print_edition == PrintEdition("人民日报", "2024-08-07", "01", "第01版：要闻", 1)


def test_issue_complete_only_when_every_page_and_article_is_in(db, run):
    index = fixture_fetch("rmrb_html_page_20240807_01")
    one = parse_paper_page(index.body, index.url, index.headers)
    article = fixture_fetch("rmrb_html_article_20240807_1-01")
    one = replace(one, article_urls=[article.url])
    store_print_page(db, run, index, one)
    assert not issue_complete(db, "2024-08-07")  # pages 02..04 missing
    for link in one.pages[1:]:
        other = replace(one, url=link.url, number=link.number, article_urls=[])
        store_print_page(db, run, Fetch(link.url, index.body, fetched_at=AT), other)
    assert not issue_complete(db, "2024-08-07")  # its one article missing
    store_fetches(db, run, [article])
    assert issue_complete(db, "2024-08-07")


def web_copy(title="习近平回信勉励全国特岗教师代表", page="01", paragraphs=None):
    return record(
        "http://politics.people.com.cn/n1/2024/0807/c1024-40294000.html",
        content_id="40294000",
        title=title,
        paragraphs=paragraphs,
        print_edition=PrintEdition("人民日报", "2024-08-07", page),
    )


def store_web(db, run, rec):
    f = Fetch(rec.url, b"<html><body>x</body></html>", fetched_at=AT)
    return store_fetches(db, run, [f], rec)


@pytest.mark.parametrize("web_first", [True, False])
def test_print_and_web_copies_are_linked_both_ways(db, run, web_first):
    article = fixture_fetch("rmrb_html_article_20240807_1-01")
    if web_first:
        store_web(db, run, web_copy())
        store_fetches(db, run, [article])
    else:
        store_fetches(db, run, [article])
        store_web(db, run, web_copy())
    assert same_as(db, article.url) == ["people:40294000"]
    assert same_as(db, "people:40294000") == [article.url]


def test_same_text_links_despite_another_title(db, run):
    article = fixture_fetch("rmrb_html_article_20240807_1-01")
    store_fetches(db, run, [article])
    text = article_record(db, article.url).paragraphs
    store_web(db, run, web_copy(title="特岗教师代表收到回信", paragraphs=text))
    row = db.execute("SELECT matched_on FROM same_as").fetchone()
    assert row == ("text",)


def test_other_page_is_not_linked(db, run):
    store_fetches(db, run, [fixture_fetch("rmrb_html_article_20240807_1-01")])
    store_web(db, run, web_copy(page="4"))
    assert db.execute("SELECT count(*) FROM same_as").fetchone()[0] == 0


def test_reparse_reads_print_snapshots_with_the_print_parser(db, run):
    article = fixture_fetch("rmrb_html_article_20240807_1-01")
    store_fetches(db, run, [article])
    store_page_one(db, run)
    reparse(db, start_run(db, "reparse"))
    assert article_record(db, article.url).print_edition.page_name == "第01版：要闻"
    assert db.execute("SELECT count(*) FROM failures").fetchone()[0] == 0
