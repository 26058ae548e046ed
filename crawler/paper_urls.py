"""URLs of the 人民日报 print edition at paper.people.com.cn: their shapes, both layouts.

Up to 2024-11 the paper was served as static .htm pages:
  page index  /rmrb/html/2024-08/07/nbs.D110000renmrb_01.htm   (01 = page number)
  article     /rmrb/html/2024-08/07/nw.D110000renmrb_20240807_3-01.htm  (3rd article, page 01)
From 2024-12:
  page index  /rmrb/pc/layout/202412/03/node_01.html
  latest      /rmrb/pc/layout/index.html
  article     /rmrb/pc/content/202412/03/content_30045678.html
Everything here is a pure function of the URL string or the date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

PAPER_HOST = "paper.people.com.cn"
PAPER_NAME = "人民日报"
# The first day served in the second layout.
LAYOUT_SWITCH = date(2024, 12, 1)
OLD, NEW = "rmrb-html", "rmrb-pc"

_OLD_PAGE_RE = re.compile(
    r"^/rmrb/html/(?P<y>\d{4})-(?P<m>\d{2})/(?P<d>\d{2})/nbs\.D110000renmrb_(?P<page>\d{2,3})\.htm$"
)
_OLD_ARTICLE_RE = re.compile(
    r"^/rmrb/html/(?P<y>\d{4})-(?P<m>\d{2})/(?P<d>\d{2})/"
    r"nw\.D110000renmrb_(?P=y)(?P=m)(?P=d)_(?P<pos>\d+)-(?P<page>\d{2,3})\.htm$"
)
_NEW_PAGE_RE = re.compile(
    r"^/rmrb/pc/layout/(?P<y>\d{4})(?P<m>\d{2})/(?P<d>\d{2})/node_(?P<page>\d{2,3})\.html$"
)
_NEW_ARTICLE_RE = re.compile(
    r"^/rmrb/pc/content/(?P<y>\d{4})(?P<m>\d{2})/(?P<d>\d{2})/content_(?P<id>\d+)\.html$"
)
LATEST_PATH = "/rmrb/pc/layout/index.html"


@dataclass(frozen=True)
class PaperUrl:
    """What a print-edition URL says."""

    kind: str  # "page" (a page's index) or "article"
    layout: str  # OLD or NEW
    date: str  # ISO date of the issue
    page: str = ""  # page number as printed ("01"); "" when the URL does not say
    position: int | None = None  # article's place on its page, when the URL says (old layout)
    content_id: str = ""  # the new layout's content id


def layout_of(day: date) -> str:
    return NEW if day >= LAYOUT_SWITCH else OLD


def page_url(day: date, number: int | str = 1) -> str:
    """The index page of page `number` of the issue of `day`, in the layout of that day."""
    nn = f"{int(number):02d}"
    if layout_of(day) == NEW:
        return f"http://{PAPER_HOST}/rmrb/pc/layout/{day:%Y%m}/{day:%d}/node_{nn}.html"
    return f"http://{PAPER_HOST}/rmrb/html/{day:%Y-%m}/{day:%d}/nbs.D110000renmrb_{nn}.htm"


def latest_url() -> str:
    return f"http://{PAPER_HOST}{LATEST_PATH}"


def _day(m: re.Match[str]) -> str | None:
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"])).isoformat()
    except ValueError:
        return None


def parse_paper_url(url: str) -> PaperUrl | None:
    """What a print-edition page or article URL says; None for any other URL."""
    parts = urlsplit(url)
    if parts.netloc.lower() != PAPER_HOST:
        return None
    path = parts.path
    for regex, kind, layout in (
        (_OLD_PAGE_RE, "page", OLD),
        (_OLD_ARTICLE_RE, "article", OLD),
        (_NEW_PAGE_RE, "page", NEW),
        (_NEW_ARTICLE_RE, "article", NEW),
    ):
        m = regex.match(path)
        if m is None:
            continue
        day = _day(m)
        if day is None:
            return None
        groups = m.groupdict()
        return PaperUrl(
            kind=kind,
            layout=layout,
            date=day,
            page=groups.get("page") or "",
            position=int(groups["pos"]) if groups.get("pos") else None,
            content_id=groups.get("id") or "",
        )
    return None


def is_paper_url(url: str) -> bool:
    return parse_paper_url(url) is not None


def is_paper_article_url(url: str) -> bool:
    parsed = parse_paper_url(url)
    return parsed is not None and parsed.kind == "article"


def is_paper_pdf_url(url: str) -> bool:
    """A page PDF of the paper (linked from its index page)."""
    parts = urlsplit(url)
    return (
        parts.netloc.lower() == PAPER_HOST
        and parts.path.startswith("/rmrb/")
        and parts.path.lower().endswith(".pdf")
    )
