"""Links and image addresses: resolved exactly as urljoin resolves them, never a lost page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest

from crawler.items import ArticleRecord
from crawler.pages.article import parse_article
from crawler.pages.body import absolute
from crawler.pages.decode import decode_html

TESTS = Path(__file__).parent
_UTF8 = lxml.html.HTMLParser(encoding="utf-8")
BASES = [
    "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html",
    "https://js.people.com.cn/n2/2022/0213/c360307-35131671.html?from=share#top",
    "http://cpc.people.com.cn/GB/64093/64387/index.html",
    "http://CPC.People.com.cn:8080/a/b/",
    "HTTP://cpc.people.com.cn",
    "ftp://example.org/pub/",
    "file:///tmp/page.html",
]
ODD_HREFS = [
    "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513-2.html",
    "https://www.xinhuanet.com/",
    "http://www.people.com.cn",
    "HTTP://WWW.PEOPLE.COM.CN/Upper",
    "http://host:80/x",
    "http://host:/x",
    "http://user@host/x",
    "http://host/a//b",
    "http://host/a/./b",
    "http://host/a/../b",
    "http://host/a?",
    "http://host/a#",
    "http://host/a;p",
    "http://host/%E4%B8%AD",
    "http://host/中文.html",
    "/NMediaFile/2024/0807/MAIN1723005843000L2KXMRX5C5.jpg",
    "/",
    "/a/",
    "//img.people.com.cn/x.jpg",
    "/a//b",
    "/a/./b",
    "/a/../b",
    "/.hidden",
    "/a/..",
    "/a/.",
    "/a?b",
    "/a#b",
    "/a;b",
    "/a:b",
    "/a b",
    "/a\tb",
    "c64094-40294513-2.html",
    "../img/x.gif",
    "./x.html",
    "?page=2",
    "x:y",
]


def _page_links() -> list[str]:
    """Every href and src of every saved page in the tests."""
    links: set[str] = set()
    for path in [*TESTS.glob("fixtures/*/*.bin"), *TESTS.glob("site/pages/**/*")]:
        if path.is_file() and path.stat().st_size:
            text = decode_html(path.read_bytes()).text  # the whole page, whatever it declares
            doc = lxml.html.fromstring(text.encode("utf-8"), parser=_UTF8)
            links.update(v for v in doc.xpath("//@href | //@src") if v.strip())
    return sorted(links)


@pytest.mark.parametrize("base", BASES)
def test_absolute_is_urljoin(base: str) -> None:
    hrefs = ODD_HREFS + _page_links()
    assert len(hrefs) > 100  # the saved pages' own links are in the sample
    for href in hrefs:
        stripped = href.strip()
        if not stripped or stripped.lower().startswith(("javascript:", "mailto:", "#")):
            assert absolute(base, href) == ""
            continue
        try:
            expected = urljoin(base, stripped)
        except ValueError:
            expected = ""
        assert absolute(base, href) == expected, (base, href)


def test_without_a_page_url_the_address_stays_as_written() -> None:
    assert absolute("", " /a/b.jpg ") == "/a/b.jpg"


@pytest.mark.parametrize("bad", ["http://[broken/x.jpg", "//[x"])
def test_a_link_urljoin_cannot_read_costs_the_link_not_the_page(bad: str) -> None:
    with pytest.raises(ValueError):
        urljoin(BASES[0], bad)
    text = "这是一段足够长的正文，用来确认整篇文章仍然被读出来，而不是因为一个坏链接丢掉。" * 2
    html = (
        "<html><head><title>标题</title></head><body><div class='text_c'><h1>坏链接也不丢文章</h1>"
        f"<div class='show_text'><p><img src='{bad}'></p><p>{text}</p>"
        "<p><img src='/NMediaFile/2024/0807/a.jpg'></p></div></div></body></html>"
    ).encode()
    result = parse_article(html, BASES[0])
    assert isinstance(result, ArticleRecord)
    assert result.paragraphs == [text]
    assert [i.src for i in result.images] == ["http://cpc.people.com.cn/NMediaFile/2024/0807/a.jpg"]
