"""parse_listing over the list-page and home-page fixtures, one fact per test, plus the edge cases.

A fixture takes part when its expected.json has a "listing" block (see tests/fixtures/cpc_list_*
and cpc_home): what the page links, written down when the page was built.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.pages.listing import ListEntry, ListingError, parse_listing

FIXTURES = Path(__file__).parent / "fixtures"


def _cases() -> list[Path]:
    out = []
    for case in sorted(FIXTURES.iterdir()):
        expected = case / "expected.json"
        if expected.is_file() and "listing" in json.loads(expected.read_text("utf-8")):
            out.append(case)
    return out


_PARSED: dict[Path, object] = {}


def _load(case: Path):
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    expected = json.loads((case / "expected.json").read_text("utf-8"))["listing"]
    if case not in _PARSED:
        _PARSED[case] = parse_listing(
            (case / "page.bin").read_bytes(), meta["url"], meta["headers"]
        )
    return _PARSED[case], expected


def _facts() -> list:
    out = []
    for case in _cases():
        _, expected = _load(case)
        for name, value in expected.items():
            if name.endswith(("_include", "not_followed")):
                out += [pytest.param(case, name, v, id=f"{case.name}:{name}:{v}") for v in value]
            else:
                out.append(pytest.param(case, name, value, id=f"{case.name}:{name}"))
    return out


def _actual(listing, name: str):
    first, last = listing.entries[0], listing.entries[-1]
    return {
        "kind": lambda: listing.kind,
        "channel_id": lambda: listing.channel_id,
        "page": lambda: listing.page,
        "next_url": lambda: listing.next_url,
        "entry_count": lambda: len(listing.entries),
        "entries_first": lambda: {"url": first.url, "title": first.title, "date": first.date},
        "entries_last": lambda: {"url": last.url, "title": last.title, "date": last.date},
        "entry_urls": lambda: [e.url for e in listing.entries],
        "entry_dates": lambda: [e.date for e in listing.entries],
        "list_urls": lambda: listing.list_urls,
    }[name]()


def test_listing_fixtures_exist() -> None:
    names = {c.name for c in _cases()}
    assert {"cpc_list_64387", "cpc_list_64387_p2", "cpc_home"} <= names


@pytest.mark.parametrize(("case", "name", "value"), _facts())
def test_listing_fact(case: Path, name: str, value) -> None:
    listing, _ = _load(case)
    if name == "other_articles_include":
        assert value in [e.url for e in listing.other_articles]
    elif name == "list_urls_include":
        assert value in listing.list_urls
    elif name == "not_followed":
        followed = [e.url for e in (*listing.entries, *listing.other_articles)] + listing.list_urls
        assert value not in followed
    else:
        assert _actual(listing, name) == value


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.name)
def test_listing_entries_are_unique(case: Path) -> None:
    listing, _ = _load(case)
    urls = [e.url for e in (*listing.entries, *listing.other_articles)]
    assert len(urls) == len(set(urls))


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.name)
def test_listing_records_the_charset(case: Path) -> None:
    listing, _ = _load(case)
    assert listing.encoding == "gb18030"


def test_sidebar_title_outside_gb2312_decodes() -> None:
    case = FIXTURES / "cpc_list_64387"
    listing, _ = _load(case)
    gallery = "http://cpc.people.com.cn/n1/2024/0805/c164113-40292178.html"
    titles = {e.url: e.title for e in listing.other_articles}
    assert titles[gallery] == "陕西西安鄠邑区：葡萄喜获丰收"


# --- edge cases on small pages ----------------------------------------------------------------

LIST_URL = "http://cpc.people.com.cn/GB/64093/64387/index5.html"


def _page(inner: str) -> bytes:
    return f"<html><head><meta charset='utf-8'></head><body>{inner}</body></html>".encode()


def test_next_page_from_the_next_page_link() -> None:
    body = _page(
        "<div class='page'><a href='index4.html'>上一页</a><a href='index6.html'>下一页</a></div>"
    )
    assert (
        parse_listing(body, LIST_URL).next_url
        == "http://cpc.people.com.cn/GB/64093/64387/index6.html"
    )


def test_next_page_link_to_the_page_itself_means_last_page() -> None:
    body = _page(
        "<div class='page'><a href='index4.html'>上一页</a><a href='index5.html'>下一页</a></div>"
    )
    assert parse_listing(body, LIST_URL).next_url is None


def test_next_page_from_the_index_pattern_without_a_next_link() -> None:
    body = _page("<div class='page'><a href='index4.html'>4</a><a href='index6.html'>6</a></div>")
    assert (
        parse_listing(body, LIST_URL).next_url
        == "http://cpc.people.com.cn/GB/64093/64387/index6.html"
    )


def test_no_next_page_when_none_is_linked() -> None:
    body = _page("<div class='page'><a href='index4.html'>4</a></div>")
    assert parse_listing(body, LIST_URL).next_url is None


def test_page_number_from_the_url() -> None:
    assert parse_listing(_page("<p>x</p>"), LIST_URL).page == 5


def test_cut_headline_takes_the_title_attribute() -> None:
    body = _page(
        "<ul><li><a href='/n1/2024/0807/c64387-1.html' title='一个很长很长的完整标题'>一个很长…</a>"
        " 2024-08-07</li></ul>"
    )
    assert parse_listing(body, LIST_URL).entries[0].title == "一个很长很长的完整标题"


def test_date_with_time_is_beijing_time() -> None:
    body = _page(
        "<ul><li><a href='/n1/2024/0807/c64387-1.html'>标题</a>2024年08月07日08:02</li></ul>"
    )
    assert parse_listing(body, LIST_URL).entries[0].date == "2024-08-07T08:02:00+08:00"


def test_date_inside_the_headline_is_not_the_entry_date() -> None:
    body = _page(
        "<ul><li><a href='/n1/2024/0807/c64387-1.html'>2024年08月01日起施行的新规</a></li>"
        "<li><a href='/n1/2024/0807/c64387-2.html'>标题</a> [2024-08-07]</li></ul>"
    )
    entries = parse_listing(body, LIST_URL).other_articles
    assert entries == [
        ListEntry(
            "http://cpc.people.com.cn/n1/2024/0807/c64387-1.html", "2024年08月01日起施行的新规"
        )
    ]


def test_http_and_https_links_to_one_article_are_one_entry() -> None:
    body = _page(
        "<ul><li><a href='http://cpc.people.com.cn/n1/2024/0807/c64387-1.html'>标题</a></li>"
        "<li><a href='https://cpc.people.com.cn/n1/2024/0807/c64387-1.html#top'>标题</a></li></ul>"
    )
    assert len(parse_listing(body, LIST_URL).entries) == 1


def test_links_that_are_not_pages_are_ignored() -> None:
    body = _page(
        "<a href='javascript:void(0)'>收藏</a><a href='mailto:a@people.cn'>信箱</a>"
        "<a href='/img/a.pdf'>PDF</a><a href='https://www.xuexi.cn/'>学习强国</a>"
    )
    listing = parse_listing(body, LIST_URL)
    assert (listing.entries, listing.other_articles, listing.list_urls) == ([], [], [])


@pytest.mark.parametrize(
    "href",
    [
        "http://[::1/n1/2024/0807/c64387-1.html",
        "http://cpc.people.com.cn:99999/n1/2024/0807/c1-1.html",
    ],
)
def test_malformed_links_are_skipped(href: str) -> None:
    body = _page(f"<ul><li><a href='{href}'>坏链接</a> 2024-08-07</li></ul>")
    assert parse_listing(body, LIST_URL).entries == []


def test_a_page_with_no_element_is_a_clear_error() -> None:
    with pytest.raises(ListingError, match="not an HTML document"):
        parse_listing(b"<!-- -->", LIST_URL)


def test_a_list_without_dates_lists_every_article_link() -> None:
    body = _page(
        "<ul><li><a href='/n1/2024/0807/c64387-1.html'>一</a></li>"
        "<li><a href='/n1/2024/0807/c64387-2.html'>二</a></li></ul>"
    )
    assert [e.title for e in parse_listing(body, LIST_URL).entries] == ["一", "二"]


def test_base_href_resolves_relative_links() -> None:
    body = _page(
        "<base href='http://politics.people.com.cn/'>"
        "<ul><li><a href='n1/2024/0807/c1001-1.html'>标题</a> 2024-08-07</li></ul>"
    )
    url = parse_listing(body, LIST_URL).entries[0].url
    assert url == "http://politics.people.com.cn/n1/2024/0807/c1001-1.html"


@pytest.mark.parametrize("base", ["http://[::1/", "http://cpc.people.com.cn:99999/", "mailto:x"])
def test_an_unusable_base_href_is_ignored_as_browsers_do(base: str) -> None:
    body = _page(
        f"<base href='{base}'>"
        "<ul><li><a href='/n1/2024/0807/c64387-1.html'>标题</a> 2024-08-07</li></ul>"
    )
    url = parse_listing(body, LIST_URL).entries[0].url
    assert url == "http://cpc.people.com.cn/n1/2024/0807/c64387-1.html"


def test_article_links_under_a_path_prefix_are_listed() -> None:
    urls = [
        "http://lianghui.people.com.cn/2018npc/n1/2018/0317/c417507-29873336.html",
        "http://cpc.people.com.cn/xuexi/n1/2018/0306/c385474-29851362.html",
        "http://money.people.com.cn/stock/n1/2018/0316/c67815-29871613.html",
    ]
    links = "".join(f"<li><a href='{u}'>标题{i}</a></li>" for i, u in enumerate(urls))
    listing = parse_listing(_page(f"<ul>{links}</ul>"), "http://www.people.com.cn/")
    assert [e.url for e in listing.entries + listing.other_articles] == urls


def test_home_page_has_no_channel() -> None:
    listing = parse_listing(
        _page("<a href='/n1/2024/0807/c64094-1.html'>标题</a>"), "http://cpc.people.com.cn/"
    )
    assert (listing.kind, listing.channel_id) == ("home", None)


def test_empty_body_is_a_clear_error() -> None:
    with pytest.raises(ListingError, match="empty body"):
        parse_listing(b"", LIST_URL)


def test_whitespace_body_is_a_clear_error() -> None:
    with pytest.raises(ListingError, match="empty body"):
        parse_listing(b" \r\n\t ", LIST_URL)


def test_truncated_list_page_keeps_the_entries_before_the_cut() -> None:
    raw = (FIXTURES / "cpc_list_64387" / "page.bin").read_bytes()
    cut = raw[: raw.index(b"c64387-40293310") + 40]  # mid-entry, mid-character possibly
    listing = parse_listing(cut, "http://cpc.people.com.cn/GB/64093/64387/index.html")
    assert [e.url for e in listing.entries][-1].endswith("c64387-40294418.html")


def test_wrong_declared_charset_still_reads_gbk_titles() -> None:
    raw = (FIXTURES / "cpc_list_64387" / "page.bin").read_bytes()
    listing = parse_listing(
        raw,
        "http://cpc.people.com.cn/GB/64093/64387/index.html",
        {"Content-Type": "text/html; charset=iso-8859-1"},
    )
    assert listing.entries[0].title == "以钉钉子精神抓好改革落实"
