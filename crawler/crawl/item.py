"""What the spider hands the pipeline: the fetches of one page, and what they say."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.items import ArticleRecord, Fetch, NotArticle


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
