"""What the crawl and the commands ask of the archive: is it known, what to recheck, records."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlite_utils import Database

from crawler.archive.verdict import url_key
from crawler.items import ArticleRecord
from crawler.urls import canonical_url


def known_article(db: Database, key: str) -> bool:
    """Whether the archive holds an article under `key` (removed ones included)."""
    return db.execute("SELECT 1 FROM articles WHERE key = ?", [key]).fetchone() is not None


def known_urls(db: Database, urls: Sequence[str]) -> set[str]:
    """Those of `urls` whose article is already archived (by key, so any host counts)."""
    known = set()
    for u in urls:
        key = url_key(u)
        by_key = bool(key) and known_article(db, key)
        if (
            by_key
            or db.execute("SELECT 1 FROM article_urls WHERE url = ?", [canonical_url(u)]).fetchone()
        ):
            known.add(u)
    return known


def fetched_urls(db: Database, run_id: int) -> set[str]:
    """URLs a run has already stored (fetched or failed): what a resumed run need not fetch."""
    return {r[0] for r in db.execute("SELECT url FROM snapshots WHERE run_id = ?", [run_id])}


def articles_first_seen_since(db: Database, date: str) -> list[tuple[str, str]]:
    """(key, url) of articles first archived on or after `date` (ISO date or instant) and not
    removed: what a recheck re-fetches to catch edits and removals."""
    return [
        (k, u)
        for k, u in db.execute(
            "SELECT key, url FROM articles WHERE first_seen >= ? AND removed_at IS NULL "
            "ORDER BY first_seen",
            [date],
        ).fetchall()
    ]


def article_record(db: Database, key: str, version: int | None = None) -> ArticleRecord:
    """The ArticleRecord of an article's current (or given) version.

    The current version is the one `articles.version` names: not always the highest number, as
    an earlier state found later (an import of old captures) is numbered after it.
    """
    if version is None:
        row = db.execute("SELECT version FROM articles WHERE key = ?", [key]).fetchone()
        version = row[0] if row else None
    row = db.execute(
        "SELECT fields FROM versions WHERE article_key = ? AND version = ?", [key, version]
    ).fetchone()
    if row is None:
        raise KeyError(f"no article {key}" + (f" version {version}" if version else ""))
    data = json.loads(row[0])
    data.setdefault("body_text", "\n".join(data.get("paragraphs") or []))
    return ArticleRecord.from_dict(data)
