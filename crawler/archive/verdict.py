"""What a fetch is, before anything is written: an article, a removal, a failure, or a page.

The rules, in the order they apply:
- a continuation page on its own is skipped (stored with page 1, it is merged into it);
- what the source judged from what only it knew (NOT_REJUDGEABLE: no response, a response cut
  short, a continuation page missing, a damaged WARC record): a failure with that kind;
- 404 or 410, or a redirect to the site's home page: the article is gone;
- no response (status 0) or any other status outside 2xx: a failure with the status;
- an empty body: a failure;
- the parser's not-found page (even served with 200) is a removal, its home page for an article
  URL a redirect home, list pages and the home page are pages in their own right (skipped),
  anything else it could not read a failure with its reason;
- an article whose page ends before </body> is a truncated page, one without a date a failure;
- a page served by any host outside the site (an off-site capture) is a failure, never an
  article, whatever content id it claims;
- the rest is an article, keyed by crawler.urls.article_key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from crawler.pages import article
from crawler.paper_urls import is_paper_pdf_url, parse_paper_url
from crawler.records import ArticleRecord, Fetch, NotArticle
from crawler.urls import (
    article_key,
    canonical_url,
    is_article_url,
    is_site_host,
    parse_article_url,
)

GONE_STATUSES = (404, 410)
HOME_PATHS = ("", "/", "/index.html", "/index.htm", "/gb/index.html")
# NotArticle kinds that are pages in their own right, not failed articles.
NOT_ARTICLE_PAGES = ("listing", "home", "print_page", "pdf")
# NotArticle kinds the source decided from the response whatever its status: a day without a
# paper (404 or a not-found page at page 1 of an issue) is a failure of its own kind.
OWN_KIND_FAILURES = ("no_issue",)
# What the downloader said of a response it did not take whole: only the fetch knew it, the
# stored bytes and status cannot tell it again (a reparse keeps these as they were recorded).
CUT_SHORT = ("too_large", "redirect_loop")
# Failures judged from what only the source knew, not from the stored bytes: a request with
# no answer, a response cut short, a continuation page that never arrived or failed, a WARC
# record damaged or orphaned in its file. A reparse keeps them as recorded.
NOT_REJUDGEABLE = ("fetch_error", *CUT_SHORT, "warc_record", "orphan_page")
# Failures a source judges before the archive sees the bytes: always failures as given
# ("incomplete": archives written before incomplete articles were stored flagged).
SOURCE_FAILURES = (*NOT_REJUDGEABLE, "incomplete")


class ArticleParser(Protocol):
    """What turns an article's pages into a record: crawler.pages.article, or a stand-in."""

    def parse_article(
        self, body: bytes, url: str, headers: Mapping | None = None
    ) -> ArticleRecord | NotArticle: ...

    def merge_pages(self, first: ArticleRecord, rest: Sequence[ArticleRecord]) -> ArticleRecord: ...


@dataclass
class Verdict:
    status: str  # article, gone, failure, skip
    record: ArticleRecord | None = None
    key: str | None = None
    kind: str = ""
    reason: str = ""


# Statuses of a continuation page worth asking for again: no answer, refused, failed.
TRANSIENT_STATUSES = (0, 403, 408, 429)


def page_problem(fetch: Fetch, page: ArticleRecord | NotArticle | None) -> tuple[str, bool]:
    """Why a continuation page is not part of its article ("" when it is), and whether a
    later fetch may bring it (a transient cause)."""
    if fetch.status != 200:
        why = "no answer" if fetch.status == 0 else f"answered HTTP {fetch.status}"
        return why, fetch.status in TRANSIENT_STATUSES or fetch.status >= 500
    if not fetch.body:
        return "empty body", True
    if _truncated(fetch):
        return "cut off in transit", True
    if isinstance(page, NotArticle):
        return f"not readable ({page.kind}: {page.reason})", False
    return "", False


def parse_fetches(
    fetches: Sequence[Fetch], max_pages: int | None = None, *, parser: ArticleParser = article
) -> tuple[ArticleRecord | NotArticle, list[str]]:
    """Parse page 1 and its continuation pages into one result; also each page's charset.

    The one multi-page policy: the pages that came in readable make the article, and any page
    its pager names that did not (failed, unreadable, never fetched, past the page limit) is
    listed in `missing_pages` with the reason, the article flagged incomplete.
    """
    if print_result := parse_print_fetch(fetches[0]):
        return print_result, [print_result.encoding]

    pages = [
        parser.parse_article(f.body, f.final_url or f.url, f.headers) if f.body else None
        for f in fetches
    ]
    charsets = [p.encoding if p is not None else "" for p in pages]
    first = pages[0]
    if not isinstance(first, ArticleRecord):
        return first, charsets
    readable, missing = [], []
    for f, page in zip(fetches[1:], pages[1:], strict=True):
        why, transient = page_problem(f, page)
        if why:
            missing.append({"url": f.url, "reason": why, "transient": transient})
        else:
            readable.append(page)
    return with_missing(fetches, first, readable, missing, max_pages, parser=parser), charsets


