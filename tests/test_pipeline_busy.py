"""The rule behind a busy archive, checked on the components themselves: while the crawl runs,
no write waits for another writer's lock (the busy timeout in force during every attempt is
0), nothing fetched is lost, and once the lock is let go everything is stored once.

Another connection holds the write lock (BEGIN IMMEDIATE) exactly as a reparse or an ingest
in another process would. The pipeline's retry loop runs on a manual clock.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
import scrapy
from scrapy import signals
from scrapy.utils.test import get_crawler
from twisted.internet import task

from crawler import pipelines
from crawler.archive import crawl_state
from crawler.archive.db import ArchiveBusyError, open_archive
from crawler.components import spool
from crawler.components.connection import ArchiveClosedError, CrawlArchive
from crawler.components.frontier import SqliteFrontier
from crawler.items import CrawledPage, PrintPageItem
from crawler.paper_urls import NEW
from crawler.records import NotArticle, PrintPage
from tests.archive_helpers import fetch

BUSY_TIMEOUT = 30.0
RETRY = 2.0
LIST = "http://cpc.people.com.cn/GB/64093/64387/index{}.html"


class Frontier:
    def __init__(self):
        self.done: list[str] = []

    def mark_done(self, url: str) -> None:
        self.done.append(url)


class Spider(scrapy.Spider):
    name = "cpc"


class ManualLoop(task.LoopingCall):
    """The pipeline's retry loop, on a clock the test advances."""

    def __init__(self, f, *args, **kwargs):
        super().__init__(f, *args, **kwargs)
        self.clock = task.Clock()
        ManualLoop.last = self


def crawler_for(db, **settings):
    crawler = get_crawler(
        Spider,
        {
            "ARCHIVE_DB": str(db),
            "ARCHIVE_BUSY_TIMEOUT": BUSY_TIMEOUT,
            "ARCHIVE_SPOOL_RETRY": RETRY,
            "ARCHIVE_MAX_PAGES": 100,
            **settings,
        },
    )
    crawler.spider = Spider()
    crawler.spider.frontier = Frontier()
    return crawler


def page(n: int) -> CrawledPage:
    url = LIST.format(n)
    return CrawledPage(url, [fetch(url)], NotArticle(url, "listing", "listing page, crawled"))


@pytest.fixture
def attempts(monkeypatch):
    """The busy timeout (ms) in force on the pipeline's connection at each store attempt."""
    seen: list[int] = []
    real = pipelines.store_fetches

    def store_fetches(db, *args, **kwargs):
        seen.append(db.execute("PRAGMA busy_timeout").fetchone()[0])
        return real(db, *args, **kwargs)

    monkeypatch.setattr(pipelines, "store_fetches", store_fetches)
    monkeypatch.setattr(task, "LoopingCall", ManualLoop)
    return seen


