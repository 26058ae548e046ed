"""Retries with exponential backoff that honour Retry-After.

Scrapy's RetryMiddleware re-queues a failed request at once; a server answering 503 or 429
with Retry-After asks us to wait, and a polite archiver does.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message

from crawler.components.reach import is_connection_error, site_never_answered

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for: delta-seconds or an HTTP date; None if unreadable."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class RetryAfterMiddleware:
    """Retry RETRY_HTTP_CODES and network errors, waiting Retry-After or a doubling backoff."""

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(x) for x in settings.getlist("RETRY_HTTP_CODES")}
        self.priority_adjust = settings.getint("RETRY_PRIORITY_ADJUST")
        self.backoff = settings.getfloat("ARCHIVE_RETRY_BACKOFF")
        self.retry_after_max = settings.getfloat("ARCHIVE_RETRY_AFTER_MAX")
        self.exceptions_to_retry = tuple(
            load_object(x) if isinstance(x, str) else x
            for x in settings.getlist("RETRY_EXCEPTIONS")
        )

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def delay_for(self, request, response=None) -> float:
        """Retry-After when the server sent one (capped), else base * 2**(retries so far)."""
        if response is not None:
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                return min(asked, self.retry_after_max)
        return self.backoff * 2 ** request.meta.get("retry_times", 0)

    async def process_response(self, request, response):
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry_request(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(self.delay_for(request, response), request)
        return retry

    async def process_exception(self, request, exception):
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        if site_never_answered(self.crawler.stats) and is_connection_error(exception):
            # Offline or a dead proxy: waiting to ask again only delays saying so (reach.py).
            return None
        retry = self._retry_request(request, exception)
        if retry is None:
            return None
        await self._wait(self.delay_for(request), request)
        return retry

    def _retry_request(self, request, reason):
        return get_retry_request(
            request,
            reason=reason,
            spider=self.crawler.spider,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )

    async def _wait(self, seconds: float, request) -> None:
        if seconds <= 0:
            return
        logger.info("Waiting %.1fs before retrying %s", seconds, request.url)
        self.crawler.stats.inc_value("retry/wait_seconds", seconds)
        await asyncio.sleep(seconds)
