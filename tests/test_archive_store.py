"""store_fetches on in-memory archives: whole rows compared, one rule per test."""

from __future__ import annotations

import json

import pytest

from crawler.archive.compress import sha256
from crawler.archive.current import article_record
from crawler.archive.db import open_archive
from crawler.archive.diff import paragraph_diff
from crawler.archive.lookup import (
    articles_first_seen_since,
    fetched_urls,
    known_article,
    known_urls,
)
from crawler.archive.runs import finish_run, start_run
from crawler.archive.snapshots import snapshot_body, snapshot_fetch
from crawler.archive.store import store_fetches
from crawler.records import NotArticle
from tests.archive_helpers import URL, fetch, page, record

KEY = "people:40294553"


@pytest.fixture
def run(db):
    return start_run(db, "test", {"why": "unit"})


def rows(db, table, **where):
    sql = f"SELECT * FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(f"{k} = ?" for k in where)
    return list(db.query(sql + " ORDER BY rowid", list(where.values())))


def test_article_from_a_damaged_page_says_how_many_bytes_were_unreadable(db, run):
    store_fetches(db, run, [fetch(body=page("妇联"))], record(decode_errors=3))
    assert rows(db, "articles")[0]["decode_errors"] == 3
    assert article_record(db, KEY).decode_errors == 3


def test_new_article_row_holds_every_field_and_its_provenance(db, run):
    f = fetch(body=page("妇联"), headers={"Content-Type": "text/html"})
    out = store_fetches(db, run, [f], record())
    assert (out.status, out.article_key, out.snapshot_ids, out.version) == ("new", KEY, [1], 1)
    body_sha = sha256(f.body)
    paragraphs = record().paragraphs
    article = rows(db, "articles")[0]
    assert article == {
        "key": KEY,
        "doc_id": 1,
        "url": URL,
        "canonical_url": URL,
        "content_id": "40294553",
        "channel_id": "64094",
        "title": "全国各级妇联深入学习宣传贯彻落实党的二十届三中全会精神",
        "pretitle": "",
        "subtitle": "",
        "original_title": "",
        "published_at": "2024-08-07T08:02:00+08:00",
        "source": "中国妇女报",
        "source_url": "",
        "authors": "[]",
        "editors": '["王子锋", "王珂园"]',
        "print_edition": None,
        "breadcrumbs": "[]",
        "keywords": "[]",
        "description": "",
        "images": "[]",
        "body_text": "\n".join(paragraphs),
        "page_count": 1,
        "page_urls": "[]",
        "encoding": "utf-8",
        "template": "cpc",
        "parser_version": "test-1",
        "first_seen": "2024-08-07T01:00:00Z",
        "last_seen": "2024-08-07T01:00:00Z",
        "removed_at": None,
        "version": 1,
        "snapshot_id": 1,
        "last_snapshot_id": 1,
        "body_sha256": body_sha,
        "text_sha256": sha256("\n".join(paragraphs).encode()),
        "content_sha256": article["content_sha256"],
        "reprint_of": None,
        "decode_errors": 0,
        "missing_pages": None,
    }
    assert rows(db, "snapshots") == [
        {
            "id": 1,
            "url": URL,
            "final_url": "",
            "status": 200,
            "headers": '{"Content-Type": "text/html"}',
            "fetched_at": "2024-08-07T01:00:00Z",
            "body_sha256": body_sha,
            "size": len(f.body),
            "charset": "utf-8",
            "run_id": run,
            "group_id": 1,
            "page": 1,
            "article_key": KEY,
        }
    ]
    assert rows(db, "article_urls") == [
        {
            "url": URL,
            "article_key": KEY,
            "first_seen": "2024-08-07T01:00:00Z",
            "last_seen": "2024-08-07T01:00:00Z",
        }
    ]
    (version,) = rows(db, "versions")
    assert {k: v for k, v in version.items() if k != "fields"} == {
        "id": 1,
        "article_key": KEY,
        "version": 1,
        "content_sha256": article["content_sha256"],
        "body_sha256": body_sha,
        "snapshot_id": 1,
        "parser_version": "test-1",
        "seen_from": "2024-08-07T01:00:00Z",
        "seen_to": "2024-08-07T01:00:00Z",
    }
    # the current state is the articles row: its version keeps nothing the row holds
    assert json.loads(version["fields"]) == {}
    assert article_record(db, KEY) == record()
    assert snapshot_body(db, body_sha) == f.body
    assert rows(db, "failures") == []


