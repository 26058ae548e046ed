"""The Redis frontier's rules, each against a real Redis: leases, handoffs, exact dedup, the
crawl's single end, and the writer's once-only storing."""

from __future__ import annotations

import time

from crawler.distributed.frontier import RedisFrontier, fingerprint
from crawler.distributed.keys import GROUP
from tests.redis_helpers import REDIS_URL, redis_prefix  # noqa: F401


def frontier(prefix: str, worker: str = "w", ttl: float = 30.0) -> RedisFrontier:
    return RedisFrontier(REDIS_URL, f"{prefix}:cpc", worker, ttl)


def test_a_pop_leases_and_an_expired_lease_returns_to_the_queue(redis_prefix):  # noqa: F811
    store = frontier(redis_prefix).store
    store.push(b"page-a", -20)
    _, data = store.pop(ttl=0.2)
    assert data == b"page-a"
    assert store.queued() == 0
    assert store.leased() == 1
    assert store.reclaim() == 0  # not expired yet
    time.sleep(0.3)
    assert store.reclaim() == 1
    assert store.pop(ttl=30)[1] == b"page-a"


def test_a_renewed_lease_does_not_expire(redis_prefix):  # noqa: F811
    store = frontier(redis_prefix).store
    store.push(b"page-a", 0)
    lease, _ = store.pop(ttl=0.3)
    for _ in range(3):
        time.sleep(0.15)
        assert store.renew([lease], ttl=0.3) == {lease}
    assert store.reclaim() == 0
    assert store.leased() == 1


def test_the_queue_pops_by_priority(redis_prefix):  # noqa: F811
    store = frontier(redis_prefix).store
    store.push(b"listing", 0)
    store.push(b"article", -20)
    assert [store.pop(30)[1], store.pop(30)[1]] == [b"article", b"listing"]


def test_a_delivery_on_a_lost_lease_is_refused(redis_prefix):  # noqa: F811
    f = frontier(redis_prefix)
    f.store.push(b"page-a", 0)
    lease, _ = f.store.pop(ttl=0.1)
    time.sleep(0.2)
    f.store.reclaim()  # another worker will do it
    assert not f.store.deliver(lease, {"page": b"x"})
    assert f.server.xlen(f.keys.stream) == 0
    assert f.store.queued() == 1


def test_a_delivery_ends_the_lease_but_keeps_the_request_until_acknowledged(redis_prefix):  # noqa: F811
    f = frontier(redis_prefix)
    f.store.push(b"page-a", 0)
    lease, _ = f.store.pop(ttl=0.1)
    assert f.store.deliver(lease, {"page": b"x"})
    time.sleep(0.2)
    assert f.store.reclaim() == 0  # delivered: no longer expires
    assert f.server.hexists(f.keys.leased, lease)
    f.store.ack(lease)
    assert not f.server.hexists(f.keys.leased, lease)


def test_a_handoff_replaces_the_leased_request(redis_prefix):  # noqa: F811
    store = frontier(redis_prefix).store
    store.push(b"page-1", 0)
    lease, _ = store.pop(ttl=30)
    assert store.handoff(lease, b"page-2", -30)
    assert store.leased() == 0
    assert store.pop(30)[1] == b"page-2"
    assert not store.handoff(lease, b"page-3", 0)  # that lease is gone


def test_dedup_is_exact_and_admits_each_url_once(redis_prefix):  # noqa: F811
    store = frontier(redis_prefix).store
    urls = [f"http://cpc.people.com.cn/n1/2024/0807/c64094-{n}.html" for n in range(2000)]
    admitted = [store.push(u.encode(), 0, fingerprint(u)) for u in urls]
    again = [store.push(u.encode(), 0, fingerprint(u)) for u in urls]
    assert all(admitted)  # no false positive among 2000 distinct URLs
    assert not any(again)
    assert store.queued() == 2000


def test_kinds_names_the_urls_this_crawl_admitted(redis_prefix):  # noqa: F811
    f = frontier(redis_prefix)
    seen, new = "http://cpc.people.com.cn/a.html", "http://cpc.people.com.cn/b.html"
    f.store.push(b"a", 0, fingerprint(seen))
    assert f.kinds([seen, new]) == {seen: "article"}


def test_the_crawl_ends_once_and_only_when_nothing_is_queued_or_leased(redis_prefix):  # noqa: F811
    f, g = frontier(redis_prefix, "w1"), frontier(redis_prefix, "w2")
    f.server.set(f.keys.ready, "1")
    f.start([])
    g.start([])
    assert f.crawl_id == g.crawl_id
    f.store.push(b"page", 0)
    f.close("finished")
    assert f.server.get(f.keys.crawl).decode() == f.crawl_id  # still work queued
    lease, _ = f.store.pop(30)
    f.close("finished")
    assert f.server.exists(f.keys.crawl)  # still a lease out
    f.store.ack(lease)
    f.close("finished")
    g.close("finished")
    entries = f.server.xrange(f.keys.stream)
    assert [e[1][b"finish"] for e in entries] == [b"finished"]
    assert not f.server.exists(f.keys.crawl)


