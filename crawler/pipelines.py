"""Thin adapter from Scrapy to the archive: one run row per crawl, one store per article."""

from __future__ import annotations

import logging

from scrapy import signals

from crawler.archive.db import open_archive
from crawler.archive.store import finish_run, start_run, store_fetches

logger = logging.getLogger(__name__)

# Counters the runs row keeps, by StoreOutcome.status.
OUTCOMES = ("new", "changed", "unchanged", "removed", "failed")


class ArchivePipeline:
    def __init__(self, crawler, path: str):
        self.crawler = crawler
        self.path = path
        self.db = None
        self.run_id: int | None = None
        self.counts = dict.fromkeys(("fetched", *OUTCOMES), 0)

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler, crawler.settings.get("ARCHIVE_DB"))
        # Pipelines close before the finish reason is known; spider_closed carries it.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        self.db = open_archive(self.path)
        spider = self.crawler.spider
        self.run_id = start_run(self.db, "crawl", args=getattr(spider, "run_args", None))

    def process_item(self, item):
        outcome = store_fetches(self.db, self.run_id, item.fetches, item.result)
        self.counts["fetched"] += len(item.fetches)
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        return item

    def spider_closed(self, reason):
        if self.db is None:
            return
        finish_run(self.db, self.run_id, reason, counts=self.counts)
        self.db.close()
        self.db = None
