"""End to end: three workers and one writer on Redis crawl the recorded site through the
replay proxy, and the archive is the one a single-machine crawl makes of the same site."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.distributed.localfleet import start_worker, start_writer
from crawler.replay import ReplayServer
from crawler.urls import is_article_url
from tests.crawl_helpers import FAST, crawl
from tests.redis_helpers import REDIS_URL, gate, module_redis_prefix, plain_client  # noqa: F401
from tests.site_paths import SITE
from tests.test_crawl_e2e import CPC

pytestmark = pytest.mark.e2e

WORKERS = 3


def archive_state(db: Path) -> dict[str, list]:
    """What an archive holds, without ids, times and run numbers (which differ between two
    crawls of the same site)."""
    conn = sqlite3.connect(db)
    try:
        q = {
            "articles": "SELECT key, url, title, body_text, version, removed_at IS NULL, "
            "page_count FROM articles",
            "versions": "SELECT article_key, version, content_sha256, body_sha256 FROM versions",
            "failures": "SELECT url, kind, reason, article_key FROM failures",
            "snapshots": "SELECT url, final_url, status, body_sha256, page, article_key "
            "FROM snapshots",
        }
        return {name: sorted(conn.execute(sql).fetchall()) for name, sql in q.items()}
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def fleet_crawl(tmp: Path, db: Path, prefix: str, server, workers=WORKERS, extra=()):
    """Writer and workers until the crawl ends; their exit codes and logs."""
    logs = [tmp / f"worker{n}.log" for n in range(workers)] + [tmp / "writer.log"]
    with contextlib.ExitStack() as files:
        out = [files.enter_context(open(p, "w")) for p in logs]
        plain_client().delete(f"{prefix}:cpc:ready")  # before any worker looks at it
        procs = [
            start_worker(server.url, REDIS_URL, prefix, f"w{n}", out[n], [*FAST, *extra])
            for n in range(workers)
        ]
        gate(prefix, logs[:-1])
        writer = start_writer(db, REDIS_URL, prefix, out[-1], "--until-finished")
        codes = [p.wait(timeout=180) for p in procs]
        codes.append(writer.wait(timeout=60))
    return codes, [p.read_text() for p in logs]


@pytest.fixture(scope="module")
def single_machine(tmp_path_factory):
    db = tmp_path_factory.mktemp("single") / "archive.db"
    with ReplayServer(SITE) as server:
        code, out = crawl(db, server)
    assert code == 0, out
    return db


@pytest.fixture(scope="module")
def fleet_archive(tmp_path_factory, module_redis_prefix):  # noqa: F811
    """A first distributed crawl of the recorded site, then a second (incremental) one: the
    archive, and what the proxy answered in the second."""
    tmp = tmp_path_factory.mktemp("fleet")
    db = tmp / "archive.db"
    with ReplayServer(SITE) as server:
        codes, logs = fleet_crawl(tmp, db, module_redis_prefix, server)
        assert codes == [0] * (WORKERS + 1), logs
        first = archive_state(db)
        del server.hits[:]
        # The next day: the pause after a finished crawl (ARCHIVE_REDIS_RECRAWL_AFTER) is over.
        plain_client().delete(f"{module_redis_prefix}:cpc:finished")
        again = tmp / "again"
        again.mkdir()
        codes, logs = fleet_crawl(again, db, module_redis_prefix, server, workers=2)
        assert codes == [0, 0, 0], logs
        second_hits = [h.url for h in server.hits]
    return db, first, second_hits


def test_three_workers_and_a_writer_make_the_single_machine_archive(single_machine, fleet_archive):
    db, first, _ = fleet_archive
    want = archive_state(single_machine)
    for table in want:
        assert first[table] == want[table], table
    assert integrity(db) == "ok"
    assert not Path("/nonexistent/worker-has-no-archive.db").exists()


def test_the_distributed_crawl_is_one_run_counted_per_worker(fleet_archive):
    db, *_ = fleet_archive
    conn = sqlite3.connect(db)
    runs = conn.execute("SELECT id, finish_reason, fetched, new FROM runs").fetchall()
    per_worker = conn.execute(
        "SELECT worker, fetched, new FROM run_workers WHERE run_id = 1"
    ).fetchall()
    conn.close()
    assert [r[:2] for r in runs] == [(1, "finished"), (2, "finished")]
    assert sum(f for _, f, _ in per_worker) == runs[0][2]
    assert sum(n for *_, n in per_worker) == runs[0][3]
    assert {w for w, *_ in per_worker} <= {f"w{n}" for n in range(WORKERS)}
    # `cpc-archive runs` shows it as one run with its workers' counts.
    shown = json.loads(CliRunner().invoke(main, ["runs", "--db", str(db), "--json"]).output)
    first = next(r for r in shown if r["id"] == 1)
    assert sum(w["fetched"] for w in first["workers"]) == first["fetched"]
    table = CliRunner().invoke(main, ["runs", "--db", str(db)]).output
    assert all(f"{w}:" in table for w, *_ in per_worker)


def test_a_second_distributed_run_learns_the_archived_articles_from_redis(fleet_archive):
    """Workers have no archive: the writer's published keys stop them at known articles."""
    db, first, second_hits = fleet_archive
    fetched = [u for u in second_hits if not u.endswith("/robots.txt")]
    assert not [u for u in fetched if is_article_url(u)]
    # Which pages, not how often: a worker released after another has already finished this
    # short crawl begins one of its own and asks the seeds again (no article: they are known).
    assert sorted(set(fetched)) == sorted(
        [f"{CPC}/"]
        + [f"{CPC}/GB/{c}/index.html" for c in ("64093/64387", "64093/64094", "164113", "117005")]
    )
    assert archive_state(db)["articles"] == first["articles"]
