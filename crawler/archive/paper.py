"""The print edition in the archive: pages (版面) as rows, print and web copies linked.

A print page's index page and its PDF are stored through `store_fetches` like every fetch
(snapshots; a PDF fault or a day without a paper is a `failures` row); `store_print_page` then
records the page itself: its name, its snapshots, its articles in order. Print articles are
ordinary `articles` rows (key: the article's canonical URL) with a fuller `print_edition`.

Print and web copies of one piece are linked in crawler.archive.same_as.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlite_utils import Database

from crawler.archive.crawl_state import settled
from crawler.archive.db import write_transaction
from crawler.archive.instants import utc_now
from crawler.archive.store import StoreOutcome, store_fetches
from crawler.paper_urls import page_url
from crawler.records import Fetch, NotArticle, PrintPage


@dataclass
class PageOutcome:
    """What storing one print page did."""

    index: StoreOutcome
    pdf: StoreOutcome | None = None
    stored: bool = False  # a print_pages row was written
    articles: list[str] = field(default_factory=list)


def store_print_page(
    db: Database,
    run_id: int,
    index: Fetch,
    page: PrintPage | NotArticle | None,
    pdf: Fetch | None = None,
    pdf_result: NotArticle | None = None,
) -> PageOutcome:
    """Store a page's index fetch (and its PDF fetch), then its print_pages row.

    `page`: the parse of the index page; a NotArticle (a day without a paper) or None (an
    HTTP error: the archive judges by the status) stores the fetch and no row.
    `pdf_result`: why the PDF request got no response (status 0), for its failures row.
    """
    if not isinstance(page, PrintPage):
        return PageOutcome(store_fetches(db, run_id, [index], page))
    marker = NotArticle(index.url, "print_page", f"print page {page.date} {page.number}")
    marker.encoding = page.encoding
    index_outcome = store_fetches(db, run_id, [index], marker)
    pdf_outcome = None
    if pdf is not None:
        good = 200 <= pdf.status < 300 and bool(pdf.body)
        what = NotArticle(pdf.url, "pdf", f"PDF of print page {page.date} {page.number}")
        pdf_outcome = store_fetches(db, run_id, [pdf], what if good else pdf_result)
    at = index.fetched_at or utc_now()
    with write_transaction(db):
        old = db.execute(
            "SELECT first_seen, pdf_snapshot_id FROM print_pages "
            "WHERE paper = ? AND date = ? AND number = ?",
            [page.paper, page.date, page.number],
        ).fetchone()
        pdf_snapshot = old[1] if old else None
        if pdf_outcome is not None and pdf_outcome.status == "skipped":
            pdf_snapshot = pdf_outcome.snapshot_ids[0]
        db["print_pages"].upsert(
            {
                "paper": page.paper,
                "date": page.date,
                "number": page.number,
                "name": page.name,
                "url": page.url,
                "layout": page.layout,
                "pdf_url": page.pdf_url,
                "index_snapshot_id": index_outcome.snapshot_ids[0],
                "pdf_snapshot_id": pdf_snapshot,
                "pdf_status": pdf.status if pdf is not None else None,
                "article_urls": json.dumps(page.article_urls),
                "article_titles": json.dumps(page.article_titles, ensure_ascii=False),
                "issue_pages": json.dumps([p.__dict__ for p in page.pages], ensure_ascii=False),
                "first_seen": old[0] if old else at,
                "last_seen": at,
                "run_id": run_id,
            },
            pk=("paper", "date", "number"),
        )
    return PageOutcome(index_outcome, pdf_outcome, True, list(page.article_urls))


def print_page_row(db: Database, day: str, number: str) -> dict[str, Any] | None:
    rows = list(db["print_pages"].rows_where("date = ? AND number = ?", [day, number]))
    return _decoded(rows[0]) if rows else None


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for name in ("article_urls", "article_titles", "issue_pages"):
        row[name] = json.loads(row[name] or "[]")
    return row


def issue_pages(db: Database, day: str) -> list[dict[str, Any]]:
    """The print_pages rows of the issue of `day` (ISO date), page by page."""
    rows = db["print_pages"].rows_where("date = ?", [day], order_by="number")
    return [_decoded(r) for r in rows]


def archived_dates(db: Database) -> list[str]:
    """Every issue date with at least one page archived, oldest first."""
    return [r[0] for r in db.execute("SELECT DISTINCT date FROM print_pages ORDER BY date")]


def issue_complete(db: Database, day: str) -> bool:
    """Every page the issue lists has its row, and every article those pages list is archived
    (or failed for good): nothing of that day is left to fetch."""
    pages = issue_pages(db, day)
    if not pages:
        return False
    listed = {p["number"] for p in pages[0]["issue_pages"]} if pages[0]["issue_pages"] else set()
    if listed - {p["number"] for p in pages}:
        return False
    return not missing_articles(db, [u for p in pages for u in p["article_urls"]])


def missing_articles(db: Database, urls: list[str]) -> list[str]:
    """Those of `urls` (print article URLs: their keys) not archived, in order."""
    return [
        u
        for u in urls
        if db.execute("SELECT 1 FROM articles WHERE key = ?", [u]).fetchone() is None
        and not settled(db, u)
    ]


def issue_contents(db: Database, day: str) -> list[dict[str, Any]]:
    """The table of contents of the issue of `day`, page by page, articles in page order.

    Each page: number, name, url, pdf_url, pdf_snapshot_id, articles; each article: its
    position, key, title, pretitle, subtitle, authors, whether it is archived, and the keys
    of its web copies (same_as). An article the page lists but the archive lacks keeps the
    title the page lists, with archived False.
    """
    from crawler.archive.same_as import same_as

    contents = []
    for page in issue_pages(db, day):
        articles = []
        titles = page["article_titles"]
        for position, url in enumerate(page["article_urls"], 1):
            row = db.execute(
                "SELECT title, pretitle, subtitle, authors FROM articles WHERE key = ?", [url]
            ).fetchone()
            listed = titles[position - 1] if position <= len(titles) else ""
            articles.append(
                {
                    "position": position,
                    "key": url,
                    "title": row[0] if row else listed,
                    "pretitle": row[1] if row else "",
                    "subtitle": row[2] if row else "",
                    "authors": json.loads(row[3] or "[]") if row else [],
                    "archived": row is not None,
                    "same_as": same_as(db, url),
                }
            )
        contents.append(
            {
                "number": page["number"],
                "name": page["name"],
                "url": page["url"],
                "pdf_url": page["pdf_url"],
                "pdf_snapshot_id": page["pdf_snapshot_id"],
                "articles": articles,
            }
        )
    return contents


def no_issue_recorded(db: Database, day: str) -> str | None:
    """The reason recorded when the day turned out to have no paper, if it did."""
    row = db.execute(
        "SELECT reason FROM failures WHERE kind = 'no_issue' AND url = ? ORDER BY id DESC",
        [page_url(date.fromisoformat(day), 1)],
    ).fetchone()
    return row[0] if row else None