def with_missing(
    fetches: Sequence[Fetch],
    first: ArticleRecord,
    readable: Sequence[ArticleRecord],
    missing: list[dict],
    max_pages: int | None = None,
    *,
    parser: ArticleParser = article,
) -> ArticleRecord:
    """Page 1 merged with the readable pages, and every page missing listed: those given, and
    those its pager names that were not fetched at all (past `max_pages`: for good)."""
    from crawler.settings import ARCHIVE_MAX_PAGES

    limit = ARCHIVE_MAX_PAGES if max_pages is None else max_pages
    merged = parser.merge_pages(first, readable) if readable else first
    have = {canonical_url(f.final_url or f.url) for f in fetches}
    have |= {canonical_url(f.url) for f in fetches}
    absent = [u for u in first.page_urls if canonical_url(u) not in have]
    named = len(first.page_urls) or 1
    over = [u for i, u in enumerate(first.page_urls) if limit and i >= limit]
    missing = list(missing)
    for url in absent:
        if url not in over:
            missing.append({"url": url, "reason": "not fetched", "transient": True})
    if over:
        why = f"the pager names {named} pages, past ARCHIVE_MAX_PAGES ({limit})"
        if len(over) > 1:
            why += f": this page and the {len(over) - 1} after it not fetched"
        missing.append({"url": over[0], "reason": why, "transient": False})
    if not missing:
        return merged
    return dataclasses.replace(merged, missing_pages=missing)


def continuation_pages_whole(fetches: Sequence[Fetch]) -> bool:
    """Every continuation page answered 200 with a whole body (the spider's merge holds)."""
    return all(not page_problem(f, None)[0] for f in fetches[1:])


def parse_print_fetch(fetch: Fetch) -> ArticleRecord | NotArticle | None:
    """A print-edition fetch (paper.people.com.cn) read by the print parsers; None otherwise."""
    from crawler.pages.paper import parse_paper_article, parse_paper_page

    url = fetch.final_url or fetch.url
    parsed = parse_paper_url(url)
    if parsed is None:
        if is_paper_pdf_url(url):
            return NotArticle(url, "pdf", "a print page's PDF")
        return None
    if parsed.kind == "article":
        return parse_paper_article(fetch.body, url, fetch.headers)
    page = parse_paper_page(fetch.body, url, fetch.headers)
    if isinstance(page, NotArticle):
        return page
    return NotArticle(url, "print_page", f"print page {page.date} {page.number}", page.encoding)


def url_key(url: str) -> str | None:
    return article_key(url) if is_article_url(url) else None


def _redirected_home(fetch: Fetch) -> bool:
    if not fetch.final_url or canonical_url(fetch.final_url) == canonical_url(fetch.url):
        return False
    parts = urlsplit(fetch.final_url)
    return is_site_host(parts.netloc) and parts.path.lower() in HOME_PATHS


def _truncated(fetch: Fetch) -> str:
    # Every page of the site ends with </body></html> (browser-saved copies at least with
    # </body>); a body cut off in transit does not, and the record parsed from it could
    # silently miss the end of the article.
    tail = fetch.body[-4096:].lower()
    if b"</html" not in tail and b"</body" not in tail:
        return f"the page ends before </body> ({len(fetch.body)} bytes): truncated in transit?"
    return ""


def judge(fetches: Sequence[Fetch], result: ArticleRecord | NotArticle | None) -> Verdict:
    """The verdict on page 1 (and its continuation pages) given their parse."""
    first = fetches[0]
    if isinstance(result, NotArticle) and result.kind in OWN_KIND_FAILURES:
        return Verdict("failure", kind=result.kind, reason=result.reason)
    key_of_url = url_key(first.url)
    parsed_url = parse_article_url(first.url)
    if parsed_url and parsed_url.page > 1:
        # Page N alone is not the article: stored with page 1 it is merged into it.
        return Verdict(
            "skip",
            kind="continuation",
            reason=f"continuation page {parsed_url.page} stored without its page 1; "
            "store it together with page 1 to merge it into the article",
        )
    if isinstance(result, NotArticle) and result.kind in SOURCE_FAILURES:
        return Verdict("failure", key=key_of_url, kind=result.kind, reason=result.reason)
    if first.status in GONE_STATUSES:
        return Verdict(
            "gone",
            key=key_of_url,
            kind=f"http_{first.status}",
            reason=f"the server answered {first.status}",
        )
    if _redirected_home(first) and key_of_url:
        return Verdict(
            "gone",
            key=key_of_url,
            kind="redirect_home",
            reason=f"redirected to the home page {first.final_url}",
        )
    if first.status == 0 and isinstance(result, NotArticle):
        # No response at all (timeout, connection lost): the source says why.
        return Verdict("failure", key=key_of_url, kind=result.kind, reason=result.reason)
    if not 200 <= first.status < 300:
        return Verdict(
            "failure",
            key=key_of_url,
            kind=f"http_{first.status}",
            reason=f"the server answered {first.status}",
        )
    if not first.body:  # continuation pages are judged by parse_fetches (missing_pages)
        return Verdict(
            "failure", key=key_of_url, kind="empty", reason=f"empty body (0 bytes) for {first.url}"
        )
    assert result is not None
    if isinstance(result, NotArticle):
        if result.kind == "not_found":
            return Verdict("gone", key=key_of_url, kind="not_found", reason=result.reason)
        if result.kind == "home" and key_of_url:
            return Verdict("gone", key=key_of_url, kind="redirect_home", reason=result.reason)
        if result.kind in NOT_ARTICLE_PAGES:
            return Verdict("skip", key=None, kind=result.kind, reason=result.reason)
        return Verdict(
            "failure", key=key_of_url, kind=result.kind or "not_article", reason=result.reason
        )
    source = first.final_url or first.url
    if not is_site_host(urlsplit(source).netloc):
        # A page claims its content id; only the site's own hosts are believed.
        return Verdict(
            "failure",
            kind="off_site",
            reason=f"served by {urlsplit(source).netloc or source!r}, not a People's Daily "
            "host: never an article, whatever content id the page claims",
        )
    key = article_key(result.url or first.url, result.content_id)
    if reason := _truncated(first):
        return Verdict("failure", key=key, kind="truncated", reason=reason)
    if not result.published_at:
        return Verdict(
            "failure", key=key, kind="no_date", reason="no publication date found on the page"
        )
    return Verdict("article", record=result, key=key)
