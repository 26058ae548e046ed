"""Snapshots: every fetch as it came off the wire, its body in the content-addressed store."""

from __future__ import annotations

import json

from sqlite_utils import Database

from crawler.archive.compress import get_body, put_body
from crawler.archive.instants import stored_instant
from crawler.records import Fetch


def insert_snapshot(
    db: Database,
    run_id: int,
    fetch: Fetch,
    *,
    fetched_at: str,
    charset: str = "",
    group_id: int | None = None,
    page: int = 1,
    article_key: str | None = None,
) -> int:
    """Store one fetch (inside the caller's transaction); its snapshot id.

    The body goes to `bodies` only if no identical body is stored already.
    """
    digest = put_body(db, fetch.body)
    cur = db.execute(
        "INSERT INTO snapshots (url, final_url, status, headers, fetched_at, body_sha256, size, "
        "charset, run_id, group_id, page, article_key) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            fetch.url,
            fetch.final_url or "",
            int(fetch.status),
            json.dumps(dict(fetch.headers or {}), ensure_ascii=False),
            stored_instant(fetched_at),
            digest,
            len(fetch.body),
            charset,
            run_id,
            group_id,
            page,
            article_key,
        ],
    )
    snapshot_id = cur.lastrowid
    if group_id is None:
        db.execute("UPDATE snapshots SET group_id = ? WHERE id = ?", [snapshot_id, snapshot_id])
    return snapshot_id


def snapshot_body(db: Database, sha256: str) -> bytes:
    """The exact bytes of a stored body (checked against its sha256)."""
    return get_body(db, sha256)


def snapshot_pages(db: Database, snapshot_id: int) -> list[tuple[int, int, str]]:
    """(id, page, body_sha256) of every page stored with snapshot `snapshot_id` (itself and its
    continuation pages), page 1 first: the bytes one article version was parsed from."""
    return [
        tuple(r)
        for r in db.execute(
            "SELECT id, page, body_sha256 FROM snapshots "
            "WHERE id = ? OR (group_id = ? AND group_id IS NOT NULL) ORDER BY page, id",
            [snapshot_id, snapshot_id],
        ).fetchall()
    ]


def snapshot_fetch(db: Database, snapshot_id: int) -> Fetch:
    """A stored snapshot back as the Fetch it was made from."""
    row = db.execute(
        "SELECT url, body_sha256, status, headers, final_url, fetched_at FROM snapshots "
        "WHERE id = ?",
        [snapshot_id],
    ).fetchone()
    if row is None:
        raise KeyError(f"no snapshot {snapshot_id}")
    url, digest, status, headers, final_url, fetched_at = row
    return Fetch(
        url=url,
        body=get_body(db, digest),
        status=status,
        headers=json.loads(headers or "{}"),
        final_url=final_url or "",
        fetched_at=fetched_at,
    )


def snapshot_groups(db: Database) -> list[list[int]]:
    """Snapshot ids grouped as they were stored (page 1 first, then continuation pages), oldest
    group first."""
    groups: dict[int, list[int]] = {}
    for sid, gid in db.execute(
        "SELECT id, coalesce(group_id, id) FROM snapshots ORDER BY id"
    ).fetchall():
        groups.setdefault(gid, []).append(sid)
    return [groups[g] for g in sorted(groups)]
