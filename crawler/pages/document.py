"""A page's UTF-8 bytes as an lxml tree, and CSS selection over it the way parsel does it.

The tree is lxml's HTML parser, comments and processing instructions dropped (neither is
text). Plain lxml elements, not lxml.html's: lxml.html picks each element's Python class
with a Python call whenever the element is first touched, and the parsers use none of
what those classes add beyond `text_content()`, which `text_of` is.

Selectors are written as Scrapy users write them (`"div.text_c > h1"`); `css()` turns each
into XPath with parsel's own translator, the one `Selector.css` uses, and compiles that XPath
with lxml once for the life of the process: `Selector.css` translates and compiles its
selector again on every call, which cost more than the selection itself on these small pages.
"""

from __future__ import annotations

import functools

from lxml import etree
from parsel.csstranslator import css2xpath

# No table of id attributes (collect_ids): it serves XPath's id() and getelementbyid(), and
# CSS's #id translates to an @id test instead.
_PARSER = etree.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False
)
# What lxml.html's text_content() evaluates. Plain strings, not lxml's "smart" ones, which
# hold a reference to their tree.
_STRING = etree.XPath("string()", smart_strings=False)


def parse_page(data: bytes) -> etree._Element:
    """The document of UTF-8 `data`. Raises lxml's ParserError (or ValueError) on no document.

    As lxml.html.document_fromstring reads it, without lxml.html's element classes.
    """
    root = etree.fromstring(data, _PARSER)
    if root is None:
        raise etree.ParserError("Document is empty")
    return root


def text_of(el: etree._Element) -> str:
    """All the text inside an element, as XPath's string() gives it."""
    return _STRING(el)


@functools.cache
def _compiled(selector: str) -> etree.XPath:
    # No EXSLT regular expressions (lxml sets them up on every call otherwise): CSS selectors
    # never translate to them.
    return etree.XPath(css2xpath(selector), smart_strings=False, regexp=False)


def css(root: etree._Element, selector: str) -> list:
    """What `parsel.Selector(root=root).css(selector)` matches, as lxml elements in document
    order (strings for a `::attr(name)` selector)."""
    return _compiled(selector)(root)