def test_unchanged_refetch_adds_a_snapshot_but_no_body_copy_and_no_version(db, run):
    store_fetches(db, run, [fetch()], record())
    out = store_fetches(db, run, [fetch(at="2024-08-09T01:00:00Z")], record())
    assert (out.status, out.version, out.snapshot_ids) == ("unchanged", 1, [2])
    assert len(rows(db, "snapshots")) == 2
    assert len(rows(db, "bodies")) == 1
    assert rows(db, "snapshots")[1]["body_sha256"] == rows(db, "bodies")[0]["sha256"]
    (v,) = rows(db, "versions")
    assert (v["seen_from"], v["seen_to"]) == ("2024-08-07T01:00:00Z", "2024-08-09T01:00:00Z")
    a = rows(db, "articles")[0]
    assert (a["first_seen"], a["last_seen"]) == ("2024-08-07T01:00:00Z", "2024-08-09T01:00:00Z")
    assert (a["snapshot_id"], a["last_snapshot_id"]) == (1, 2)


def test_changed_article_adds_a_version_and_keeps_the_old_one(db, run):
    store_fetches(db, run, [fetch(body=page(body="v1"))], record())
    new_paras = ["全国各级妇联深入学习宣传贯彻落实党的二十届三中全会精神。", "妇联改了这一段。"]
    out = store_fetches(
        db,
        run,
        [fetch(body=page(body="v2"), at="2024-08-10T00:00:00Z")],
        record(paragraphs=new_paras),
    )
    assert (out.status, out.version) == ("changed", 2)
    versions = rows(db, "versions")
    assert [(v["version"], v["seen_from"], v["seen_to"], v["snapshot_id"]) for v in versions] == [
        (1, "2024-08-07T01:00:00Z", "2024-08-07T01:00:00Z", 1),
        (2, "2024-08-10T00:00:00Z", "2024-08-10T00:00:00Z", 2),
    ]
    a = rows(db, "articles")[0]
    assert (a["version"], a["body_text"], a["snapshot_id"]) == (2, "\n".join(new_paras), 2)
    # the replaced state was written out whole into its version before the row moved on
    old = json.loads(versions[0]["fields"])
    assert old["paragraphs"] == record().paragraphs
    assert json.loads(versions[1]["fields"]) == {}
    assert article_record(db, KEY, 1) == record()
    assert article_record(db, KEY).paragraphs == new_paras
    assert len(rows(db, "bodies")) == 2


def test_same_bytes_different_fetch_time_is_not_a_change_even_if_bytes_differ(db, run):
    # Bytes change on every fetch (timestamps, ads); only the edit-relevant fields make a version.
    store_fetches(db, run, [fetch(body=page(body="ad 1"))], record())
    out = store_fetches(db, run, [fetch(body=page(body="ad 2"))], record())
    assert out.status == "unchanged"
    assert len(rows(db, "versions")) == 1
    assert len(rows(db, "bodies")) == 2  # the bytes themselves are evidence: both kept


def test_an_earlier_capture_stored_later_does_not_replace_the_current_state(db, run):
    # e.g. import-warc of old captures into an archive a crawl has already filled
    store_fetches(db, run, [fetch(at="2024-09-01T00:00:00Z")], record())
    older = record(paragraphs=["初稿。"])
    out = store_fetches(db, run, [fetch(body=page(body="old"), at="2024-08-01T00:00:00Z")], older)
    assert (out.status, out.version) == ("changed", 1)
    a = rows(db, "articles")[0]
    assert (a["version"], a["body_text"]) == (1, record().body_text)
    assert (a["first_seen"], a["last_seen"]) == ("2024-08-01T00:00:00Z", "2024-09-01T00:00:00Z")
    assert [(v["version"], v["seen_from"], v["seen_to"]) for v in rows(db, "versions")] == [
        (1, "2024-09-01T00:00:00Z", "2024-09-01T00:00:00Z"),
        (2, "2024-08-01T00:00:00Z", "2024-08-01T00:00:00Z"),
    ]
    assert article_record(db, KEY) == record()  # the current state, not the highest number
    assert article_record(db, KEY, 2).paragraphs == ["初稿。"]
    # an even earlier capture of the current text widens version 1
    out = store_fetches(db, run, [fetch(at="2024-07-01T00:00:00Z")], record())
    assert out.status == "unchanged"
    assert rows(db, "versions")[0]["seen_from"] == "2024-07-01T00:00:00Z"
    # a removal observed before the last sighting does not remove it
    out = store_fetches(db, run, [fetch(body=b"x", status=404, at="2024-08-15T00:00:00Z")])
    assert out.status == "unchanged"
    assert rows(db, "articles")[0]["removed_at"] is None


