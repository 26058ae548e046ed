"""What the crawl and the commands ask of the archive: is it known, what to recheck, records."""

from __future__ import annotations

from collections.abc import Sequence

from sqlite_utils import Database

from crawler.archive.verdict import url_key
from crawler.urls import article_key, canonical_url

__all__ = [
    "articles_first_seen_since",
    "fetched_urls",
    "known_article",
    "known_urls",
    "resolve_key",
]


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


def resolve_key(db: Database, key: str) -> str | None:
    """An article key from a key, a bare content id, or any URL the article was seen under;
    None when the archive holds no such article."""
    key = key.strip()
    candidates = [key]
    if key.isdigit():
        candidates.append(f"people:{key}")
    if key.startswith(("http://", "https://")):
        try:
            url = canonical_url(key)
        except ValueError:  # not a URL anything was seen under (an unclosed IPv6 host)
            return None
        candidates.append(article_key(key))
        found = db.execute("SELECT article_key FROM article_urls WHERE url = ?", [url]).fetchone()
        if found:
            candidates.insert(0, found[0])
    for candidate in candidates:
        if known_article(db, candidate):
            return candidate
    return None
