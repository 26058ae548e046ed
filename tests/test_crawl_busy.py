"""A busy archive: another writer holds the lock past the crawl's wait, and nothing fetched is lost.

The pipeline waits ARCHIVE_STORE_WAIT at most, spools a page it cannot store to disk, and
stores it when the archive is free again (during the run, at its end, or in the next run);
a run that ends with pages unstored does not end `finished`, and their URLs stay pending.
"""

from __future__ import annotations

import sqlite3
import threading
import time

from crawler.components.spool import pending, spool_dir
from crawler.replay import ReplayServer
from tests.crawl_helpers import crawl, query, wait_for
from tests.site_paths import SITE, manifest
from tests.test_crawl_e2e import CPC

QUICK_STORE = ["-s", "ARCHIVE_STORE_WAIT=0.2", "-s", "ARCHIVE_SPOOL_RETRY=0.5"]
NO_FAULTS = {u: None for u, e in manifest()["pages"].items() if e.get("fault")}


def hold_lock(db, seconds: float, started: threading.Event, during=None) -> None:
    """Another writer: takes the write lock and keeps it `seconds`, then lets go.

    `during`, if given, is called once the lock is taken, halfway and just before it is let go."""
    conn = sqlite3.connect(db, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    started.set()
    for _ in range(2):
        if during:
            during()
        time.sleep(seconds / 2)
    if during:
        during()
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
    """The spider's own frontier writes give up after ARCHIVE_BUSY_TIMEOUT: the links of a
    list page read while another writer holds the lock are followed all the same and written
    when the archive is free; nothing is lost."""
    db = tmp_path / "archive.db"
    listing = f"{CPC}/GB/64093/64387/index.html"
    slow = {**NO_FAULTS, listing: {"kind": "slow", "seconds": 2}}
    started = threading.Event()
    args = [*QUICK_STORE, "-s", "ARCHIVE_BUSY_TIMEOUT=1", "-s", "DOWNLOAD_TIMEOUT=10"]
    args += ["-a", f"start_urls={listing}"]
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


def test_the_crawl_keeps_fetching_while_another_writer_holds_the_lock(tmp_path):
    """The spider's frontier writes (pages marked done, links found) wait
    ARCHIVE_FRONTIER_WAIT, not the full ARCHIVE_BUSY_TIMEOUT: requests go on reaching the
    site while the lock is held, and the run still ends `finished` with nothing lost."""
    db = tmp_path / "archive.db"
    started = threading.Event()
    args = [*QUICK_STORE, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0"]
    # Slow enough answers that the crawl outlasts the 4 s hold on an idle machine too.
    with ReplayServer(SITE, faults=NO_FAULTS, delay=0.3) as server:
        hits_at: list[int] = []
        proc = crawl(db, server, *args, wait=False)
        wait_for(db, "SELECT count(*) FROM articles", at_least=3)

        def count():
            hits_at.append(len(server.hits))

        writer = threading.Thread(target=hold_lock, args=(db, 4.0, started, count))
        writer.start()
        started.wait(30)
        assert proc.poll() is None  # the lock is held while the crawl runs
        out, _ = proc.communicate(timeout=180)
        writer.join()
        hits = list(server.hits)
    assert proc.returncode == 0, out
    # At most one request per host (six hosts) was in flight when the lock was taken; more
    # than that during the hold were made while it was held. (When in the hold they come
    # depends on the machine's load, so the count is over the whole hold.)
    during = hits_at[2] - hits_at[0]
    print(f"requests during the hold: {hits_at}, of {len(hits)}")
    assert during >= 10, out[-3000:]
    assert "'archive/spooled'" in out
    assert accounted(db, hits) == set()
    assert pending(spool_dir(db)) == []
    assert query(db, "SELECT finish_reason FROM runs") == [("finished",)]
    assert query(db, "SELECT count(*) FROM crawl_frontier") == [(0,)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
