"""Runs: one row per crawl, import, ingest or reparse, with its counts and how it ended."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlite_utils import Database

from crawler.archive.db import write_transaction
from crawler.archive.instants import utc_now

COUNTS = ("fetched", "new", "changed", "unchanged", "removed", "failed")


def start_run(db: Database, kind: str, args: Mapping[str, Any] | None = None) -> int:
    """A new run of `kind` ("crawl", "ingest", "import-warc", "reparse", ...); its id."""
    with write_transaction(db):
        cur = db.execute(
            "INSERT INTO runs (kind, started_at, args) VALUES (?, ?, ?)",
            [kind, utc_now(), json.dumps(dict(args or {}), ensure_ascii=False, default=str)],
        )
    return cur.lastrowid


def finish_run(
    db: Database, run_id: int, reason: str, counts: Mapping[str, int] | None = None
) -> None:
    """Close run `run_id` with its finish reason ("finished", "shutdown", "banned", ...).

    store_fetches keeps the counts up to date as it goes (so a killed run still has them);
    `counts`, when given, overwrites the named ones.
    """
    sets, params = ["finished_at = ?", "finish_reason = ?"], [utc_now(), reason]
    for name, value in (counts or {}).items():
        if name not in COUNTS:
            raise ValueError(f"unknown run count {name!r}; known: {', '.join(COUNTS)}")
        sets.append(f"[{name}] = ?")
        params.append(int(value))
    with write_transaction(db):
        cur = db.execute(f"UPDATE runs SET {', '.join(sets)} WHERE id = ?", [*params, run_id])
        if cur.rowcount != 1:
            raise KeyError(f"no run {run_id}")


def add_counts(db: Database, run_id: int, **counts: int) -> None:
    """Add to a run's counts (inside the caller's transaction)."""
    sets = [f"[{k}] = [{k}] + ?" for k in counts]
    if sets:
        db.execute(f"UPDATE runs SET {', '.join(sets)} WHERE id = ?", [*counts.values(), run_id])


def unfinished_runs(db: Database, kind: str | None = None) -> list[int]:
    """Ids of runs that never finished (killed, or still going), newest first."""
    sql = "SELECT id FROM runs WHERE finished_at IS NULL"
    params: list = []
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    return [r[0] for r in db.execute(sql + " ORDER BY id DESC", params).fetchall()]


def close_unfinished_runs(db: Database, reason: str, kind: str | None = None) -> list[int]:
    """Close every run left open (its process was stopped) with `reason`; their ids.

    Only for a caller that knows no other process is running them, e.g. the demo after its
    own crawl process has exited.
    """
    ids = unfinished_runs(db, kind)
    for run_id in ids:
        finish_run(db, run_id, reason)
    return ids


def worker_counts(db: Database, run_id: int) -> list[dict[str, Any]]:
    """A distributed crawl's counts per worker (table run_workers); empty for other runs."""
    cols = ("worker", *COUNTS)
    rows = db.execute(
        f"SELECT {', '.join(f'[{c}]' for c in cols)} FROM run_workers WHERE run_id = ? "
        "ORDER BY worker",
        [run_id],
    ).fetchall()
    return [dict(zip(cols, row, strict=True)) for row in rows]


# The columns of a run as `runs` lists it.
RUN_COLUMNS = ("id", "kind", "started_at", "finished_at", "finish_reason", *COUNTS)


def recent_runs(db: Database, limit: int) -> list[dict[str, Any]]:
    """The `limit` latest runs, newest first, each as RUN_COLUMNS -> value."""
    rows = db.execute(
        f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY started_at DESC, id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [dict(zip(RUN_COLUMNS, r, strict=True)) for r in rows]


def run_ending(db: Database, run_id: int) -> tuple[str, str | None] | None:
    """(started_at, finish_reason) of run `run_id`; None if there is no such run."""
    row = db.execute("SELECT started_at, finish_reason FROM runs WHERE id = ?", [run_id]).fetchone()
    return tuple(row) if row else None


def last_run_summary(db: Database) -> dict[str, Any] | None:
    """The latest run's id, finish reason and counts, the articles archived, and the failures
    by kind: what the demo prints after its crawl. None when no run was recorded."""
    cols = ("id", "finish_reason", "fetched", "new", "changed", "removed", "failed")
    run = db.execute(f"SELECT {', '.join(cols)} FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    if run is None:
        return None
    return {
        **dict(zip(cols, run, strict=True)),
        "articles": db.execute("SELECT count(*) FROM articles").fetchone()[0],
        "failures_by_kind": dict(
            db.execute("SELECT kind, count(*) FROM failures GROUP BY kind").fetchall()
        ),
    }
