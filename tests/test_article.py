"""parse_article on bad and odd input, and merge_pages; the fixtures test the real pages."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from crawler.pages.article import PARSER_VERSION, merge_pages, parse_article
from crawler.records import ArticleRecord, NotArticle

FIXTURES = Path(__file__).parent / "fixtures"
JS_CASE = FIXTURES / "js_n2_2020wbc_2022_c360307-35131671"
JS_URL = "http://js.people.com.cn/n2/2022/0213/c360307-35131671.html"
GB_HEADER = {"Content-Type": "text/html; charset=GB2312"}
URL = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"


def _html(title: str, body: str) -> bytes:
    return (
        f"<html><head><meta charset='gbk'><title>{title}</title></head><body>{body}</body></html>"
    ).encode("gbk")


def test_empty_body() -> None:
    result = parse_article(b"", URL)
    assert isinstance(result, NotArticle)
    assert result.kind == "empty"
    assert result.parser_version == PARSER_VERSION


def test_whitespace_body() -> None:
    result = parse_article(b" \r\n\t ", URL)
    assert isinstance(result, NotArticle)
    assert result.kind == "empty"


def test_binary_garbage_is_unreadable_not_a_crash() -> None:
    rng = random.Random(7)
    for _ in range(30):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5000)))
        result = parse_article(body, URL, GB_HEADER)
        assert isinstance(result, NotArticle)
        assert result.kind in {"unreadable", "unknown", "empty"}


def test_png_bytes() -> None:
    result = parse_article(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, URL)
    assert isinstance(result, NotArticle)
    assert result.kind == "unreadable"
    assert "invalid" in result.reason


def test_malformed_markup_never_raises() -> None:
    for body in (b"<", b"<html", b"</p></div>", b"<!--", b"<?xml version='1.0'?>", b"\x00\x00"):
        assert isinstance(parse_article(body, URL), NotArticle)


def test_truncated_real_page_keeps_what_arrived() -> None:
    raw = (JS_CASE / "page.bin").read_bytes()
    cut = raw[: raw.index("学校要把传染病防控知识".encode("gbk")) + 3]  # inside a character
    result = parse_article(cut, JS_URL, GB_HEADER)
    assert isinstance(result, ArticleRecord)
    assert result.title == "江苏多地要求中高风险地区师生员工暂不返校"
    assert result.published_at == "2022-02-13T07:48:00+08:00"
    assert result.paragraphs[0].startswith("江苏多地日前发布通知")
    assert result.editors == []  # the editor line never arrived


def test_truncated_before_the_article_is_not_an_article() -> None:
    raw = (JS_CASE / "page.bin").read_bytes()
    result = parse_article(raw[:1500], JS_URL, GB_HEADER)
    assert isinstance(result, NotArticle)


def test_wrong_charset_header_over_gbk_page() -> None:
    raw = (JS_CASE / "page.bin").read_bytes()
    result = parse_article(raw, JS_URL, {"Content-Type": "text/html; charset=utf-8"})
    assert isinstance(result, ArticleRecord)
    assert result.encoding == "gb18030"
    assert result.title == "江苏多地要求中高风险地区师生员工暂不返校"


@pytest.mark.parametrize("title", ["页面没有找到", "出错啦！", "404 页面没有找到--人民网"])
def test_not_found_page_served_with_200(title: str) -> None:
    result = parse_article(_html(title, "<h1>标题</h1><p>返回首页</p>"), URL)
    assert isinstance(result, NotArticle)
    assert result.kind == "not_found"
    assert title[:3] in result.reason


def test_home_page_by_url() -> None:
    result = parse_article(_html("中国共产党新闻网", "<p>首页</p>"), "http://cpc.people.com.cn/")
    assert isinstance(result, NotArticle)
    assert result.kind == "home"


def test_listing_page_by_url() -> None:
    url = "http://cpc.people.com.cn/GB/64093/64387/index2.html"
    result = parse_article(_html("高层动态", "<ul><li>x</li></ul>"), url)
    assert isinstance(result, NotArticle)
    assert result.kind == "listing"


def test_listing_page_by_content() -> None:
    items = "".join(
        f"<li><a href='/n1/2024/08{d:02d}/c64094-4029{d:04d}.html'>标题{d}</a> 2024-08-{d:02d}</li>"
        for d in range(1, 21)
    )
    body = f"<ul>{items}</ul><div class='page'><a href='index2.html'>下一页</a></div>"
    result = parse_article(_html("高层动态", body), "http://cpc.people.com.cn/some/list.html")
    assert isinstance(result, NotArticle)
    assert result.kind == "listing"


def test_unknown_layout_with_title_and_text_is_a_fallback_record() -> None:
    text = "这是一篇没有已知模板的文章正文，内容足够长，可以判断为文章。" * 3
    paragraphs = f"<div class='y'><p>{text}</p><p>{text}</p></div>"
    body = f"<div class='x'><h1>未知模板的文章</h1>{paragraphs}</div>"
    result = parse_article(_html("未知模板的文章--人民网", body), URL)
    assert isinstance(result, ArticleRecord)
    assert result.template == "fallback"
    assert result.title == "未知模板的文章"
    assert result.paragraphs == [text, text]


def test_unknown_layout_without_body_is_not_an_article() -> None:
    result = parse_article(_html("某页面", "<div><a href='/'>首页</a></div>"), URL)
    assert isinstance(result, NotArticle)
    assert result.kind == "unknown"
    assert "no template" in result.reason


def test_known_layout_with_empty_body_falls_through() -> None:
    body = "<div class='text_c'><h1>标题</h1><div class='show_text'></div></div>"
    result = parse_article(_html("标题", body), URL)
    assert isinstance(result, NotArticle)


def test_parse_is_pure() -> None:
    raw = (JS_CASE / "page.bin").read_bytes()
    assert parse_article(raw, JS_URL).to_dict() == parse_article(raw, JS_URL).to_dict()


def _page(n: int, paragraphs: list[str]) -> ArticleRecord:
    suffix = "" if n == 1 else f"-{n}"
    return ArticleRecord(
        url=f"http://cpc.people.com.cn/n1/2024/0806/c64387-40293310{suffix}.html",
        canonical_url="",
        content_id="40293310",
        channel_id="64387",
        title="标题",
        paragraphs=paragraphs,
        body_text="\n".join(paragraphs),
        editors=["刘喆"],
        page_count=3,
        page_urls=[
            "http://cpc.people.com.cn/n1/2024/0806/c64387-40293310.html",
            "http://cpc.people.com.cn/n1/2024/0806/c64387-40293310-2.html",
            "http://cpc.people.com.cn/n1/2024/0806/c64387-40293310-3.html",
        ],
    )


def test_merge_pages_orders_by_page_number() -> None:
    merged = merge_pages(_page(1, ["一"]), [_page(3, ["三"]), _page(2, ["二"])])
    assert merged.paragraphs == ["一", "二", "三"]
    assert merged.body_text == "一\n二\n三"
    assert merged.page_count == 3
    assert merged.editors == ["刘喆"]


def test_merge_pages_ignores_a_repeated_first_page() -> None:
    first = _page(1, ["一"])
    assert merge_pages(first, [first, _page(2, ["二"])]).paragraphs == ["一", "二"]


def test_record_round_trips_through_json() -> None:
    raw = (FIXTURES / "finance_2020wbc_2024_c1004-40232587" / "page.bin").read_bytes()
    record = parse_article(raw, "http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html")
    assert isinstance(record, ArticleRecord)
    again = ArticleRecord.from_dict(json.loads(json.dumps(record.to_dict(), ensure_ascii=False)))
    assert again == record


def test_truncated_page_says_how_many_bytes_were_replaced() -> None:
    raw = (JS_CASE / "page.bin").read_bytes()
    cut = raw[: raw.index("学校要把传染病防控知识".encode("gbk")) + 3]
    result = parse_article(cut, JS_URL, GB_HEADER)
    assert isinstance(result, ArticleRecord)
    assert result.decode_errors == 1
    assert parse_article(raw, JS_URL, GB_HEADER).decode_errors == 0


def test_mutated_real_pages_never_reach_the_safety_net() -> None:
    # parse_article catches any exception as a last resort; no input should need it.
    rng = random.Random(20240807)
    for meta_path in sorted(FIXTURES.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text("utf-8"))
        raw = (meta_path.parent / "page.bin").read_bytes()
        for _ in range(8):
            body = bytearray(raw[: rng.randrange(len(raw) + 1)])
            for _ in range(rng.randrange(10)):
                if body:
                    body[rng.randrange(len(body))] = rng.randrange(256)
            result = parse_article(bytes(body), meta["url"], meta.get("headers"))
            assert not (isinstance(result, NotArticle) and "parser error" in result.reason)


def test_fallback_title_loses_channel_and_site_name() -> None:
    text = "这是一篇没有已知模板的文章正文，内容足够长，可以判断为文章。" * 3
    body = f"<div><p>{text}</p><p>{text}</p></div>"
    result = parse_article(_html("女儿出嫁，郑板桥画了几笔兰花当嫁妆--文化--人民网", body), URL)
    assert isinstance(result, ArticleRecord)
    assert result.title == "女儿出嫁，郑板桥画了几笔兰花当嫁妆"


def test_stray_control_bytes_are_dropped_not_turned_into_text() -> None:
    text = "这是一段足够长的正文，用来确认控制字符被去掉而文字原样保留。" * 4
    body = f"<div class='text_c'><h1>控制字符也不丢文章</h1><div class='show_text'><p>{text}</p>"
    html = _html("标题", body + "</div></div>")
    cut = html.index(text.encode("gbk")) + 6  # inside the paragraph, between characters
    dirty = html[:cut] + b"\x00\x01\x1f\x7f" + html[cut:]
    result = parse_article(dirty, URL, GB_HEADER)
    assert isinstance(result, ArticleRecord)
    assert result.paragraphs == [text]
    assert "\ufffd" not in result.body_text


def test_a_page_mostly_of_control_bytes_is_unreadable() -> None:
    html = _html("标题", "<p>" + "正文" * 20 + "</p>")
    result = parse_article(html + b"\x01\x02" * 400, URL, GB_HEADER)
    assert isinstance(result, NotArticle)
    assert result.kind == "unreadable"
    assert "800 control characters" in result.reason
