"""Crawl state kept in the archive, so a crawl killed at any moment resumes where it stopped.

`crawl_frontier` holds every URL of the current crawl: "pending" until its page is handled,
then "done". A list page is marked done in the same transaction that adds the links found on
it; an article is marked done once the archive has stored it. A crawl that finishes clears the
frontier; a crawl that was killed, stopped or banned leaves its pending URLs for the next run.
It doubles as the crawl's duplicate filter: a URL enters the frontier once per crawl.
A fresh crawl also asks the archive what earlier runs left: failures settled for good, and
articles stored incomplete for a transient cause.

The table's migrations are here, beside the functions that use it; crawler.archive.schema
registers them in the archive's order (004_crawl_state, 014b_drop_crawl_lock).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from crawler.archive.instants import utc_now

FRONTIER = "crawl_frontier"


def create_tables(db: Database) -> None:
    """Migration 004_crawl_state, as it shipped: the frontier, and the run lock's table of
    that time (the lock is a file now: drop_lock_table removes it)."""
    # Every URL of the current crawl, pending until handled, so a crawl killed at any moment
    # resumes without fetching or storing anything twice.
    db["crawl_frontier"].create(
        {
            "url": str,  # the URL to fetch (page 1 for articles)
            "kind": str,  # "home", "listing", "article" or "recheck"
            "channel": str,  # the channel list the URL was found on, "" when none
            "depth": int,  # link depth from the start URLs
            "state": str,  # "pending" or "done"
            "added_at": str,
            "done_at": str,
        },
        pk="url",
        not_null={"kind", "state"},
        defaults={"channel": "", "depth": 0, "state": "pending"},
    )
    db["crawl_frontier"].create_index(["state"])
    db["crawl_lock"].create(
        {"id": int, "pid": int, "host": str, "started_at": str, "heartbeat_at": str}, pk="id"
    )


def drop_lock_table(db: Database) -> None:
    """Migration 014b_drop_crawl_lock: the run lock is a file (crawler.archive.lockfile)."""
    db.execute("DROP TABLE IF EXISTS crawl_lock")


def _now() -> str:
    return utc_now()


@dataclass(frozen=True)
class Entry:
    url: str
    kind: str
    channel: str = ""
    depth: int = 0


def enqueue(db: Database, entries: list[Entry], done: str | None = None) -> list[Entry]:
    """Add entries not yet in the frontier; return the ones added (the ones to fetch).

    `done`, if given, is the URL whose page yielded the entries: it is marked done in the same
    transaction, so a kill never leaves a page done with its links unrecorded.
    """
    now = _now()
    added: list[Entry] = []
    with db.conn:
        for entry in entries:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO {FRONTIER} (url, kind, channel, depth, state, added_at)"
                " VALUES (?, ?, ?, ?, 'pending', ?)",
                [entry.url, entry.kind, entry.channel, entry.depth, now],
            )
            if cursor.rowcount:
                added.append(entry)
        if done is not None:
            db.execute(
                f"UPDATE {FRONTIER} SET state = 'done', done_at = ? WHERE url = ?", [now, done]
            )
    return added


def mark_done(db: Database, *urls: str) -> None:
    now = _now()
    with db.conn:
        for url in urls:
            db.execute(
                f"UPDATE {FRONTIER} SET state = 'done', done_at = ? WHERE url = ?", [now, url]
            )


def kinds(db: Database, urls: list[str]) -> dict[str, str]:
    """The frontier kind of those `urls` already in this crawl's frontier."""
    found: dict[str, str] = {}
    for start in range(0, len(urls), 500):
        chunk = urls[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(f"SELECT url, kind FROM {FRONTIER} WHERE url IN ({marks})", chunk)
        found.update(rows.fetchall())
    return found


def pending(db: Database) -> list[Entry]:
    """URLs left pending by an interrupted crawl, in the order they were found."""
    rows = db.execute(
        f"SELECT url, kind, channel, depth FROM {FRONTIER} WHERE state = 'pending' ORDER BY rowid"
    ).fetchall()
    return [Entry(*row) for row in rows]


def clear(db: Database) -> None:
    """Forget the crawl: called when it finished, so the next run starts from the seeds."""
    with db.conn:
        db.execute(f"DELETE FROM {FRONTIER}")


# Failures worth another try on the next run: the server or the network may do better then.
TRANSIENT_FAILURES = ("fetch_error", "empty", "truncated")


def settled(db: Database, url: str) -> bool:
    """Whether an earlier run fetched `url` and it failed for good (gone, not an article):
    an incremental run treats it as known, not as new.

    Transient failures (timeouts, 5xx, 429/403, empty or cut-off bodies) stay unsettled.
    """
    rows = db.execute("SELECT kind FROM failures WHERE url = ?", [url]).fetchall()
    return any(
        kind not in TRANSIENT_FAILURES
        and not (kind.startswith("http_5") or kind in ("http_429", "http_403"))
        for (kind,) in rows
    )


def incomplete_to_retry(db: Database) -> list[str]:
    """Page-1 URLs of articles stored incomplete with a page missing for a transient cause
    (no answer, 5xx, not fetched): a fresh crawl asks for them again until they are whole."""
    return [
        r[0]
        for r in db.execute(
            "SELECT url FROM articles a WHERE missing_pages IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM json_each(a.missing_pages) WHERE json_extract(value, '$.transient'))"
        )
    ]
