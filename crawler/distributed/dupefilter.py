"""scrapy-redis's duplicate filter, exact and keyed by the frontier URL.

A Redis set of 20-byte SHA-1 digests (not a Bloom filter, whose false positives would drop
pages never fetched). The fingerprint is the canonical frontier URL, as in the SQLite
frontier: one fetch per URL per crawl. Follow-ups of a leased request (a redirect to the home
page, a retry, an article's next page) bypass it in the scheduler: they are not new URLs of
the crawl, and dropping them would lose their article without a trace.
"""

from __future__ import annotations

from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.distributed.frontier import RedisFrontier, fingerprint
from crawler.distributed.queue import frontier_url


class ExactDupeFilter(RFPDupeFilter):
    def request_fingerprint(self, request) -> bytes:
        return fingerprint(frontier_url(request))

    @classmethod
    def from_spider(cls, spider):
        frontier = RedisFrontier.of(spider.crawler)
        debug = spider.crawler.settings.getbool("DUPEFILTER_DEBUG")
        return cls(frontier.server, key=frontier.keys.dupefilter, debug=debug)

    def close(self, reason: str = "") -> None:
        # The fingerprints belong to the crawl, not to one worker: kept until the crawl ends.
        pass
