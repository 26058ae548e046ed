"""scrapy-redis's priority queue, with pops that lease instead of forgetting (see leases.py)."""

from __future__ import annotations

from scrapy_redis.queue import PriorityQueue

from crawler.distributed.frontier import RedisFrontier


def frontier_url(request) -> str:
    """The frontier entry a request works for: its own URL, or the article its page belongs to
    (an article's next page, a redirect, a retry carry the entry of the request they follow)."""
    entry = request.meta.get("entry")
    return entry.url if entry is not None else request.url


def is_follow_up(request) -> bool:
    """A request that carries on a leased one: a redirect or a retry (Scrapy copies the meta,
    lease included), or an article's next page (it carries the pages fetched so far). A link
    to a leased URL found on a page is not one: it is a new URL for the duplicate filter."""
    return "lease" in request.meta or "fetches" in request.meta


class LeasedPriorityQueue(PriorityQueue):
    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.frontier = RedisFrontier.of(spider.crawler)
        self.store = self.frontier.store
        self.key = self.frontier.keys.requests

    def __len__(self) -> int:
        return self.store.queued()

    def push(self, request, fingerprint: bytes = b"") -> int:
        """Queue `request`; given its fingerprint, only if this crawl never admitted it
        (leases.QUEUED, SEEN or CRAWL_OVER)."""
        return self.store.push(self._encode_request(request), -request.priority, fingerprint)

    def handoff(self, lease: str, request) -> bool:
        """Queue a follow-up of the leased request in its place, in one step."""
        return self.store.handoff(lease, self._encode_request(request), -request.priority)

    def pop(self, timeout=0):
        got = self.store.pop(self.frontier.lease_ttl)
        if got is None:
            return None
        lease, data = got
        request = self._decode_request(data)
        request.meta["lease"] = lease
        self.frontier.held[frontier_url(request)] = lease
        return request

    def give_back(self, requests: list) -> int:
        """Return popped requests to the queue at once, each with its priority (and its URL
        still admitted): no longer this worker's; how many."""
        leases = [r.meta.pop("lease") for r in requests]
        for request, lease in zip(requests, leases, strict=True):
            url = frontier_url(request)
            if self.frontier.held.get(url) == lease:
                del self.frontier.held[url]
        return self.store.give_back(leases)

    def clear(self) -> None:
        # The queue belongs to the fleet; a crawl's end clears its keys (RedisFrontier.close).
        pass
