"""The Redis frontier's rules, each against a real Redis: leases, handoffs, exact dedup, the
crawl's single end, and the writer's once-only storing."""

from __future__ import annotations

import time

from crawler.distributed.frontier import RedisFrontier, fingerprint
from crawler.distributed.keys import GROUP
from crawler.distributed.leases import CRAWL_OVER, QUEUED
from tests.redis_helpers import REDIS_URL, redis_prefix  # noqa: F401


def frontier(prefix: str, worker: str = "w", ttl: float = 30.0) -> RedisFrontier:
    """A worker in the crawl under way (the first one begins it)."""
    f = RedisFrontier(REDIS_URL, f"{prefix}:cpc", worker, ttl)
    f.server.set(f.keys.ready, "1")
    f.start([])
    return f


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


def test_a_worker_of_an_ended_crawl_queues_nothing_and_takes_no_other_crawls_work(redis_prefix):  # noqa: F811
    late = frontier(redis_prefix, "late")
    frontier(redis_prefix, "first").close("finished")  # the crawl late joined ends
    assert late.crawl_over()
    assert late.store.push(b"seed", 0, fingerprint("seed")) == CRAWL_OVER
    following = frontier(redis_prefix, "next")  # the next crawl (no pause between crawls)
    assert following.crawl_id != late.crawl_id
    assert following.store.push(b"page", 0) == QUEUED
    assert late.store.pop(30) is None
    assert following.store.pop(30)[1] == b"page"


def test_a_joining_worker_reads_the_arguments_its_crawl_began_with(redis_prefix):  # noqa: F811
    first = RedisFrontier(REDIS_URL, f"{redis_prefix}:cpc", "w1", 30.0)
    first.server.set(first.keys.ready, "1")
    first.start([], {"since": "2024-08-01"})
    second = RedisFrontier(REDIS_URL, f"{redis_prefix}:cpc", "w2", 30.0)
    second.start([], {"since": "2030-01-01"})
    assert second.crawl_id == first.crawl_id
    assert second.args == first.args == {"since": "2024-08-01"}


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
    f.store.push(b"page-a", -20)
    lease, _ = f.store.pop(ttl=30)
    assert f.store.set_aside([lease]) == 1
    assert f.store.queued() == 0
    assert f.store.leased() == 0
    w2 = frontier(redis_prefix, "w2")  # a worker joining a live fleet: not yet
    assert f.store.queued() == 0
    f.close("shutdown")
    w2.close("shutdown")
    frontier(redis_prefix, "w3")  # w2 gone too: w3 resumes a stopped fleet
    assert f.store.pop(30)[1] == b"page-a"


SEEDS = ["http://cpc.people.com.cn/", "http://cpc.people.com.cn/GB/164113/index.html"]


def worker(prefix: str, name: str) -> RedisFrontier:
    return RedisFrontier(REDIS_URL, f"{prefix}:cpc", name, 30.0, recrawl_after=3600)


def start_and_queue(f: RedisFrontier) -> None:
    """What a worker does as it starts: join or begin the crawl, then queue its seeds (the
    scheduler's admission)."""
    for url in f.start(SEEDS):
        f.store.push(url.encode(), 0, fingerprint(url))


def short_crawl(prefix: str) -> RedisFrontier:
    """The first worker: it begins a crawl and fetches and stores its seeds; nothing is left."""
    a = worker(prefix, "a")
    a.server.set(a.keys.ready, "1")
    start_and_queue(a)
    while (got := a.store.pop(30)) is not None:
        a.held[got[1].decode()] = got[0]
        a.mark_done(got[1].decode())
    return a


class Commands:
    """Counts the commands a frontier sends to Redis; runs `then` once, right after the n-th."""

    def __init__(self, f: RedisFrontier, n: int = 0, then=None):
        self.sent = 0
        send = f.server.execute_command

        def counted(*args, **options):
            result = send(*args, **options)
            self.sent += 1
            if self.sent == n:
                then()
            return result

        f.server.execute_command = counted


def test_workers_started_together_make_one_crawl_wherever_the_first_ends(redis_prefix):  # noqa: F811
    """The first worker's very short crawl ends at each point of a second worker's start in
    turn (driven one Redis command at a time): the second never begins another crawl nor
    queues the seeds again, and the crawl ends once."""
    short_crawl(f"{redis_prefix}:probe")
    b = worker(f"{redis_prefix}:probe", "b")
    steps = Commands(b)
    start_and_queue(b)  # undisturbed: it joins the crawl under way
    assert steps.sent >= 4
    for n in range(1, steps.sent + 1):
        a = short_crawl(f"{redis_prefix}:{n}")
        b = worker(f"{redis_prefix}:{n}", "b")
        Commands(b, n, lambda a=a: a.close("finished"))
        start_and_queue(b)
        b.close("finished")
        finishes = [e for _, e in a.server.xrange(a.keys.stream) if b"finish" in e]
        assert len(finishes) == 1, n
        assert not a.server.exists(a.keys.crawl), f"a second crawl began after command {n}"
        assert a.store.queued() == 0, f"the seeds were queued again after command {n}"
