"""robots.txt obeyed by every request, including those that wait for its first download.

Scrapy 2.19's RobotsTxtMiddleware awaits one shared Deferred per host while robots.txt is
being fetched; the first waiter's callback consumes the parser, and every other request
queued meanwhile gets None, which means "no robots.txt: allowed". The start requests of a
crawl (all waiting for the same robots.txt) were fetched unchecked. Here a waiter that got
None reads the parser the middleware has stored by then.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class SharedRobotsTxt(RobotsTxtMiddleware):
    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        if parser is None:
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if not isinstance(stored, Deferred):
                parser = stored  # None too when robots.txt could not be fetched
        return parser
