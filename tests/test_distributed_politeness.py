"""Politeness held by the fleet, measured at the replay proxy with three workers: one request
at a time per host for all of them, a Retry-After obeyed by all, a ban stopping all."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import defaultdict
from urllib.parse import urlsplit

import pytest

from crawler.distributed.localfleet import start_worker, start_writer
from crawler.replay import Hit, ReplayServer
from tests.redis_helpers import REDIS_URL, gate, plain_client, redis_prefix  # noqa: F401
from tests.site_paths import SITE
from tests.test_crawl_e2e import FAST

# Seconds the proxy holds each answer: long enough for requests to overlap if allowed to.
HOLD = 0.15


def most_at_once(hits: list[Hit], hold: float) -> dict[str, int]:
    """Per host, the most requests the proxy held at one instant. A hit is recorded after the
    proxy held it `hold` seconds, just before answering: it was in [at - hold, at]."""
    by_host = defaultdict(list)
    for h in hits:
        by_host[urlsplit(h.url).hostname].append(h.at)
    peak = {}
    for host, ends in by_host.items():
        events = sorted([(t - hold, 1) for t in ends] + [(t, -1) for t in ends])
        now = top = 0
        for _, step in events:
            now += step
            top = max(top, now)
        peak[host] = top
    return peak


def test_most_at_once_counts_overlapping_requests():
    hits = [
        Hit("http://a.cn/1", 200, 1.0),
        Hit("http://a.cn/2", 200, 1.1),
        Hit("http://b.cn/", 200, 1.05),
    ]
    assert most_at_once(hits, 0.15) == {"a.cn": 2, "b.cn": 1}
    assert most_at_once(hits, 0.05) == {"a.cn": 1, "b.cn": 1}


def run_fleet(tmp_path, prefix, server, extra, workers=3, finishes=True):
    """Writer and workers; the writer stops at the crawl's end, or (a stopped fleet) when the
    workers have stopped."""
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(open(tmp_path / f"{n}.log", "w")) for n in range(workers + 1)]
        until = ["--until-finished"] if finishes else []
        plain_client().delete(f"{prefix}:cpc:ready")  # before any worker looks at it
        procs = [
            start_worker(server.url, REDIS_URL, prefix, f"w{n}", logs[n], [*FAST, *extra])
            for n in range(workers)
        ]
        gate(prefix, [tmp_path / f"{n}.log" for n in range(workers)])
        writer = start_writer(tmp_path / "archive.db", REDIS_URL, prefix, logs[-1], *until)
        codes = [p.wait(timeout=240) for p in procs]
        if not finishes:
            writer.terminate()
        writer.wait(timeout=60)
    return codes, [(tmp_path / f"{n}.log").read_text() for n in range(workers + 1)]


@pytest.mark.e2e
def test_three_workers_hold_one_request_per_host_and_obey_retry_after(tmp_path, redis_prefix):  # noqa: F811
    with ReplayServer(SITE, delay=HOLD) as server:
        codes, logs = run_fleet(
            tmp_path, redis_prefix, server, ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
        )
        hits = list(server.hits)
    assert codes == [0, 0, 0], logs
    # Workers fetched side by side: the limit held is the fleet's, not one worker's.
    assert sum("archive/delivered" in log for log in logs[:3]) >= 2
    peak = most_at_once(hits, HOLD)
    assert peak["cpc.people.com.cn"] == 1
    assert max(peak.values()) == 1
    # A 503/429 with Retry-After: 1 holds back every worker's next request to that host.
    host_hits = sorted(h.at for h in hits if urlsplit(h.url).hostname == "cpc.people.com.cn")
    for h in hits:
        if h.status in (429, 503) and "4029500" in h.url:
            later = [t for t in host_hits if t > h.at]
            assert later and later[0] - h.at >= 1.0, h.url


@pytest.mark.e2e
def test_a_ban_seen_by_the_fleet_stops_every_worker_and_a_later_start_resumes(
    tmp_path,
    redis_prefix,  # noqa: F811
):
    pause = ["-s", "ARCHIVE_BAN_WINDOW=5", "-s", "ARCHIVE_REDIS_BAN_PAUSE=3"]
    with ReplayServer(SITE, faults={"*": {"kind": "status", "status": 403}}) as server:
        codes, logs = run_fleet(tmp_path, redis_prefix, server, pause, finishes=False)
        hits = len(server.hits)
    assert codes == [0, 0, 0], logs
    assert all("'finish_reason': 'banned'" in log for log in logs[:3]), logs
    assert hits < 30
    time.sleep(3)  # the pause is over: the next start resumes the crawl, refused pages first
    with ReplayServer(SITE) as server:
        codes, logs = run_fleet(tmp_path, redis_prefix, server, pause)
    assert codes == [0, 0, 0], logs
    assert any("refused earlier are queued again" in log for log in logs[:3])
    conn = sqlite3.connect(tmp_path / "archive.db")
    runs = conn.execute("SELECT finish_reason FROM runs").fetchall()
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    assert runs == [("finished",)]  # one distributed run, paused by the ban, then finished
    assert articles >= 30