def test_same_content_id_on_two_hosts_is_one_article_with_two_urls(db, run):
    other = "https://politics.people.com.cn/n1/2024/0807/c1001-40294553.html?utm_source=x"
    store_fetches(db, run, [fetch()], record())
    out = store_fetches(db, run, [fetch(other, at="2024-08-08T00:00:00Z")], record(url=other))
    assert (out.status, out.article_key) == ("unchanged", KEY)
    assert [r["url"] for r in rows(db, "article_urls")] == [
        URL,
        "http://politics.people.com.cn/n1/2024/0807/c1001-40294553.html",
    ]
    assert len(rows(db, "articles")) == 1


def test_same_text_under_two_ids_is_linked_as_a_reprint_not_merged(db, run):
    other = "http://cpc.people.com.cn/n1/2024/0808/c64094-40295000.html"
    store_fetches(db, run, [fetch()], record())
    out = store_fetches(db, run, [fetch(other)], record(other, content_id="40295000"))
    assert (out.status, out.article_key) == ("new", "people:40295000")
    assert [(a["key"], a["reprint_of"]) for a in rows(db, "articles")] == [
        (KEY, None),
        ("people:40295000", KEY),
    ]


@pytest.mark.parametrize("status", [404, 410])
def test_gone_status_for_a_known_article_sets_removed_at_and_keeps_everything(db, run, status):
    store_fetches(db, run, [fetch()], record())
    out = store_fetches(db, run, [fetch(body=b"gone", status=status, at="2024-09-01T00:00:00Z")])
    assert (out.status, out.article_key) == ("removed", KEY)
    a = rows(db, "articles")[0]
    assert (a["removed_at"], a["title"], a["version"]) == (
        "2024-09-01T00:00:00Z",
        record().title,
        1,
    )
    assert len(rows(db, "versions")) == 1
    assert rows(db, "snapshots")[1]["status"] == status
    assert rows(db, "snapshots")[1]["article_key"] == KEY
    assert rows(db, "failures") == []


def test_not_found_page_served_with_200_removes_a_known_article(db, run):
    store_fetches(db, run, [fetch()], record())
    gone = NotArticle(URL, "not_found", "title says 页面没有找到")
    out = store_fetches(
        db, run, [fetch(body=page("页面没有找到"), at="2024-09-02T00:00:00Z")], gone
    )
    assert out.status == "removed"
    assert rows(db, "articles")[0]["removed_at"] == "2024-09-02T00:00:00Z"


def test_redirect_to_the_home_page_removes_a_known_article(db, run):
    store_fetches(db, run, [fetch()], record())
    home = fetch(final_url="http://cpc.people.com.cn/", at="2024-09-03T00:00:00Z")
    out = store_fetches(db, run, [home], NotArticle("http://cpc.people.com.cn/", "home", "home"))
    assert out.status == "removed"
    assert rows(db, "articles")[0]["removed_at"] == "2024-09-03T00:00:00Z"


def test_article_seen_again_after_removal_is_no_longer_removed(db, run):
    store_fetches(db, run, [fetch()], record())
    store_fetches(db, run, [fetch(body=b"x", status=404)])
    out = store_fetches(db, run, [fetch(at="2024-10-01T00:00:00Z")], record())
    assert out.status == "unchanged"
    assert rows(db, "articles")[0]["removed_at"] is None


def test_404_for_an_unknown_url_is_a_failure_with_its_snapshot(db, run):
    out = store_fetches(db, run, [fetch(body=b"nope", status=404)])
    assert (out.status, out.article_key) == ("failed", KEY)
    assert rows(db, "failures") == [
        {
            "id": 1,
            "url": URL,
            "snapshot_id": 1,
            "kind": "http_404",
            "reason": "the server answered 404",
            "article_key": KEY,
            "run_id": run,
            "at": "2024-08-07T01:00:00Z",
        }
    ]
    assert rows(db, "articles") == []


