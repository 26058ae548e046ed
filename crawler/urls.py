"""URLs of the people.com.cn family: what they mean, how to fold them, which ones are in scope.

Everything here is a pure function of the URL string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

# Hosts of the CMS family: cpc.people.com.cn, politics.people.com.cn, js.people.com.cn, ...
SITE_DOMAINS = ("people.com.cn", "people.cn")
_SUBDOMAIN_SUFFIXES = tuple("." + d for d in SITE_DOMAINS)

# Query parameters that never change what a page says (trackers, share buttons).
TRACKING_PARAMS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "from",
    "spm",
    "share_token",
    "isappinstalled",
)

# /n1/2024/0807/c64094-40294553.html, /n2/2022/0213/c360307-35131671-2.html,
# /n/2013/0101/c64094-20000001.html; special sites and sub-channels put the same shape under
# a path prefix of their own: /2018npc/n1/2018/0317/c417507-29873336.html (lianghui.),
# /xuexi/n1/2018/0306/c385474-29851362.html (cpc.), /stock/n1/..., /bank/n1/... (money.).
ARTICLE_N_RE = re.compile(
    r"^(?P<prefix>(?:/[A-Za-z0-9_.~-]+)*?)/(?P<era>n1|n2|n)/(?P<year>\d{4})/(?P<mmdd>\d{4})/"
    r"c(?P<channel>\d+)-(?P<content>\d+)(?:-(?P<page>\d+))?\.html$"
)
# /GB/64093/64094/8475000.html, /GB/64093/64387/8475000-2.html (older static pages)
ARTICLE_GB_RE = re.compile(
    r"^/GB/(?P<path>(?:\d+/)*\d+)/(?P<content>\d+)(?:-(?P<page>\d+))?\.html$"
)
# /GB/64093/64387/index.html, index2.html, ...
LISTING_RE = re.compile(r"^/GB/(?P<path>(?:\d+/)*\d+)/index(?P<page>\d*)\.html$")

ASSET_RE = re.compile(
    r"\.(?:jpe?g|png|gif|bmp|webp|svg|ico|css|js|pdf|docx?|xlsx?|zip|rar|mp3|mp4|flv|swf)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ArticleUrl:
    """What an article URL says about the article."""

    content_id: str
    channel_id: str | None
    page: int  # 1 for the first page, N for "-N.html"
    first_page_url: str  # the URL of page 1 of the same article
    local: bool = False  # a provincial /n2/ page: its ids are a separate ("L_") number space


def is_site_host(host: str) -> bool:
    host = host.lower().split(":")[0]
    return host in SITE_DOMAINS or host.endswith(_SUBDOMAIN_SUFFIXES)


def canonical_url(url: str) -> str:
    """Fold the ways one page is addressed: http/https, host case, fragments, trackers, query order.

    Site pages are served on http and https alike; http is the form the site links to, so https
    folds to http.
    """
    url = url_query_cleaner(url.strip(), TRACKING_PARAMS, remove=True)
    url = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(url)
    scheme = "http" if parts.scheme == "https" and is_site_host(parts.netloc) else parts.scheme
    return urlunsplit((scheme, parts.netloc.lower(), parts.path, parts.query, ""))


def parse_article_url(url: str) -> ArticleUrl | None:
    """The content id, channel and page number of an article URL; None for any other URL
    (one urlsplit cannot read, such as an unclosed IPv6 host, included)."""
    try:
        scheme, netloc, path = urlsplit(url)[:3]
    except ValueError:
        return None
    if not is_site_host(netloc):
        return None
    m = ARTICLE_N_RE.match(path)
    if m:
        channel = m["channel"]
        local = m["era"] == "n2"
    else:
        m = ARTICLE_GB_RE.match(path)
        if not m:
            return None
        channel = m["path"].rsplit("/", 1)[-1]
        local = False
    page = int(m["page"]) if m["page"] else 1
    first_path = path if page == 1 else path.replace(f"-{page}.html", ".html")
    first = urlunsplit((scheme, netloc, first_path, "", ""))
    return ArticleUrl(m["content"], channel, page, first, local)


def article_url_date(url: str) -> tuple[int, int, int] | None:
    """The (year, month, day) an /n1/-shaped article URL carries in its path, if any."""
    m = ARTICLE_N_RE.match(urlsplit(url).path)
    if not m:
        return None
    return int(m["year"]), int(m["mmdd"][:2]), int(m["mmdd"][2:])


def is_article_url(url: str) -> bool:
    return parse_article_url(url) is not None


def is_listing_url(url: str) -> bool:
    parts = urlsplit(url)
    return is_site_host(parts.netloc) and bool(LISTING_RE.match(parts.path))


def is_asset_url(url: str) -> bool:
    return bool(ASSET_RE.search(urlsplit(url).path))


def strip_id_prefix(value: str | None) -> str | None:
    """Provincial /n2/ pages write ids as "L_35131671"; the id is the number."""
    if value is None:
        return None
    value = value.strip()
    if value.upper().startswith("L_"):
        value = value[2:]
    return value or None


def article_key(url: str, content_id: str | None = None) -> str:
    """The stable key of an article across hosts and eras.

    The same content id on cpc., politics. and paper. hosts is one article, so the key is the
    content id when there is one ("people:40223222"), else the canonical URL of page 1.
    Provincial /n2/ ids ("L_35131671") count in a number space of their own and keep the
    prefix in the key ("people:L_35131671"), so they never collide with a national id.
    """
    parsed = parse_article_url(url)
    local = bool(parsed and parsed.local) or (content_id or "").strip().upper().startswith("L_")
    cid = strip_id_prefix(content_id) or (parsed.content_id if parsed else None)
    if cid:
        return f"people:L_{cid}" if local else f"people:{cid}"
    return canonical_url(parsed.first_page_url if parsed else url)
