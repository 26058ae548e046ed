"""The cpc spider: crawl policy only (what to fetch next, what makes one article).

Discovery: the home page and channel list pages, their pagination (下一页 / indexN), every
people.com.cn-family article linked from them and its continuation pages (-2.html, …), merged
into one article. Page meaning comes from crawler.pages, storage from the pipeline, and the
crawl state (frontier) lives in the archive so a killed crawl resumes without fetching or
storing anything twice.

Arguments (`-a name=value`):
  start_urls    comma-separated URLs replacing ARCHIVE_START_URLS
  since         YYYY-MM-DD: walk list pages back to this date, past articles already archived
  recheck_days  N: re-fetch articles first seen in the last N days (edits, removals)
"""

from __future__ import annotations

import logging
from datetime import date
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from crawler.archive import crawl_state
from crawler.archive.instants import utc_now
from crawler.components.frontier import SqliteFrontier
from crawler.components.reach import UNREACHABLE, give_up, hurry, is_connection_error
from crawler.components.redirects import REDIRECT_LOOP
from crawler.components.sizecap import TOO_LARGE
from crawler.items import CrawledPage
from crawler.pages.article import merge_pages, parse_article
from crawler.pages.listing import ListingError, parse_listing
from crawler.records import ArticleRecord, Fetch, NotArticle
from crawler.urls import (
    LISTING_RE,
    article_key,
    article_url_date,
    canonical_url,
    is_asset_url,
    is_listing_url,
    parse_article_url,
)

logger = logging.getLogger(__name__)

# Articles before list pages: a fetched article leaves memory as soon as it is stored.
PRIORITY = {"continuation": 30, "article": 20, "recheck": 20, "listing": 0, "home": 0}


def parse_since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"since must be YYYY-MM-DD, got {value!r}") from exc


def url_date(url: str) -> date | None:
    """The publication day an article URL carries (/n1/2024/0807/...), if any."""
    ymd = article_url_date(url)
    try:
        return date(*ymd) if ymd else None
    except ValueError:
        return None


def entry_date(value: str | None) -> date | None:
    """The day of a date printed beside a list link ("2024-08-07", "2024-08-07T08:02…")."""
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def channel_of(url: str) -> str:
    """The channel a list page belongs to: its path without the index file."""
    m = LISTING_RE.match(urlsplit(url).path)
    return m["path"] if m else ""


def listing_page_one(url: str) -> bool:
    m = LISTING_RE.match(urlsplit(url).path)
    return bool(m) and m["page"] in ("", "1")


def refused(status: int) -> bool:
    """The server refused or failed: worth asking again when an interrupted crawl resumes."""
    return status in (403, 429) or status >= 500


def listing_kind(entry) -> str:
    return "home" if entry.kind == "home" else "listing"


def cut_short(response, url: str) -> NotArticle | None:
    """A response the downloader did not take whole: too large, or a redirect loop."""
    for key, kind in ((TOO_LARGE, "too_large"), (REDIRECT_LOOP, "redirect_loop")):
        if reason := response.request.meta.get(key):
            return NotArticle(url, kind, reason)
    return None


# IgnoreRequest's message from Scrapy's RobotsTxtMiddleware: the one request never made.
ROBOTS_REFUSAL = "Forbidden by robots.txt"


def headers_of(response) -> dict[str, str]:
    """Response headers as received, repeated ones joined (latin-1: HTTP's own charset)."""
    return {
        k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
    }


def fetch_of(response, requested_url: str | None = None) -> Fetch:
    """The response as a Fetch: bytes and headers exactly as received."""
    redirects = response.request.meta.get("redirect_urls") or []
    url = requested_url or (redirects[0] if redirects else response.url)
    return Fetch(
        url=url,
        body=response.body,
        status=response.status,
        headers=headers_of(response),
        final_url=response.url if response.url != url else "",
        fetched_at=utc_now(),
    )


