"""An article's history for reading: the URLs it was seen under, its versions and the
snapshots (every fetch of every page) it was read from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from crawler.archive.current import article_record
from crawler.archive.diff import paragraph_diff


@dataclass
class VersionInfo:
    version: int
    seen_from: str
    seen_to: str | None
    snapshot_id: int | None
    parser_version: str | None
    current: bool


@dataclass
class SnapshotInfo:
    id: int
    url: str
    status: int
    fetched_at: str
    page: int | None
    size: int | None
    run_id: int


def article_row(db: Database, key: str) -> dict | None:
    """The `articles` row of `key` (first seen, removed, reprint ...), None when unknown."""
    rows = list(db.query("SELECT * FROM articles WHERE key = ?", [key]))
    return rows[0] if rows else None


def article_urls(db: Database, key: str) -> list[tuple[str, str, str]]:
    """(url, first_seen, last_seen) of every canonical URL the article was seen under."""
    return db.execute(
        "SELECT url, first_seen, last_seen FROM article_urls WHERE article_key = ? "
        "ORDER BY first_seen, url",
        [key],
    ).fetchall()


def article_versions(db: Database, key: str) -> list[VersionInfo]:
    """The article's versions, oldest first; `current` marks the one `articles` shows."""
    current = db.execute("SELECT version FROM articles WHERE key = ?", [key]).fetchone()
    return [
        VersionInfo(v, seen_from, seen_to, sid, parser, bool(current) and v == current[0])
        for v, seen_from, seen_to, sid, parser in db.execute(
            "SELECT version, seen_from, seen_to, snapshot_id, parser_version FROM versions "
            "WHERE article_key = ? ORDER BY seen_from, version",
            [key],
        )
    ]


def article_snapshots(db: Database, key: str) -> list[SnapshotInfo]:
    """Every fetch that was about the article (all pages, all runs), newest first."""
    return [
        SnapshotInfo(*row)
        for row in db.execute(
            "SELECT id, url, status, fetched_at, page, size, run_id FROM snapshots "
            "WHERE article_key = ? ORDER BY fetched_at DESC, id",
            [key],
        )
    ]


def version_diff(db: Database, key: str, old: int, new: int) -> list[tuple[str, str]]:
    """The paragraph diff (crawler.archive.diff) from version `old` to version `new`."""
    before = article_record(db, key, old)
    after = article_record(db, key, new)
    return paragraph_diff(before.paragraphs, after.paragraphs)


def archived_snapshot_of(db: Database, url: str) -> int | None:
    """The latest successful snapshot of `url` (an image, say), None when it was not fetched."""
    row = db.execute(
        "SELECT id FROM snapshots WHERE url = ? AND status = 200 ORDER BY id DESC LIMIT 1", [url]
    ).fetchone()
    return row[0] if row else None
