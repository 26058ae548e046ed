"""Links and image addresses: resolved against the page URL, never a lost page."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from crawler.pages.article import parse_article
from crawler.pages.body import absolute
from crawler.records import ArticleRecord

PAGE = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("c64094-40294513-2.html", "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513-2.html"),
        ("/NMediaFile/2024/0807/a.jpg", "http://cpc.people.com.cn/NMediaFile/2024/0807/a.jpg"),
        ("//img.people.com.cn/x.jpg", "http://img.people.com.cn/x.jpg"),
        ("../img/x.gif", "http://cpc.people.com.cn/n1/2024/img/x.gif"),
        (" https://www.xinhuanet.com/ ", "https://www.xinhuanet.com/"),
    ],
)
def test_relative_and_absolute_addresses_resolve_against_the_page(href: str, expected: str) -> None:
    assert absolute(PAGE, href) == expected


@pytest.mark.parametrize("href", ["javascript:void(0)", "mailto:a@b.cn", "#top", "", "  "])
def test_script_mail_and_in_page_links_lead_nowhere(href: str) -> None:
    assert absolute(PAGE, href) == ""


def test_without_a_page_url_the_address_stays_as_written() -> None:
    assert absolute("", " /a/b.jpg ") == "/a/b.jpg"


@pytest.mark.parametrize("bad", ["http://[broken/x.jpg", "//[x"])
def test_a_link_urljoin_cannot_read_costs_the_link_not_the_page(bad: str) -> None:
    with pytest.raises(ValueError):
        urljoin(PAGE, bad)
    text = "这是一段足够长的正文，用来确认整篇文章仍然被读出来，而不是因为一个坏链接丢掉。" * 2
    html = (
        "<html><head><title>标题</title></head><body><div class='text_c'><h1>坏链接也不丢文章</h1>"
        f"<div class='show_text'><p><img src='{bad}'></p><p>{text}</p>"
        "<p><img src='/NMediaFile/2024/0807/a.jpg'></p></div></div></body></html>"
    ).encode()
    result = parse_article(html, PAGE)
    assert isinstance(result, ArticleRecord)
    assert result.paragraphs == [text]
    assert [i.src for i in result.images] == ["http://cpc.people.com.cn/NMediaFile/2024/0807/a.jpg"]