def hold_lock(db) -> sqlite3.Connection:
    """Another writer: it holds the archive's write lock until rolled back."""
    other = sqlite3.connect(db, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    return other


def stored(db) -> list[str]:
    archive = open_archive(db)
    try:
        return [u for (u,) in archive.execute("SELECT url FROM snapshots ORDER BY id")]
    finally:
        archive.close()


def test_a_held_lock_sends_pages_to_the_spool_without_waiting_and_loses_none(tmp_path, attempts):
    db = tmp_path / "archive.db"
    crawler = crawler_for(db)
    pipeline = pipelines.ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(page(0))
    assert attempts == [0]  # even with the archive free, the store does not wait

    other = hold_lock(db)
    items = [page(n) for n in (1, 2, 3)]
    for item in items:
        assert pipeline.process_item(item) is item
        assert item.done is False  # pending in the frontier until stored
    # Spooled on the first attempt, which did not wait; the next pages queue behind it.
    assert attempts == [0, 0]
    assert len(spool.pending(spool.spool_dir(db))) == 3
    # The connection is back to its own busy timeout once the attempt is over.
    assert pipeline.db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT * 1000

    ManualLoop.last.clock.advance(RETRY)  # the retry loop, lock still held: no wait either
    assert attempts == [0, 0, 0]
    assert len(spool.pending(spool.spool_dir(db))) == 3

    other.rollback()
    other.close()
    late = page(4)
    pipeline.process_item(late)  # behind the spooled pages, though the archive is free now
    assert late.done is False
    assert len(spool.pending(spool.spool_dir(db))) == 4
    assert len(attempts) == 3

    ManualLoop.last.clock.advance(RETRY)
    assert spool.pending(spool.spool_dir(db)) == []
    assert set(attempts) == {0}
    urls = [LIST.format(n) for n in range(5)]
    assert stored(db) == urls  # each once, in the order fetched
    assert crawler.spider.frontier.done == urls[1:]  # marked done once stored
    assert crawler.stats.get_value("archive/spooled") == 4
    assert crawler.stats.get_value("archive/unspooled") == 4

    pipeline.close_spider()
    pipeline.spider_closed("finished")
    archive = open_archive(db)
    assert archive.execute("SELECT finish_reason FROM runs").fetchall() == [("finished",)]
    archive.close()


def test_pages_spooled_when_the_run_ends_are_stored_by_the_next_run(tmp_path, attempts):
    db = tmp_path / "archive.db"
    first = crawler_for(db, ARCHIVE_BUSY_TIMEOUT=0.1)
    pipeline = pipelines.ArchivePipeline.from_crawler(first)
    pipeline.open_spider()
    other = hold_lock(db)
    for n in (1, 2):
        pipeline.process_item(page(n))
    pipeline.close_spider()  # the end waits ARCHIVE_BUSY_TIMEOUT in all, then gives up
    assert len(spool.pending(spool.spool_dir(db))) == 2
    other.rollback()
    other.close()
    pipeline.spider_closed("finished")
    archive = open_archive(db)
    ((reason,),) = archive.execute("SELECT finish_reason FROM runs").fetchall()
    archive.close()
    assert reason.startswith("unstored: 2 pages spooled")

    second = crawler_for(db)
    pipeline = pipelines.ArchivePipeline.from_crawler(second)
    pipeline.open_spider()  # stores what the last run left, before its first request
    assert spool.pending(spool.spool_dir(db)) == []
    assert stored(db) == [LIST.format(1), LIST.format(2)]
    assert second.spider.frontier.done == [LIST.format(1), LIST.format(2)]


def test_the_end_of_the_crawl_waits_for_the_lock(tmp_path, attempts):
    db = tmp_path / "archive.db"
    pipeline = pipelines.ArchivePipeline.from_crawler(crawler_for(db))
    pipeline.open_spider()
    taken, release = threading.Event(), threading.Event()

    def other_writer():
        # sqlite3 connections stay in the thread that made them.
        conn = hold_lock(db)
        taken.set()
        release.wait(BUSY_TIMEOUT)
        conn.rollback()
        conn.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert taken.wait(BUSY_TIMEOUT)
    pipeline.process_item(page(1))
    assert len(spool.pending(spool.spool_dir(db))) == 1
    # Let go a moment after the end starts waiting (the end waits up to ARCHIVE_BUSY_TIMEOUT).
    threading.Timer(0.5, release.set).start()
    pipeline.close_spider()
    writer.join()
    assert spool.pending(spool.spool_dir(db)) == []
    assert stored(db) == [LIST.format(1)]
    assert attempts[-1] > 0  # the end's attempt waited; the one during the crawl did not
    assert attempts[:-1] == [0]


def test_the_frontier_keeps_what_a_busy_archive_cannot_take_without_waiting(tmp_path, monkeypatch):
    db = tmp_path / "archive.db"
    crawler = crawler_for(db)
    frontier = SqliteFrontier.from_crawler(crawler)
    seeds = [crawl_state.Entry(LIST.format(0), "listing")]
    assert frontier.start(seeds) == seeds
    waits: list[int] = []
    for name in ("enqueue", "mark_done"):
        real = getattr(crawl_state, name)

        def spy(db, *args, real=real, **kwargs):
            waits.append(db.execute("PRAGMA busy_timeout").fetchone()[0])
            return real(db, *args, **kwargs)

        monkeypatch.setattr(crawl_state, name, spy)
    other = hold_lock(db)
    frontier.mark_done(LIST.format(0))
    found = [crawl_state.Entry(LIST.format(1), "listing")]
    assert frontier.enqueue(found) == found  # fetched all the same
    assert waits and set(waits) == {0}
    assert frontier.undone == {LIST.format(0)}
    assert frontier.unwritten == found
    other.rollback()
    other.close()
    frontier.close("finished")
    assert frontier.undone == set() and frontier.unwritten == []


def test_a_resumed_frontier_does_not_fetch_again_the_pages_waiting_in_the_spool(tmp_path):
    db = tmp_path / "archive.db"
    entries = [crawl_state.Entry(LIST.format(n), "listing") for n in range(4)]
    archive = open_archive(db)
    crawl_state.enqueue(archive, entries)  # a killed crawl's frontier: all four pending
    archive.close()
    for n in (1, 3):  # fetched, then spooled while another writer held the archive
        spool.put(spool.spool_dir(db), page(n))
    frontier = SqliteFrontier.from_crawler(crawler_for(db))
    assert frontier.start([crawl_state.Entry(LIST.format(9), "listing")]) == [
        entries[0],
        entries[2],
    ]
    frontier.close("finished")


def test_one_connection_per_crawl_closed_when_the_engine_stops(tmp_path):
    crawler = crawler_for(tmp_path / "archive.db")
    archive = CrawlArchive.of(crawler)
    assert CrawlArchive.of(crawler) is archive
    db = archive.db
    assert archive.db is db
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT * 1000
    with pytest.raises(ArchiveBusyError):
        other = hold_lock(tmp_path / "archive.db")
        try:
            with archive.attempt():
                db.execute("INSERT INTO runs (kind) VALUES ('crawl')")
        finally:
            other.rollback()
            other.close()
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT * 1000
    crawler.signals.send_catch_log(signals.engine_started)
    crawler.signals.send_catch_log(signals.engine_stopped)
    with pytest.raises(ArchiveClosedError):
        archive.db  # noqa: B018
    with pytest.raises(sqlite3.ProgrammingError):
        db.execute("SELECT 1")


def test_a_print_page_waits_in_the_spool_whole_and_is_stored_once(tmp_path, attempts):
    db = tmp_path / "archive.db"
    crawler = crawler_for(db)
    pipeline = pipelines.PrintArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    index = "http://paper.people.com.cn/rmrb/pc/layout/202412/01/node_01.html"
    pdf = "http://paper.people.com.cn/rmrb/pc/attachement/202412/01/p01.pdf"
    parsed = PrintPage(index, "人民日报", "2024-12-01", "01", "第01版：要闻", pdf, NEW)
    item = PrintPageItem(fetch(index), parsed, fetch(pdf, b"%PDF-1.4 page"))
    other = hold_lock(db)
    pipeline.process_item(item)
    assert len(spool.pending(spool.spool_dir(db))) == 1
    other.rollback()
    other.close()
    assert stored(db) == []  # none of the page's rows: it waits whole in the spool
    ManualLoop.last.clock.advance(RETRY)
    assert spool.pending(spool.spool_dir(db)) == []
    assert stored(db) == [index, pdf]
    archive = open_archive(db)
    assert archive.execute("SELECT count(*) FROM print_pages").fetchone() == (1,)
    archive.close()
    assert crawler.stats.get_value("print/pages") == 1
    assert crawler.stats.get_value("print/issues") == 1
