"""parse_article: the bytes of one page (+ URL, + headers) -> ArticleRecord | NotArticle.

Pure: no spider, no database, no clock. Never raises: a page it cannot read is a NotArticle
with the reason. Which selectors read which layout lives in `crawler.pages.selectors`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from lxml import etree

from crawler.pages import selectors as S
from crawler.pages.body import absolute, fallback_body_root, read_body
from crawler.pages.decode import Decoded, decode_html
from crawler.pages.document import css, parse_page, text_of
from crawler.pages.normalize import (
    EDITOR_LINE_RE,
    byline_names,
    clean_text,
    editor_names,
    parse_date,
    parse_print_edition,
    source_name,
)
from crawler.records import ArticleRecord, Image, NotArticle
from crawler.urls import (
    ArticleUrl,
    canonical_url,
    is_listing_url,
    is_site_host,
    parse_article_url,
    strip_id_prefix,
)

# Bump when a change to the parser can change a record: stored snapshots get re-parsed.
PARSER_VERSION = "1.0.2"

# Control characters other than tab/newline/CR: never text, and libxml2 turns NUL into U+FFFD.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# Bytes that decode to this share of replacement or control characters are not a text page.
_MAX_REPLACED_SHARE = 0.05
_KEYWORD_SEP_RE = re.compile(r"[\s,，;；、]+")
_META_NAMES = frozenset(S.META.values())  # the <meta name> values the parser reads
_HOME_PATHS = frozenset({"", "/", "/index.html", "/index.htm", "/GB/index.html"})
_DATED_LINK_RE = re.compile(r"\d{4}[-年/.]\d{1,2}[-月/.]\d{1,2}")
# The one XPath selector, compiled once like the CSS ones (crawler.pages.document.css).
_EDITOR_TEXT = etree.XPath(S.EDITOR_TEXT_XPATH, smart_strings=False, regexp=False)


@dataclasses.dataclass(frozen=True)
class _Head:
    """What every page is asked first: its <title>, first <h1> and <meta name> values."""

    title: str  # text of the first <title> that has any
    h1: str  # text of the first <h1> that has any
    meta: dict[str, str]  # name (lower case) -> content, the first of each name it reads


def _head(page: etree._Element) -> _Head:
    meta: dict[str, str] = {}
    for el in css(page, S.META_TAGS):
        name = (el.get("name") or "").strip().lower()
        if name in _META_NAMES and name not in meta:
            meta[name] = clean_text(el.get("content"))
    return _Head(_first_text([page], (S.PAGE_TITLE,)), _first_text([page], (S.PAGE_H1,)), meta)


# --- selectors, tried in their declared order ----------------------------------------------------


def _select(roots: Sequence[etree._Element], selectors: S.Sel) -> list[etree._Element]:
    """In the first root where any selector matches: the matches of the first that does."""
    for root in roots:
        for selector in selectors:
            found = css(root, selector)
            if found:
                return found
    return []


def _first_text(roots: Sequence[etree._Element], selectors: S.Sel) -> str:
    """The first text, selectors in order, in the first root where any selector matches."""
    for root in roots:
        matched = False
        for selector in selectors:
            for el in css(root, selector):
                matched = True
                text = clean_text(text_of(el))
                if text:
                    return text
        if matched:  # the fields are in this root, even if empty: no looking further out
            return ""
    return ""


# --- fields --------------------------------------------------------------------------------------


def _pages(
    roots: Sequence[etree._Element], template: S.Template, url: str, this: ArticleUrl | None
) -> list[str]:
    """Every page of a multi-page article, first page first, from the pager links."""
    pages: dict[str, int] = {}  # URL -> page number, in link order
    for a in _select(roots, template.pager):
        href = absolute(url, a.get("href"))
        target = parse_article_url(href) if href else None
        if target is None or (this and target.first_page_url != this.first_page_url):
            continue
        pages[href] = target.page
    return sorted(pages, key=pages.__getitem__)


def _editor_line_anywhere(page: etree._Element) -> list[str]:
    """An unknown layout: the first short element whose whole text is an editor line."""
    for el in _EDITOR_TEXT(page):
        text = clean_text(text_of(el))
        if len(text) <= 60 and EDITOR_LINE_RE.match(text):
            return editor_names(text)
    return []


def _title_from_head(title: str) -> str:
    if not S.TITLE_SITE_RE.search(title):
        return title
    for _ in range(S.TITLE_SUFFIX_SEGMENTS):
        stripped = S.TITLE_SEGMENT_RE.sub("", title)
        if stripped == title or not stripped:
            break
        title = stripped
    return title


def _record(
    page: etree._Element,
    template: S.Template,
    body_root: etree._Element,
    url: str,
    decoded: Decoded,
    head: _Head,
    parsed: ArticleUrl | None,
) -> ArticleRecord:
    meta = head.meta
    body = read_body(body_root, template, url)
    scope = _select([page], template.scope)
    # The fields are looked for in the template's scope first, then in the whole page.
    roots = [scope[0], page] if scope else [page]
    if len(body.images) == 1 and not body.images[0].caption and template.caption:
        # A gallery page prints one picture with its caption in a paragraph of its own.
        body.images[0] = Image(body.images[0].src, _first_text(roots, template.caption))
    title = _first_text(roots, template.title)
    if template is S.FALLBACK:
        title = head.h1 if len(head.h1) >= S.FALLBACK_MIN_TITLE else _title_from_head(head.title)

    dateline = _first_text(roots, template.dateline)
    source_text = _first_text(roots, template.source)
    source, source_url = "", ""
    for a in _select(roots, template.source_link):
        name = clean_text(text_of(a))
        if name:
            source, source_url = name, absolute(url, a.get("href"))
            break
    source = (
        source or source_name(source_text or dateline) or source_name(meta.get(S.META["source"]))
    )

    published = parse_date(dateline) if dateline else None
    published = published or parse_date(meta.get(S.META["publishdate"]), fallback=False)

    original = _first_text(roots, template.original_title)
    m = S.ORIGINAL_TITLE_RE.match(original)
    original = clean_text(m["title"]) if m else original

    edition = parse_print_edition(_first_text(roots, template.print_edition))
    editors = editor_names(_first_text(roots, template.editors)) or body.editors
    if not editors and template is S.FALLBACK:
        editors = _editor_line_anywhere(page)
    authors = byline_names(_first_text(roots, template.author)) + body.authors

    content_id = parsed.content_id if parsed else strip_id_prefix(meta.get(S.META["contentid"]))
    channel_id = parsed.channel_id if parsed else strip_id_prefix(meta.get(S.META["catalogs"]))
    pages = _pages(roots, template, url, parsed)

    return ArticleRecord(
        url=url,
        canonical_url=canonical_url(url) if url else "",
        content_id=content_id,
        channel_id=channel_id,
        title=title,
        pretitle=_first_text(roots, template.pretitle),
        subtitle=_first_text(roots, template.subtitle),
        original_title=original or body.original_title,
        published_at=published,
        source=source,
        source_url=source_url,
        authors=list(dict.fromkeys(authors)),
        editors=editors,
        print_edition=edition or body.print_edition,
        breadcrumbs=[
            t for a in _select([page], template.breadcrumbs) if (t := clean_text(text_of(a)))
        ],
        keywords=[k for k in _KEYWORD_SEP_RE.split(meta.get(S.META["keywords"], "")) if k],
        description=meta.get(S.META["description"], ""),
        images=body.images,
        paragraphs=body.paragraphs,
        body_text="\n".join(body.paragraphs),
        page_count=max(len(pages), 1),
        page_urls=pages or ([url] if url else []),
        encoding=decoded.encoding,
        decode_errors=decoded.errors,
        template=template.name,
        parser_version=PARSER_VERSION,
    )


# --- not articles -------------------------------------------------------------------------------


def _not_article_by_page(head: _Head, url: str) -> tuple[str, str] | None:
    for text in (head.title, head.h1):
        if S.NOT_FOUND_TITLE_RE.search(text):
            return "not_found", f"not-found page (title {text[:60]!r})"
    if url:
        parts = urlsplit(url)
        if is_site_host(parts.netloc) and parts.path in _HOME_PATHS:
            return "home", f"home page of {parts.netloc}"
        if is_listing_url(url):
            return "listing", f"channel list page {parts.path}"
    if S.HOME_TITLE_RE.match(head.title):
        return "home", f"home page (its title {head.title!r} is only the site's name)"
    return None


def _looks_like_listing(page: etree._Element) -> bool:
    has_next = any(
        S.LISTING_NEXT_TEXT in clean_text(text_of(el)) for el in _select([page], S.LISTING_PAGER)
    )
    dated = sum(
        1
        for li in css(page, S.LIST_ENTRIES)
        if css(li, S.LIST_ENTRY_LINK) and _DATED_LINK_RE.search(text_of(li))
    )
    return dated >= S.LISTING_MIN_DATED_LINKS and (
        has_next or dated >= 2 * S.LISTING_MIN_DATED_LINKS
    )


# --- entry points -------------------------------------------------------------------------------


def _parse(body: bytes, url: str, headers: Mapping[str, str] | None) -> ArticleRecord | NotArticle:
    def no(kind: str, reason: str, encoding: str = "") -> NotArticle:
        return NotArticle(url, kind, reason, encoding, PARSER_VERSION)

    if not body.strip():
        return no("empty", "empty body")
    decoded = decode_html(body, headers)
    # The parser reads the UTF-8 of the decoded text (the page's own bytes when they are that
    # already); UTF-8 never has control bytes inside a character, so dropping them cannot cut one.
    data = body if decoded.body_is_utf8 else decoded.text.encode("utf-8")
    clean = data.translate(None, _CONTROL_BYTES)
    controls = len(data) - len(clean)
    if decoded.errors + controls > _MAX_REPLACED_SHARE * max(len(decoded.text), 1):
        return no(
            "unreadable",
            f"bytes are not text in any candidate charset ({decoded.errors} invalid sequences,"
            f" {controls} control characters)",
            decoded.encoding,
        )
    try:
        page = parse_page(clean)
    except (etree.ParserError, ValueError) as exc:
        return no("unreadable", f"not an HTML document: {exc}", decoded.encoding)

    head = _head(page)
    verdict = _not_article_by_page(head, url)
    if verdict:
        return no(*verdict, decoded.encoding)

    parsed = parse_article_url(url) if url else None
    for template in S.TEMPLATE_ORDER:
        if not any(css(page, selector) for selector in template.detect):
            continue
        roots = _select([page], template.body)
        if roots:
            record = _record(page, template, roots[0], url, decoded, head, parsed)
            if record.title and (record.paragraphs or record.images):
                return record
        break  # the layout is known but holds no article: try the generic reading

    if _looks_like_listing(page):
        return no("listing", "list page: dated links with pagination", decoded.encoding)
    root = fallback_body_root(page)
    if root is None:
        return no("unknown", "no template matched and no body text found", decoded.encoding)
    record = _record(page, S.FALLBACK, root, url, decoded, head, parsed)
    if len(record.title) < S.FALLBACK_MIN_TITLE:
        return no("unknown", "no template matched and no credible title", decoded.encoding)
    return record


def parse_article(
    body: bytes, url: str, headers: Mapping[str, str] | None = None
) -> ArticleRecord | NotArticle:
    """Read one fetched page. Never raises: unreadable input is a NotArticle with the reason."""
    try:
        return _parse(body or b"", url or "", headers)
    except Exception as exc:  # the contract is "never raises"; the reason keeps the evidence
        return NotArticle(
            url or "",
            "unreadable",
            f"parser error: {type(exc).__name__}: {exc}",
            "",
            PARSER_VERSION,
        )


def _page_number(record: ArticleRecord) -> int:
    parsed = parse_article_url(record.url) if record.url else None
    return parsed.page if parsed else 0


def merge_pages(first: ArticleRecord, rest: Sequence[ArticleRecord]) -> ArticleRecord:
    """One record for a multi-page article: bodies and images concatenated in page order.

    Header fields (title, date, source, …) come from the first page; names from every page.
    """
    later = sorted((r for r in rest if r.url != first.url), key=_page_number)
    paragraphs = list(first.paragraphs)
    images = list(first.images)
    authors = list(first.authors)
    editors = list(first.editors)
    for page in later:
        paragraphs += page.paragraphs
        images += [i for i in page.images if i not in images]
        authors += page.authors
        editors += page.editors
    page_urls = list(first.page_urls) or [first.url]
    for page in later:
        if page.url not in page_urls:
            page_urls.append(page.url)
    return dataclasses.replace(
        first,
        paragraphs=paragraphs,
        body_text="\n".join(paragraphs),
        images=images,
        authors=list(dict.fromkeys(authors)),
        editors=list(dict.fromkeys(editors)),
        page_count=max(first.page_count, len(page_urls), 1 + len(later)),
        page_urls=page_urls,
        print_edition=first.print_edition
        or next((p.print_edition for p in later if p.print_edition), None),
    )
