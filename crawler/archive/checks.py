"""Monitoring results in the archive: what each run measured (`run_metrics`) and what each
monitor concluded (`checks`). Plain functions over a sqlite-utils Database.

The history a run is judged against is the metrics of the earlier runs of the same spider
that finished normally (finish_reason "finished"): a run stopped by a ban, a page cap or a
kill saw only part of the site and would drag the medians down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from crawler.archive.db import write_transaction
from crawler.archive.instants import utc_now


def save_metrics(
    db: Database, run_id: int, spider: str, metric: str, values: Mapping[str, float]
) -> None:
    """Record `metric` of run `run_id` (replacing what an earlier call recorded for it)."""
    with write_transaction(db):
        db.execute("DELETE FROM run_metrics WHERE run_id = ? AND metric = ?", [run_id, metric])
        for key, value in values.items():
            db.execute(
                "INSERT INTO run_metrics (run_id, spider, metric, key, value) "
                "VALUES (?, ?, ?, ?, ?)",
                [run_id, spider, metric, key, float(value)],
            )


def run_metric(db: Database, run_id: int, metric: str) -> dict[str, float]:
    rows = db.execute(
        "SELECT key, value FROM run_metrics WHERE run_id = ? AND metric = ?", [run_id, metric]
    ).fetchall()
    return dict(rows)


def metric_history(
    db: Database, run_id: int, spider: str, metric: str, runs: int
) -> list[dict[str, float]]:
    """`metric` of the last `runs` earlier finished runs of `spider` that recorded it, newest
    first (one dict per run; a run that recorded the metric with no keys gives {})."""
    ids = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT m.run_id FROM run_metrics m JOIN runs r ON r.id = m.run_id "
            "WHERE m.spider = ? AND m.metric = ? AND m.run_id < ? "
            "AND r.finish_reason = 'finished' ORDER BY m.run_id DESC LIMIT ?",
            [spider, metric, run_id, runs],
        ).fetchall()
    ]
    return [run_metric(db, i, metric) for i in ids]


def earlier_runs(db: Database, run_id: int, spider: str) -> int:
    """How many earlier runs of `spider` recorded any metric at all."""
    return db.execute(
        "SELECT count(DISTINCT run_id) FROM run_metrics WHERE spider = ? AND run_id < ?",
        [spider, run_id],
    ).fetchone()[0]


@dataclass(frozen=True)
class Check:
    monitor: str
    passed: bool
    message: str


def save_checks(db: Database, run_id: int, spider: str, checks: Iterable[Check]) -> None:
    """The monitors' verdicts on run `run_id` (replacing an earlier set for the same run)."""
    at = utc_now()
    with write_transaction(db):
        db.execute("DELETE FROM checks WHERE run_id = ?", [run_id])
        for check in checks:
            db.execute(
                "INSERT INTO checks (run_id, spider, monitor, passed, message, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [run_id, spider, check.monitor, int(check.passed), check.message, at],
            )


def run_checks(db: Database, run_id: int) -> list[Check]:
    rows = db.execute(
        "SELECT monitor, passed, message FROM checks WHERE run_id = ? ORDER BY id", [run_id]
    ).fetchall()
    return [Check(m, bool(p), msg) for m, p, msg in rows]


def last_checked_run(db: Database, spider: str | None = None) -> int | None:
    """The newest run that has checks (of `spider` when given)."""
    sql, params = "SELECT max(run_id) FROM checks", []
    if spider:
        sql += " WHERE spider = ?"
        params.append(spider)
    return db.execute(sql, params).fetchone()[0]
