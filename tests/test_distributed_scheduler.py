"""How workers share the queue: a worker leases no more requests of a host than the host's
concurrency lets it start, so the rest stays in Redis for the other workers. Two workers'
schedulers on one key prefix, in one process, against a real Redis."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy import Request
from scrapy.core.downloader import Downloader
from scrapy.utils.test import get_crawler
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.frontier import RedisFrontier
from crawler.distributed.queue import frontier_url
from crawler.distributed.scheduler import LeasedScheduler
from crawler.spiders.cpc import CpcSpider
from tests.redis_helpers import REDIS_URL, redis_prefix  # noqa: F401

LIMIT = 2  # CONCURRENT_REQUESTS_PER_DOMAIN


class Downloads(Downloader):
    """The engine's downloader as the scheduler sees it, without the network: the requests
    handed out whose download has not ended (`active`), keyed by Scrapy's own slot keys."""

    def __init__(self):
        self.active = set()
        self.ip_concurrency = 0


def worker(prefix: str, name: str) -> LeasedScheduler:
    crawler = get_crawler(
        CpcSpider,
        settings_dict={
            "ARCHIVE_REDIS_URL": REDIS_URL,
            "ARCHIVE_REDIS_PREFIX": prefix,
            "ARCHIVE_REDIS_LEASE": 30,
            "ARCHIVE_WORKER_NAME": name,
            "CONCURRENT_REQUESTS_PER_DOMAIN": LIMIT,
        },
    )
    frontier = RedisFrontier.of(crawler)
    frontier.server.set(frontier.keys.ready, "1")
    frontier.start([])
    crawler.engine = SimpleNamespace(downloader=Downloads())
    scheduler = LeasedScheduler.from_crawler(crawler)
    # scrapy-redis's open alone: the lease renewal loop needs a running reactor.
    Scheduler.open(scheduler, CpcSpider.from_crawler(crawler))
    return scheduler


def ask(scheduler: LeasedScheduler, times: int) -> list[Request]:
    """The engine asking up to `times` times; each request it gets starts downloading. Like
    the engine, it stops at the first None (it asks again after a download ends). An empty
    queue is not asked: its poll for others' links needs a running reactor."""
    got = []
    for _ in range(times):
        if not scheduler.frontier.store.queued():
            break
        request = scheduler.next_request()
        if request is None:
            break
        scheduler.crawler.engine.downloader.active.add(request)
        got.append(request)
    return got


def downloaded(scheduler: LeasedScheduler, requests: list[Request]) -> None:
    """The downloads end and their pages are finished for good (acknowledged)."""
    for request in requests:
        scheduler.crawler.engine.downloader.active.discard(request)
        scheduler.frontier.mark_done(frontier_url(request))


def test_a_worker_leases_a_host_up_to_its_concurrency_and_the_rest_waits_for_others(
    redis_prefix,  # noqa: F811
):
    a, b = worker(redis_prefix, "a"), worker(redis_prefix, "b")
    store = a.frontier.store
    urls = [f"http://cpc.people.com.cn/n1/2024/0807/c64094-{n}.html" for n in range(10)]
    for url in urls:
        assert a.enqueue_request(Request(url))

    got_a = ask(a, 16)  # Scrapy asks up to CONCURRENT_REQUESTS
    assert len(got_a) == LIMIT
    assert store.leased() == LIMIT
    assert len(a.frontier.held) == LIMIT
    assert store.queued() == len(urls) - LIMIT

    got_b = ask(b, 16)
    assert len(got_b) == LIMIT
    assert store.leased() == 2 * LIMIT

    # Given back, a request stays admitted: queued again it is a duplicate.
    assert not a.enqueue_request(Request(urls[-1]))

    fetched = [r.url for r in got_a + got_b]
    downloaded(a, got_a)
    downloaded(b, got_b)
    while store.queued():
        for s in (a, b):
            got = ask(s, 16)
            assert len(got) <= LIMIT
            assert len(s.frontier.held) <= LIMIT
            fetched += [r.url for r in got]
            downloaded(s, got)

    assert sorted(fetched) == sorted(urls)  # nothing lost, nothing fetched twice
    assert store.queued() == 0
    assert store.leased() == 0


def test_other_hosts_are_served_past_a_busy_one_and_priorities_are_kept(redis_prefix):  # noqa: F811
    a, b = worker(redis_prefix, "a"), worker(redis_prefix, "b")
    store = a.frontier.store
    busy = [f"http://cpc.people.com.cn/n1/2024/0807/c64094-{n}.html" for n in range(4)]
    other = [f"http://paper.people.com.cn/rmrb/html/2024-08/07/nw.D110000_{n}.htm" for n in (1, 2)]
    for url in busy:
        a.enqueue_request(Request(url, priority=10))
    for url in other:
        a.enqueue_request(Request(url, priority=0))

    got_a = ask(a, 16)
    hosts = [r.url.split("/")[2] for r in got_a]
    assert hosts == ["cpc.people.com.cn"] * LIMIT + ["paper.people.com.cn"] * LIMIT
    assert store.queued() == len(busy) - LIMIT
    assert a.stats.get_value("scheduler/given_back/redis") > 0
    # Each request given back kept its priority and is next in the queue for the others.
    queued = a.server.zrange(a.frontier.keys.requests, 0, -1, withscores=True)
    assert [score for _, score in queued] == [-10.0] * (len(busy) - LIMIT)

    got_b = ask(b, 16)
    assert sorted(r.url for r in got_a + got_b) == sorted(busy + other)
    downloaded(a, got_a)
    downloaded(b, got_b)
    assert store.queued() == 0
    assert store.leased() == 0
