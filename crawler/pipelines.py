"""Thin adapter from Scrapy to the archive: one run row per crawl, one store per article."""

from __future__ import annotations

from scrapy import signals

from crawler.archive.store import finish_run, start_run, store_fetches
from crawler.crawl.archive import open_crawl_archive
from crawler.monitoring.monitors import RUN_ID_STAT


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        # Pipelines close before the finish reason is known; spider_closed carries it.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        self.db = open_crawl_archive(self.crawler.settings)
        spider = self.crawler.spider
        self.run_id = start_run(self.db, "crawl", args=getattr(spider, "run_args", None))
        # The monitors (crawler.monitoring) judge this run: the stat names it for them.
        self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)

    def process_item(self, item):
        # store_fetches keeps the run's counts as it goes, so a killed run still has them.
        store_fetches(self.db, self.run_id, item.fetches, item.result)
        return item

    def spider_closed(self, reason):
        if self.db is None:
            return
        finish_run(self.db, self.run_id, reason)
        self.db.close()
        self.db = None
