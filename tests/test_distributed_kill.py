"""SIGKILL a worker, then the writer, at random points of a distributed crawl: once restarted
the crawl ends with the archive a single-machine crawl makes, intact, nothing stored twice."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3

import pytest

from crawler.distributed.localfleet import start_worker, start_writer
from crawler.replay import ReplayServer
from tests.crawl_helpers import FAST, wait_for
from tests.redis_helpers import REDIS_URL, gate, redis_prefix  # noqa: F401
from tests.site_paths import SITE
from tests.test_distributed_e2e import archive_state, integrity, single_machine  # noqa: F401

pytestmark = pytest.mark.e2e

# Short leases: a killed worker's requests come back within seconds.
FLEET = [*FAST, "-s", "ARCHIVE_REDIS_LEASE=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
TRIALS = [11, 29]  # seeds of the kill points, printed by the test id


@pytest.mark.parametrize("seed", TRIALS)
def test_killed_worker_and_writer_lose_nothing_and_store_nothing_twice(
    seed,
    single_machine,  # noqa: F811
    tmp_path,
    redis_prefix,  # noqa: F811
):
    rng = random.Random(seed)
    db = tmp_path / "archive.db"
    articles = "SELECT count(*) FROM articles"
    with contextlib.ExitStack() as stack, ReplayServer(SITE, delay=0.03) as server:

        def log(name):
            return stack.enter_context(open(tmp_path / f"{name}.log", "w"))

        workers = [
            start_worker(server.url, REDIS_URL, redis_prefix, f"w{n}", log(f"w{n}"), FLEET)
            for n in range(3)
        ]
        gate(redis_prefix, [tmp_path / f"w{n}.log" for n in range(3)])
        writer = start_writer(db, REDIS_URL, redis_prefix, log("writer"))
        victim = rng.randrange(3)
        wait_for(db, articles, at_least=rng.randrange(3, 15))
        os.kill(workers[victim].pid, signal.SIGKILL)
        workers[victim].wait()
        wait_for(db, articles, at_least=rng.randrange(16, 30))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        # The killed worker's replacement, and the writer again (it takes its pending back).
        workers[victim] = start_worker(
            server.url, REDIS_URL, redis_prefix, f"w{victim}b", log("replacement"), FLEET
        )
        writer = start_writer(db, REDIS_URL, redis_prefix, log("writer2"), "--until-finished")
        codes = [w.wait(timeout=180) for w in workers] + [writer.wait(timeout=60)]
    logs = {p.name: p.read_text() for p in tmp_path.glob("*.log")}
    assert codes == [0, 0, 0, 0], logs
    got, want = archive_state(db), archive_state(single_machine)
    for table in want:
        assert got[table] == want[table], table
    assert integrity(db) == "ok"
    conn = sqlite3.connect(db)
    doubled = conn.execute(
        "SELECT url FROM snapshots WHERE status = 200 GROUP BY url HAVING count(*) > 1"
    ).fetchall()
    runs = conn.execute("SELECT finish_reason FROM runs").fetchall()
    conn.close()
    assert doubled == []
    assert runs == [("finished",)]
