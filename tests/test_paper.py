"""The print-edition parsers and URL shapes, both layouts, on reconstructed fixtures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from crawler.pages.paper import page_number, parse_paper_article, parse_paper_page
from crawler.paper_urls import NEW, OLD, latest_url, layout_of, page_url, parse_paper_url
from crawler.records import ArticleRecord, NotArticle, PrintEdition, PrintPage

FIXTURES = Path(__file__).parent / "fixtures_rmrb"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "meta.json").exists())


def load(case: str):
    folder = FIXTURES / case
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    return (folder / "page.bin").read_bytes(), meta, expected


def parse(case: str):
    body, meta, _ = load(case)
    parser = parse_paper_article if "article" in case else parse_paper_page
    return parser(body, meta["url"], meta["headers"])


def test_every_fixture_is_marked_reconstructed():
    for case in CASES:
        assert load(case)[1]["origin"] == "reconstructed", case


@pytest.mark.parametrize("case", [c for c in CASES if "article" in c])
@pytest.mark.parametrize(
    "name",
    [
        "title",
        "pretitle",
        "subtitle",
        "authors",
        "published_at",
        "print_edition",
        "images",
        "paragraphs",
        "body_text",
        "template",
        "encoding",
        "content_id",
        "source",
    ],
)
def test_article_field(case, name):
    record = parse(case)
    assert isinstance(record, ArticleRecord)
    assert record.to_dict()[name] == load(case)[2]["article"][name]


@pytest.mark.parametrize("case", [c for c in CASES if "_page_" in c])
@pytest.mark.parametrize(
    "name",
    ["date", "number", "name", "pdf_url", "layout", "article_urls", "article_titles", "pages"],
)
def test_page_field(case, name):
    page = parse(case)
    assert isinstance(page, PrintPage)
    assert page.to_dict()[name] == load(case)[2]["page"][name]


def test_not_found_day_is_no_issue():
    result = parse("rmrb_notfound_20241130")
    assert isinstance(result, NotArticle)
    assert result.kind == "no_issue"
    assert "2024-11-30" in result.reason


def test_old_layout_titles_written_by_script_are_read():
    page = parse("rmrb_html_page_20240807_01")
    assert page.article_titles[0] == "习近平回信勉励全国特岗教师代表"


def test_pdf_is_this_pages_not_the_first_slides():
    page = parse("rmrb_pc_page_20241203_02")
    assert page.pdf_url.endswith("/rmrb/pc/attachement/202412/03/6a7b8c9d-02.pdf")


def test_dateline_inside_byline_is_not_a_name():
    record = parse("rmrb_html_article_20240807_1-01")
    assert record.authors == ["王乐文", "方敏"]


def test_inline_picture_caption_is_not_a_paragraph():
    record = parse("rmrb_pc_article_20241203_30045678")
    assert record.images[0].caption == "11月28日，工人在生产线上作业。"
    assert record.images[0].caption not in record.paragraphs


def test_old_article_position_from_url_when_list_is_missing():
    body = b"<html><body><div class='article'><h1>T</h1><div id='ozoom'><p>x</p></div></div>"
    url = "http://paper.people.com.cn/rmrb/html/2024-08/07/nw.D110000renmrb_20240807_5-03.htm"
    record = parse_paper_article(body + b"</body></html>", url, {})
    assert record.print_edition == PrintEdition("人民日报", "2024-08-07", "03", "", 5)


def test_page_without_body_is_not_an_article():
    url = "http://paper.people.com.cn/rmrb/pc/content/202412/03/content_1.html"
    result = parse_paper_article(b"<html><body><h1>T</h1></body></html>", url, {})
    assert isinstance(result, NotArticle) and result.kind == "not_found"


def test_layout_switch_is_2024_12_01():
    assert layout_of(date(2024, 11, 30)) == OLD
    assert layout_of(date(2024, 12, 1)) == NEW
    assert page_url(date(2024, 11, 30), 1) == (
        "http://paper.people.com.cn/rmrb/html/2024-11/30/nbs.D110000renmrb_01.htm"
    )
    assert page_url(date(2024, 12, 1), 12) == (
        "http://paper.people.com.cn/rmrb/pc/layout/202412/01/node_12.html"
    )
    assert latest_url() == "http://paper.people.com.cn/rmrb/pc/layout/index.html"


def test_parse_paper_url_shapes():
    old = parse_paper_url(
        "http://paper.people.com.cn/rmrb/html/2024-08/07/nw.D110000renmrb_20240807_3-01.htm"
    )
    assert (old.kind, old.layout, old.date, old.page, old.position) == (
        "article",
        OLD,
        "2024-08-07",
        "01",
        3,
    )
    new = parse_paper_url("http://paper.people.com.cn/rmrb/pc/content/202412/03/content_42.html")
    assert (new.kind, new.layout, new.date, new.content_id) == ("article", NEW, "2024-12-03", "42")
    assert (
        parse_paper_url("http://paper.people.com.cn/rmrb/pc/layout/202402/30/node_01.html") is None
    )
    assert parse_paper_url("http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html") is None


def test_page_number_from_name():
    assert page_number("第04版：广告") == "04"
    assert page_number("要闻") == ""


def test_web_record_dict_has_no_print_only_fields():
    # Web articles' stored records and content hashes stay as before the print fields existed.
    record = ArticleRecord(
        url="u",
        canonical_url="u",
        content_id=None,
        channel_id=None,
        title="t",
        print_edition=PrintEdition("人民日报", "2024-05-10", "04"),
    )
    assert record.to_dict()["print_edition"] == {
        "paper": "人民日报",
        "date": "2024-05-10",
        "page": "04",
    }
    assert ArticleRecord.from_dict(record.to_dict()).print_edition == record.print_edition
