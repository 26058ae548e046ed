"""The Scrapy items: what a spider hands the pipeline for one page, and what it says.

`CrawledPage` carries a web page's fetches (the cpc spider, and articles found by rmrb);
`PrintPageItem` one page (版面) of a print issue. The records inside them (ArticleRecord,
NotArticle, PrintPage, Fetch) are the parsers' output, defined in crawler.records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.records import ArticleRecord, Fetch, NotArticle, PrintPage


@dataclass
class CrawledPage:
    """One page's fetches (an article's page 1 first, then its continuation pages) and the
    merged result; a list page or the home page is one fetch with its NotArticle.

    `result` is None when the archive should decide from the fetches alone (an HTTP error
    status: the archive knows whether the URL was a known article, now removed).
    """

    frontier_url: str  # the crawl-frontier entry this item completes
    fetches: list[Fetch] = field(default_factory=list)
    result: ArticleRecord | NotArticle | None = None
    # False when the URL should stay pending in the frontier once stored: the server refused
    # or failed (403, 429, 5xx), and a resumed crawl should ask again.
    done: bool = True

    def __repr__(self) -> str:
        # Scrapy logs the item when a pipeline fails: name the pages, not megabytes of bytes.
        pages = ", ".join(f"{f.url} ({f.status}, {len(f.body)} bytes)" for f in self.fetches)
        what = type(self.result).__name__ if self.result is not None else "None"
        return f"CrawledPage({self.frontier_url}: [{pages}] -> {what})"


@dataclass
class PrintPageItem:
    """A page's index fetch and its parse, with the page's PDF fetch when one was made.

    `page` is None when the archive should judge from the status alone (a 5xx on a page other
    than page 1, say); a NotArticle("no_issue") for a day without a paper.
    """

    index: Fetch
    page: PrintPage | NotArticle | None
    pdf: Fetch | None = None
    pdf_result: NotArticle | None = None  # why a PDF fetch got no response at all

    @property
    def frontier_url(self) -> str:
        """The URL this item completes (names its file in the spool)."""
        return self.index.url

    def __repr__(self) -> str:
        pdf = f", pdf {self.pdf.status} ({len(self.pdf.body)} bytes)" if self.pdf else ""
        what = type(self.page).__name__ if self.page is not None else "None"
        return f"PrintPageItem({self.index.url} ({self.index.status}) -> {what}{pdf})"
