"""Ban detection: stop a crawl the server is refusing instead of knocking on.

When at least ARCHIVE_BAN_RATIO of the last ARCHIVE_BAN_WINDOW responses are 403 or 429, the
crawl closes with finish reason "banned"; the frontier keeps what was pending for a later run.
"""

from __future__ import annotations

import logging
from collections import deque

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)

BAN_STATUSES = frozenset({403, 429})
BANNED = "banned"


class BanDetector:
    def __init__(self, crawler, window: int, ratio: float):
        self.crawler = crawler
        self.window = window
        self.ratio = ratio
        self.recent: deque[bool] = deque(maxlen=window)
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler):
        window = crawler.settings.getint("ARCHIVE_BAN_WINDOW")
        ratio = crawler.settings.getfloat("ARCHIVE_BAN_RATIO")
        if window <= 0 or ratio <= 0:
            raise NotConfigured
        ext = cls(crawler, window, ratio)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def response_received(self, response, request):
        self.recent.append(response.status in BAN_STATUSES)
        if self.closing or len(self.recent) < self.window:
            return
        refused = sum(self.recent)
        if refused >= self.ratio * self.window:
            self.closing = True
            logger.error(
                "Stopping: %d of the last %d responses were 403/429; the site is refusing us",
                refused,
                self.window,
            )
            self.crawler.stats.set_value("ban/refused_in_window", refused)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=BANNED))
