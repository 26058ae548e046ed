"""The worker's pipeline: each fetch group goes to the Redis stream the writer consumes.

Replaces ArchivePipeline when ARCHIVE_REDIS_URL is set; the worker never opens the archive.
The item is pickled whole (bytes, headers, the parse): the fleet is one trusted deployment,
and the writer stores exactly what the single-machine pipeline would.
"""

from __future__ import annotations

import logging
import pickle

from scrapy import signals

from crawler.distributed.frontier import RedisFrontier
from crawler.distributed.queue import frontier_url

logger = logging.getLogger(__name__)


class StreamPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.frontier = RedisFrontier.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.spider_error, signal=signals.spider_error)
        return pipeline

    def spider_error(self, failure, response):
        """A page its callback failed on: kept for the crawl's next start, as the SQLite
        frontier keeps it pending (retried at once, it would fail the same way)."""
        url = frontier_url(response.request)
        lease = self.frontier.held.pop(url, None)
        if lease is not None and self.frontier.store.set_aside([lease]):
            logger.warning("%s kept for the next start: its callback failed", url)

    def process_item(self, item):
        payload = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        if self.frontier.deliver(item.frontier_url, payload):
            self.crawler.stats.inc_value("archive/delivered")
        return item

    def spider_closed(self, reason):
        self.frontier.close(reason)
