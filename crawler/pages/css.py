"""Named CSS selectors: compiled once to XPath, evaluated in their declared try order.

cssselect turns "#p_title" into a walk over every element of the page; libxml2's HTML parser
already indexes ids, so a selector whose first step names an id starts from `id('…')`
instead: the same elements for pages with unique ids (HTML requires them), in a fraction of
the time. Everything else is cssselect's translation, unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from cssselect import HTMLTranslator
from lxml import etree

from crawler.pages.normalize import clean_text

_TRANSLATOR = HTMLTranslator()
# "tag#id.class.class" as the first step, then the rest (" > h1", " a", "") of the selector.
_ID_FIRST_RE = re.compile(
    r"^(?P<tag>[a-zA-Z][\w-]*)?(?P<pre>(?:\.[\w-]+)*)#(?P<id>[\w-]+)(?P<post>(?:\.[\w-]+)*)"
    r"(?P<rest>(?:\s*>\s*|\s+).+)?$"
)


def css_to_xpath(selector: str) -> str:
    m = _ID_FIRST_RE.match(selector.strip())
    if not m:
        return _TRANSLATOR.css_to_xpath(selector)
    first = f"{m['tag'] or '*'}{m['pre']}{m['post']}"
    path = f"id('{m['id']}')"
    if first != "*":
        # Keep the tag and class conditions of the first step as a self:: test.
        path += f"[{_TRANSLATOR.css_to_xpath(first, prefix='self::')}]"
    rest = m["rest"]
    if rest:
        child = rest.strip().startswith(">")
        rest = rest.strip().lstrip(">").strip()
        path += "/" + _TRANSLATOR.css_to_xpath(rest, prefix="" if child else "descendant::")
    return path


@cache
def compiled(selectors: tuple[str, ...]) -> etree.XPath:
    """One XPath for all the selectors (their union, in document order)."""
    return etree.XPath(" | ".join(css_to_xpath(s) for s in selectors))


_NAME_RE = re.compile(r"[.#]([\w-]+)")


@cache
def _markers(selector: str) -> tuple[bytes, ...]:
    return tuple(name.encode("ascii") for name in _NAME_RE.findall(selector))


def may_match(selector: str, page: bytes) -> bool:
    """False when a class or id the selector names is nowhere in the page's (UTF-8) bytes.

    A byte search is far cheaper than a tree walk, and a name absent from the bytes cannot
    be on any element; a name present may still not match, so the selector is then run.
    """
    return all(marker in page for marker in _markers(selector))


# Where selectors are evaluated: a template's scope element first, then the whole page.
Roots = etree._Element | tuple[etree._Element, ...]


def _found(roots: Roots, selectors: tuple[str, ...]) -> tuple[etree._Element, list]:
    """The first root in which any of the selectors matches, and the union of their matches."""
    roots = roots if isinstance(roots, tuple) else (roots,)
    for root in roots:
        found = compiled(selectors)(root)  # one walk answers "does any match?"
        if found:
            return root, found
    return roots[-1], []


def select(roots: Roots, selectors: Sequence[str]) -> list[etree._Element]:
    """The elements of the first selector that matches anything."""
    if not selectors:
        return []
    root, found = _found(roots, tuple(selectors))
    if not found or len(selectors) == 1:
        return found
    for sel in selectors:
        hit = compiled((sel,))(root)
        if hit:
            return hit
    return []


def first_text(roots: Roots, selectors: Sequence[str]) -> str:
    """The text of the first element, of the first selector in order, that has any text."""
    if not selectors:
        return ""
    root, found = _found(roots, tuple(selectors))
    texts = {}
    for el in found:
        text = clean_text(el.text_content())
        if text:
            texts[el] = text
    if len(texts) <= 1 or len(selectors) == 1:
        return next(iter(texts.values()), "")
    for sel in selectors:
        for el in compiled((sel,))(root):
            if el in texts:
                return texts[el]
    return ""


def tag_text(doc: etree._Element, tag: str) -> str:
    """The text of the first <tag> that has any (a C-level walk, no XPath)."""
    for el in doc.iter(tag):
        text = clean_text(el.text_content())
        if text:
            return text
    return ""
