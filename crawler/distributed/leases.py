"""The Redis frontier's request lifecycle: queued, leased, delivered, acknowledged.

scrapy-redis pops a request and forgets it, so a worker killed mid-fetch loses what it held.
Here popping leases: the request moves to a lease with an expiry (Redis's clock, so workers'
clocks do not matter) that its worker renews while it works. A worker that dies stops renewing;
`reclaim` puts its expired leases back in the queue. A fetched page is delivered to the stream
in the same script that ends its lease's expiry, and the request itself is kept until the
writer acknowledges it after the archive committed the page: at no instant is the work held
only by a process that can die.

Every step is one Lua script (atomic in Redis), so two workers never both take one request.
"""

from __future__ import annotations

import redis

from crawler.distributed.keys import Keys

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# The next three act for one crawl: ARGV[1] is its id, and a crawl that has ended (or
# another that began since) takes nothing from it. A worker that joined a crawl just before it
# ended cannot queue its seeds again (a second crawl under the first one's name) nor take
# another crawl's work.
_CURRENT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
"""

# KEYS: crawl, requests, dupefilter. ARGV: crawl id, score, data, fingerprint ('': no dedup).
# The fingerprint is admitted and the request queued in one step: no worker can see the
# fingerprint taken and the queue empty in between (and end the crawl early).
# 1 queued, 0 already admitted, -1 the crawl is over.
_PUSH = (
    _CURRENT
    + """
if ARGV[4] ~= '' then
  if redis.call('SADD', KEYS[3], ARGV[4]) == 0 then return 0 end
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
)

# KEYS: crawl, requests, leases, leased, lease_score, lease_seq. ARGV: crawl id, ttl ms.
_POP = (
    _CURRENT
    + _NOW
    + """
local item = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[2], item[1])
local id = tostring(redis.call('INCR', KEYS[6]))
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), id)
redis.call('HSET', KEYS[4], id, item[1])
redis.call('HSET', KEYS[5], id, item[2])
return {id, item[1]}
"""
)

# KEYS: crawl, requests, refused. ARGV: crawl id. The refused requests go back in the queue
# in one step (none is in both sets or in neither); how many.
_REFUSED_AGAIN = (
    _CURRENT
    + """
local n = redis.call('ZCARD', KEYS[3])
if n > 0 then
  redis.call('ZUNIONSTORE', KEYS[2], 2, KEYS[2], KEYS[3], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[3])
end
return n
"""
)

# KEYS: requests, leases, leased, lease_score. Expired leases go back to the queue.
_RECLAIM = (
    _NOW
    + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[3], id)
  local score = redis.call('HGET', KEYS[4], id)
  if data then redis.call('ZADD', KEYS[1], score, data) end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
end
return #ids
"""
)

# KEYS: leases. ARGV: ttl ms, ids... Returns the ids still leased (the others were lost).
_RENEW = (
    _NOW
    + """
local kept = {}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
    table.insert(kept, ARGV[i])
  end
end
return kept
"""
)

# KEYS: requests, leases, leased, lease_score. ARGV: old id, score, data.
# A follow-up of a leased request (a redirect, a retry, an article's next page) replaces it
# in the queue in one step; 0 if the lease was lost (another worker has the request).
_HANDOFF = """
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
"""

# KEYS: leases, stream. ARGV: id, then field, value pairs. The lease stops expiring as the
# page enters the stream; 0 if the lease was lost (expired and taken by another worker).
_DELIVER = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local fields = {}
for i = 2, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
"""


# KEYS: requests or refused (where the requests go), leases, leased, lease_score. ARGV: ids.
# Leases given up before their expiry: back in the queue (a worker stopping), or set aside
# for the crawl's next start (a page its callback failed on: not again in this run).
_GIVE_UP = """
local n = 0
for _, id in ipairs(ARGV) do
  if redis.call('ZSCORE', KEYS[2], id) then
    local data = redis.call('HGET', KEYS[3], id)
    if data then
      redis.call('ZADD', KEYS[1], redis.call('HGET', KEYS[4], id) or 0, data)
      n = n + 1
    end
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    redis.call('HDEL', KEYS[4], id)
  end
end
return n
"""