class CpcSpider(scrapy.Spider):
    name = "cpc"
    # Offsite requests (a redirect off the site, say) are dropped by Scrapy before fetching.
    allowed_domains = ("people.com.cn", "people.cn")

    def __init__(self, *args, start_urls=None, since=None, recheck_days=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.seed_urls = [u.strip() for u in (start_urls or "").split(",") if u.strip()]
        self.since = parse_since(since)
        self.recheck_days = int(recheck_days) if recheck_days not in (None, "") else None
        self.run_args = {
            k: v
            for k, v in (("start_urls", start_urls), ("since", since), ("recheck", recheck_days))
            if v
        }

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.seed_urls:
            spider.seed_urls = list(crawler.settings.getlist("ARCHIVE_START_URLS"))
        spider.list_hosts = {urlsplit(u).netloc.lower() for u in spider.seed_urls}
        spider.give_up_after = crawler.settings.getint("ARCHIVE_UNREACHABLE_AFTER")
        spider.frontier = frontier_for(crawler)
        if spider.recheck_days and not isinstance(spider.frontier, SqliteFrontier):
            raise ValueError("recheck_days reads the archive: run it as a single-machine crawl")
        spider.max_pages = crawler.settings.getint("ARCHIVE_MAX_PAGES")
        crawler.signals.connect(spider.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(spider.spider_closed, signal=signals.spider_closed)
        return spider

    # --- what to fetch first ----------------------------------------------------------------

    async def start(self):
        seeds = [crawl_state.Entry(url, self.kind_of(url)) for url in self.seed_urls]
        # Articles left incomplete by a transient cause (a continuation page without answer,
        # a 5xx) are asked again until they are whole.
        seeds += self.frontier.incomplete_to_retry()
        if self.recheck_days:
            seeds += self.frontier.recheck(self.recheck_days)
        for entry in self.frontier.start(seeds, self.run_args):
            yield self.request(entry)

    @staticmethod
    def kind_of(url: str) -> str:
        if parse_article_url(url):
            return "article"
        return "listing" if is_listing_url(url) else "home"

    def request(self, entry: crawl_state.Entry) -> scrapy.Request:
        callback = self.parse_article_page if entry.kind in ("article", "recheck") else self.parse
        return scrapy.Request(
            entry.url,
            callback=callback,
            errback=self.fetch_failed,
            priority=PRIORITY[entry.kind],
            meta={"entry": entry, "depth": entry.depth},
        )

    # --- list pages and the home page -------------------------------------------------------

    def parse(self, response):
        entry: crawl_state.Entry = response.meta["entry"]
        fetch = fetch_of(response, entry.url)
        if short := cut_short(response, entry.url):
            logger.warning("List page %s: %s", response.url, short.reason)
            yield CrawledPage(entry.url, [fetch], short)
            return
        if response.status != 200:
            logger.warning("List page %s answered %d", response.url, response.status)
            yield CrawledPage(entry.url, [fetch], None, done=not refused(response.status))
            return
        try:
            listing = parse_listing(response.body, response.url, headers_of(response))
        except ListingError as exc:
            logger.error("List page %s is unreadable: %s", response.url, exc)
            yield CrawledPage(entry.url, [fetch], None)
            return
        except Exception as exc:  # a parser defect must not cost the bytes: they are stored
            logger.exception("List page %s could not be read", response.url)
            reason = f"the list parser failed: {type(exc).__name__}: {exc}"
            yield CrawledPage(entry.url, [fetch], NotArticle(entry.url, "unreadable", reason))
            return
        depth = response.meta.get("depth", 0) + 1
        channel = channel_of(response.url) or entry.channel
        # The list itself, in page order, with the dates printed beside the links; then the
        # article links elsewhere on the page (sidebars), followed but never a reason to stop.
        articles: dict[str, tuple[date | None, bool]] = {}
        for links, in_list in ((listing.entries, True), (listing.other_articles, False)):
            for link in links:
                article = parse_article_url(link.url)
                if article is None or is_asset_url(link.url):
                    continue
                first = canonical_url(article.first_page_url)
                if first not in articles:
                    articles[first] = (entry_date(link.date) or url_date(first), in_list)
        # Known from an earlier run: archived, and not found (again) by this crawl.
        this_crawl = self.frontier.kinds(list(articles))
        met_known, oldest = False, None
        found: list[crawl_state.Entry] = []
        for url, (day, in_list) in articles.items():
            if in_list and day is not None:
                oldest = day if oldest is None else min(oldest, day)
            if self.since and day is not None and day < self.since:
                continue
            if url in this_crawl:
                met_known = met_known or (in_list and this_crawl[url] == "recheck")
                continue
            if self.frontier.known_article(article_key(url)) or self.frontier.settled(url):
                met_known = met_known or in_list
                continue
            found.append(crawl_state.Entry(url, "article", channel, depth))
        for url in listing.list_urls:
            # Other channels' first pages only (their pagination is walked from page 1), and
            # only on the hosts the crawl starts from: the family's other sites link their own
            # /GB/…/index.html pages (about pages, whole other sites) from every footer.
            if urlsplit(url).netloc in self.list_hosts and listing_page_one(url):
                found.append(
                    crawl_state.Entry(canonical_url(url), "listing", channel_of(url), depth)
                )
        next_page = listing.next_url
        if next_page and entry.kind == "listing" and self.walk_on(met_known, oldest):
            found.append(crawl_state.Entry(canonical_url(next_page), "listing", channel, depth))
        what = NotArticle(entry.url, listing_kind(entry), f"{listing_kind(entry)} page, crawled")
        yield from map(self.request, self.frontier.enqueue(found))
        # Snapshotted like every fetch; marked done in the frontier once stored.
        yield CrawledPage(entry.url, [fetch], what)

    def walk_on(self, met_known: bool, oldest: date | None) -> bool:
        """Whether to read the channel's next list page.

        Incremental: stop at the first page holding an article already archived. Backfill
        (`since`): walk on past archived articles until the page reaches back before `since`.
        """
        if self.since:
            return oldest is None or oldest >= self.since
        return not met_known

    # --- articles ---------------------------------------------------------------------------

    def parse_article_page(self, response):
        entry: crawl_state.Entry = response.meta["entry"]
        fetch = fetch_of(response, entry.url)
        if short := cut_short(response, entry.url):
            yield CrawledPage(entry.url, [fetch], short)
            return
        if response.status != 200:
            # The archive decides: a removal of a known article, or a failures row.
            yield CrawledPage(entry.url, [fetch], None, done=not refused(response.status))
            return
        result = parse_article(response.body, response.url, headers_of(response))
        rest = self.continuation_urls(response, result)
        # A pager naming thousands of pages is a trap: the first ARCHIVE_MAX_PAGES are
        # fetched, and the archive flags the rest missing for good (no later run asks again).
        capped = bool(self.max_pages) and len(rest) >= self.max_pages
        if capped:
            rest = rest[: self.max_pages - 1]
        if isinstance(result, NotArticle) or not rest:
            yield CrawledPage(entry.url, [fetch], None if capped else result)
            return
        yield self.next_page(entry, [fetch], [result], rest, whole=not capped)

    def continuation_urls(self, response, result) -> list[str]:
        """Pages 2..N of the article on this page, in order, from the parser's pager links."""
        first = parse_article_url(response.url)
        if first is None or not isinstance(result, ArticleRecord):
            return []
        pages = {}
        for url in result.page_urls:
            parsed = parse_article_url(url)
            if parsed and parsed.content_id == first.content_id and parsed.page > 1:
                pages[parsed.page] = canonical_url(url)
        return [pages[n] for n in sorted(pages)]

    def next_page(self, entry, fetches, records, rest, whole: bool):
        """`whole`: every page so far came in readable (and none is left out by the limit)."""
        return scrapy.Request(
            rest[0],
            callback=self.parse_continuation,
            errback=self.continuation_failed,
            priority=PRIORITY["continuation"],
            meta={
                "entry": entry,
                "fetches": fetches,
                "records": records,
                "rest": rest[1:],
                "whole": whole,
            },
        )

    def parse_continuation(self, response):
        meta = response.meta
        entry, fetches, records = meta["entry"], [*meta["fetches"]], [*meta["records"]]
        fetches.append(fetch_of(response, response.request.url))
        whole = meta["whole"]
        if cut_short(response, response.request.url) or response.status != 200:
            whole = False
        else:
            page = parse_article(response.body, response.url, headers_of(response))
            if isinstance(page, NotArticle):
                whole = False
            else:
                records.append(page)
        yield self.go_on(entry, fetches, records, meta["rest"], whole)

    def continuation_failed(self, failure):
        meta = failure.request.meta
        # The attempt is part of the article's record: a status-0 page says "no answer", and
        # the archive flags the page missing for a transient cause (asked again later).
        url = failure.request.url
        logger.info("Continuation page %s failed: %s", url, failure.getErrorMessage())
        attempt = Fetch(url=url, body=b"", status=0, fetched_at=utc_now())
        fetches = [*meta["fetches"], attempt]
        return self.go_on(meta["entry"], fetches, [*meta["records"]], meta["rest"], False)

    def go_on(self, entry, fetches, records, rest, whole: bool):
        """The next page's request, or the article: merged here when whole; else the fetches
        alone, and the archive makes the article of the pages that came in, flagging the
        missing ones (crawler.archive.verdict.parse_fetches: one policy for every source)."""
        if rest:
            return self.next_page(entry, fetches, records, rest, whole)
        result = merge_pages(records[0], records[1:]) if whole else None
        return CrawledPage(entry.url, fetches, result)

    def fetch_failed(self, failure):
        """No response at all (timeout, connection lost, truncated body, robots.txt).

        The failure is stored (an empty fetch, status 0, and the reason in `failures`) so
        nothing is dropped silently; only a URL robots.txt forbids (never requested) is
        just logged.
        """
        request = failure.request
        entry: crawl_state.Entry = request.meta["entry"]
        reason = failure.getErrorMessage() or failure.type.__name__
        if failure.check(scrapy.exceptions.IgnoreRequest) and reason == ROBOTS_REFUSAL:
            # robots.txt forbids it: not fetched, nothing to store.
            logger.info("Not fetching %s: %s", request.url, reason)
            self.frontier.mark_done(entry.url)
            return None
        kind = failure.type.__name__
        if is_connection_error(failure.value) and give_up(self.crawler.stats, self.give_up_after):
            hurry(self.crawler)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=UNREACHABLE))
        # An empty Fetch with status 0 records that the request was made and got nothing.
        fetch = Fetch(url=entry.url, body=b"", status=0, fetched_at=utc_now())
        return CrawledPage(
            entry.url, [fetch], NotArticle(entry.url, "fetch_error", f"{kind}: {reason}")
        )

    # --- bookkeeping ------------------------------------------------------------------------

    def item_scraped(self, item):
        if item.done:
            self.frontier.mark_done(item.frontier_url)

    def spider_closed(self, reason):
        # The distributed frontier is closed by its pipeline, after the last delivery.
        if isinstance(self.frontier, SqliteFrontier):
            self.frontier.close(reason)


def frontier_for(crawler):
    """The archive file's frontier, or the fleet's in Redis when ARCHIVE_REDIS_URL is set."""
    if crawler.settings.get("ARCHIVE_REDIS_URL"):
        from crawler.distributed.frontier import RedisFrontier

        return RedisFrontier.of(crawler)
    return SqliteFrontier.from_crawler(crawler)
