"""crawler.pages.css: id-first selectors find what cssselect finds; the byte prefilter is safe."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import lxml.html
import pytest
from lxml.cssselect import CSSSelector

from crawler.pages import selectors as S
from crawler.pages.css import Index, compiled, css_to_xpath, may_match
from crawler.pages.decode import decode_html

PARSER = lxml.html.HTMLParser(encoding="utf-8")  # comments kept: the index must skip them

PAGE = b"""<html><body><div class="route" id="rwb_navpath"><a href="/">a</a><a href="/b">b</a></div>
<div class="box_con x" id="rwb_zw"><p>t</p><div class="zdfy"><a href="/2">2</a></div></div>
<span id="paper_num">p</span><font id="zoom">z</font><h1 id="p_title">h</h1></body></html>"""


@pytest.mark.parametrize(
    "selector",
    [
        "#p_title",
        "h1#p_title",
        "div#p_title",
        "div.box_con#rwb_zw",
        "div.other#rwb_zw",
        "div.route#rwb_navpath a",
        "#rwb_zw div.zdfy a",
        "#rwb_zw > p",
        "span#paper_num",
        "font#zoom",
        "div.zdfy a",
    ],
)
def test_same_elements_as_cssselect(selector: str) -> None:
    doc = lxml.html.document_fromstring(PAGE)
    assert compiled((selector,))(doc) == CSSSelector(selector, translator="html")(doc)


def test_id_selector_uses_the_id_index() -> None:
    assert css_to_xpath("#p_title") == "id('p_title')"


def test_every_declared_selector_runs_on_a_page() -> None:
    doc = lxml.html.document_fromstring(PAGE)
    for template in (*S.TEMPLATE_ORDER, S.FALLBACK):
        for name in ("detect", "title", "body", "dateline", "editors", "pager", "breadcrumbs"):
            for selector in getattr(template, name):
                assert isinstance(compiled((selector,))(doc), list), selector


def test_id_lookup_skips_an_anchor_name() -> None:
    # HTML's id table also files <a name="…">; an id selector still means the id attribute.
    doc = lxml.html.document_fromstring(
        b'<html><body><a name="y">a</a><p id="y">first</p><p id="y">second</p>'
        b'<a name="z">only a name</a></body></html>'
    )
    index = Index(doc)
    assert [el.text for el in index.find(doc, "#y")] == ["first"]
    assert [el.text for el in index.find(doc, "p#y")] == ["first"]
    assert index.find(doc, "#z") == []


def test_may_match() -> None:
    assert may_match("div.rm_txt div.col-1", b'<div class="rm_txt"><div class="col-1">')
    assert not may_match("div.txtCon", b'<div class="rm_txt">')
    assert may_match("h1", b"")  # no names: only the tree can tell


def test_may_match_on_a_real_page() -> None:
    raw = (
        Path(__file__).parent / "fixtures/politics_2020wbc_2024_c1001-40223222/page.bin"
    ).read_bytes()
    assert may_match("div.rm_txt div.col-1", raw)
    assert not may_match("div#picG", raw)


def _declared_selectors() -> list[str]:
    out = [*S.COMMON_EXCLUDE, *S.CAPTION_BLOCKS, *S.LISTING_PAGER]
    for template in (*S.TEMPLATE_ORDER, S.FALLBACK):
        for field in dataclasses.fields(template):
            value = getattr(template, field.name)
            if isinstance(value, tuple):
                out.extend(value)
    return list(dict.fromkeys(out))


@pytest.mark.parametrize(
    "page", sorted(Path(__file__).parent.glob("fixtures/*/page*.bin")), ids=lambda p: p.parent.name
)
def test_index_finds_what_xpath_finds(page: Path) -> None:
    decoded = decode_html(page.read_bytes())
    doc = lxml.html.document_fromstring(decoded.text.encode("utf-8"), parser=PARSER)
    index = Index(doc)
    selectors = _declared_selectors()
    # Roots: the page, and every element a selector finds (scopes, bodies, links, …).
    roots = [doc, *dict.fromkeys(el for sel in selectors for el in compiled((sel,))(doc))]
    for root in roots:
        for sel in selectors:
            assert index.find(root, sel) == compiled((sel,))(root), (root, sel)


def test_index_on_nested_and_duplicate_markup() -> None:
    doc = lxml.html.document_fromstring(
        b'<html><body><div class="a" id="x"><p>1</p><div class="a b"><p>2</p><a>3</a></div>'
        b'<p>4</p></div><div id="x" class="a"><p>5</p></div><p class="c\xc2\xa0d">6</p>'
        b"</body></html>"
    )
    index = Index(doc)
    for sel in ("div.a p", "div.a > p", "#x p", "div.a.b > *", ".a *", "p.c", "#x", "div#x > p"):
        assert index.find(doc, sel) == compiled((sel,))(doc), sel