def test_empty_body_is_quarantined_with_its_reason(db, run):
    out = store_fetches(db, run, [fetch(body=b"")])
    assert out.status == "failed"
    (failure,) = rows(db, "failures")
    assert (failure["kind"], failure["reason"], failure["snapshot_id"]) == (
        "empty",
        f"empty body (0 bytes) for {URL}",
        1,
    )
    assert rows(db, "snapshots")[0]["size"] == 0
    assert snapshot_body(db, rows(db, "snapshots")[0]["body_sha256"]) == b""


def test_page_without_a_date_is_quarantined(db, run):
    out = store_fetches(db, run, [fetch()], record(published_at=None))
    assert out.status == "failed"
    (failure,) = rows(db, "failures")
    assert (failure["kind"], failure["reason"]) == (
        "no_date",
        "no publication date found on the page",
    )
    assert rows(db, "articles") == []


def test_truncated_page_is_quarantined_even_if_the_parser_read_something(db, run):
    cut = page(body="全国各级妇联" * 50)[:-30]
    out = store_fetches(db, run, [fetch(body=cut)], record())
    assert out.status == "failed"
    (failure,) = rows(db, "failures")
    assert failure["kind"] == "truncated"
    assert "ends before </body>" in failure["reason"]
    assert snapshot_body(db, rows(db, "snapshots")[0]["body_sha256"]) == cut


def test_parser_failure_goes_to_failures_with_the_parser_reason(db, run):
    bad = NotArticle(URL, "unreadable", "no title and no body found")
    out = store_fetches(db, run, [fetch()], bad)
    assert out.status == "failed"
    assert [(f["kind"], f["reason"]) for f in rows(db, "failures")] == [
        ("unreadable", "no title and no body found")
    ]


def test_listing_page_is_snapshotted_and_skipped(db, run):
    url = "http://cpc.people.com.cn/GB/64093/64387/index.html"
    out = store_fetches(db, run, [fetch(url)], NotArticle(url, "listing", "a list page"))
    assert (out.status, out.article_key) == ("skipped", None)
    assert [s["url"] for s in rows(db, "snapshots")] == [url]
    assert rows(db, "failures") == []
    assert rows(db, "articles") == []


def test_continuation_pages_are_one_group_of_snapshots(db, run):
    p2 = URL.replace(".html", "-2.html")
    out = store_fetches(db, run, [fetch(), fetch(p2, body=page(body="2"))], record())
    assert out.snapshot_ids == [1, 2]
    assert [(s["id"], s["group_id"], s["page"]) for s in rows(db, "snapshots")] == [
        (1, 1, 1),
        (2, 1, 2),
    ]
    assert snapshot_fetch(db, 2).url == p2


def test_continuation_page_alone_is_snapshotted_not_taken_for_the_article(db, run):
    store_fetches(db, run, [fetch()], record())
    p2 = URL.replace(".html", "-2.html")
    out = store_fetches(db, run, [fetch(p2, at="2024-08-08T00:00:00Z")], record(p2))
    assert (out.status, out.article_key) == ("skipped", None)
    assert "stored without its page 1" in out.reason
    assert rows(db, "versions")[0]["version"] == 1
    assert len(rows(db, "versions")) == 1
    assert fetched_urls(db, run) == {URL, p2}


def test_run_counts_follow_every_outcome(db, run):
    store_fetches(db, run, [fetch()], record())
    store_fetches(db, run, [fetch()], record())
    store_fetches(db, run, [fetch(body=b"", url=URL.replace("40294553", "1"))])
    store_fetches(db, run, [fetch(body=b"x", status=404)])
    finish_run(db, run, "finished")
    (r,) = rows(db, "runs")
    assert {k: r[k] for k in ("fetched", "new", "changed", "unchanged", "removed", "failed")} == {
        "fetched": 4,
        "new": 1,
        "changed": 0,
        "unchanged": 1,
        "removed": 1,
        "failed": 1,
    }
    assert (r["kind"], r["finish_reason"], json.loads(r["args"])) == (
        "test",
        "finished",
        {"why": "unit"},
    )
    assert r["finished_at"] is not None


