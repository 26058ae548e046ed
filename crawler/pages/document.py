"""A page's UTF-8 bytes as a parsel Selector: the tree both parsers select from.

The tree is lxml's HTML parser, comments and processing instructions dropped (neither is
text), handed to parsel, so that selectors are written as Scrapy users write them:
`page.css("div.text_c > h1")`.
"""

from __future__ import annotations

import lxml.html
from parsel import Selector

_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)


def page_selector(data: bytes) -> Selector:
    """The document of UTF-8 `data`. Raises lxml's ParserError (or ValueError) on no document."""
    return Selector(root=lxml.html.document_fromstring(data, parser=_PARSER))


def text_of(selected: Selector) -> str:
    """All the text inside a selected element, as XPath's string() gives it."""
    return selected.root.text_content()


def attribute(selected: Selector, name: str) -> str | None:
    """One attribute of a selected element.

    Not parsel's `.attrib`, which copies every attribute of the element: on a damaged page
    one of them may have a name lxml refuses to read, and that must not cost the page.
    """
    return selected.root.get(name)
