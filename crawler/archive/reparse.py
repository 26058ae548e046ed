"""Re-extracting every stored snapshot with the current parser, fetching nothing.

The archive's articles, versions, URLs, failures and search index are all derived from the
snapshots. `reparse` derives them again, one batch of articles at a time: in one short
transaction, a batch's derived rows are cleared and every snapshot group stored under its
articles is fed, oldest first, back through store_fetches (the one storage path). Each article
is therefore all-old or all-new, never half-rebuilt, and a crawl beside the reparse waits for
one batch at most, not for the whole archive. The run row then counts, against the state
before: new articles, changed ones (different content or parser version), unchanged ones,
articles that no longer come out of their pages (removed), and failures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlite_utils import Database

from crawler.archive.compress import BodyCorrupt, maybe_train
from crawler.archive.db import write_transaction
from crawler.archive.instants import utc_now
from crawler.archive.runs import add_counts, finish_run, start_run
from crawler.archive.search.fts import INDEXED, unindex_article
from crawler.archive.snapshots import snapshot_fetch
from crawler.archive.store import record_failure, store_fetches
from crawler.archive.verdict import NOT_REJUDGEABLE, ArticleParser
from crawler.pages import article
from crawler.records import Fetch, NotArticle

# Articles per transaction: small enough that a crawl's store waits a moment, not minutes.
BATCH_KEYS = 50
# Snapshot groups per transaction for pages stored under no article (lists, failures).
BATCH_GROUPS = 200


def reparse(
    db: Database,
    run_id: int,
    progress: Callable[[int, int], None] | None = None,
    batch_keys: int = BATCH_KEYS,
    *,
    parser: ArticleParser = article,
) -> dict[str, int]:
    """Re-derive everything from the stored snapshots with `parser`, batch by batch; the run's
    counts."""
    before = _states(db)
    kept = _source_failures(db)
    keys = [
        k
        for (k,) in db.execute(
            "SELECT article_key FROM snapshots WHERE coalesce(group_id, id) = id "
            "AND article_key IS NOT NULL GROUP BY article_key ORDER BY min(id)"
        )
    ]
    keyless = [
        gid
        for (gid,) in db.execute(
            "SELECT id FROM snapshots WHERE coalesce(group_id, id) = id "
            "AND article_key IS NULL ORDER BY id"
        )
    ]
    total = db.execute("SELECT count(*) FROM snapshots WHERE coalesce(group_id, id) = id")
    total = total.fetchone()[0]
    done = 0
    for start in range(0, len(keys), batch_keys):
        done += _reparse_articles(db, run_id, keys[start : start + batch_keys], kept, parser)
        if progress:
            progress(min(done, total), total)
    for start in range(0, len(keyless), BATCH_GROUPS):
        done += _reparse_groups(db, run_id, keyless[start : start + BATCH_GROUPS], kept, parser)
        if progress:
            progress(min(done, total), total)
    after = _states(db)
    counts = {
        "new": len(after.keys() - before.keys()),
        "changed": sum(1 for k in after.keys() & before.keys() if after[k] != before[k]),
        "unchanged": sum(1 for k in after.keys() & before.keys() if after[k] == before[k]),
        "removed": len(before.keys() - after.keys()),
        "failed": db.execute("SELECT count(*) FROM failures WHERE run_id = ?", [run_id]).fetchone()[
            0
        ],
    }
    with write_transaction(db):
        # store_fetches counted per group as it went; the run reports the comparison instead.
        db.execute(
            "UPDATE runs SET new = 0, changed = 0, unchanged = 0, removed = 0, failed = 0 "
            "WHERE id = ?",
            [run_id],
        )
        add_counts(db, run_id, **counts)
    maybe_train(db)
    return counts


def _states(db: Database) -> dict[str, tuple[str, str]]:
    return {
        k: (c, p)
        for k, c, p in db.execute("SELECT key, content_sha256, parser_version FROM articles")
    }


def _groups(db: Database, where: str, params: Sequence) -> list[list[int]]:
    """Snapshot groups (page 1 first) whose page-1 row matches `where`, oldest group first."""
    rows = db.execute(
        "SELECT s.id, coalesce(s.group_id, s.id) FROM snapshots s WHERE coalesce(s.group_id, "
        f"s.id) IN (SELECT p.id FROM snapshots p WHERE coalesce(p.group_id, p.id) = p.id "
        f"AND {where}) ORDER BY s.id",
        list(params),
    ).fetchall()
    groups: dict[int, list[int]] = {}
    for sid, gid in rows:
        groups.setdefault(gid, []).append(sid)
    return [groups[g] for g in sorted(groups)]


def _reparse_articles(
    db: Database, run_id: int, keys: list[str], kept, parser: ArticleParser
) -> int:
    """One transaction: the articles `keys` cleared and derived again from their groups (read
    inside it, so a group a crawl stored meanwhile is in, and none is read twice)."""
    marks = ",".join("?" * len(keys))
    with write_transaction(db):
        groups = _groups(db, f"p.article_key IN ({marks})", keys)
        # A contentless index forgets its text: the exact values indexed take the row out.
        for row in db.execute(
            f"SELECT {INDEXED} FROM articles WHERE key IN ({marks})", keys
        ).fetchall():
            unindex_article(db, row)
        for table, column in (
            ("versions", "article_key"),
            ("article_urls", "article_key"),
            ("same_as", "print_key"),  # linked again as the articles are stored (link_same_as)
            ("same_as", "web_key"),
        ):
            db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", keys)
        db.execute(f"DELETE FROM articles WHERE key IN ({marks})", keys)
        _store_groups(db, run_id, groups, kept, parser)
    return len(groups)


def _reparse_groups(
    db: Database, run_id: int, group_ids: list[int], kept, parser: ArticleParser
) -> int:
    """One transaction: pages stored under no article (lists, failures) judged again."""
    marks = ",".join("?" * len(group_ids))
    with write_transaction(db):
        groups = _groups(db, f"p.id IN ({marks}) AND p.article_key IS NULL", group_ids)
        _store_groups(db, run_id, groups, kept, parser)
    return len(groups)


def _store_groups(
    db: Database, run_id: int, groups: list[list[int]], kept, parser: ArticleParser
) -> None:
    ids = [i for g in groups for i in g]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        db.execute(
            f"DELETE FROM failures WHERE snapshot_id IN ({','.join('?' * len(chunk))})", chunk
        )
    for group in groups:
        try:
            fetches = [snapshot_fetch(db, i) for i in group]
        except (BodyCorrupt, KeyError) as e:
            # One damaged body costs its own page, recorded; the rest is derived again.
            url = db.execute("SELECT url FROM snapshots WHERE id = ?", [group[0]]).fetchone()
            reason = f"a stored body of this page is damaged: {e}"
            record_failure(db, url[0], group[0], "damaged_body", reason, run_id, utc_now())
            add_counts(db, run_id, failed=1)
            continue
        store_fetches(
            db,
            run_id,
            fetches,
            _kept(kept.get(group[0]), fetches),
            snapshot_ids=group,
            parser=parser,
        )


def reparse_run(
    db: Database,
    progress: Callable[[int, int], None] | None = None,
    batch_keys: int = BATCH_KEYS,
    *,
    parser: ArticleParser = article,
) -> tuple[int, dict[str, int]]:
    """A `reparse` run: started, reparsed, closed with its finish reason ("finished";
    "interrupted" on Ctrl-C: the batches done are new, the others as they were, each article
    whole either way; "error: ..." otherwise)."""
    run_id = start_run(db, "reparse")
    try:
        counts = reparse(db, run_id, progress, batch_keys, parser=parser)
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
