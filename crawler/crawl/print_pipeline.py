"""The archive pipeline for the rmrb spider: print pages as rows, and the run's print stats.

Articles (CrawledPage) are stored by ArchivePipeline as for the web crawl; a PrintPageItem is
stored by crawler.archive.paper.store_print_page. The Scrapy stats `print/issues`,
`print/pages` and `print/articles` count what this run archived (issues with at least one
page stored, page rows written, print articles stored); monitoring reads them.
"""

from __future__ import annotations

from crawler.archive.paper import store_print_page
from crawler.archive.store import store_fetches
from crawler.crawl.print_item import PrintPageItem
from crawler.pipelines import ArchivePipeline

ARCHIVED = ("new", "changed", "unchanged")


class PrintArchivePipeline(ArchivePipeline):
    def open_spider(self):
        super().open_spider()
        self.issues: set[str] = set()
        stats = self.crawler.stats
        for name in ("print/issues", "print/pages", "print/articles"):
            stats.set_value(name, 0)

    def process_item(self, item):
        stats = self.crawler.stats
        if isinstance(item, PrintPageItem):
            outcome = store_print_page(
                self.db, self.run_id, item.index, item.page, item.pdf, item.pdf_result
            )
            if outcome.stored:
                stats.inc_value("print/pages")
                if item.page.date not in self.issues:
                    self.issues.add(item.page.date)
                    stats.inc_value("print/issues")
            elif outcome.index.reason.startswith("no_issue"):
                stats.inc_value("print/missing_days")
            if outcome.pdf is not None and outcome.pdf.status == "skipped":
                stats.inc_value("print/pdfs")
            return item
        outcome = store_fetches(self.db, self.run_id, item.fetches, item.result)
        if outcome.status in ARCHIVED:
            stats.inc_value("print/articles")
        return item
