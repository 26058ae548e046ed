"""The crawl frontier and what a crawl asks of earlier runs, on in-memory archives."""

from crawler.archive import crawl_state
from crawler.archive.db import open_archive


def test_enqueue_adds_each_url_once(db):
    first = crawl_state.enqueue(
        db, [crawl_state.Entry("http://a/1", "home"), crawl_state.Entry("http://a/2", "article")]
    )
    again = crawl_state.enqueue(
        db, [crawl_state.Entry("http://a/1", "home"), crawl_state.Entry("http://a/3", "article")]
    )
    assert [e.url for e in first] == ["http://a/1", "http://a/2"]
    assert [e.url for e in again] == ["http://a/3"]


def test_pending_lists_what_is_not_done_in_discovery_order(db):
    crawl_state.enqueue(
        db, [crawl_state.Entry("u1", "home"), crawl_state.Entry("u2", "listing", "64387", 1)]
    )
    crawl_state.enqueue(db, [crawl_state.Entry("u3", "article", "64387", 2)])
    crawl_state.mark_done(db, "u1")
    assert crawl_state.pending(db) == [
        crawl_state.Entry("u2", "listing", "64387", 1),
        crawl_state.Entry("u3", "article", "64387", 2),
    ]


def test_done_urls_are_not_enqueued_again(db):
    crawl_state.enqueue(db, [crawl_state.Entry("u1", "article")])
    crawl_state.mark_done(db, "u1")
    assert crawl_state.enqueue(db, [crawl_state.Entry("u1", "article")]) == []
    assert crawl_state.pending(db) == []


def test_kinds_names_urls_already_in_this_crawl(db):
    crawl_state.enqueue(
        db, [crawl_state.Entry("u1", "article"), crawl_state.Entry("u2", "recheck")]
    )
    assert crawl_state.kinds(db, ["u1", "u2", "u3"]) == {"u1": "article", "u2": "recheck"}


def test_clear_forgets_the_crawl(db):
    crawl_state.enqueue(db, [crawl_state.Entry("u1", "article")])
    crawl_state.clear(db)
    assert crawl_state.pending(db) == []
    assert crawl_state.enqueue(db, [crawl_state.Entry("u1", "article")]) == [
        crawl_state.Entry("u1", "article")
    ]


def test_frontier_survives_reopening_the_archive(tmp_path):
    path = tmp_path / "a.db"
    db = open_archive(path)
    crawl_state.enqueue(db, [crawl_state.Entry("u1", "article", "64094", 3)])
    db.close()
    db = open_archive(path)
    assert crawl_state.pending(db) == [crawl_state.Entry("u1", "article", "64094", 3)]
    db.close()


def test_gone_pages_are_settled_transient_failures_are_not(db):
    from crawler.archive.runs import start_run
    from crawler.archive.store import store_fetches
    from crawler.records import Fetch, NotArticle

    run = start_run(db, "crawl")
    gone, slow, err = (f"http://cpc.people.com.cn/n1/2024/0807/c64094-{n}.html" for n in (1, 2, 3))
    store_fetches(db, run, [Fetch(gone, b"not found", 404)])
    store_fetches(db, run, [Fetch(slow, b"", 0)], NotArticle(slow, "fetch_error", "timeout"))
    store_fetches(db, run, [Fetch(err, b"oops", 503)])
    assert crawl_state.settled(db, gone)
    assert not crawl_state.settled(db, slow)
    assert not crawl_state.settled(db, err)
    assert not crawl_state.settled(db, "http://cpc.people.com.cn/never-seen.html")


def test_whether_a_url_is_settled_is_read_from_an_index(db):
    # Asked for every new link of every crawl: a scan of the failures table, which grows
    # every run, would make each answer slower than the last.
    plan = " ".join(
        row[-1]
        for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT kind FROM failures WHERE url = ?", ["http://a/"]
        )
    )
    assert "USING INDEX idx_failures_url" in plan, plan
