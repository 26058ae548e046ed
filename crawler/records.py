"""The one article schema shared by the parser, the pipelines, the archive and the exports.

Parsers return an `ArticleRecord` (a page that is an article) or a `NotArticle` (a page that is
not, with the reason). Both are plain dataclasses so they serialise to JSON with `to_dict()` and
come back with `from_dict()`, which is how the archive stores them and how fixtures state their
expected output.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Image:
    """An image inside the article body."""

    src: str  # absolute URL, resolved against the page URL
    caption: str = ""  # the caption printed with the image, "" when none


@dataclass(frozen=True)
class PrintEdition:
    """Where the article stood in print, from lines like 《 人民日报 》（ 2024年05月10日 04 版）."""

    paper: str  # 人民日报
    date: str  # ISO date of the issue, 2024-05-10
    page: str  # page number as printed, "04"
    # Known only from the print edition itself (paper.people.com.cn): the page's name as
    # printed ("第01版：要闻") and the article's place among the page's articles (1 = first).
    page_name: str = ""
    position: int | None = None


# PrintEdition fields a web page never has: left out of the dict when empty, so the records
# (and the content hashes) of web articles stay what they were before these fields existed.
_PRINT_ONLY = (("page_name", ""), ("position", None))


@dataclass
class ArticleRecord:
    """One article as the site published it. Every field comes from the page bytes and URL."""

    url: str  # the URL fetched (first page for a multi-page article)
    canonical_url: str  # crawler.urls.canonical_url(url): scheme, host and tracking folded
    content_id: str | None  # people.com.cn content id ("40223222"), no "L_" prefix
    channel_id: str | None  # the channel number from the URL or `catalogs` meta ("1001")
    title: str
    pretitle: str = ""  # 引题 above the title
    subtitle: str = ""  # 副题 below the title
    original_title: str = ""  # 原标题 of a reprint
    published_at: str | None = None  # ISO 8601 with +08:00, to the minute the page prints
    source: str = ""  # 来源 name: 中国妇女报
    source_url: str = ""  # the 来源 link, "" when none
    authors: list[str] = field(default_factory=list)  # person names from bylines/credits
    editors: list[str] = field(default_factory=list)  # 责编 / 责任编辑 names
    print_edition: PrintEdition | None = None
    breadcrumbs: list[str] = field(default_factory=list)  # channel path as printed
    keywords: list[str] = field(default_factory=list)  # `keywords` meta, split
    description: str = ""  # `description` meta
    images: list[Image] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)  # body, one entry per paragraph
    body_text: str = ""  # "\n".join(paragraphs)
    page_count: int = 1  # pages of a multi-page article
    page_urls: list[str] = field(default_factory=list)  # every page's URL, first page first
    # Pages of a multi-page article not in this record, each {"url", "reason", "transient"}
    # (set by the archive from the pages fetched, never by a parser); None when it is whole.
    missing_pages: list[dict] | None = None
    encoding: str = ""  # charset actually used to decode the bytes ("utf-8", "gb18030")
    decode_errors: int = 0  # byte sequences invalid in that charset, read as U+FFFD (0: clean)
    template: str = ""  # which layout matched ("cpc", "2020wbc", …, "fallback")
    parser_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        edition = data.get("print_edition")
        if edition:
            for name, empty in _PRINT_ONLY:
                if edition.get(name) == empty:
                    del edition[name]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleRecord:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("print_edition"):
            values["print_edition"] = PrintEdition(**values["print_edition"])
        values["images"] = [Image(**i) for i in values.get("images") or []]
        return cls(**values)


@dataclass(frozen=True)
class PageLink:
    """One page of a print issue as its page list names it."""

    number: str  # "01"
    name: str  # "第01版：要闻"
    url: str  # its index page, absolute


@dataclass
class PrintPage:
    """One page (版面) of a print issue, from its index page: what it holds, in order."""

    url: str  # the index page fetched
    paper: str  # 人民日报
    date: str  # ISO date of the issue
    number: str  # page number as printed, "01"
    name: str  # "第01版：要闻"
    pdf_url: str  # the page's PDF, absolute; "" when the page links none
    layout: str  # crawler.paper_urls.OLD or NEW
    article_urls: list[str] = field(default_factory=list)  # absolute, in page order
    article_titles: list[str] = field(default_factory=list)  # the list's link texts, same order
    pages: list[PageLink] = field(default_factory=list)  # every page of the issue, in order
    encoding: str = ""
    parser_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class NotArticle:
    """A page that is not an article: a list page, the home page, a not-found page, ...

    `kind` is a short machine-readable class ("not_found", "listing", "home", "empty",
    "unreadable"); `reason` says in words why, for the failures table and the CLI.
    """

    url: str
    kind: str
    reason: str
    encoding: str = ""
    parser_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Fetch:
    """One HTTP exchange as it came off the wire: what a snapshot stores, byte for byte.

    Every source feeds the archive with these: the spider, `ingest` (a saved file), `import-warc`
    (others' captures), and `reparse` (stored snapshots).
    """

    url: str  # the URL requested
    body: bytes  # the response body exactly as received
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # response headers, as received
    final_url: str = ""  # where redirects ended, "" when there were none
    fetched_at: str = ""  # ISO 8601 UTC instant of the response, set by the source
