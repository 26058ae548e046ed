"""scrapy-redis's scheduler over the leased queue and the exact duplicate filter.

What it adds: a follow-up of a request this worker leased replaces it in the queue in one
step (handoff); new URLs are admitted and queued in one step; expired leases of dead workers
return to the queue; this worker's leases are renewed while it works; the queue counts as
pending while any worker holds a lease (its pages may bring new links); and a worker leases no
more requests for a host than the host's concurrency lets it start (see next_request).
"""

from __future__ import annotations

import logging
import time

from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.distributed.frontier import RedisFrontier
from crawler.distributed.leases import CRAWL_OVER, SEEN
from crawler.distributed.queue import frontier_url, is_follow_up

logger = logging.getLogger(__name__)

# Seconds between two looks for expired leases, and between two polls of an empty queue
# while other workers still hold leases.
RECLAIM_EVERY = 1.0
POLL_EVERY = 0.5
# Requests one call pops at most past hosts this worker already has enough of: bounds the
# pops and gives-back an engine call costs when the queue's head is all one busy host.
PASS_AT_MOST = 8


class LeasedScheduler(Scheduler):
    @classmethod
    def from_crawler(cls, crawler):
        frontier = RedisFrontier.of(crawler)
        scheduler = cls(
            server=frontier.server,
            persist=True,  # the queue is the fleet's: one worker closing never flushes it
            queue_key=frontier.keys.requests,
            queue_cls="crawler.distributed.queue.LeasedPriorityQueue",
            dupefilter_key=frontier.keys.dupefilter,
            dupefilter_cls="crawler.distributed.dupefilter.ExactDupeFilter",
        )
        scheduler.stats = crawler.stats
        scheduler.crawler = crawler
        scheduler.frontier = frontier
        scheduler.renewal = None
        scheduler.reclaimed_at = 0.0
        # The fleet's per-host concurrency (FleetPoliteness): more requests of one host than
        # that would only wait in this worker for the host's slots.
        scheduler.host_limit = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        return scheduler

    def open(self, spider):
        super().open(spider)
        self.renewal = task.LoopingCall(self.renew)
        self.renewal.start(self.frontier.lease_ttl / 3, now=False)

    def close(self, reason):
        if self.renewal is not None and self.renewal.running:
            self.renewal.stop()
        # What this worker still holds goes back at once, not when its leases expire.
        held = list(self.frontier.held.values())
        self.frontier.held.clear()
        if held and (returned := self.frontier.store.give_back(held)):
            logger.info("%d requests this worker held returned to the queue", returned)
        super().close(reason)

    def renew(self) -> None:
        self.frontier.beat()
        held = self.frontier.held
        kept = self.frontier.store.renew(list(held.values()), self.frontier.lease_ttl)
        for url, lease in list(held.items()):
            if lease not in kept:
                held.pop(url, None)

    def enqueue_request(self, request) -> bool:
        url = frontier_url(request)
        lease = self.frontier.held.get(url) if is_follow_up(request) else None
        if lease is not None:
            self.frontier.held.pop(url, None)
            if self.queue.handoff(lease, request):
                self.stats.inc_value("scheduler/enqueued/redis")
                return True
            logger.warning("Lease on %s expired: its follow-up %s is dropped", url, request.url)
            return False
        fp = b"" if request.dont_filter else self.df.request_fingerprint(request)
        pushed = self.queue.push(request, fp)
        if pushed == CRAWL_OVER:
            logger.info("Distributed crawl %s is over: %s not queued", self.frontier.crawl_id, url)
            return False
        if pushed == SEEN:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        now = time.monotonic()
        if now - self.reclaimed_at >= RECLAIM_EVERY:
            self.reclaimed_at = now
            returned = self.frontier.store.reclaim()
            if returned:
                logger.warning("%d expired leases (a worker gone?) returned to the queue", returned)
        # Scrapy asks for requests until CONCURRENT_REQUESTS are downloading or waiting for a
        # slot; leasing that many of one host would leave other workers an empty queue while
        # this one queues them locally. A request of a host this worker already has enough of
        # goes back to the fleet's queue (after the bounded pass below, so the same head is
        # not popped again); the engine asks again as soon as a download ends.
        passed = []
        request = None
        try:
            for _ in range(PASS_AT_MOST):
                got = self.queue.pop()
                if got is None or self._room_for(got):
                    request = got
                    break
                passed.append(got)
        finally:  # what was passed is never kept, even if a step above failed
            if passed:
                self.queue.give_back(passed)
                self.stats.inc_value("scheduler/given_back/redis", len(passed))
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        elif not passed and self.frontier.store.leased():
            # Scrapy looks again only every 5 s; others' pages may bring links sooner.
            from twisted.internet import reactor  # the one Scrapy installed

            reactor.callLater(POLL_EVERY, self._wake)
        return request

    def _room_for(self, request) -> bool:
        """Whether this worker downloads fewer of the request's host (its download slot) than
        the host's concurrency: the engine's downloader holds each request it was given from
        the fetch until the download ends, waits for the fleet's slot included."""
        if self.host_limit <= 0:
            return True
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        held = sum(1 for r in downloader.active if downloader.get_slot_key(r) == key)
        return held < self.host_limit

    def _wake(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def has_pending_requests(self) -> bool:
        store = self.frontier.store
        # A stopped fleet is not a finished crawl: wait for the stop poll to close with its
        # reason rather than close as "finished".
        if store.stopped():
            return True
        if self.frontier.crawl_over():  # what is queued now is another crawl's
            return False
        return store.queued() > 0 or store.leased() > 0
