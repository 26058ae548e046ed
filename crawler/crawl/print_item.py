"""What the rmrb spider hands the pipeline for one page (版面) of a print issue."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.items import Fetch, NotArticle, PrintPage


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

    def __repr__(self) -> str:
        pdf = f", pdf {self.pdf.status} ({len(self.pdf.body)} bytes)" if self.pdf else ""
        what = type(self.page).__name__ if self.page is not None else "None"
        return f"PrintPageItem({self.index.url} ({self.index.status}) -> {what}{pdf})"
