"""Channel list pages and the home page: the articles they link, the lists, the next page.

`parse_listing` is pure (bytes + URL in, `Listing` out), like `parse_article`. A list page's
own list is told apart from its side columns by the date printed beside each entry: the
sidebars of the site link articles too, but never with a date, and a crawl that stops at the
first known article must read the channel's list in order, not the "hot" links repeated on
every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from crawler.pages import selectors as S
from crawler.pages.decode import decode_html
from crawler.pages.document import css, parse_page, text_of
from crawler.pages.normalize import clean_text, parse_date
from crawler.urls import LISTING_RE, canonical_url, is_article_url, is_listing_url, is_site_host

# The home page of a site of the family: "http://cpc.people.com.cn/".
HOME_PATHS = frozenset({"", "/", "/index.html", "/index.htm", "/index.shtml", "/GB/index.html"})

_NOT_PAGES = ("javascript:", "mailto:", "tel:", "#")


class ListingError(ValueError):
    """The bytes cannot be read as a page at all (empty, or not HTML)."""


@dataclass(frozen=True)
class ListEntry:
    """One article link of a list."""

    url: str  # absolute, as linked (fragment dropped)
    title: str  # the link text (the `title` attribute when the text is cut short with "…")
    date: str | None = (
        None  # printed beside the link: "2024-08-07", or with a time "…T08:02:00+08:00"
    )


@dataclass
class Listing:
    """What a list page or the home page links to."""

    url: str
    kind: str  # "listing" or "home"
    channel_id: str | None  # the channel of a /GB/<…>/<channel>/indexN.html list
    page: int  # 1 for index.html, N for indexN.html
    entries: list[ListEntry] = field(default_factory=list)  # the list itself, in page order
    other_articles: list[ListEntry] = field(default_factory=list)  # article links elsewhere
    list_urls: list[str] = field(default_factory=list)  # other list pages linked
    next_url: str | None = None  # the next page of this list
    encoding: str = ""


def _absolute(base: str, href: str | None) -> str | None:
    href = (href or "").strip()
    if not href or href.lower().startswith(_NOT_PAGES):
        return None
    try:
        parts = urlsplit(urljoin(base, href))
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return None  # a malformed link ("http://[::1", port 99999) leads nowhere
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _base(page: etree._Element, url: str) -> str:
    """The page's <base href> resolved, or the page URL when there is none or it is unusable
    (an unclosed IPv6 host, a port out of range, not http): browsers ignore such a base."""
    hrefs = css(page, S.BASE_HREF)
    if not hrefs:
        return url
    return _absolute(url, hrefs[0]) or url


def _link_title(a: etree._Element) -> str:
    text = clean_text(text_of(a))
    full = clean_text(a.get("title"))
    if full and (not text or text.endswith(("…", "..."))):
        return full  # lists cut long headlines and keep the whole one in the title attribute
    if text:
        return text
    for img in a.iter("img"):
        alt = clean_text(img.get("alt") or img.get("title"))
        if alt:
            return alt
    return ""


def _item_of(a: etree._Element) -> etree._Element | None:
    """The list entry (li, tr, …) holding a link, if any."""
    for el in a.iterancestors():
        if el.tag in S.LIST_ITEM_TAGS:
            return el
        if el.tag in ("ul", "ol", "table", "body"):
            return None
    return None


def _date_beside(a: etree._Element, article_keys: Mapping[etree._Element, str]) -> str | None:
    """The date printed next to the link inside its list entry, never one from the headline."""
    item = _item_of(a)
    if item is None:
        return None
    if len({article_keys[x] for x in item.iter("a") if x in article_keys}) != 1:
        return None  # a block of several articles is not one list entry
    outside = "".join(item.itertext()).replace(clean_text(text_of(a)), " ")
    return parse_date(outside, fallback=False)


def _page_number(url: str) -> int:
    m = LISTING_RE.match(urlsplit(url).path)
    return int(m["page"]) if m and m["page"] else 1


def _channel(url: str) -> str | None:
    m = LISTING_RE.match(urlsplit(url).path)
    return m["path"].rsplit("/", 1)[-1] if m else None


def _next_url(page: etree._Element, base: str, url: str, links: dict[str, str]) -> str | None:
    here = canonical_url(url)
    pagers = [el for selector in S.LISTING_PAGER for el in css(page, selector)]
    for scope in (*pagers, page):
        for a in scope.iter("a"):
            if clean_text(text_of(a)) in S.LIST_NEXT_TEXTS:
                target = _absolute(base, a.get("href"))
                if target and canonical_url(target) != here:
                    return target
                return None  # the last page: 下一页 is there but goes nowhere new
    # No 下一页 link: the next indexN.html of the same list, when the page links it.
    m = LISTING_RE.match(urlsplit(url).path)
    if not m:
        return None
    wanted = urljoin(url, f"index{_page_number(url) + 1}.html")
    return links.get(canonical_url(wanted))


def _read(body: bytes, headers: Mapping[str, str] | None) -> tuple[etree._Element, str]:
    if not body or not body.strip():
        raise ListingError("empty body")
    decoded = decode_html(body, headers)
    try:
        page = parse_page(decoded.text.encode("utf-8"))
    except (etree.ParserError, ValueError) as exc:
        raise ListingError(f"not an HTML document: {exc}") from exc
    return page, decoded.encoding


def parse_listing(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> Listing:
    """The article links, list links and next page of a list page or the home page.

    Raises ListingError when the bytes are not a page (empty body, not HTML).
    """
    page, encoding = _read(body, headers)
    base = _base(page, url)
    parts = urlsplit(url)
    home = is_site_host(parts.netloc) and parts.path in HOME_PATHS

    # Every link with its absolute URL and its folded form (the key of the page it leads to).
    here = canonical_url(url)
    resolved: list[tuple[etree._Element, str, str]] = []
    for a in page.iter("a"):
        target = _absolute(base, a.get("href"))
        if target:
            resolved.append((a, target, canonical_url(target)))
    article_keys = {a: key for a, target, key in resolved if is_article_url(target)}

    # Every article link once, in page order, with the best title and date seen for it.
    articles: dict[str, ListEntry] = {}
    dated: set[str] = set()
    links: dict[str, str] = {}
    list_urls: dict[str, str] = {}
    for a, target, key in resolved:
        links.setdefault(key, target)
        if a in article_keys:
            title, date = _link_title(a), _date_beside(a, article_keys)
            seen = articles.get(key)
            if seen is None:
                articles[key] = ListEntry(target, title, date)
            elif (not seen.title and title) or (not seen.date and date):
                articles[key] = ListEntry(seen.url, seen.title or title, seen.date or date)
            if date:
                dated.add(key)
        elif is_listing_url(target) and key != here and key not in list_urls:
            list_urls[key] = target

    if home or not dated:
        # The home page has no one list: every article it links is news to the crawl.
        entries, others = list(articles.values()), []
    else:
        entries = [e for k, e in articles.items() if k in dated]
        others = [e for k, e in articles.items() if k not in dated]
    return Listing(
        url=url,
        kind="home" if home else "listing",
        channel_id=None if home else _channel(url),
        page=1 if home else _page_number(url),
        entries=entries,
        other_articles=others,
        list_urls=list(list_urls.values()),
        next_url=None if home else _next_url(page, base, url, links),
        encoding=encoding,
    )
