"""The distributed crawl against the single-machine crawl, measured in the same run.

    python -m bench.distributed [--articles 1500] [--workers 1,2,4] [--requests 20000]
                                [--polite DELAY]

1. Throughput: a generated site (bench/sitegen.py) behind the replay proxy, politeness off
   (no delay, no AutoThrottle, no per-host cap). One single-machine `scrapy crawl cpc`, then
   the writer with 1, 2 and 4 workers on Redis; pages per second from the first process start
   to the archive holding every page (wall clock, process start-up included on both sides),
   and the ratio to the single machine. The writer's share: its seconds spent storing over
   the fleet's wall time. With --polite DELAY, politeness is on instead (DOWNLOAD_DELAY=DELAY,
   two requests at once per host for the whole fleet, no AutoThrottle): the generated site is
   one host, so the fleet cannot go faster than one worker; what it shows is how the work is
   shared, each worker's pages fetched.
2. Frontier overhead per request: what the crawl does to its frontier for one request, timed
   on its own. SQLite (crawler/archive/crawl_state.py, an archive on disk): the INSERT with its list
   page's 20 links, the UPDATE when done. Redis (crawler/distributed/leases.py): admit and
   queue (exact dedup), lease, deliver, acknowledge.
3. Redis memory (INFO used_memory) per million fingerprints and per 100,000 queued requests
   (real encoded article requests), on a private redis-server so nothing else counts.

Redis: a private redis-server on a free loopback port (the binary must be installed).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import redis
from scrapy import Request
from scrapy_redis import picklecompat

from bench.sitegen import large_site
from crawler.archive import crawl_state as state
from crawler.archive.db import open_archive
from crawler.cli.demo import ROOT, crawl_command, crawl_env
from crawler.distributed.frontier import RedisFrontier, fingerprint
from crawler.distributed.keys import Keys
from crawler.distributed.localfleet import start_worker, start_writer
from crawler.replay import ReplayServer

OFF = [
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS=16",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1000",
    "-s", "LOG_LEVEL=INFO",
]  # fmt: skip


@contextlib.contextmanager
def private_redis(folder: Path):
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        with contextlib.suppress(redis.ConnectionError):
            if client.ping():
                break
        time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait()


def count(db: Path, sql: str) -> int:
    archive = open_archive(db)
    try:
        return archive.execute(sql).fetchone()[0]
    finally:
        archive.close()


def polite(delay: float) -> list[str]:
    return [
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", f"DOWNLOAD_DELAY={delay}",
        "-s", "CONCURRENT_REQUESTS=16",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        "-s", "LOG_LEVEL=INFO",
    ]  # fmt: skip


def single(site: Path, db: Path, settings: list[str]) -> float:
    with ReplayServer(site) as server:
        began = time.monotonic()
        subprocess.run(
            crawl_command(db, settings), cwd=ROOT, env=crawl_env(server.url), check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return time.monotonic() - began


class Sampler(threading.Thread):
    """The fleet's queue every 50 ms while it crawls: how often it was empty while requests
    were leased (work one worker holds and others cannot have), and the most leased at once."""

    def __init__(self, url: str, prefix: str):
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(url)
        self.keys = Keys(f"{prefix}:cpc")
        self.done = threading.Event()
        self.samples = self.starved = self.most_leased = 0

    def run(self) -> None:
        while not self.done.wait(0.05):
            queued, leased = (
                self.client.zcard(self.keys.requests),
                self.client.zcard(self.keys.leases),
            )
            if leased:
                self.samples += 1
                self.starved += queued == 0
                self.most_leased = max(self.most_leased, leased)

    def report(self) -> str:
        return (
            f"queue empty in {self.starved} of {self.samples} samples with requests leased; "
            f"most leased at once {self.most_leased}"
        )


def fleet(site: Path, db: Path, url: str, prefix: str, workers: int, logs: Path, settings):
    """Wall seconds to the writer's exit, the writer's busy seconds, and the queue's samples."""
    sampler = Sampler(url, prefix)
    sampler.start()
    with ReplayServer(site) as server, contextlib.ExitStack() as stack:
        out = [
            stack.enter_context(open(logs / f"{prefix}-{n}.log", "w")) for n in range(workers + 1)
        ]
        began = time.monotonic()
        writer = start_writer(db, url, prefix, out[-1], "--until-finished")
        procs = [
            start_worker(server.url, url, prefix, f"w{n}", out[n], settings) for n in range(workers)
        ]
        codes = [p.wait() for p in procs] + [writer.wait()]
        wall = time.monotonic() - began
    sampler.done.set()
    sampler.join()
    if codes != [0] * (workers + 1):
        raise RuntimeError(f"fleet of {workers} failed: exit codes {codes}, logs in {logs}")
    busy = re.search(r"Writer busy ([\d.]+)s", (logs / f"{prefix}-{workers}.log").read_text())
    return wall, float(busy[1]), sampler


def shares(db: Path) -> str:
    archive = open_archive(db)
    try:
        rows = archive.execute("SELECT worker, fetched FROM run_workers ORDER BY worker")
        return ", ".join(f"{worker} {fetched}" for worker, fetched in rows.fetchall())
    finally:
        archive.close()


