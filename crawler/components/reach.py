"""A crawl that reached nothing says so: one clear message, finish reason "unreachable".

Offline (no network, no DNS, a proxy that is down) every request fails before any response.
Retrying such failures with backoff only makes the user wait (about a minute for the default
start URLs) before a run that reports nothing; the tracebacks Scrapy logs for robots.txt hide
the one fact that matters. While no response at all has arrived, a connection-level failure is
final at once (RetryAfterMiddleware asks `site_never_answered`), robots.txt errors are logged
in one line, and a crawl whose first ARCHIVE_UNREACHABLE_AFTER requests all failed that way
(the spider asks `give_up`), or that went idle having received nothing, closes as
"unreachable", which the crawl command turns into exit status 1. What was not requested stays
pending in the frontier for the next run.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    CloseSpider,
    DownloadConnectionRefusedError,
    DownloadFailedError,
)
from twisted.internet.error import ConnectError, DNSLookupError

logger = logging.getLogger(__name__)

UNREACHABLE = "unreachable"
# Failures that mean "no connection was made": the host did not resolve, or refused.
CONNECTION_ERRORS = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DNSLookupError,
    ConnectError,
)
# Scrapy's robots.txt middleware logs a download error with its traceback.
ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"


def site_never_answered(stats) -> bool:
    """No response of any kind (not even an error status) has arrived in this crawl."""
    return not stats.get_value("downloader/response_count", 0)


def give_up(stats, after: int) -> bool:
    """`after` requests (robots.txt included) failed and not one response came: unreachable."""
    return site_never_answered(stats) and stats.get_value("downloader/exception_count", 0) >= after


def hurry(crawler) -> None:
    """Send what is already queued for download without the politeness delay: when nothing
    answers there is nobody to be polite to, and each request queued behind the delay would
    keep the closing crawl waiting before it fails (and is recorded) like the others."""
    for slot in crawler.engine.downloader.slots.values():
        slot.delay = 0.0
        slot.jitter = 0.0


def is_connection_error(exc: BaseException) -> bool:
    return isinstance(exc, CONNECTION_ERRORS) or isinstance(exc.__cause__, CONNECTION_ERRORS)


class _OneLineConnectionErrors(logging.Filter):
    """Drop the traceback of a log record about a connection error: the message says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] and is_connection_error(record.exc_info[1]):
            record.exc_info = None
            record.exc_text = None
        return True


class SiteUnreachable:
    def __init__(self, crawler):
        self.crawler = crawler
        self.filter = _OneLineConnectionErrors()

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self):
        logging.getLogger(ROBOTS_LOGGER).addFilter(self.filter)

    def spider_idle(self):
        stats = self.crawler.stats
        if site_never_answered(stats) and stats.get_value("downloader/exception_count", 0):
            raise CloseSpider(UNREACHABLE)

    def spider_closed(self, reason):
        logging.getLogger(ROBOTS_LOGGER).removeFilter(self.filter)
        if reason != UNREACHABLE:
            return
        stats = self.crawler.stats.get_stats()
        prefix = "downloader/exception_type_count/"
        errors = ", ".join(
            f"{name.rsplit('.', 1)[-1]} x{n}"
            for name, n in sorted(stats.items())
            if name.startswith(prefix)
            for name in [name[len(prefix) :]]
        )
        seeds = getattr(self.crawler.spider, "seed_urls", []) or []
        hosts = ", ".join(sorted({urlsplit(u).netloc for u in seeds})) or "the site"
        logger.error(
            "Could not reach %s: no request got any response (%s). Check the network "
            "connection, and the proxy if http_proxy is set. Nothing was archived; the failed "
            "requests are recorded as failures. To see cpc-archive work without the network, "
            "run `cpc-archive demo`: it crawls a recorded copy of the site.",
            hosts,
            errors or "no connection",
        )
