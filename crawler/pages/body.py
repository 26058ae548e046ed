"""The text of an article's body block: paragraphs, pictures, and the lines that are not text.

A body block is cut into paragraphs at block-level tags and <br>. Page furniture inside it
(share bars, editor lines, 原标题, print-edition lines, pagers, link-only lines, a trailing
related-news list) is taken out; what it says about the article (editors, original title,
print edition, credited names) is kept for the record.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urljoin

from lxml import etree

from crawler.pages import selectors as S
from crawler.pages.document import css, text_of
from crawler.pages.normalize import (
    EDITOR_LINE_RE,
    PRINT_EDITION_RE,
    clean_text,
    credit_names,
    editor_names,
    parse_print_edition,
)
from crawler.records import Image, PrintEdition

# Text that is more than bullets and punctuation: "·<a>…</a>" is still a link-only line.
_WORD_RE = re.compile(r"[^\W_]")


def absolute(url: str, href: str | None) -> str:
    """A link or image address resolved against the page URL, as urljoin resolves it.

    "" for script, mail and in-page links, and for an address urljoin cannot read (an
    unclosed "[" host): a link that leads nowhere, which must not cost the page its record.
    """
    href = (href or "").strip()
    if not href or href.lower().startswith(("javascript:", "mailto:", "#")):
        return ""
    if not url:
        return href
    try:
        return urljoin(url, href)
    except ValueError:
        return ""


@dataclasses.dataclass
class _Block:
    """One paragraph's text pieces and pictures, as the walk meets them."""

    caption: bool = False  # opened by caption markup (p.pictext)
    parts: list[str] = dataclasses.field(default_factory=list)
    plain: bool = False  # holds text outside any link
    images: list[etree._Element] = dataclasses.field(default_factory=list)

    def add(self, text: str | None, in_link: bool) -> None:
        if text:
            self.parts.append(text)
            self.plain = self.plain or (not in_link and bool(_WORD_RE.search(text)))


def _blocks(root: etree._Element, excluded: set, captions: set) -> list[_Block]:
    """A body block cut into paragraphs at block-level tags and <br>, in document order.

    Elements in `excluded` are left out with everything in them (their tails, which belong to
    the parent, are kept).
    """
    blocks = [_Block()]
    _walk(root, blocks, excluded, captions, in_link=False)
    return [b for b in blocks if b.parts or b.images]


def _walk(
    el: etree._Element, blocks: list[_Block], excluded: set, captions: set, in_link: bool
) -> None:
    # A module function rather than a closure: a nested function that calls itself is a
    # reference cycle, which would keep the page's whole tree alive until the next collection.
    boundary = el in captions or el.tag in S.BLOCK_TAGS
    if boundary:
        blocks.append(_Block(caption=el in captions))
    if el.tag == "img":
        blocks[-1].images.append(el)
    blocks[-1].add(el.text, in_link)
    for child in el:
        if isinstance(child.tag, str) and child not in excluded:
            _walk(child, blocks, excluded, captions, in_link or el.tag == "a")
        blocks[-1].add(child.tail, in_link)
    if boundary:
        blocks.append(_Block())


@dataclasses.dataclass
class Body:
    paragraphs: list[str] = dataclasses.field(default_factory=list)
    images: list[Image] = dataclasses.field(default_factory=list)
    editors: list[str] = dataclasses.field(default_factory=list)
    original_title: str = ""
    print_edition: PrintEdition | None = None
    authors: list[str] = dataclasses.field(default_factory=list)


def _elements(root: etree._Element, selectors: S.Sel) -> set[etree._Element]:
    """Every element any of the selectors matches: one CSS selector group."""
    return set(css(root, ", ".join(selectors)))


def read_body(root: etree._Element, template: S.Template, url: str) -> Body:
    excluded = _elements(root, (*S.COMMON_EXCLUDE, *template.exclude))
    captions = _elements(root, S.CAPTION_BLOCKS)
    out = Body()
    for block in _blocks(root, excluded, captions):
        text = clean_text("".join(block.parts))
        if block.caption and not block.images and out.images and not out.images[-1].caption:
            out.images[-1] = Image(out.images[-1].src, text)
            continue
        caption_used = False
        for img in block.images:
            src = absolute(url, img.get("src") or img.get("data-src"))
            if not src or S.CHROME_IMAGE_RE.search(src):
                continue
            caption = text if text and len(text) <= S.CAPTION_MAX else ""
            caption_used = caption_used or bool(caption)
            caption = caption or clean_text(img.get("title") or img.get("alt"))
            out.images.append(Image(src, caption))
        if not text or caption_used or not block.plain:
            continue  # empty, an image caption, or links only (related news, promotions)
        if len(text) > S.FURNITURE_MAX:  # page furniture is one short line; text is longer
            out.paragraphs.append(text)
            out.authors.extend(credit_names(text))
            continue
        if S.RELATED_HEADING_RE.match(text):
            break  # a related-news list closes the body
        if S.SHARE_LINE_RE.match(text) or S.PAGER_LINE_RE.match(text):
            continue
        if EDITOR_LINE_RE.match(text):
            out.editors = out.editors or editor_names(text)
            continue
        m = S.ORIGINAL_TITLE_RE.match(text)
        if m:
            out.original_title = out.original_title or clean_text(m["title"])
            continue
        m = PRINT_EDITION_RE.search(text)
        if m and len(text) - len(m.group(0)) <= 2:
            out.print_edition = out.print_edition or parse_print_edition(text)
            continue
        out.paragraphs.append(text)
        out.authors.extend(credit_names(text))
    return out


def fallback_body_root(page: etree._Element) -> etree._Element | None:
    """The element whose own paragraphs hold the most text."""
    weight: dict[etree._Element, int] = {}
    for p in css(page, S.FALLBACK_BLOCKS):
        parent = p.getparent()
        if parent is not None:
            weight[parent] = weight.get(parent, 0) + len(clean_text(text_of(p)))
    if not weight:
        return None
    root, total = max(weight.items(), key=lambda kv: kv[1])
    return root if total >= S.FALLBACK_MIN_BODY else None
