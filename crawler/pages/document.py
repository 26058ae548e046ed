"""A page's UTF-8 bytes as an lxml tree, and CSS selection over it the way parsel does it.

The tree is lxml's HTML parser, comments and processing instructions dropped (neither is
text). Selectors are written as Scrapy users write them (`"div.text_c > h1"`); `css()` turns
each into XPath with parsel's own translator, the one `Selector.css` uses, and compiles that
XPath with lxml once for the life of the process: `Selector.css` translates and compiles its
selector again on every call, which cost more than the selection itself on these small pages.
"""

from __future__ import annotations

import functools

import lxml.html
from lxml import etree
from parsel.csstranslator import css2xpath

_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)


def parse_page(data: bytes) -> etree._Element:
    """The document of UTF-8 `data`. Raises lxml's ParserError (or ValueError) on no document."""
    return lxml.html.document_fromstring(data, parser=_PARSER)


@functools.cache
def _compiled(selector: str) -> etree.XPath:
    # Plain strings, not lxml's "smart" ones, which hold a reference to their tree.
    return etree.XPath(css2xpath(selector), smart_strings=False)


def css(root: etree._Element, selector: str) -> list:
    """What `parsel.Selector(root=root).css(selector)` matches, as lxml elements in document
    order (strings for a `::attr(name)` selector)."""
    return _compiled(selector)(root)
