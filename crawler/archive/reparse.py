"""Re-extracting every stored snapshot with the current parser, fetching nothing.

The archive's articles, versions, URLs, failures and search index are all derived from the
snapshots. `reparse` derives them again: it clears them and feeds every snapshot group, oldest
first, back through store_fetches (the one storage path), in a single transaction, so readers
see either the old state or the new one, never a half-rebuilt archive. The run row then
counts, against the state before: new articles, changed ones (different content or parser
version), unchanged ones, articles that no longer come out of their pages (removed), and
failures.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from crawler.archive.compress import maybe_train
from crawler.archive.db import write_transaction
from crawler.archive.runs import add_counts
from crawler.archive.snapshots import snapshot_fetch, snapshot_groups
from crawler.archive.store import store_fetches

DERIVED_TABLES = ("same_as", "versions", "article_urls", "articles")


def reparse(
    db: Database,
    run_id: int,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Re-derive everything from the stored snapshots; return the run's counts."""
    before = {
        k: (c, p)
        for k, c, p in db.execute("SELECT key, content_sha256, parser_version FROM articles")
    }
    groups = snapshot_groups(db)
    with write_transaction(db):
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
        db.execute("DELETE FROM failures WHERE snapshot_id IS NOT NULL")
        for table in DERIVED_TABLES:
            db.execute(f"DELETE FROM {table}")
        for done, ids in enumerate(groups, 1):
            fetches = [snapshot_fetch(db, i) for i in ids]
            store_fetches(db, run_id, fetches, snapshot_ids=ids)
            if progress:
                progress(done, len(groups))
        after = {
            k: (c, p)
            for k, c, p in db.execute("SELECT key, content_sha256, parser_version FROM articles")
        }
        counts = {
            "new": len(after.keys() - before.keys()),
            "changed": sum(1 for k in after.keys() & before.keys() if after[k] != before[k]),
            "unchanged": sum(1 for k in after.keys() & before.keys() if after[k] == before[k]),
            "removed": len(before.keys() - after.keys()),
            "failed": db.execute(
                "SELECT count(*) FROM failures WHERE run_id = ?", [run_id]
            ).fetchone()[0],
        }
        # store_fetches counted per group as it went; the run reports the comparison instead.
        db.execute(
            "UPDATE runs SET new = 0, changed = 0, unchanged = 0, removed = 0, failed = 0 "
            "WHERE id = ?",
            [run_id],
        )
        add_counts(db, run_id, **counts)
        maybe_train(db)
    return counts
