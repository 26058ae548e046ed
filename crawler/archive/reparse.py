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

from crawler.archive.compress import BodyCorrupt, maybe_train
from crawler.archive.db import write_transaction
from crawler.archive.runs import add_counts, finish_run, start_run, utcnow
from crawler.archive.snapshots import snapshot_fetch, snapshot_groups
from crawler.archive.store import record_failure, store_fetches
from crawler.archive.verdict import NOT_REJUDGEABLE
from crawler.items import Fetch, NotArticle

DERIVED_TABLES = ("versions", "article_urls", "articles")


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
    kept = _source_failures(db)
    with write_transaction(db):
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
        db.execute("DELETE FROM failures WHERE snapshot_id IS NOT NULL")
        for table in DERIVED_TABLES:
            db.execute(f"DELETE FROM {table}")
        for done, ids in enumerate(groups, 1):
            try:
                fetches = [snapshot_fetch(db, i) for i in ids]
            except (BodyCorrupt, KeyError) as e:
                # One damaged body costs its own page, recorded; the rest is derived again.
                url = db.execute("SELECT url FROM snapshots WHERE id = ?", [ids[0]]).fetchone()
                reason = f"a stored body of this page is damaged: {e}"
                record_failure(db, url[0], ids[0], "damaged_body", reason, run_id, utcnow())
                add_counts(db, run_id, failed=1)
            else:
                result = _kept(kept.get(ids[0]), fetches)
                store_fetches(db, run_id, fetches, result, snapshot_ids=ids)
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


def reparse_run(
    db: Database, progress: Callable[[int, int], None] | None = None
) -> tuple[int, dict[str, int]]:
    """A `reparse` run: started, reparsed, closed with its finish reason ("finished";
    "interrupted" on Ctrl-C, the archive as it was before; "error: ..." otherwise)."""
    run_id = start_run(db, "reparse")
    try:
        counts = reparse(db, run_id, progress)
    except KeyboardInterrupt:
        finish_run(db, run_id, "interrupted")
        raise
    except Exception as e:
        finish_run(db, run_id, f"error: {e}")
        raise
    finish_run(db, run_id, "finished")
    return run_id, counts


def _source_failures(db: Database) -> dict[int, tuple[str, str]]:
    """Failures judged from what only their source knew, by the snapshot of their page 1."""
    marks = ",".join("?" * (len(NOT_REJUDGEABLE) + 1))
    rows = db.execute(
        f"SELECT snapshot_id, kind, reason FROM failures WHERE snapshot_id IS NOT NULL "
        f"AND kind IN ({marks}) ORDER BY id",
        [*NOT_REJUDGEABLE, "incomplete"],
    )
    return {sid: (kind, reason) for sid, kind, reason in rows}


def _kept(failure: tuple[str, str] | None, fetches: list[Fetch]) -> NotArticle | None:
    """The recorded failure when the stored pages cannot judge it again, else None (judge).

    No response, a response cut short, a damaged or orphaned WARC record: kept as recorded.
    An `incomplete` failure (archives from before incomplete articles were stored flagged) is
    judged again: the pages stored make the article, flagged with those missing.
    """
    if failure is None or failure[0] == "incomplete":
        return None
    kind, reason = failure
    return NotArticle(fetches[0].url, kind, reason)
