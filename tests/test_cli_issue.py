"""`cpc-archive issue` and the paper date/page filters, over a small archive of fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.archive.db import open_archive
from crawler.archive.paper import store_print_page
from crawler.archive.runs import start_run
from crawler.archive.search.fts import search
from crawler.archive.selection import article_keys
from crawler.archive.store import store_fetches
from crawler.cli import main
from crawler.pages.paper import parse_paper_page
from crawler.records import Fetch, NotArticle, PrintEdition
from tests.archive_helpers import record

FIXTURES = Path(__file__).parent / "fixtures_rmrb"
AT = "2024-08-07T01:00:00Z"
ARTICLE = "http://paper.people.com.cn/rmrb/html/2024-08/07/nw.D110000renmrb_20240807_1-01.htm"
WEB = "people:40294000"


def fixture_fetch(case: str) -> Fetch:
    meta = json.loads((FIXTURES / case / "meta.json").read_text("utf-8"))
    body = (FIXTURES / case / "page.bin").read_bytes()
    return Fetch(meta["url"], body, meta["status"], meta["headers"], fetched_at=AT)


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "archive.db"
    db = open_archive(path)
    run = start_run(db, "crawl", {"spider": "rmrb"})
    index = fixture_fetch("rmrb_html_page_20240807_01")
    page = parse_paper_page(index.body, index.url, index.headers)
    store_print_page(db, run, index, page, Fetch(page.pdf_url, b"%PDF-1.4\n%%EOF\n", 200))
    store_fetches(db, run, [fixture_fetch("rmrb_html_article_20240807_1-01")])
    web = record(
        "http://politics.people.com.cn/n1/2024/0807/c1024-40294000.html",
        content_id="40294000",
        title="习近平回信勉励全国特岗教师代表",
        print_edition=PrintEdition("人民日报", "2024-08-07", "1"),
    )
    store_fetches(db, run, [Fetch(web.url, b"<html></html>", fetched_at=AT)], web)
    missing = Fetch(
        "http://paper.people.com.cn/rmrb/html/2024-11/30/nbs.D110000renmrb_01.htm",
        b"",
        404,
        fetched_at=AT,
    )
    store_print_page(db, run, missing, NotArticle(missing.url, "no_issue", "no issue: 404"))
    db.close()
    return path


def run(*args):
    return CliRunner().invoke(main, [*args], catch_exceptions=False)


def test_issue_json_lists_pages_and_articles_in_order(archive):
    result = run("issue", "2024-08-07", "--db", str(archive), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (page,) = data["pages"]
    assert (page["number"], page["name"]) == ("01", "第01版：要闻")
    assert [a["position"] for a in page["articles"]] == [1, 2, 3]
    first, second = page["articles"][:2]
    assert (first["key"], first["archived"], first["same_as"]) == (ARTICLE, True, [WEB])
    assert first["pretitle"] == "扎根基层教书育人 为乡村振兴贡献力量"
    # Listed on the page, not archived: the page's own title for it.
    assert (second["title"], second["archived"]) == ("全面深化改革 推进中国式现代化", False)


def test_issue_text_shows_page_name_titles_and_web_copy(archive):
    result = run("issue", "2024-08-07", "--db", str(archive))
    assert result.exit_code == 0, result.output
    assert "第01版：要闻" in result.output
    assert "习近平回信勉励全国特岗教师代表" in result.output
    assert WEB in result.output
    assert "[not archived]" in result.output


def test_issue_of_a_day_without_paper_says_so(archive):
    result = CliRunner().invoke(main, ["issue", "2024-11-30", "--db", str(archive)])
    assert result.exit_code == 1
    assert "no paper that day" in result.output


def test_issue_of_a_day_not_crawled(archive):
    result = CliRunner().invoke(main, ["issue", "2024-08-08", "--db", str(archive)])
    assert result.exit_code == 1
    assert "not archived" in result.output


def test_filter_by_paper_date_and_page_finds_both_editions(archive):
    db = open_archive(archive)
    try:
        assert sorted(article_keys(db, paper_date="2024-08-07", paper_page="01")) == [
            ARTICLE,
            WEB,
        ]
        assert article_keys(db, paper_date="2024-08-07", paper_page=2) == []
        assert article_keys(db, paper_date="2024-08-08") == []
    finally:
        db.close()


def test_search_filters_by_paper_page(archive):
    db = open_archive(archive)
    try:
        assert {h.key for h in search(db, "特岗教师", paper_page=1)} == {ARTICLE, WEB}
        assert search(db, "特岗教师", paper_page=3) == []
    finally:
        db.close()


def test_export_cli_takes_the_paper_filters(archive, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run(
        "export",
        "--format",
        "jsonl",
        "--db",
        str(archive),
        "--paper-date",
        "2024-08-07",
        "--paper-page",
        "1",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    keys = sorted(json.loads(line)["key"] for line in out.read_text("utf-8").splitlines())
    assert keys == [ARTICLE, WEB]


def test_datasette_facets_on_paper_date_and_page(archive):
    import asyncio

    from crawler.datasette.app import make_datasette

    ds = make_datasette(archive)
    path = f"/{archive.stem}/print_article_list.json?_extra=facet_results"
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, response.text[:500]
    results = response.json()["facet_results"]
    facets = results.get("results", results)
    dates = {f["value"]: f["count"] for f in facets["paper_date"]["results"]}
    pages = {f["value"]: f["count"] for f in facets["paper_page"]["results"]}
    assert dates == {"2024-08-07": 2}
    assert pages == {"01": 2}  # the web copy's "1" and the paper's "01" are one page


def test_issue_writes_the_kept_pdfs_byte_for_byte(archive, tmp_path):
    out = tmp_path / "pdfs"
    result = run("issue", "2024-08-07", "--db", str(archive), "--pdf-dir", str(out), "--json")
    assert result.exit_code == 0, result.output
    (page,) = json.loads(result.output)["pages"]
    assert page["pdf_file"] == str(out / "2024-08-07_01.pdf")
    assert (out / "2024-08-07_01.pdf").read_bytes() == b"%PDF-1.4\n%%EOF\n"
