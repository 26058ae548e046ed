"""What `stats` reports: articles counted by month, channel and source; runs; failures."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from crawler.archive.filters import filter_sql


def archive_stats(db: Database, **filters: Any) -> dict[str, Any]:
    """The archive's counts; the article counts narrowed by `filters` (those of filter_sql),
    snapshots, runs and failures over the whole archive."""
    where, params = filter_sql(**filters)

    def grouped(expr: str) -> list[tuple]:
        return db.execute(
            f"SELECT {expr} AS g, count(*) FROM articles a WHERE {where} GROUP BY g ORDER BY g",
            params,
        ).fetchall()

    totals = db.execute(
        f"SELECT count(*), sum(a.removed_at IS NOT NULL), sum(a.version > 1) "
        f"FROM articles a WHERE {where}",
        params,
    ).fetchone()
    return {
        "articles": totals[0] or 0,
        "removed": totals[1] or 0,
        "changed": totals[2] or 0,
        "snapshots": db.execute("SELECT count(*) FROM snapshots").fetchone()[0],
        "by_month": dict(grouped("substr(a.published_at, 1, 7)")),
        "by_channel": dict(grouped("a.channel_id")),
        "by_source": dict(sorted(grouped("a.source"), key=lambda r: (-r[1], r[0] or ""))),
        "runs": dict(
            db.execute("SELECT kind, count(*) FROM runs GROUP BY kind ORDER BY kind").fetchall()
        ),
        "failures_by_kind": dict(
            db.execute(
                "SELECT kind, count(*) FROM failures GROUP BY kind ORDER BY count(*) DESC, kind"
            ).fetchall()
        ),
    }
