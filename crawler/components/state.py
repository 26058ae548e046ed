"""Crawl state kept in the archive, so a crawl killed at any moment resumes where it stopped.

`crawl_frontier` holds every URL of the current crawl: "pending" until its page is handled,
then "done". A list page is marked done in the same transaction that adds the links found on
it; an article is marked done once the archive has stored it. A crawl that finishes clears the
frontier; a crawl that was killed, stopped or banned leaves its pending URLs for the next run.
It doubles as the crawl's duplicate filter: a URL enters the frontier once per crawl.

`crawl_lock` is the run lock: one row naming the process that crawls into this archive.
Both tables are created by the archive's migration 004_crawl_state.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from crawler.archive.instants import utc_now

FRONTIER = "crawl_frontier"
LOCK = "crawl_lock"


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


# --- run lock ---------------------------------------------------------------------------------


class ArchiveLocked(RuntimeError):
    """Another live crawl holds this archive."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed child its parent has not reaped yet is a zombie: dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def lock_holder(db: Database) -> dict | None:
    rows = list(db[LOCK].rows_where("id = 1"))
    return rows[0] if rows else None


def holder_is_live(holder: dict, stale_after: float, now: datetime | None = None) -> bool:
    """A lock is live if its process still runs (same host) and its heartbeat is recent."""
    now = now or datetime.now(UTC)
    beat = datetime.fromisoformat(holder["heartbeat_at"])
    if (now - beat).total_seconds() > stale_after:
        return False
    if holder["host"] == socket.gethostname():
        return _pid_alive(holder["pid"])
    return True


def acquire_lock(db: Database, stale_after: float, pid: int | None = None) -> dict | None:
    """Take the run lock or raise ArchiveLocked. Returns the stale lock taken over, if any."""
    pid = os.getpid() if pid is None else pid
    now = _now()
    with db.conn:
        # BEGIN IMMEDIATE: two crawls starting at once must not both see the lock free.
        db.execute("BEGIN IMMEDIATE")
        holder = lock_holder(db)
        if holder and holder["pid"] != pid and holder_is_live(holder, stale_after):
            db.execute("ROLLBACK")
            raise ArchiveLocked(
                f"another crawl (pid {holder['pid']} on {holder['host']}, started "
                f"{holder['started_at']}, last heartbeat {holder['heartbeat_at']}) "
                "is writing to this archive; wait for it to finish or stop it"
            )
        db.execute(
            f"INSERT OR REPLACE INTO {LOCK} (id, pid, host, started_at, heartbeat_at)"
            " VALUES (1, ?, ?, ?, ?)",
            [pid, socket.gethostname(), now, now],
        )
    return holder if holder and holder["pid"] != pid else None


def heartbeat(db: Database, pid: int | None = None) -> None:
    pid = os.getpid() if pid is None else pid
    with db.conn:
        db.execute(f"UPDATE {LOCK} SET heartbeat_at = ? WHERE id = 1 AND pid = ?", [_now(), pid])


def release_lock(db: Database, pid: int | None = None) -> None:
    pid = os.getpid() if pid is None else pid
    with db.conn:
        db.execute(f"DELETE FROM {LOCK} WHERE id = 1 AND pid = ?", [pid])