def test_finish_run_rejects_unknown_counts_and_runs(db, run):
    with pytest.raises(ValueError, match="unknown run count"):
        finish_run(db, run, "finished", {"bogus": 1})
    with pytest.raises(KeyError):
        finish_run(db, 999, "finished")


def test_incremental_queries(db, run):
    store_fetches(db, run, [fetch()], record())
    other = "http://cpc.people.com.cn/n1/2024/0901/c64094-40300000.html"
    store_fetches(
        db,
        run,
        [fetch(other, at="2024-09-01T00:00:00Z")],
        record(other, content_id="40300000", title="x"),
    )
    assert known_article(db, KEY)
    assert not known_article(db, "people:1")
    assert known_urls(
        db, [URL.replace("http:", "https:"), "http://cpc.people.com.cn/n1/2024/0101/c1-2.html"]
    ) == {URL.replace("http:", "https:")}
    assert articles_first_seen_since(db, "2024-08-15") == [("people:40300000", other)]


def test_a_failed_write_leaves_nothing_behind(db, run):
    bad = record()
    bad.paragraphs = [object()]  # not JSON: the write fails inside the transaction
    with pytest.raises(TypeError):
        store_fetches(db, run, [fetch()], bad)
    assert rows(db, "snapshots") == []
    assert rows(db, "bodies") == []
    assert rows(db, "runs")[0]["fetched"] == 0


def test_paragraph_diff_marks_removed_added_and_kept_paragraphs():
    assert paragraph_diff(["a", "b", "c"], ["a", "B", "c", "d"]) == [
        ("=", "a"),
        ("-", "b"),
        ("+", "B"),
        ("=", "c"),
        ("+", "d"),
    ]


def test_a_request_without_a_response_is_a_failure_without_a_snapshot():
    from crawler.archive.runs import start_run
    from crawler.archive.store import store_fetches
    from crawler.records import Fetch, NotArticle

    db = open_archive(":memory:")
    run = start_run(db, "crawl")
    url = "http://cpc.people.com.cn/n1/2024/0730/c64387-40295004.html"
    fetch = Fetch(url, b"", 0, {}, "", "2024-08-07T01:00:00Z")
    out = store_fetches(db, run, [fetch], NotArticle(url, "fetch_error", "TimeoutError: took"))
    assert (out.status, out.snapshot_ids) == ("failed", [])
    assert db.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0
    assert db.execute("SELECT snapshot_id, kind FROM failures").fetchall() == [
        (None, "fetch_error")
    ]
    assert db.execute("SELECT fetched, failed FROM runs").fetchone() == (0, 1)


def test_export_warc_keeps_a_request_without_a_response_in_its_place():
    import io

    from crawler.archive.runs import start_run
    from crawler.archive.store import store_fetches
    from crawler.archive.warc.files import export_snapshot_ids, export_warc
    from crawler.archive.warc.records import FetchError
    from crawler.records import Fetch, NotArticle

    db = open_archive(":memory:")
    run = start_run(db, "crawl")
    url = "http://cpc.people.com.cn/GB/64093/64387/index.html"
    list_page = Fetch(url, b"<html><body>list</body></html>", 200, {}, "", "2024-08-07T01:00:00Z")
    store_fetches(db, run, [list_page], NotArticle(url, "listing", "list page"))
    lost = "http://cpc.people.com.cn/n1/2024/0730/c64387-40295004.html"
    store_fetches(
        db,
        run,
        [Fetch(lost, b"", 0, {}, "", "2024-08-07T01:00:05Z")],
        NotArticle(lost, "fetch_error", "TimeoutError: took"),
    )
    items = export_snapshot_ids(db)
    assert items[0] == 1
    assert items[1] == FetchError(lost, "2024-08-07T01:00:05Z", "fetch_error", "TimeoutError: took")
    counts = export_warc(db, io.BytesIO(), items)
    assert (counts.responses, counts.errors) == (1, 1)


def test_store_exports_only_what_it_defines():
    """Lookups, runs, the diff and the parse step are imported from their own modules."""
    import ast
    import inspect

    from crawler.archive import store

    tree = ast.parse(inspect.getsource(store))
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)} | {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    assert set(store.__all__) <= defined
