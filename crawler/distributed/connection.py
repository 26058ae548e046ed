"""The Redis client every distributed component uses: it waits for Redis instead of failing.

redis-py retries a command on a connection error through its `Retry` object; given a negative
count it retries forever. Ours says so in the log, once per outage and then every minute, so
an operator sees why the crawl stands still, and nothing held in memory is dropped meanwhile.
"""

from __future__ import annotations

import logging
import time

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

# Seconds between two "still unreachable" lines during one outage.
LOG_EVERY = 60.0


class WaitForRedis(Retry):
    """Retry forever, with a capped backoff and a log line naming the server."""

    def __init__(self, url: str, cap: float = 5.0):
        super().__init__(
            ExponentialBackoff(cap=cap, base=0.2),
            -1,
            (ConnectionError, TimeoutError, BusyLoadingError, OSError),
        )
        self.url = url
        self._logged_at = 0.0

    def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False):
        def logged_fail(error, *count):
            now = time.monotonic()
            if now - self._logged_at >= LOG_EVERY:
                self._logged_at = now
                logger.error(
                    "Redis at %s is unreachable (%s): waiting and retrying; nothing is dropped",
                    self.url,
                    error,
                )
            return fail(error, *count) if with_failure_count else fail(error)

        result = super().call_with_retry(do, logged_fail, is_retryable, with_failure_count)
        if self._logged_at:
            logger.warning("Redis at %s answers again", self.url)
            self._logged_at = 0.0
        return result


def connect(url: str) -> redis.Redis:
    """A client for `url` (redis://host:port/db) that waits out outages and restarts."""
    return redis.Redis.from_url(
        url,
        retry=WaitForRedis(url),
        socket_timeout=30,
        socket_connect_timeout=5,
        health_check_interval=30,
    )
