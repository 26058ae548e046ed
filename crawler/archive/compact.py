"""Compacting an archive: a trained dictionary for the bodies, one-segment search index, VACUUM."""

from __future__ import annotations

from sqlite_utils import Database

from crawler.archive.compress import Compaction, compact_bodies
from crawler.archive.db import write_transaction


def optimize_search_index(db: Database) -> None:
    """Merge the full-text index into one b-tree per token: a smaller, faster index."""
    with write_transaction(db):
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")


def compact_archive(db: Database) -> Compaction:
    """Recompress the bodies (kept only if smaller), optimize the search index, and return the
    freed pages to the disk; what the recompression did."""
    result = compact_bodies(db)
    optimize_search_index(db)
    db.vacuum()
    return result