# What a push did.
QUEUED, SEEN, CRAWL_OVER = 1, 0, -1


class LeaseStore:
    """The queue and its leases in Redis, for one crawl (one key prefix)."""

    def __init__(self, server: redis.Redis, keys: Keys):
        self.server = server
        self.keys = keys
        self.crawl = ""  # the crawl this worker joined (RedisFrontier.start): pushes and pops
        # act for it alone
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP)
        self._reclaim = server.register_script(_RECLAIM)
        self._renew = server.register_script(_RENEW)
        self._handoff = server.register_script(_HANDOFF)
        self._deliver = server.register_script(_DELIVER)
        self._give_up = server.register_script(_GIVE_UP)
        self._refused_again = server.register_script(_REFUSED_AGAIN)

    def push(self, data: bytes, score: float, fingerprint: bytes = b"") -> int:
        """Queue `data`; with a fingerprint, only if the crawl has not admitted it before.
        QUEUED, SEEN (admitted before) or CRAWL_OVER."""
        k = self.keys
        return self._push(
            keys=[k.crawl, k.requests, k.dupefilter], args=[self.crawl, score, data, fingerprint]
        )

    def pop(self, ttl: float) -> tuple[str, bytes] | None:
        """Lease the first request for `ttl` seconds: (lease id, data); None if the queue is
        empty or the crawl over."""
        k = self.keys
        got = self._pop(
            keys=[k.crawl, k.requests, k.leases, k.leased, k.lease_score, k.lease_seq],
            args=[self.crawl, int(ttl * 1000)],
        )
        return (got[0].decode(), got[1]) if got and got != -1 else None

    def reclaim(self) -> int:
        """Return expired leases' requests to the queue; how many."""
        k = self.keys
        return self._reclaim(keys=[k.requests, k.leases, k.leased, k.lease_score])

    def renew(self, ids: list[str], ttl: float) -> set[str]:
        """Extend the leases; the ids still held (a lost one is no longer ours to finish)."""
        if not ids:
            return set()
        kept = self._renew(keys=[self.keys.leases], args=[int(ttl * 1000), *ids])
        return {i.decode() for i in kept}

    def handoff(self, lease: str, data: bytes, score: float) -> bool:
        k = self.keys
        return bool(
            self._handoff(
                keys=[k.requests, k.leases, k.leased, k.lease_score], args=[lease, score, data]
            )
        )

    def deliver(self, lease: str, fields: dict[str, bytes | str]) -> bool:
        flat = [x for pair in fields.items() for x in pair]
        return bool(self._deliver(keys=[self.keys.leases, self.keys.stream], args=[lease, *flat]))

    def give_back(self, leases: list[str]) -> int:
        """Return leased requests to the queue now; how many."""
        k = self.keys
        return self._give_up(keys=[k.requests, k.leases, k.leased, k.lease_score], args=leases)

    def set_aside(self, leases: list[str]) -> int:
        """Keep leased requests for the crawl's next start (with the refused ones)."""
        k = self.keys
        return self._give_up(keys=[k.refused, k.leases, k.leased, k.lease_score], args=leases)

    def ask_refused_again(self) -> int:
        """Queue the requests set aside (refused by the site, or their callback failed) again;
        how many (-1: the crawl is over)."""
        k = self.keys
        return self._refused_again(keys=[k.crawl, k.requests, k.refused], args=[self.crawl])

    def ack(self, lease: str) -> None:
        """The request is finished for good: forget it."""
        k = self.keys
        pipe = self.server.pipeline()
        pipe.zrem(k.leases, lease).hdel(k.leased, lease).hdel(k.lease_score, lease)
        pipe.execute()

    def queued(self) -> int:
        return self.server.zcard(self.keys.requests)

    def leased(self) -> int:
        return self.server.zcard(self.keys.leases)

    def stopped(self) -> bool:
        return bool(self.server.exists(self.keys.stop))