def sqlite_frontier_us(folder: Path, n: int) -> float:
    db = open_archive(folder / "frontier.db")
    urls = [f"http://cpc.people.com.cn/n1/2024/0807/c64094-{40000000 + i}.html" for i in range(n)]
    began = time.perf_counter()
    for start in range(0, n, 20):
        state.enqueue(db, [state.Entry(u, "article") for u in urls[start : start + 20]])
    for u in urls:
        state.mark_done(db, u)
    took = time.perf_counter() - began
    db.close()
    return took / n * 1e6


def article_request(i: int) -> bytes:
    url = f"http://cpc.people.com.cn/n1/2024/0807/c64094-{40000000 + i}.html"
    entry = state.Entry(url, "article", "/GB/64093/64094/", 3)
    request = Request(url, priority=20, meta={"entry": entry, "depth": 3})
    return picklecompat.dumps(request.to_dict())


def redis_frontier_us(url: str, n: int) -> float:
    frontier = RedisFrontier(url, "bench-frontier:cpc", "bench", 60.0)
    frontier.server.set(frontier.keys.ready, "1")
    frontier.start([])  # a queue takes requests for its crawl under way only
    store = frontier.store
    data = [article_request(i) for i in range(n)]
    began = time.perf_counter()
    for i, d in enumerate(data):
        store.push(d, -20, fingerprint(str(i)))
    for _ in range(n):
        lease, _ = store.pop(60.0)
        store.deliver(lease, {"page": b"-"})
        store.ack(lease)
    took = time.perf_counter() - began
    frontier.server.flushdb()
    return took / n * 1e6


def memory_figures(url: str, fingerprints: int, queued: int) -> tuple[float, float]:
    client = redis.Redis.from_url(url)
    client.flushdb()
    base = client.info("memory")["used_memory"]
    pipe = client.pipeline(transaction=False)
    for i in range(fingerprints):
        pipe.sadd("bench:dupefilter", fingerprint(f"http://cpc.people.com.cn/{i}.html"))
        if i % 10_000 == 0:
            pipe.execute()
    pipe.execute()
    per_million = (client.info("memory")["used_memory"] - base) * 1_000_000 / fingerprints
    client.flushdb()
    base = client.info("memory")["used_memory"]
    for i in range(queued):
        pipe.zadd("bench:requests", {article_request(i): -20})
        if i % 10_000 == 0:
            pipe.execute()
    pipe.execute()
    per_100k = (client.info("memory")["used_memory"] - base) * 100_000 / queued
    client.flushdb()
    return per_million, per_100k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--requests", type=int, default=20000, help="for the frontier timing")
    parser.add_argument("--fingerprints", type=int, default=500_000)
    parser.add_argument("--queued", type=int, default=100_000)
    parser.add_argument(
        "--polite", type=float, metavar="DELAY", help="politeness on, DOWNLOAD_DELAY=DELAY"
    )
    args = parser.parse_args()
    settings = OFF if args.polite is None else polite(args.polite)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        manifest = large_site(tmp / "site", args.articles)
        pages = len(manifest["pages"]) - 1  # robots.txt is not stored
        print(f"Generated site: {len(manifest['pages'])} URLs ({args.articles} articles)")
        with private_redis(tmp) as url:
            one = single(tmp / "site", tmp / "single.db", settings)
            stored = count(tmp / "single.db", "SELECT count(*) FROM snapshots")
            print(f"single machine:  {stored} pages in {one:.1f}s = {stored / one:.1f} pages/s")
            for n in [int(x) for x in args.workers.split(",")]:
                db = tmp / f"fleet{n}.db"
                wall, busy, sampler = fleet(tmp / "site", db, url, f"bench{n}", n, tmp, settings)
                got = count(db, "SELECT count(*) FROM snapshots")
                if got != stored:
                    raise RuntimeError(f"{n} workers stored {got} pages, single {stored}")
                print(
                    f"{n} worker(s) + writer: {got} pages in {wall:.1f}s = {got / wall:.1f} "
                    f"pages/s, {one / wall:.2f}x single machine; writer busy {busy:.1f}s "
                    f"({busy / wall:.0%} of the wall time)"
                )
                print(f"  {sampler.report()}")
                if n > 1:
                    print(f"  pages fetched per worker: {shares(db)}")
            assert stored == pages, (stored, pages)
            sq = sqlite_frontier_us(tmp, args.requests)
            rd = redis_frontier_us(url, args.requests)
            print(
                f"frontier per request: SQLite {sq:.0f} us, Redis {rd:.0f} us "
                f"({rd / sq:.2f}x; Redis {rd - sq:+.0f} us per request)"
            )
            per_million, per_100k = memory_figures(url, args.fingerprints, args.queued)
            print(
                f"Redis memory: {per_million / 2**20:.1f} MiB per million fingerprints, "
                f"{per_100k / 2**20:.1f} MiB per 100,000 queued requests"
            )


if __name__ == "__main__":
    main()
