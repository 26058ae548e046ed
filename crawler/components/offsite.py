"""Redirects off the site are recorded, not followed and not silently dropped.

Scrapy would follow a 3xx to another site only for its offsite filter to drop the new request
without a trace; the article would vanish from the record. Marking such a response
`dont_redirect` hands the 3xx itself to the spider, and the archive stores it as a failure
(its Location header kept in the snapshot).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from crawler.urls import is_site_host


class OffsiteRedirects:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        location = response.headers.get(b"Location")
        if 300 <= response.status < 400 and location:
            target = urljoin(request.url, location.decode("latin-1"))
            if not is_site_host(urlsplit(target).netloc):
                request.meta["dont_redirect"] = True
                self.crawler.stats.inc_value("redirect/offsite")
        return response
