"""Requests per archived print article, over a generated year of the 人民日报 print edition.

    python -m bench.print [--days 365] [--pages 20] [--articles 6]

bench/papergen.py serves N days of issues (both layouts: the year runs across the 2024-12
switch when it is long enough) from memory through the replay proxy; the real
`scrapy crawl rmrb -a since=… -a until=…` backfills them with the full pipeline. The proxy
counts every request it answers, by kind (page index pages, articles, PDFs, robots.txt); the
archive counts the print articles stored. Each issue's last page carries no articles (an
advertising page). Printed:

1. the backfill: requests per archived article, page indexes + articles (target <= 1.2), and
   with the PDFs too; each kind on its own line;
2. a daily rerun after the backfill: the site gains one day, `scrapy crawl rmrb` with no
   argument (ARCHIVE_PRINT_TODAY = that day) runs; its requests against that day's pages +
   articles (the baseline: 1.0 means it asked for nothing else), PDFs apart.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from bench.crawl import stats_of
from bench.papergen import PaperSite
from crawler.archive.db import open_archive
from crawler.cli.demo import ROOT, crawl_command, crawl_env
from crawler.paper_urls import is_paper_pdf_url, parse_paper_url
from crawler.replay import ReplayServer

LAST = date(2024, 12, 31)


def kind_of(url: str) -> str:
    if url.endswith("/robots.txt"):
        return "robots"
    if is_paper_pdf_url(url):
        return "pdf"
    parsed = parse_paper_url(url)
    return f"{parsed.kind}s" if parsed else "other"


def crawl(db: Path, server: ReplayServer, *args: str) -> dict:
    # A loaded machine must not turn slow answers into timeouts and retries: they would count
    # as requests the crawl policy never asked for.
    extra = ["-s", "LOG_LEVEL=INFO", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
    cmd = crawl_command(db, [*extra, "-s", "DOWNLOAD_TIMEOUT=60"])
    cmd[cmd.index("cpc")] = "rmrb"
    out = subprocess.run(
        [*cmd, *args], env=crawl_env(server.url), cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stdout[-3000:] + out.stderr[-3000:])
    return stats_of(out.stdout + out.stderr)


def count(db: Path, sql: str, params=()) -> int:
    archive = open_archive(db)
    try:
        return archive.execute(sql, params).fetchone()[0]
    finally:
        archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--articles", type=int, default=6, help="articles per page")
    args = parser.parse_args()
    first = LAST - timedelta(days=args.days - 1)
    site = PaperSite(
        first,
        LAST,
        pages=args.pages,
        articles=args.articles,
        empty_pages=frozenset((first + timedelta(n), args.pages) for n in range(args.days + 1)),
    )
    with tempfile.TemporaryDirectory() as tmp, ReplayServer(site) as server:
        db = Path(tmp) / "archive.db"
        stats = crawl(db, server, "-a", f"since={first}", "-a", f"until={LAST}")
        hits = Counter(kind_of(h.url) for h in server.hits)
        articles = count(db, "SELECT count(*) FROM articles")
        pages = count(db, "SELECT count(*) FROM print_pages")
        print(f"Backfill of {args.days} issues ({first} .. {LAST}), {args.pages} pages each:")
        failures = count(db, "SELECT count(*) FROM failures")
        print(f"  archived: {articles} print articles, {pages} pages; {failures} failures")
        print(
            f"  stats: print/issues={stats.get('print/issues')} print/pages="
            f"{stats.get('print/pages')} print/articles={stats.get('print/articles')}"
        )
        for kind in ("pages", "articles", "pdf", "robots"):
            print(f"  requests for {kind}: {hits[kind]} ({hits[kind] / articles:.3f} per article)")
        core = hits["pages"] + hits["articles"]
        print(
            f"  requests per archived article, page indexes + articles: {core / articles:.3f}"
            "  (target <= 1.2)"
        )
        print(
            f"  requests per archived article, with the PDFs: {(core + hits['pdf']) / articles:.3f}"
        )
        print(f"  elapsed: {stats.get('elapsed_time_seconds', 0):.1f} s")

        # The next day appears; the daily run (no argument) fetches it and nothing else.
        site.last = LAST + timedelta(days=1)
        site._pdfs = None
        del server.hits[:]
        crawl(db, server, "-s", f"ARCHIVE_PRINT_TODAY={site.last}")
        hits = Counter(kind_of(h.url) for h in server.hits)
        day_articles = count(
            db, "SELECT count(*) FROM articles WHERE published_at = ?", [site.last.isoformat()]
        )
        baseline = args.pages + day_articles
        core = hits["pages"] + hits["articles"]
        print(f"Daily rerun for {site.last} after the backfill:")
        print(f"  that day: {args.pages} pages + {day_articles} articles = {baseline} (baseline)")
        print(
            f"  requests: {hits['pages']} page indexes + {hits['articles']} articles = {core}"
            f"; {hits['pdf']} PDFs; {hits['robots']} robots.txt"
        )
        print(f"  ratio to the baseline: {core / baseline:.3f}  (1.000: nothing but that day)")


if __name__ == "__main__":
    main()
