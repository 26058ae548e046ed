"""A response past DOWNLOAD_MAXSIZE is kept, capped, and recorded `too_large`, never dropped.

Scrapy cancels a body that grows past DOWNLOAD_MAXSIZE (a failure without the response) and
ignores a compressed body that inflates past it (IgnoreRequest, which the spider cannot tell
from a robots.txt refusal): either way a response the server sent would leave no trace.
Here the download stops at the cap (StopDownload, Scrapy's own way to end a body early) with
its status, headers and the bytes that arrived; a body that inflates past the cap is kept as
it arrived, still compressed, under its Content-Encoding header. The request's meta says why
(TOO_LARGE), and the spider records the fetch as a `too_large` failure.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.utils._compression import _DecompressionMaxSizeExceeded

# Request meta keys: why the response is too large; the cap and the bytes counted so far.
TOO_LARGE = "archive_too_large"
_CAP = "archive_maxsize"
_RECEIVED = "archive_received"


class CappedHttpCompression(HttpCompressionMiddleware):
    """Scrapy's decompression, plus the size cap on the wire and after inflating."""

    @classmethod
    def from_crawler(cls, crawler):
        mw = super().from_crawler(crawler)
        mw.default_cap = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(mw.headers_received, signal=signals.headers_received)
        crawler.signals.connect(mw.bytes_received, signal=signals.bytes_received)
        return mw

    def headers_received(self, headers, body_length, request, spider=None):
        cap = request.meta.get(_CAP) or request.meta.get("download_maxsize", self.default_cap)
        request.meta[_CAP] = cap
        request.meta[_RECEIVED] = 0  # a retried request copies the meta of the first try
        request.meta.pop(TOO_LARGE, None)
        if cap and isinstance(body_length, int) and body_length > cap:
            # Scrapy would cancel before the first byte; bytes_received stops at the cap instead.
            request.meta["download_maxsize"] = 0

    def bytes_received(self, data, request, spider=None):
        received = request.meta.get(_RECEIVED, 0) + len(data)
        request.meta[_RECEIVED] = received
        cap = request.meta.get(_CAP, self.default_cap)
        if cap and received > cap:
            request.meta[TOO_LARGE] = (
                f"the body passed DOWNLOAD_MAXSIZE ({cap} B); the first {received} B are kept"
            )
            raise StopDownload(fail=False)

    def process_response(self, request, response, spider=None):
        if request.meta.get(TOO_LARGE):
            return response  # cut at the cap: kept as it arrived, not inflated
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            if not isinstance(exc.__cause__, _DecompressionMaxSizeExceeded):
                raise
            request.meta[TOO_LARGE] = (
                f"the body ({len(response.body)} B as sent) inflates past DOWNLOAD_MAXSIZE "
                f"({exc.__cause__.max_size} B); kept compressed, as it arrived"
            )
            return response
