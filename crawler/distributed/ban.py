"""Ban detection for the fleet: one window of the last responses of all workers together,
and one stop for all of them.

A site refusing us refuses the fleet; ten workers each seeing a tenth of the 403s would never
trip a per-process window. Any worker that finds the shared window refused sets the stop key;
every worker polls it and closes with the same reason ("banned").
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from crawler.components.ban import BAN_STATUSES, BANNED, BanDetector
from crawler.distributed.frontier import RedisFrontier

logger = logging.getLogger(__name__)

# Seconds between two looks at the fleet's stop key.
STOP_POLL = 1.0


class FleetBanDetector(BanDetector):
    @classmethod
    def from_crawler(cls, crawler):
        ext = super().from_crawler(crawler)
        ext.frontier = RedisFrontier.of(crawler)
        ext.pause = max(1, int(crawler.settings.getfloat("ARCHIVE_REDIS_BAN_PAUSE")))
        ext.poll = None
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self):
        self.poll = task.LoopingCall(self.check_stop)
        # now=True: a worker started while the fleet is stopped stops at once.
        self.poll.start(STOP_POLL, now=True)

    def spider_closed(self):
        if self.poll is not None and self.poll.running:
            self.poll.stop()

    def response_received(self, response, request):
        keys, server = self.frontier.keys, self.frontier.server
        pipe = server.pipeline()
        pipe.lpush(keys.ban_window, int(response.status in BAN_STATUSES))
        pipe.ltrim(keys.ban_window, 0, self.window - 1)
        pipe.lrange(keys.ban_window, 0, -1)
        recent = [int(x) for x in pipe.execute()[-1]]
        if self.closing or len(recent) < self.window:
            return
        refused = sum(recent)
        if refused >= self.ratio * self.window:
            logger.error(
                "Stopping the fleet: %d of its last %d responses were 403/429; "
                "the site is refusing us",
                refused,
                self.window,
            )
            self.crawler.stats.set_value("ban/refused_in_window", refused)
            # The stop holds for ARCHIVE_REDIS_BAN_PAUSE seconds: workers (re)started within
            # it stop at once; after it, a fresh window of responses.
            pipe = server.pipeline()
            pipe.set(keys.stop, BANNED, ex=self.pause).delete(keys.ban_window).execute()
            self._close(BANNED)

    def check_stop(self):
        reason = self.frontier.server.get(self.frontier.keys.stop)
        if reason and not self.closing:
            logger.error("Stopping: the fleet was stopped (%s)", reason.decode())
            self._close(reason.decode())

    def _close(self, reason: str) -> None:
        self.closing = True
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))
