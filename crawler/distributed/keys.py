"""Names of the Redis keys one distributed crawl uses, all under one prefix.

The prefix (ARCHIVE_REDIS_PREFIX, then the spider's name) lets several archives, or tests
running at once, share a Redis server without seeing each other's keys.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str

    def _k(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    @property
    def crawl(self) -> str:  # the current crawl's id; absent between crawls
        return self._k("crawl")

    @property
    def finished(self) -> str:  # the ended crawl's id, for ARCHIVE_REDIS_RECRAWL_AFTER seconds
        return self._k("finished")

    @property
    def args(self) -> str:  # the arguments the crawl was started with (its run row's args)
        return self._k("args")

    @property
    def requests(self) -> str:  # the queue: sorted set of encoded requests by -priority
        return self._k("requests")

    @property
    def dupefilter(self) -> str:  # exact fingerprints of every URL this crawl admitted
        return self._k("dupefilter")

    @property
    def leases(self) -> str:  # sorted set: lease id -> expiry (ms, Redis clock)
        return self._k("leases")

    @property
    def leased(self) -> str:  # hash: lease id -> the request it holds, until acknowledged
        return self._k("leased")

    @property
    def lease_score(self) -> str:  # hash: lease id -> the request's queue score
        return self._k("lease-score")

    @property
    def lease_seq(self) -> str:
        return self._k("lease-seq")

    @property
    def refused(self) -> str:  # sorted set like the queue: requests the site refused (403,
        # 429, 5xx), stored as failures and asked again when the stopped fleet resumes
        return self._k("refused")

    @property
    def stream(self) -> str:  # fetch groups on their way to the archive
        return self._k("stream")

    @property
    def known(self) -> str:  # article keys the archive holds
        return self._k("known")

    @property
    def settled(self) -> str:  # URLs that failed for good in an earlier run
        return self._k("settled")

    @property
    def ready(self) -> str:  # set by the writer once `known` and `settled` are published
        return self._k("ready")

    @property
    def workers(self) -> str:  # sorted set: worker name -> when its sign of life expires (ms)
        return self._k("workers")

    @property
    def stop(self) -> str:  # a reason every worker stops for (a ban seen by any of them)
        return self._k("stop")

    @property
    def ban_window(self) -> str:  # the fleet's last responses: 1 refused, 0 not
        return self._k("ban-window")

    def host_slots(self, host: str) -> str:  # sorted set: download token -> expiry (ms)
        return self._k(f"host:{host}:slots")

    def host_next(self, host: str) -> str:  # earliest next request to the host (ms)
        return self._k(f"host:{host}:next")


GROUP = "archivers"
