"""A redirect chain past REDIRECT_MAX_TIMES is recorded `redirect_loop`, not dropped.

Scrapy's redirect middlewares raise IgnoreRequest at the limit, which the spider cannot tell
from a robots.txt refusal, and the response would leave no trace. Here the last answer is
handed to the spider as it came (its Location header or refresh tag kept), the request's meta
saying why. A page whose <meta refresh> or <base href> cannot be read as a URL is a page, not
a redirect: Scrapy's ValueError would have cost its bytes.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest

# Request meta key: why the redirect chain was not followed to its end.
REDIRECT_LOOP = "archive_redirect_loop"


def _loop(mw, request, response):
    # _redirect's only refusal: the chain reached REDIRECT_MAX_TIMES (or its ttl).
    chain = [*request.meta.get("redirect_urls", []), request.url]
    location = response.headers.get(b"Location", b"").decode("latin-1") or "a refresh tag"
    request.meta[REDIRECT_LOOP] = (
        f"more than {mw.max_redirect_times} redirects ({len(chain)} followed), "
        f"the last answering {response.status} to {location}"
    )
    return response


class RecordedRedirectLoops(RedirectMiddleware):
    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            return _loop(self, request, response)


class RecordedMetaRefreshLoops(MetaRefreshMiddleware):
    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            return _loop(self, request, response)
        except ValueError:
            return response  # an unreadable refresh or base URL ("http://[::1"): no redirect
