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

from crawler.items import Image, PrintEdition
from crawler.pages import selectors as S
from crawler.pages.css import Index, split_tags, text_content
from crawler.pages.normalize import (
    EDITOR_LINE_RE,
    PRINT_EDITION_RE,
    clean_text,
    credit_names,
    editor_names,
    parse_print_edition,
)

# Text that is more than bullets and punctuation: "·<a>…</a>" is still a link-only line.
_WORD_RE = re.compile(r"[^\W_]")
# Bound once: the body walk asks them for every element of every body.
_word = _WORD_RE.search
_BLOCK_TAGS = S.BLOCK_TAGS


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


class _Block:
    """One paragraph's text pieces and pictures, as the walk meets them."""

    # A plain slotted class: one is made per paragraph boundary, and a dataclass with
    # default factories costs several times more to build.
    __slots__ = ("caption", "images", "parts", "plain")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.plain = False  # holds text outside any link
        self.images: list[etree._Element] = []
        self.caption = False  # caption markup (p.pictext)


class _BlockWalk:
    """Cuts a body block into paragraphs at block-level tags and <br>, in document order.

    Children in `excluded`, or whose tag is in `skipped_tags`, are left out with everything
    in them (their tails, which belong to the parent, are kept).

    A class rather than a nested function that calls itself: such a closure is a reference
    cycle, which would keep the page's whole tree alive until the next garbage collection.
    """

    __slots__ = ("blocks", "captions", "current", "excluded", "skipped_tags")

    def __init__(
        self,
        excluded: set[etree._Element],
        skipped_tags: frozenset[str],
        captions: set[etree._Element],
    ) -> None:
        self.blocks: list[_Block] = []
        self.current = _Block()
        self.excluded, self.skipped_tags, self.captions = excluded, skipped_tags, captions

    def __call__(self, root: etree._Element) -> list[_Block]:
        self._walk(root, root.tag, False)
        self._close()
        return self.blocks

    def _close(self) -> None:
        current = self.current
        if current.parts or current.images:
            self.blocks.append(current)
            self.current = _Block()
        else:  # nothing in it yet: reuse it (only the caption mark can be set)
            current.caption = False

    def _walk(self, el: etree._Element, tag: str, in_link: bool) -> None:
        # Every element of the body passes through here: the word test is skipped for a
        # block already known to hold plain text and for the whitespace between tags.
        caption = el in self.captions
        boundary = caption or tag in _BLOCK_TAGS
        if boundary:
            self._close()
        current = self.current
        if caption:
            current.caption = True
        if tag == "img":
            current.images.append(el)
        text = el.text
        if text:
            current.parts.append(text)
            if not in_link and not current.plain and not text.isspace() and _word(text):
                current.plain = True
        child_in_link = in_link or tag == "a"
        skipped_tags, excluded = self.skipped_tags, self.excluded
        for child in el:
            child_tag = child.tag  # lxml builds a new string at each ask: asked once here
            if (
                child_tag.__class__ is str
                and child_tag not in skipped_tags
                and child not in excluded
            ):
                self._walk(child, child_tag, child_in_link)
                current = self.current  # the child may have closed a block
            text = child.tail
            if text:
                current.parts.append(text)
                if not in_link and not current.plain and not text.isspace() and _word(text):
                    current.plain = True
        if boundary:
            self._close()


@dataclasses.dataclass
class Body:
    paragraphs: list[str] = dataclasses.field(default_factory=list)
    images: list[Image] = dataclasses.field(default_factory=list)
    editors: list[str] = dataclasses.field(default_factory=list)
    original_title: str = ""
    print_edition: PrintEdition | None = None
    authors: list[str] = dataclasses.field(default_factory=list)


def read_body(index: Index, root: etree._Element, template: S.Template, url: str) -> Body:
    # Bare tags (script, style, …) are a name test in the walk, not a walk of their own.
    skipped_tags, selectors = split_tags((*S.COMMON_EXCLUDE, *template.exclude))
    excluded = index.find_all(root, selectors)
    captions = index.find_all(root, S.CAPTION_BLOCKS)
    out = Body()
    for block in _BlockWalk(excluded, skipped_tags, captions)(root):
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


def fallback_body_root(doc: etree._Element) -> etree._Element | None:
    """The element whose own paragraphs hold the most text."""
    weight: dict[etree._Element, int] = {}
    for p in doc.iter(S.FALLBACK_BLOCKS):
        parent = p.getparent()
        if parent is not None:
            weight[parent] = weight.get(parent, 0) + len(clean_text(text_content(p)))
    if not weight:
        return None
    root, total = max(weight.items(), key=lambda kv: kv[1])
    return root if total >= S.FALLBACK_MIN_BODY else None