def test_a_worker_started_just_after_the_crawl_ended_begins_no_other(redis_prefix):  # noqa: F811
    f = RedisFrontier(REDIS_URL, f"{redis_prefix}:cpc", "w1", 30.0, recrawl_after=60)
    f.server.set(f.keys.ready, "1")
    f.start([])
    f.close("finished")
    late = RedisFrontier(REDIS_URL, f"{redis_prefix}:cpc", "w2", 30.0, recrawl_after=60)
    assert late.start(["seed"]) == []
    assert not f.server.exists(f.keys.crawl)
    f.server.delete(f.keys.finished)  # the pause is over
    assert late.start(["seed"]) == ["seed"]
    assert f.server.exists(f.keys.crawl)


def test_a_second_writer_claims_what_a_killed_one_left_pending(redis_prefix, tmp_path):  # noqa: F811
    from crawler.archive.db import open_archive
    from crawler.distributed.archiver import Archiver

    f = frontier(redis_prefix)
    db = open_archive(tmp_path / "archive.db")
    first = Archiver(db, REDIS_URL, f"{redis_prefix}:cpc", consumer="a", claim_idle=0.1)
    first.open()
    f.server.xadd(f.keys.stream, {"crawl": "c1", "worker": "w", "finish": "finished"})
    # The first writer reads the entry and dies before acknowledging it: the kernel drops its
    # run lock with its process.
    assert len(f.server.xreadgroup(GROUP, "a", {f.keys.stream: ">"})[0][1]) == 1
    first.lock.release()
    time.sleep(0.2)
    second = Archiver(db, REDIS_URL, f"{redis_prefix}:cpc", consumer="b", claim_idle=0.1)
    second.open()
    second.run(until_finished=True)
    assert second.finished == [1]
    assert f.server.xpending(f.keys.stream, GROUP)["pending"] == 0
    db.close()


def test_the_writer_is_refused_while_another_process_holds_the_archive(redis_prefix, tmp_path):  # noqa: F811
    import pytest

    from crawler.archive import lockfile
    from crawler.archive.db import open_archive
    from crawler.distributed.archiver import Archiver

    db = open_archive(tmp_path / "archive.db")
    crawl = lockfile.acquire(tmp_path / "archive.db")  # a single-machine crawl, say
    writer = Archiver(db, REDIS_URL, f"{redis_prefix}:cpc")
    with pytest.raises(lockfile.ArchiveLocked, match=r"archive\.db\.lock"):
        writer.open()
    crawl.release()
    writer.open()
    writer.close()
    db.close()


def test_an_entry_delivered_again_after_its_commit_is_not_stored_twice(redis_prefix, tmp_path):  # noqa: F811
    """A writer killed between the commit and the acknowledgement: the entry comes again."""
    import pickle

    from crawler.archive.db import open_archive
    from crawler.distributed.archiver import Archiver
    from crawler.items import CrawledPage
    from crawler.records import Fetch, NotArticle

    url = "http://cpc.people.com.cn/GB/164113/index.html"
    page = CrawledPage(
        url,
        [Fetch(url=url, body=b"<html>list</html>", status=200, fetched_at="2024-08-07T00:00:00")],
        NotArticle(url, "listing", "listing page, crawled"),
    )
    fields = {b"crawl": b"c1", b"worker": b"w1", b"lease": b"7", b"page": pickle.dumps(page)}
    db = open_archive(tmp_path / "archive.db")
    writer = Archiver(db, REDIS_URL, f"{redis_prefix}:cpc")
    writer.open()
    writer.handle(b"1-0", fields)
    writer.handle(b"1-0", fields)
    assert db.execute("SELECT count(*) FROM snapshots").fetchone() == (1,)
    assert db.execute("SELECT worker, fetched FROM run_workers").fetchall() == [("w1", 1)]
    writer.close()
    db.close()


def test_leases_given_back_return_to_the_queue_at_once(redis_prefix):  # noqa: F811
    store = frontier(redis_prefix).store
    store.push(b"page-a", -20)
    lease, _ = store.pop(ttl=30)
    assert store.give_back([lease]) == 1
    assert store.leased() == 0
    assert store.pop(30)[1] == b"page-a"


def test_a_page_set_aside_waits_for_the_next_start(redis_prefix):  # noqa: F811
    f = frontier(redis_prefix)
    f.server.set(f.keys.ready, "1")
    f.start([])
    f.store.push(b"page-a", -20)
    lease, _ = f.store.pop(ttl=30)
    assert f.store.set_aside([lease]) == 1
    assert f.store.queued() == 0
    assert f.store.leased() == 0
    w2 = frontier(redis_prefix, "w2")
    w2.start([])  # a worker joining a live fleet: not yet
    assert f.store.queued() == 0
    f.close("shutdown")
    w2.close("shutdown")
    frontier(redis_prefix, "w3").start([])  # w2 gone too: w3 resumes a stopped fleet
    assert f.store.pop(30)[1] == b"page-a"
