"""Per-host politeness held for the whole fleet, not per worker.

Each request takes a slot of its host in Redis before it goes on the wire and gives it back
when the answer (or the error) comes: at most CONCURRENT_REQUESTS_PER_DOMAIN requests to one
host at once across all workers, and at least DOWNLOAD_DELAY seconds between two of them. A
Retry-After from the host pushes the host's next allowed request back for every worker.
Slots expire after DOWNLOAD_TIMEOUT (and a margin): a killed worker's slots come back.
Each worker keeps its own Scrapy limits too (AutoThrottle included); the fleet's are on top.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from urllib.parse import urlsplit

from crawler.components.retry import retry_after_seconds
from crawler.distributed.frontier import RedisFrontier

logger = logging.getLogger(__name__)

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: slots, next. ARGV: limit, delay ms, token, hold ms. 0 when taken, else ms to wait.
_ACQUIRE = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return -1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
redis.call('SET', KEYS[2], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 1000)
return 0
"""
)

# KEYS: next. ARGV: ms from now. The host's next request no sooner than that.
_PUSH_BACK = (
    _NOW
    + """
local want = now + tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if want > nxt then redis.call('SET', KEYS[1], want, 'PX', tonumber(ARGV[1]) + 1000) end
return 1
"""
)

# Milliseconds between two tries for a host whose slots are all taken.
SLOT_POLL_MS = 20


class FleetPoliteness:
    def __init__(self, crawler):
        s = crawler.settings
        self.frontier = RedisFrontier.of(crawler)
        self.limit = s.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.delay_ms = int(s.getfloat("DOWNLOAD_DELAY") * 1000)
        self.hold_ms = int((s.getfloat("DOWNLOAD_TIMEOUT") + 10) * 1000)
        self.retry_after_max = s.getfloat("ARCHIVE_RETRY_AFTER_MAX")
        self._acquire = self.frontier.server.register_script(_ACQUIRE)
        self._push_back = self.frontier.server.register_script(_PUSH_BACK)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request):
        host = (urlsplit(request.url).hostname or "").lower()
        keys = self.frontier.keys
        token = uuid.uuid4().hex
        while True:
            wait = self._acquire(
                keys=[keys.host_slots(host), keys.host_next(host)],
                args=[self.limit, self.delay_ms, token, self.hold_ms],
            )
            if wait == 0:
                break
            await asyncio.sleep((SLOT_POLL_MS if wait < 0 else wait) / 1000)
        request.meta["fleet_slot"] = (host, token)
        return None

    def _release(self, request) -> None:
        slot = request.meta.pop("fleet_slot", None)
        if slot is not None:
            host, token = slot
            self.frontier.server.zrem(self.frontier.keys.host_slots(host), token)

    async def process_response(self, request, response):
        slot = request.meta.get("fleet_slot")
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if slot and asked and response.status in (429, 503):
            # Before the slot is given back: no other worker may slip in between.
            seconds = min(asked, self.retry_after_max)
            logger.info("%s asks to wait %.1fs: the whole fleet waits", slot[0], seconds)
            self._push_back(
                keys=[self.frontier.keys.host_next(slot[0])], args=[int(seconds * 1000)]
            )
        self._release(request)
        return response

    async def process_exception(self, request, exception):
        self._release(request)
        return None
