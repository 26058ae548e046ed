"""`scrapy crawl`, exiting 1 when the crawl could not do its job.

Scrapy's command exits 1 only when a crawl fails to start. A crawl refused by the run lock
(finish reason "locked", crawler.components.runlock) and one that reached nothing at all
("unreachable", crawler.components.reach) close normally after saying why in one line; for
a scheduler or a script, they are failures all the same.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawl

from crawler.components.reach import UNREACHABLE
from crawler.components.runlock import LOCKED

FAILED = (LOCKED, UNREACHABLE)


class Command(ScrapyCrawl):
    def _create_crawler(self, spidercls):
        # Scrapy's own hook for connecting the command to the crawl it runs.
        crawler = super()._create_crawler(spidercls)
        crawler.signals.connect(self._exit_status, signal=signals.spider_closed)
        return crawler

    def _exit_status(self, reason):
        if reason in FAILED:
            self.exitcode = 1
