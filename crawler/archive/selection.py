"""Choosing articles by filter and turning them into export rows with a stable column order.

The filters are crawler.archive.filters (the same as search): since/until compare the
publication date (YYYY, YYYY-MM or YYYY-MM-DD, inclusive), source is part of the 来源 name,
editor one editor exactly, channel the channel id. Articles come oldest publication first,
with or without a query.

Column orders are part of the export format: append new columns at the end, never reorder.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from crawler.archive.current import DamagedRow, article_record
from crawler.archive.filters import filter_sql

# One row per article: its current state.
ARTICLE_COLUMNS = (
    "key",  # stable article key: people:<content id>, or the canonical URL
    "title",
    "pretitle",
    "subtitle",
    "original_title",
    "published_at",  # ISO 8601, Beijing time (+08:00)
    "source",
    "source_url",
    "authors",  # list
    "editors",  # list
    "channel_id",
    "breadcrumbs",  # list
    "keywords",  # list
    "description",
    "print_edition",  # object {paper, date, page} or null
    "body_text",  # paragraphs joined by "\n"
    "images",  # list of {src, caption}
    "page_count",
    "url",  # the URL the current version was fetched from (page 1)
    "canonical_url",
    "urls",  # list: every canonical URL the article was seen under
    "page_urls",  # list: every page of a multi-page article
    "content_id",
    "version",  # number of the current version (1 = never changed)
    "first_seen",  # UTC instants of the first and latest fetch that saw it
    "last_seen",
    "removed_at",  # when the site stopped serving it, null while it is online
    "reprint_of",  # key of an earlier article with the same text
    "snapshot_id",  # the snapshot (raw bytes) the current version came from
    "body_sha256",  # sha256 of those raw bytes
    "encoding",
    "template",
    "parser_version",
    "decode_errors",  # byte sequences invalid in that encoding, read as U+FFFD (0: clean)
    "missing_pages",  # list of {url, reason, transient}: pages not in it; null when whole
)

# One row per version: every distinct state an article had.
VERSION_COLUMNS = (
    "key",
    "version",
    "seen_from",  # first fetch that saw this state
    "seen_to",  # last fetch that still saw it
    "title",
    "pretitle",
    "subtitle",
    "original_title",
    "published_at",
    "source",
    "source_url",
    "authors",
    "editors",
    "channel_id",
    "breadcrumbs",
    "keywords",
    "description",
    "print_edition",
    "body_text",
    "images",
    "page_count",
    "url",
    "page_urls",
    "content_id",
    "removed_at",  # of the article (a removal is not a version)
    "snapshot_id",
    "body_sha256",
    "encoding",
    "template",
    "parser_version",
    "decode_errors",
    "missing_pages",
)

LIST_COLUMNS = frozenset(
    {"authors", "editors", "breadcrumbs", "keywords", "images", "urls", "page_urls"}
)
OBJECT_COLUMNS = frozenset({"print_edition", "missing_pages"})


def article_keys(db: Database, query: str | None = None, **filters) -> list[str]:
    """Keys of every selected article, oldest publication first.

    With a query, every article that matches, not only the best-ranked ones `search` shows
    (search ranks within a window of recent matches; an export must not drop the rest).
    Raises crawler.archive.search.fts.QueryError for a query that cannot be run.
    """
    where, params = filter_sql(**filters)
    if query:
        from crawler.archive.search.fts import QueryError, parse_query

        expr, _needles = parse_query(query)
        sql = (
            "SELECT a.key FROM articles_fts JOIN articles a ON a.doc_id = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? AND {where} ORDER BY a.published_at, a.key"
        )
        try:
            return [row[0] for row in db.execute(sql, [expr, *params])]
        except sqlite3.OperationalError as e:
            if "fts5" in str(e) or "syntax" in str(e):
                raise QueryError(f"query cannot be run: {e}") from e
            raise
    sql = f"SELECT a.key FROM articles a WHERE {where} ORDER BY a.published_at, a.key"
    return [row[0] for row in db.execute(sql, params)]


def _decode(column: str, value: Any, key: str = "") -> Any:
    if column not in LIST_COLUMNS and column not in OBJECT_COLUMNS:
        return value
    if not value:
        return [] if column in LIST_COLUMNS else None
    try:
        return json.loads(value)
    except ValueError as e:
        raise DamagedRow(f"article {key}: its {column} column holds malformed JSON ({e})") from e


def article_row(db: Database, key: str) -> dict[str, Any] | None:
    """The export row of one article, columns in ARTICLE_COLUMNS order."""
    cur = db.execute("SELECT * FROM articles WHERE key = ?", [key])
    found = cur.fetchone()
    if found is None:
        return None
    raw = dict(zip([d[0] for d in cur.description], found, strict=True))
    urls = [
        r[0]
        for r in db.execute(
            "SELECT url FROM article_urls WHERE article_key = ? ORDER BY first_seen, url", [key]
        )
    ]
    raw["urls"] = json.dumps(urls)
    return {c: _decode(c, raw.get(c), key) for c in ARTICLE_COLUMNS}


def version_rows(db: Database, key: str) -> Iterator[dict[str, Any]]:
    """Every version of one article, oldest first, columns in VERSION_COLUMNS order."""
    removed = db.execute("SELECT removed_at FROM articles WHERE key = ?", [key]).fetchone()
    cur = db.execute(
        "SELECT v.*, s.body_sha256 AS snapshot_sha256 FROM versions v "
        "LEFT JOIN snapshots s ON s.id = v.snapshot_id "
        "WHERE v.article_key = ? ORDER BY v.version",
        [key],
    )
    names = [d[0] for d in cur.description]
    for found in cur.fetchall():
        v = dict(zip(names, found, strict=True))
        # through the archive's reader: it restores what versions store in short form
        record = article_record(db, key, v["version"]).to_dict()
        row: dict[str, Any] = {}
        for c in VERSION_COLUMNS:
            if c == "key":
                row[c] = key
            elif c in ("version", "seen_from", "seen_to", "snapshot_id", "parser_version"):
                row[c] = v.get(c)
            elif c == "body_sha256":
                row[c] = v.get("body_sha256") or v.get("snapshot_sha256")
            elif c == "removed_at":
                row[c] = removed[0] if removed else None
            else:
                value = record.get(c)
                row[c] = [] if value is None and c in LIST_COLUMNS else value
        yield row
