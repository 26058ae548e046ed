"""Politeness held by the fleet, measured at the replay proxy with three workers: one request
at a time per host for all of them, a Retry-After obeyed by all, a ban stopping all."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections import defaultdict
from urllib.parse import urlsplit

import pytest

from crawler import settings
from crawler.distributed.keys import Keys
from crawler.distributed.localfleet import start_worker, start_writer
from crawler.replay import Hit, ReplayServer
from tests.crawl_helpers import FAST
from tests.redis_helpers import REDIS_URL, gate, plain_client, redis_prefix  # noqa: F401
from tests.site_paths import SITE, manifest

# Seconds the proxy holds each answer: long enough for requests to overlap if allowed to.
HOLD = 0.15
WORKERS = 3
# Long enough for any wait at FleetHoldsWork: a download that timed out there would end before
# the site answered, and its worker could lease a second request.
WAIT = 60
# The site's timeout fault (20 s without an answer) would hold the host's one slot that long.
NO_TIMEOUT_FAULT = {
    url: None
    for url, entry in manifest()["pages"].items()
    if (entry.get("fault") or {}).get("kind") == "timeout"
}


def agent(n: int) -> str:
    """The User-Agent of worker n: the proxy tells the workers' requests apart by it."""
    return f"cpc-archive-test/w{n}"


class FleetHoldsWork:
    """A hold for the replay proxy: nothing is answered until the fleet holds `workers` leases.

    Workers download one request at a time (CONCURRENT_REQUESTS=1; a robots.txt download comes
    on top), and until the site's first answer a worker's leases are its downloads under way:
    nothing has come back to parse or deliver. So `workers` leases then mean that every worker
    holds one and will fetch it: workers side by side, whatever the machine's speed."""

    def __init__(self, prefix: str, workers: int):
        self.key = Keys(f"{prefix}:cpc").leases
        self.workers = workers
        self.lock = threading.Lock()
        self.open = threading.Event()
        self.gave_up = False

    def __call__(self) -> None:
        with self.lock:  # one proxy thread polls; the others wait for it
            if self.open.is_set():
                return
            client = plain_client()
            deadline = time.monotonic() + WAIT - 10
            while client.zcard(self.key) < self.workers:
                if time.monotonic() > deadline:
                    self.gave_up = True
                    break
                time.sleep(0.02)
            client.close()
            self.open.set()


def most_at_once(hits: list[Hit]) -> dict[str, int]:
    """Per host, the most requests the proxy held at one instant: each from its arrival to its
    answer."""
    by_host = defaultdict(list)
    for h in hits:
        by_host[urlsplit(h.url).hostname].append(h)
    peak = {}
    for host, held in by_host.items():
        # An answer before an arrival at the same instant: one request, then the next.
        events = sorted([(h.arrived, 1) for h in held] + [(h.at, -1) for h in held])
        now = top = 0
        for _, step in events:
            now += step
            top = max(top, now)
        peak[host] = top
    return peak


def test_most_at_once_counts_overlapping_requests():
    hits = [
        Hit("http://a.cn/1", 200, 1.15, arrived=1.0),
        Hit("http://a.cn/2", 200, 1.25, arrived=1.1),
        Hit("http://a.cn/3", 200, 1.4, arrived=1.25),  # arrives as the one before is answered
        Hit("http://b.cn/", 200, 1.2, arrived=1.05),
    ]
    assert most_at_once(hits) == {"a.cn": 2, "b.cn": 1}
    assert most_at_once(hits[1:]) == {"a.cn": 1, "b.cn": 1}


def run_fleet(tmp_path, prefix, server, extra, workers=WORKERS, finishes=True):
    """Writer and workers; the writer stops at the crawl's end, or (a stopped fleet) when the
    workers have stopped."""
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(open(tmp_path / f"{n}.log", "w")) for n in range(workers + 1)]
        until = ["--until-finished"] if finishes else []
        plain_client().delete(f"{prefix}:cpc:ready")  # before any worker looks at it
        procs = [
            start_worker(
                server.url,
                REDIS_URL,
                prefix,
                f"w{n}",
                logs[n],
                [*FAST, "-s", f"USER_AGENT={agent(n)}", *extra],
            )
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
    assert len(settings.ARCHIVE_START_URLS) >= WORKERS  # a seed for each worker to lease
    hold = FleetHoldsWork(redis_prefix, WORKERS)
    limits = [
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
        "-s", "CONCURRENT_REQUESTS=1",
        "-s", f"DOWNLOAD_TIMEOUT={WAIT}",
    ]  # fmt: skip
    with ReplayServer(SITE, faults=NO_TIMEOUT_FAULT, delay=HOLD, hold=hold) as server:
        codes, logs = run_fleet(tmp_path, redis_prefix, server, limits)
        hits = list(server.hits)
    assert codes == [0] * WORKERS, logs
    assert not hold.gave_up, "the workers never held a request each"
    # Every worker fetched from the site and delivered: the limit held is the fleet's.
    host = [h for h in hits if urlsplit(h.url).hostname == "cpc.people.com.cn"]
    assert {h.user_agent for h in host} == {agent(n) for n in range(WORKERS)}
    assert all("archive/delivered" in log for log in logs[:WORKERS]), logs
    # One request at a time per host, for the three together.
    peak = most_at_once(hits)
    assert peak["cpc.people.com.cn"] == 1
    assert max(peak.values()) == 1
    # A 503/429 with Retry-After: 1 holds back every worker's next request to that host: none
    # arrives within the second after the answer (Redis keeps the time in whole milliseconds).
    asked_to_wait = {
        url for url, e in manifest()["pages"].items() if (e.get("fault") or {}).get("retry_after")
    }
    refusals = [h for h in host if h.status in (429, 503)]
    assert {h.url for h in refusals} == asked_to_wait
    for h in refusals:
        after = min(x.arrived for x in host if x.arrived > h.arrived)
        assert after - h.at > 0.999, (h, after - h.at)


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
