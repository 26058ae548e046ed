"""Thin adapter from Scrapy to the archive: one run row per crawl, one store per article.

A busy archive never costs a fetched page: a store waits ARCHIVE_STORE_WAIT seconds at most
(the crawl goes on meanwhile), and a page the archive cannot take is spooled to disk
(crawler.components.spool) and stored later by a retry loop, at the end of the run, or by the next
run. Its frontier entry stays pending until it is stored, and a run that ends with pages still
spooled does not end `finished`.
"""

from __future__ import annotations

import contextlib
import logging

from scrapy import signals
from twisted.internet import task

from crawler.archive import crawl_state
from crawler.archive.db import ArchiveBusyError
from crawler.archive.paper import store_print_page
from crawler.archive.runs import finish_run, start_run
from crawler.archive.store import store_fetches
from crawler.components import spool
from crawler.components.connection import open_crawl_archive
from crawler.components.runlock import refused
from crawler.items import PrintPageItem
from crawler.monitoring.monitors import RUN_ID_STAT

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None
        self.run_id: int | None = None
        settings = crawler.settings
        self.path = settings.get("ARCHIVE_DB")
        self.busy_timeout = settings.getfloat("ARCHIVE_BUSY_TIMEOUT")
        self.store_wait = settings.getfloat("ARCHIVE_STORE_WAIT")
        self.retry_every = settings.getfloat("ARCHIVE_SPOOL_RETRY")
        self.max_pages = settings.getint("ARCHIVE_MAX_PAGES")
        self.spool = spool.spool_dir(self.path)
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
        self.db = open_crawl_archive(self.crawler.settings)
        spider = self.crawler.spider
        self.run_id = start_run(self.db, "crawl", args=getattr(spider, "run_args", None))
        # The monitors (crawler.monitoring) judge this run: the stat names it for them.
        self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)
        left = self.drain(self.busy_timeout)  # what an earlier run could not store
        if left:
            logger.warning("%d spooled pages still wait for the archive", left)
        self.retry_loop = task.LoopingCall(self.drain, self.store_wait)
        self.retry_loop.start(self.retry_every, now=False)

    def process_item(self, item):
        # store_fetches keeps the run's counts as it goes, so a killed run still has them.
        try:
            self.store(item, self.store_wait)
        except ArchiveBusyError as e:
            path = spool.put(self.spool, item)
            logger.warning("Archive busy; %s spooled to %s until it is free: %s", item, path, e)
            self.crawler.stats.inc_value("archive/spooled")
            item.done = False  # pending in the frontier until stored
        return item

    def store(self, item, wait: float) -> None:
        self.db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        store_fetches(self.db, self.run_id, item.fetches, item.result, max_pages=self.max_pages)

    def drain(self, wait: float) -> int:
        """Store spooled pages, oldest first, until the archive is busy; how many are left."""
        left = spool.pending(self.spool)
        while left:
            item = spool.load(left[0])
            try:
                self.store(item, wait)
            except ArchiveBusyError:
                return len(left)
            left.pop(0).unlink()
            if item.done:
                # Busy: it stays pending, and a resumed run finds the page stored.
                with contextlib.suppress(ArchiveBusyError):
                    crawl_state.mark_done(self.db, item.frontier_url)
            self.crawler.stats.inc_value("archive/unspooled")
        return 0

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
        elif unwritten:
            reason = f"unstored: {unwritten} links found could not be written to the frontier"
            logger.error("Crawl ends with %d pages not yet in the archive (%s)", left, self.spool)
        elif undone:
            reason = f"unstored: {undone} pages done could not be marked so in the frontier"
        try:
            self.db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            finish_run(self.db, self.run_id, reason)
        except ArchiveBusyError:
            logger.critical("Run %s could not be closed: the archive stays locked", self.run_id)
        self.db.close()
        self.db = None


# Store outcomes that count as an archived article (`print/articles`).
ARCHIVED = ("new", "changed", "unchanged")


class PrintArchivePipeline(ArchivePipeline):
    """The archive pipeline for the rmrb spider: print pages as rows, and the run's print stats.

    Articles (CrawledPage) are stored by ArchivePipeline as for the web crawl; a PrintPageItem is
    stored by crawler.archive.paper.store_print_page. The Scrapy stats `print/issues`,
    `print/pages` and `print/articles` count what this run archived (issues with at least one
    page stored, page rows written, print articles stored); monitoring reads them.
    """

    def open_spider(self):
        super().open_spider()
        self.issues: set[str] = set()
        stats = self.crawler.stats
        for name in ("print/issues", "print/pages", "print/articles"):
            stats.set_value(name, 0)

    def process_item(self, item):
        stats = self.crawler.stats
        if isinstance(item, PrintPageItem):
            outcome = store_print_page(
                self.db, self.run_id, item.index, item.page, item.pdf, item.pdf_result
            )
            if outcome.stored:
                stats.inc_value("print/pages")
                if item.page.date not in self.issues:
                    self.issues.add(item.page.date)
                    stats.inc_value("print/issues")
            elif outcome.index.reason.startswith("no_issue"):
                stats.inc_value("print/missing_days")
            if outcome.pdf is not None and outcome.pdf.status == "skipped":
                stats.inc_value("print/pdfs")
            return item
        outcome = store_fetches(self.db, self.run_id, item.fetches, item.result)
        if outcome.status in ARCHIVED:
            stats.inc_value("print/articles")
        return item
