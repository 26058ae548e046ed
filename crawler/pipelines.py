"""Thin adapter from Scrapy to the archive: one run row per crawl, one store per article.

A busy archive never costs a fetched page, nor stalls the crawl: while the crawl runs, a
store is an attempt that does not wait for another writer's lock (CrawlArchive.attempt). A
page the archive cannot take at once goes to the spool on disk (crawler.components.spool), and
so does every page after it until the spool is empty again, so pages are stored in the order
they came. A retry loop stores the spooled pages every ARCHIVE_SPOOL_RETRY seconds, without
waiting either; only the end of the run waits for the lock, ARCHIVE_BUSY_TIMEOUT in all, and
what is still spooled then is stored first thing by the next run. A spooled page's frontier
entry stays pending until it is stored, and a run that ends with pages spooled does not end
`finished`.
"""

from __future__ import annotations

import logging
import time

from scrapy import signals
from twisted.internet import task

from crawler.archive.db import ArchiveBusyError, write_transaction
from crawler.archive.paper import store_print_page
from crawler.archive.runs import finish_run, start_run
from crawler.archive.store import StoreOutcome, store_fetches
from crawler.components import spool
from crawler.components.connection import CrawlArchive
from crawler.components.runlock import refused
from crawler.items import PrintPageItem
from crawler.monitoring.monitors import RUN_ID_STAT

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.archive = CrawlArchive.of(crawler)
        self.db = None
        self.run_id: int | None = None
        settings = crawler.settings
        self.busy_timeout = settings.getfloat("ARCHIVE_BUSY_TIMEOUT")
        self.retry_every = settings.getfloat("ARCHIVE_SPOOL_RETRY")
        self.max_pages = settings.getint("ARCHIVE_MAX_PAGES")
        self.spool = spool.spool_dir(settings.get("ARCHIVE_DB"))
        # Pages waiting in the spool: while there are any, new pages queue behind them.
        self.backlog = 0
        self.retry_loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        # Pipelines close before the finish reason is known; spider_closed carries it.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        if refused(self.crawler):
            return  # another crawl holds the archive: no run, and its spool is its own
        self.db = self.archive.db
        spider = self.crawler.spider
        # Before the first request: waiting for the lock (ARCHIVE_BUSY_TIMEOUT) stalls nothing.
        self.run_id = start_run(self.db, "crawl", args=getattr(spider, "run_args", None))
        # The monitors (crawler.monitoring) judge this run: the stat names it for them.
        self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)
        left = self.drain()  # what an earlier run could not store
        if left:
            logger.warning("%d spooled pages still wait for the archive", left)
        self.retry_loop = task.LoopingCall(self.drain)
        self.retry_loop.start(self.retry_every, now=False)

    def process_item(self, item):
        if not self.backlog:
            try:
                self.store(item)
                return item
            except ArchiveBusyError as busy:
                logger.warning(
                    "Archive busy; pages wait in %s until it is free: %s", self.spool, busy
                )
        path = spool.put(self.spool, item)
        self.backlog += 1
        logger.debug("%s spooled to %s", item, path)
        self.crawler.stats.inc_value("archive/spooled")
        item.done = False  # pending in the frontier until stored
        return item

    def store(self, item, wait: float = 0.0) -> None:
        """Store `item`, waiting `wait` seconds at most for another writer (ArchiveBusyError)."""
        with self.archive.attempt(wait):
            outcome = store_fetches(
                self.db, self.run_id, item.fetches, item.result, max_pages=self.max_pages
            )
        self.stored(outcome)

    def stored(self, outcome: StoreOutcome) -> None:
        """What a subclass counts of a page stored."""

    def drain(self, wait: float = 0.0) -> int:
        """Store spooled pages, oldest first, until the archive is busy; how many are left.

        `wait`: seconds to wait for another writer's lock, in all (none while the crawl runs).
        """
        deadline = time.monotonic() + wait
        left = spool.pending(self.spool)
        while left:
            item = spool.load(left[0])
            try:
                self.store(item, max(0.0, deadline - time.monotonic()))
            except ArchiveBusyError:
                break
            left.pop(0).unlink()
            self.crawler.stats.inc_value("archive/unspooled")
            frontier = getattr(self.crawler.spider, "frontier", None)
            if getattr(item, "done", False) and frontier is not None:
                # Kept in memory while the archive is busy; a resumed run finds it stored.
                frontier.mark_done(item.frontier_url)
        self.backlog = len(left)
        return self.backlog

    def close_spider(self):
        if self.db is None:
            return
        # Before spider_closed: the spider then knows whether pages are left unstored.
        if self.retry_loop is not None and self.retry_loop.running:
            self.retry_loop.stop()
        try:
            self.drain(self.busy_timeout)
        except Exception:
            logger.exception("Storing the spooled pages failed")

    def spider_closed(self, reason):
        if self.db is None:
            return
        left = len(spool.pending(self.spool))
        frontier = getattr(self.crawler.spider, "frontier", None)
        unwritten = len(getattr(frontier, "unwritten", None) or [])
        undone = len(getattr(frontier, "undone", None) or ())
        if left:
            reason = f"unstored: {left} pages spooled in {self.spool}, stored by the next run"
            logger.error("Crawl ends with %d pages not yet in the archive (%s)", left, self.spool)
        elif unwritten:
            reason = f"unstored: {unwritten} links found could not be written to the frontier"
        elif undone:
            reason = f"unstored: {undone} pages done could not be marked so in the frontier"
        try:
            # The connection's own busy timeout: ARCHIVE_BUSY_TIMEOUT.
            finish_run(self.db, self.run_id, reason)
        except ArchiveBusyError:
            logger.critical("Run %s could not be closed: the archive stays locked", self.run_id)
        self.db = None  # CrawlArchive closes the connection once the engine has stopped


# Store outcomes that count as an archived article (`print/articles`).
ARCHIVED = ("new", "changed", "unchanged")


class PrintArchivePipeline(ArchivePipeline):
    """The archive pipeline for the rmrb spider: print pages as rows, and the run's print stats.

    Articles (CrawledPage) are stored by ArchivePipeline as for the web crawl; a PrintPageItem is
    stored by crawler.archive.paper.store_print_page. Both are spooled alike while the archive
    is busy. The Scrapy stats `print/issues`,
    `print/pages` and `print/articles` count what this run archived (issues with at least one
    page stored, page rows written, print articles stored); monitoring reads them.
    """

    def open_spider(self):
        # Before the base drains the spool: pages an earlier run left there count too.
        self.issues: set[str] = set()
        stats = self.crawler.stats
        for name in ("print/issues", "print/pages", "print/articles"):
            stats.set_value(name, 0)
        super().open_spider()

    def store(self, item, wait: float = 0.0) -> None:
        if not isinstance(item, PrintPageItem):
            super().store(item, wait)
            return
        # One transaction: a busy archive leaves none of the page's rows, the spool all of it.
        with self.archive.attempt(wait), write_transaction(self.db):
            outcome = store_print_page(
                self.db, self.run_id, item.index, item.page, item.pdf, item.pdf_result
            )
        stats = self.crawler.stats
        if outcome.stored:
            stats.inc_value("print/pages")
            if item.page.date not in self.issues:
                self.issues.add(item.page.date)
                stats.inc_value("print/issues")
        elif outcome.index.reason.startswith("no_issue"):
            stats.inc_value("print/missing_days")
        if outcome.pdf is not None and outcome.pdf.status == "skipped":
            stats.inc_value("print/pdfs")

    def stored(self, outcome: StoreOutcome) -> None:
        if outcome.status in ARCHIVED:
            self.crawler.stats.inc_value("print/articles")
