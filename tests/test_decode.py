"""decode_html: the charset rules, one case each, on bytes built here."""

from __future__ import annotations

import random

from crawler.pages.decode import decode_html

GB_HEADER = {"Content-Type": "text/html; charset=GB2312"}
PAGE = "<html><head>{meta}<title>标题</title></head><body><p>{text}</p></body></html>"
META_GB = '<meta http-equiv="content-type" content="text/html;charset=GB2312">'


def _page(text: str, meta: str = META_GB) -> str:
    return PAGE.format(meta=meta, text=text)


def test_utf8_bytes_declared_gb2312_are_utf8() -> None:
    body = _page("米歇尔・布兰 李喆").encode("utf-8")
    d = decode_html(body)
    assert d.encoding == "utf-8"
    assert d.declared == "gb2312"
    assert d.declared_by == "meta"
    assert "米歇尔・布兰 李喆" in d.text


def test_header_declaration_is_recorded_over_meta() -> None:
    d = decode_html(_page("中文").encode("utf-8"), {"content-type": "text/html; charset=GBK"})
    assert d.declared == "gbk"
    assert d.declared_by == "header"
    assert d.encoding == "utf-8"


def test_gbk_bytes_outside_gb2312_decode_as_gb18030() -> None:
    # 喆 and 镕 are GBK, not GB2312; a strict GB2312 decoder would fail on them.
    body = _page("李喆 朱镕基").encode("gbk")
    d = decode_html(body, GB_HEADER)
    assert d.encoding == "gb18030"
    assert d.errors == 0
    assert "李喆 朱镕基" in d.text


def test_katakana_middle_dot_written_by_the_server_survives() -> None:
    # ・ (U+30FB) is in neither GB2312 nor GBK: the server writes it as GB18030.
    body = _page("图帕克・卡塔里").encode("gb18030")
    d = decode_html(body, GB_HEADER)
    assert "图帕克・卡塔里" in d.text
    assert "\ufffd" not in d.text


def test_gb2312_middle_dot_reads_as_gbk_does() -> None:
    # A1A4 is U+00B7 under GBK/GB18030 (U+30FB under Python's strict gb2312 codec).
    d = decode_html(_page("普法进村居").encode("gbk") + b"\xa1\xa4", GB_HEADER)
    assert d.text.endswith("\u00b7")


def test_no_declaration_reads_as_the_site_charset() -> None:
    d = decode_html(_page("中国共产党新闻网", meta="").encode("gbk"))
    assert d.encoding == "gb18030"
    assert d.declared is None
    assert "中国共产党新闻网" in d.text


def test_wrong_latin_declaration_over_gbk_bytes() -> None:
    body = _page("中国共产党新闻网", meta="").encode("gbk")
    d = decode_html(body, {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert d.encoding == "gb18030"
    assert d.declared == "iso-8859-1"
    assert "中国共产党新闻网" in d.text


def test_wrong_utf8_declaration_over_gbk_bytes() -> None:
    body = _page("责编：王子锋", meta="").encode("gbk")
    d = decode_html(body, {"Content-Type": "text/html; charset=utf-8"})
    assert d.encoding == "gb18030"
    assert "责编：王子锋" in d.text


def test_unknown_charset_label_is_recorded_and_ignored() -> None:
    d = decode_html(
        _page("中文", meta="").encode("gbk"), {"Content-Type": "text/html; charset=x-bogus"}
    )
    assert d.declared == "x-bogus"
    assert d.encoding == "gb18030"


def test_truncated_gbk_page_decodes_with_one_replacement() -> None:
    body = _page("李喆").encode("gbk")
    cut = body[: body.index("喆".encode("gbk")) + 1]  # inside the last character
    d = decode_html(cut, GB_HEADER)
    assert d.encoding == "gb18030"
    assert d.errors == 1
    assert d.replaced
    assert d.text.endswith("李\ufffd")


def test_truncated_utf8_page_stays_utf8() -> None:
    body = _page("米歇尔・布兰").encode("utf-8")
    cut = body[: body.index("兰".encode()) + 2]
    d = decode_html(cut, GB_HEADER)
    assert d.encoding == "utf-8"
    assert d.errors == 1
    assert d.text.endswith("米歇尔・布\ufffd")


def test_replacement_characters_already_in_the_bytes_are_not_errors() -> None:
    d = decode_html(_page("胡\ufffd础").encode("utf-8"), GB_HEADER)
    assert d.errors == 0
    assert "胡\ufffd础" in d.text


def test_utf8_bom_wins() -> None:
    d = decode_html(b"\xef\xbb\xbf" + _page("中文").encode("utf-8"), GB_HEADER)
    assert d.encoding == "utf-8"
    assert d.declared_by == "bom"
    assert not d.text.startswith("\ufeff")


def test_empty_body() -> None:
    d = decode_html(b"")
    assert d.text == ""
    assert d.errors == 0


def test_binary_garbage_never_raises_and_counts_errors() -> None:
    rng = random.Random(20240807)
    for _ in range(20):
        body = bytes(rng.randrange(256) for _ in range(2000))
        d = decode_html(body, GB_HEADER)
        assert isinstance(d.text, str)
        assert d.errors > 0


def test_scrapy_style_bytes_headers() -> None:
    headers = {b"Content-Type": [b"text/html; charset=GB2312"]}
    d = decode_html(_page("李喆", meta="").encode("gbk"), headers)
    assert d.declared == "gb2312"
    assert d.declared_by == "header"
    assert "李喆" in d.text


def test_body_is_utf8_only_when_the_bytes_are_the_texts_utf8() -> None:
    utf8 = _page("李喆").encode("utf-8")
    assert decode_html(utf8).body_is_utf8
    assert decode_html(utf8).text.encode("utf-8") == utf8
    assert not decode_html(b"\xef\xbb\xbf" + utf8).body_is_utf8  # the mark is not text
    assert not decode_html(utf8[:-1] + "喆".encode()[:2]).body_is_utf8  # truncated
    assert not decode_html(_page("李喆").encode("gbk"), GB_HEADER).body_is_utf8
