"""A busy archive: another writer holds the lock while the crawl runs, and nothing fetched is lost.

While the crawl runs, the pipeline does not wait for the lock: it spools a page it cannot
store at once to disk and stores it when the archive is free again (during the run, at its
end, or in the next run); a run that ends with pages unstored does not end `finished`, and
their URLs stay pending. The rule itself (no attempt waits) is checked on the components in
tests/test_pipeline_busy.py; these crawls check its effect end to end.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from crawler.components.spool import pending, spool_dir
from crawler.replay import ReplayServer
from tests.crawl_helpers import crawl, query, wait_for
from tests.site_paths import SITE, manifest
from tests.test_crawl_e2e import CPC

pytestmark = pytest.mark.e2e

QUICK_STORE = ["-s", "ARCHIVE_SPOOL_RETRY=0.5"]
NO_FAULTS = {u: None for u, e in manifest()["pages"].items() if e.get("fault")}


def hold_lock(db, seconds: float, started: threading.Event) -> None:
    """Another writer: takes the write lock and keeps it `seconds`, then lets go."""
    conn = sqlite3.connect(db, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    started.set()
    time.sleep(seconds)
    conn.rollback()
    conn.close()


def accounted(db, hits) -> set[str]:
    """URLs the proxy answered that have no snapshot (robots.txt is not a page)."""
    stored = {u for row in query(db, "SELECT url, final_url FROM snapshots") for u in row}
    return {h.url for h in hits if not h.url.endswith("/robots.txt")} - stored


def test_a_writer_holding_the_lock_mid_crawl_costs_no_page(tmp_path):
    db = tmp_path / "archive.db"
    started = threading.Event()
    one_at_a_time = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    with ReplayServer(SITE, faults=NO_FAULTS, delay=0.05) as server:
        proc = crawl(db, server, *QUICK_STORE, *one_at_a_time, wait=False)
        wait_for(db, "SELECT count(*) FROM articles", at_least=5)
        writer = threading.Thread(target=hold_lock, args=(db, 3.0, started))
        writer.start()
        started.wait(30)
        assert proc.poll() is None  # the lock is held while the crawl runs
        out, _ = proc.communicate(timeout=180)
        writer.join()
        hits = list(server.hits)
    assert proc.returncode == 0, out
    assert started.is_set()
    assert "'archive/spooled'" in out  # pages did wait on disk
    assert accounted(db, hits) == set()
    assert pending(spool_dir(db)) == []
    doubled = "SELECT url FROM snapshots WHERE status = 200 GROUP BY url HAVING count(*) > 1"
    assert query(db, doubled) == []
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT finish_reason FROM runs") == [("finished",)]
    assert query(db, "SELECT count(*) FROM crawl_frontier") == [(0,)]


def test_pages_unstored_when_the_run_ends_wait_for_the_next_run(tmp_path):
    db = tmp_path / "archive.db"
    seeds = [f"{CPC}/n1/2024/08{11 + n}/c64094-{40296020 - n}.html" for n in range(5)]
    assert all(u in manifest()["pages"] for u in seeds)
    args = [*QUICK_STORE, "-s", "ARCHIVE_BUSY_TIMEOUT=1", "-a", f"start_urls={','.join(seeds)}"]
    started = threading.Event()
    # The first page at once, the others 2 s each: the lock is taken after the first is
    # stored and held past the last.
    args += ["-s", "DOWNLOAD_TIMEOUT=5"]
    slow = {u: {"kind": "slow", "seconds": 2} for u in seeds[1:]}
    with ReplayServer(SITE, faults=slow) as server:
        proc = crawl(db, server, *args, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", wait=False)
        wait_for(db, "SELECT count(*) FROM articles", at_least=1)
        writer = threading.Thread(target=hold_lock, args=(db, 15.0, started))
        writer.start()
        started.wait(30)
        assert proc.poll() is None
        out, _ = proc.communicate(timeout=180)
        first_hits = list(server.hits)
        writer.join()
    assert started.is_set()
    # The crawl ended while the lock was held: its pages wait on disk, the run is not finished.
    spooled = pending(spool_dir(db))
    assert spooled, out
    assert query(db, "SELECT count(*) FROM articles")[0][0] < 5
    (reason,) = query(db, "SELECT finish_reason FROM runs")[0]
    assert reason != "finished"
    assert query(db, "SELECT count(*) FROM crawl_frontier WHERE state = 'pending'")[0][0] > 0
    # The next run (seeded elsewhere) stores the spooled pages and fetches none of them again.
    other = f"{CPC}/n1/2024/0807/c64094-40294513.html"
    with ReplayServer(SITE) as server:
        code, out = crawl(db, server, "-a", f"start_urls={other}")
        again = {h.url for h in server.hits} & set(seeds)
    assert code == 0, out
    assert pending(spool_dir(db)) == []
    assert {u for (u,) in query(db, "SELECT url FROM articles")} >= set(seeds)
    assert again == set()
    assert accounted(db, first_hits) == set()
    doubled = "SELECT url FROM snapshots WHERE status = 200 GROUP BY url HAVING count(*) > 1"
    assert query(db, doubled) == []
    assert query(db, "SELECT finish_reason FROM runs ORDER BY id")[-1] == ("finished",)
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def test_links_found_while_the_archive_is_busy_are_followed_and_written_later(tmp_path):
    """The spider's own frontier writes do not wait for the lock: the links of a list page
    read while another writer holds it are followed all the same and written when the
    archive is free; nothing is lost."""
    db = tmp_path / "archive.db"
    listing = f"{CPC}/GB/64093/64387/index.html"
    slow = {**NO_FAULTS, listing: {"kind": "slow", "seconds": 2}}
    started = threading.Event()
    args = [*QUICK_STORE, "-s", "DOWNLOAD_TIMEOUT=10", "-a", f"start_urls={listing}"]
    with ReplayServer(SITE, faults=slow) as server:
        proc = crawl(db, server, *args, wait=False)
        wait_for(db, "SELECT count(*) FROM crawl_frontier")
        writer = threading.Thread(target=hold_lock, args=(db, 5.0, started))
        writer.start()  # held from before the list page arrives until after it is read
        out, _ = proc.communicate(timeout=180)
        writer.join()
        hits = list(server.hits)
    assert "links kept in memory" in out
    assert query(db, "SELECT finish_reason FROM runs") == [("finished",)], out[-3000:]
    assert pending(spool_dir(db)) == []
    assert accounted(db, hits) == set()
    reference = tmp_path / "reference.db"
    with ReplayServer(SITE, faults=NO_FAULTS) as server:
        assert crawl(reference, server, "-a", f"start_urls={listing}")[0] == 0
    articles = "SELECT url FROM articles ORDER BY url"
    assert query(db, articles) == query(reference, articles)
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def hold_for_requests(db, server, per_half: int, started: threading.Event, marks: list[int]):
    """Another writer: takes the write lock and keeps it until the proxy has answered
    `per_half` more requests, twice (a minute at most each), then lets go. `marks`: the
    proxy's request count when the lock is taken, halfway and when it is let go."""
    conn = sqlite3.connect(db, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    marks.append(len(server.hits))
    started.set()
    for _ in range(2):
        target, deadline = marks[-1] + per_half, time.monotonic() + 60
        while len(server.hits) < target and time.monotonic() < deadline:
            time.sleep(0.05)
        marks.append(len(server.hits))
    conn.rollback()
    conn.close()


def test_the_crawl_keeps_fetching_while_another_writer_holds_the_lock(tmp_path):
    """No write of the crawl waits for the lock (stores, frontier writes): requests go on
    reaching the site in both halves of a hold, and the run still ends `finished` with
    nothing lost. The halves are counted in requests, not seconds: the hold ends once the
    crawl has made them, however fast the machine is."""
    db = tmp_path / "archive.db"
    started = threading.Event()
    args = [*QUICK_STORE, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0"]
    # One request per host in flight (six hosts): eight per half are more than were in
    # flight when the lock was taken.
    per_half = 8
    with ReplayServer(SITE, faults=NO_FAULTS, delay=0.1) as server:
        marks: list[int] = []
        proc = crawl(db, server, *args, wait=False)
        wait_for(db, "SELECT count(*) FROM articles", at_least=3)
        writer = threading.Thread(
            target=hold_for_requests, args=(db, server, per_half, started, marks)
        )
        writer.start()
        started.wait(30)
        out, _ = proc.communicate(timeout=240)
        writer.join()
        hits = list(server.hits)
    assert proc.returncode == 0, out
    print(f"requests at take / halfway / release: {marks}, of {len(hits)}")
    assert marks[1] - marks[0] >= per_half, (marks, out[-3000:])
    assert marks[2] - marks[1] >= per_half, (marks, out[-3000:])
    assert "'archive/spooled'" in out
    assert accounted(db, hits) == set()
    assert pending(spool_dir(db)) == []
    assert query(db, "SELECT finish_reason FROM runs") == [("finished",)]
    assert query(db, "SELECT count(*) FROM crawl_frontier") == [(0,)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
