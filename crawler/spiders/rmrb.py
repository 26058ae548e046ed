"""The rmrb spider: the 人民日报 print edition (paper.people.com.cn), issue by issue.

Crawl policy only. For each day: page 1's index page names every page of the issue; each
page's index page lists its articles in order and links its PDF. Page meaning comes from
crawler.pages.paper, storage from crawler.pipelines (crawler.archive.paper).

What is left to fetch is read from the archive itself, so a rerun fetches nothing it already
has and a killed backfill resumes by running the same command again: a day whose pages and
articles are all archived costs no request, a partly archived day only its missing pages and
articles, a day known to have had no paper (a `no_issue` failure fetched after the day ended)
none.

Arguments (`-a name=value`):
  date    YYYY-MM-DD: that day's issue
  since   YYYY-MM-DD: every day from `since` to `until` (default: today), oldest first
  until   YYYY-MM-DD: with `since`
  (none)  every issue since the last one archived; the first run takes today's
"today" is Beijing's date (ARCHIVE_PRINT_TODAY overrides it for replays and tests).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import ClassVar

import scrapy

from crawler.archive.instants import utc_now
from crawler.archive.paper import archived_dates, issue_pages, missing_articles
from crawler.components.connection import CrawlArchive
from crawler.items import CrawledPage, PrintPageItem
from crawler.pages.paper import parse_paper_article, parse_paper_page
from crawler.paper_urls import PAPER_HOST, page_url, parse_paper_url
from crawler.records import Fetch, NotArticle, PrintPage
from crawler.spiders.cpc import fetch_of, headers_of, parse_since

logger = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8))
# Articles first: each leaves memory once stored; then PDFs (big), then more pages.
PRIORITY = {"article": 20, "pdf": 10, "page": 0, "first_page": 0}
# The day is over in Beijing (00:00 next day, +08:00) at 16:00 UTC: a not-found answer fetched
# after that is final, one fetched earlier may be a paper not yet published.
DAY_END_UTC = "T16:00:00"


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class RmrbSpider(scrapy.Spider):
    name = "rmrb"
    allowed_domains = (PAPER_HOST,)
    custom_settings: ClassVar[dict] = {
        # Print pages and their PDFs are stored by the print pipeline (a subclass of the
        # archive pipeline: articles go through the same store_fetches).
        "ITEM_PIPELINES": {"crawler.pipelines.PrintArchivePipeline": 300},
    }

    def __init__(self, *args, date=None, since=None, until=None, **kwargs):
        super().__init__(*args, **kwargs)
        if date and (since or until):
            raise ValueError("give either date or since/until, not both")
        if until and not since:
            raise ValueError("until needs since")
        self.day = parse_since(date)
        self.since = parse_since(since)
        self.until = parse_since(until)
        self.run_args = {
            k: v
            for k, v in (("spider", "rmrb"), ("date", date), ("since", since), ("until", until))
            if v
        }
        self.requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.pdfs = settings.getbool("ARCHIVE_PRINT_PDFS")
        today = settings.get("ARCHIVE_PRINT_TODAY")
        spider.today = parse_since(today) if today else datetime.now(BEIJING).date()
        spider.db = CrawlArchive.of(crawler).db
        return spider

    # --- which days ---------------------------------------------------------------------

    def days(self) -> list[date]:
        if self.day:
            return [self.day]
        if self.since:
            return days_between(self.since, self.until or self.today)
        archived = archived_dates(self.db)
        if not archived:
            return [self.today]
        # The last archived day again: a run killed during it left it partly archived.
        return days_between(date.fromisoformat(archived[-1]), self.today)

    def known_missing(self, day: date) -> bool:
        """An earlier run found no paper that day, after the day was over."""
        row = self.db.execute(
            "SELECT 1 FROM failures WHERE url = ? AND kind = 'no_issue' AND at >= ?",
            [page_url(day, 1), f"{day.isoformat()}{DAY_END_UTC}"],
        ).fetchone()
        return row is not None

    async def start(self):
        for day in self.days():
            for request in self.requests_for(day):
                yield request

    def requests_for(self, day: date):
        pages = {p["number"]: p for p in issue_pages(self.db, day.isoformat())}
        if "01" not in pages:
            if not self.known_missing(day):
                yield from self.page_request(page_url(day, 1), first=True)
            return
        for link in pages["01"]["issue_pages"]:
            row = pages.get(link["number"])
            if row is None:
                yield from self.page_request(link["url"])
                continue
            yield from self.article_requests(row["article_urls"])
            if self.pdfs and row["pdf_url"] and row["pdf_snapshot_id"] is None:
                # The page is in but its PDF never came: fetch it, the index page again with it.
                yield from self.page_request(link["url"])

    # --- requests -----------------------------------------------------------------------

    def once(self, url: str) -> bool:
        if url in self.requested:
            return False
        self.requested.add(url)
        return True

    def page_request(self, url: str, first: bool = False):
        """The request for a page's index page, unless this run has asked for it already."""
        if not self.once(url):
            return
        yield scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            priority=PRIORITY["first_page" if first else "page"],
            meta={"first": first},
        )

    def article_requests(self, urls: list[str]):
        for url in missing_articles(self.db, urls):
            if self.once(url):
                yield scrapy.Request(
                    url,
                    callback=self.parse_article,
                    errback=self.article_failed,
                    priority=PRIORITY["article"],
                )

    # --- page index pages ---------------------------------------------------------------

    def parse_page(self, response):
        fetch = fetch_of(response, response.request.url)
        first = response.meta.get("first", False)
        if response.status != 200:
            if first and response.status in (404, 410):
                day = parse_paper_url(fetch.url).date
                reason = f"no issue on {day}: the server answered {response.status}"
                yield PrintPageItem(fetch, NotArticle(fetch.url, "no_issue", reason))
            else:
                yield PrintPageItem(fetch, None)  # the archive judges by the status
            return
        page = parse_paper_page(response.body, fetch.url, headers_of(response))
        if not isinstance(page, PrintPage):
            yield PrintPageItem(fetch, page)
            return
        if first:
            known = {p["number"] for p in issue_pages(self.db, page.date)}
            for link in page.pages:
                if link.number != page.number and link.number not in known:
                    yield from self.page_request(link.url)
        yield from self.article_requests(page.article_urls)
        if self.pdfs and page.pdf_url:
            yield scrapy.Request(
                page.pdf_url,
                callback=self.parse_pdf,
                errback=self.pdf_failed,
                priority=PRIORITY["pdf"],
                meta={"index": fetch, "page": page},
            )
            return
        yield PrintPageItem(fetch, page)

    def page_failed(self, failure):
        request = failure.request
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        fetch = Fetch(request.url, b"", 0, fetched_at=utc_now())
        return PrintPageItem(fetch, NotArticle(request.url, "fetch_error", reason))

    # --- PDFs ---------------------------------------------------------------------------

    def parse_pdf(self, response):
        meta = response.meta
        yield PrintPageItem(meta["index"], meta["page"], fetch_of(response, response.request.url))

    def pdf_failed(self, failure):
        request = failure.request
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        pdf = Fetch(request.url, b"", 0, fetched_at=utc_now())
        return PrintPageItem(
            request.meta["index"],
            request.meta["page"],
            pdf,
            NotArticle(request.url, "fetch_error", reason),
        )

    # --- articles -----------------------------------------------------------------------

    def parse_article(self, response):
        fetch = fetch_of(response, response.request.url)
        if response.status != 200:
            yield CrawledPage(fetch.url, [fetch], None)
            return
        result = parse_paper_article(response.body, fetch.url, headers_of(response))
        yield CrawledPage(fetch.url, [fetch], result)

    def article_failed(self, failure):
        request = failure.request
        reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        fetch = Fetch(request.url, b"", 0, fetched_at=utc_now())
        return CrawledPage(request.url, [fetch], NotArticle(request.url, "fetch_error", reason))
