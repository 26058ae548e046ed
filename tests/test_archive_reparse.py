"""reparse and the body store's dictionaries, with a stand-in parser."""

from __future__ import annotations

import json

import pytest
import zstandard

from crawler.archive import compress
from crawler.archive.compress import BodyCorrupt, get_body, maybe_train, sha256
from crawler.archive.db import open_archive
from crawler.archive.reparse import reparse
from crawler.archive.runs import start_run
from crawler.archive.search.fts import search
from crawler.archive.store import store_fetches
from tests.archive_fakeparser import make_parser
from tests.archive_helpers import URL, fetch, page


def url(n: int) -> str:
    return URL.replace("40294553", str(40000000 + n))


def test_store_parses_page_one_and_continuation_pages_when_no_result_given(db):
    run = start_run(db, "test")
    p2 = URL.replace(".html", "-2.html")
    pages = [fetch(body=page("标题", "一|二")), fetch(p2, body=page("标题", "三"))]
    out = store_fetches(db, run, pages, parser=make_parser())
    assert (out.status, out.article_key) == ("new", "people:40294553")
    row = db.execute("SELECT body_text, page_count, parser_version FROM articles").fetchone()
    assert row == ("一\n二\n三", 2, "fake-1")
    assert [r[0] for r in db.execute("SELECT charset FROM snapshots")] == ["utf-8", "utf-8"]


def test_unreadable_continuation_page_makes_the_article_flagged_incomplete(db):
    """The readable pages make the article; the unreadable one is listed missing, for good
    (it was a failure, unsearchable: a deliberate change)."""
    run = start_run(db, "test")
    p2 = URL.replace(".html", "-2.html")
    pages = [fetch(body=page("标题", "一")), fetch(p2, body=b"<html></html>")]
    out = store_fetches(db, run, pages, parser=make_parser())
    assert out.status == "new"
    body, missing = db.execute("SELECT body_text, missing_pages FROM articles").fetchone()
    assert body == "一"
    reason = "not readable (unreadable: no title or body)"
    assert json.loads(missing) == [{"url": p2, "reason": reason, "transient": False}]
    assert db.execute("SELECT count(*) FROM failures").fetchone() == (0,)


def test_reparse_rederives_everything_from_snapshots_and_fetches_nothing(db):
    old = make_parser(version="fake-1")
    run = start_run(db, "crawl")
    store_fetches(db, run, [fetch(url(1), page("改革", "甲|乙"))], parser=old)
    later = fetch(url(1), page("改革", "甲|乙|丙"), at="2024-08-08T00:00:00Z")
    store_fetches(db, run, [later], parser=old)
    store_fetches(db, run, [fetch(url(2), page("nodate", "丁"))], parser=old)
    store_fetches(db, run, [fetch(url(3), page("妇联", "戊"))], parser=old)
    snapshots_before = list(db.query("SELECT * FROM snapshots ORDER BY id"))
    bodies_before = db.execute("SELECT count(*) FROM bodies").fetchone()[0]

    rerun = start_run(db, "reparse")
    counts = reparse(db, rerun, parser=make_parser(version="fake-2", title_suffix="（修订）"))

    # article 1 (2 versions) and 3 changed by the new parser; page 2 still has no date
    assert counts == {"new": 0, "changed": 2, "unchanged": 0, "removed": 0, "failed": 1}
    assert db.execute("SELECT count(*) FROM bodies").fetchone()[0] == bodies_before
    assert [s["id"] for s in db.query("SELECT id FROM snapshots")] == [
        s["id"] for s in snapshots_before
    ]
    rows = list(db.query("SELECT key, title, version, parser_version, first_seen FROM articles"))
    assert rows == [
        {
            "key": "people:40000001",
            "title": "改革（修订）",
            "version": 2,
            "parser_version": "fake-2",
            "first_seen": "2024-08-07T01:00:00Z",
        },
        {
            "key": "people:40000003",
            "title": "妇联（修订）",
            "version": 1,
            "parser_version": "fake-2",
            "first_seen": "2024-08-07T01:00:00Z",
        },
    ]
    assert db.execute("SELECT run_id, kind FROM failures").fetchall() == [(rerun, "no_date")]
    assert sorted(h.key for h in search(db, "修订")) == ["people:40000001", "people:40000003"]
    run_row = db.execute("SELECT fetched, changed, failed FROM runs WHERE id = ?", [rerun])
    assert run_row.fetchone() == (0, 2, 1)


def test_reparse_turns_a_quarantined_page_into_an_article_when_the_parser_learns(db):
    run = start_run(db, "crawl")
    store_fetches(db, run, [fetch(url(1), b"<html>no title</html>")], parser=make_parser())
    assert db.execute("SELECT count(*) FROM failures").fetchone()[0] == 1

    learned = make_parser(version="fake-2")
    original = learned.parse_article
    learned.parse_article = lambda body, u, h=None: original(page("学会了", "正文"), u, h)
    counts = reparse(db, start_run(db, "reparse"), parser=learned)
    assert counts["new"] == 1
    assert db.execute("SELECT count(*) FROM failures").fetchone()[0] == 0
    assert [h.key for h in search(db, "学会")] == ["people:40000001"]


def test_first_dictionary_is_trained_automatically_and_older_bodies_stay_readable(db, monkeypatch):
    monkeypatch.setattr(compress, "AUTO_TRAIN_AT", 40)
    monkeypatch.setattr(compress, "DICT_SIZE", 4096)
    run = start_run(db, "test")
    bodies = []
    for n in range(60):
        body = page(
            f"第{n}篇", "<div class='nav'>人民网 首页 时政 党建</div>" * 20 + f"正文{n}" * 5
        )
        bodies.append(body)
        store_fetches(db, run, [fetch(url(n), body)], _record(n))
    dict_ids = [r[0] for r in db.execute("SELECT dict_id FROM bodies ORDER BY rowid")]
    assert db.execute("SELECT count(*) FROM dictionaries").fetchone()[0] == 1
    assert dict_ids[:40] == [1] * 40  # recompressed when the dictionary was trained
    assert dict_ids[40:] == [1] * 20  # compressed with it from then on
    assert all(get_body(db, sha256(b)) == b for b in bodies)
    assert maybe_train(db) is None  # only the first dictionary is automatic


def test_body_stored_without_a_dictionary_is_readable_after_one_exists(db, monkeypatch):
    monkeypatch.setattr(compress, "DICT_SIZE", 4096)
    run = start_run(db, "test")
    store_fetches(db, run, [fetch(url(0), page("旧", "x"))], _record(0))
    for n in range(1, 30):
        store_fetches(db, run, [fetch(url(n), page(f"新{n}", "人民网" * 50))], _record(n))
    old_digest = sha256(page("旧", "x"))
    db.execute(
        "UPDATE bodies SET dict_id = NULL, data = ? WHERE sha256 = ?",
        [compress.compress(db, page("旧", "x"), None), old_digest],
    )
    assert compress.train_dictionary(db) == 1
    assert get_body(db, old_digest) == page("旧", "x")


def test_damaged_body_is_reported_not_returned(db):
    run = start_run(db, "test")
    store_fetches(db, run, [fetch()], _record(0))
    digest = db.execute("SELECT sha256 FROM bodies").fetchone()[0]
    db.execute("UPDATE bodies SET data = ? WHERE sha256 = ?", [b"\x00garbage", digest])
    with pytest.raises(BodyCorrupt):
        get_body(db, digest)


def _record(n):
    from tests.archive_helpers import record

    return record(url(n), content_id=str(40000000 + n), title=f"第{n}篇")


def test_dictionary_rolled_back_is_forgotten_so_its_id_can_be_reused(db, monkeypatch):
    from crawler.archive.db import write_transaction

    monkeypatch.setattr(compress, "DICT_SIZE", 4096)
    run = start_run(db, "test")
    for n in range(30):
        store_fetches(
            db, run, [fetch(url(n), page(f"第{n}篇", "人民网" * 40 + str(n)))], _record(n)
        )
    with pytest.raises(RuntimeError), write_transaction(db):
        assert compress.train_dictionary(db, seed=1) == 1
        compress.put_body(db, page("回滚", "人民网" * 40))  # compressed with dictionary 1
        raise RuntimeError("the transaction fails")
    assert compress.train_dictionary(db, samples=25) == 1  # same id, other content
    body = page("新", "人民网" * 40)
    digest = compress.put_body(db, body)
    # decode with what the database holds, as a fresh connection would
    (stored_dict,) = db.execute("SELECT data FROM dictionaries WHERE id = 1").fetchone()
    (data,) = db.execute("SELECT data FROM bodies WHERE sha256 = ?", [digest]).fetchone()
    fresh = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(stored_dict))
    assert fresh.decompress(data) == body


def test_bodies_that_make_no_dictionary_are_not_retrained_on_every_store(db, monkeypatch):
    monkeypatch.setattr(compress, "AUTO_TRAIN_AT", 5)
    calls = []
    real = compress.train
    monkeypatch.setattr(compress, "train", lambda d: calls.append(1) or real(d))
    run = start_run(db, "test")
    for n in range(12):  # 12 bodies: too few (< 20) to train on
        store_fetches(db, run, [fetch(url(n), page(f"第{n}篇", "x"))], _record(n))
    assert calls == [1, 1]  # at 5 bodies, then at 10, not at 6, 7, 8, ...
    assert db.execute("SELECT count(*) FROM dictionaries").fetchone()[0] == 0


# --- what a reparse cannot judge again, damaged bodies, Ctrl-C ---------------------------------


@pytest.mark.parametrize(
    ("status", "body", "kind", "reason"),
    [
        (0, b"", "fetch_error", "TimeoutError: took longer than 30 seconds"),
        (200, b"\x1f\x8b\x08 compressed", "too_large", "inflates past DOWNLOAD_MAXSIZE"),
        (302, b"", "redirect_loop", "more than 20 redirects"),
        (404, page("旧", "甲"), "warc_record", "digest mismatch"),
        (200, page("页二", "乙"), "orphan_page", "continuation page 2 without its first page"),
    ],
)
def test_reparse_keeps_the_failures_it_cannot_judge_again(db, status, body, kind, reason):
    from crawler.records import NotArticle

    run = start_run(db, "crawl")
    store_fetches(db, run, [fetch(url(1), body, status=status)], NotArticle(url(1), kind, reason))
    reparse(db, start_run(db, "reparse"), parser=make_parser())
    assert db.execute("SELECT kind, reason FROM failures").fetchall() == [(kind, reason)]
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)


def test_reparse_makes_an_old_incomplete_failure_an_article_flagged_incomplete(db):
    from crawler.records import NotArticle

    p2 = url(1).replace(".html", "-2.html")
    pages = [fetch(url(1), page("改革", "甲")), fetch(p2, page("错误", "乙"), status=500)]
    why = f"continuation page {p2} answered HTTP 500"
    store_fetches(db, start_run(db, "crawl"), pages, NotArticle(url(1), "incomplete", why))
    reparse(db, start_run(db, "reparse"), parser=make_parser())
    assert db.execute("SELECT count(*) FROM failures").fetchone() == (0,)
    body, missing = db.execute("SELECT body_text, missing_pages FROM articles").fetchone()
    assert body == "甲"
    assert json.loads(missing) == [{"url": p2, "reason": "answered HTTP 500", "transient": True}]
    assert [h.key for h in search(db, "改革")] == ["people:40000001"]


def test_reparse_judges_an_incomplete_article_again_once_its_pages_are_all_stored(db):
    from crawler.records import NotArticle

    run = start_run(db, "crawl")
    p2 = url(1).replace(".html", "-2.html")
    pages = [fetch(url(1), page("改革", "甲")), fetch(p2, page("改革", "乙"))]
    store_fetches(db, run, pages, NotArticle(url(1), "incomplete", "page 2 unreadable then"))
    counts = reparse(db, start_run(db, "reparse"), parser=make_parser())
    assert counts["new"] == 1
    assert db.execute("SELECT body_text FROM articles").fetchone() == ("甲\n乙",)
    assert db.execute("SELECT count(*) FROM failures").fetchone() == (0,)


def test_reparse_records_a_damaged_body_and_derives_the_rest(db):
    parser = make_parser()
    run = start_run(db, "crawl")
    store_fetches(db, run, [fetch(url(1), page("改革", "甲"))], parser=parser)
    store_fetches(db, run, [fetch(url(2), page("发展", "乙"))], parser=parser)
    digest = db.execute("SELECT body_sha256 FROM snapshots WHERE url = ?", [url(1)]).fetchone()[0]
    db.execute("UPDATE bodies SET data = ? WHERE sha256 = ?", [b"\x00garbage", digest])
    rerun = start_run(db, "reparse")
    counts = reparse(db, rerun, parser=parser)
    assert counts["failed"] == 1
    assert db.execute("SELECT key FROM articles").fetchall() == [("people:40000002",)]
    ((u, kind, reason, sid),) = db.execute(
        "SELECT url, kind, reason, snapshot_id FROM failures"
    ).fetchall()
    assert (u, kind) == (url(1), "damaged_body")
    assert "damaged" in reason
    assert sid == 1


def test_ctrl_c_during_reparse_leaves_each_article_all_old_or_all_new(db):
    from crawler.archive.reparse import reparse_run

    old = make_parser()
    run = start_run(db, "crawl")
    for n in (1, 2, 3):
        store_fetches(db, run, [fetch(url(n), page(f"标题{n}", "甲"))], parser=old)
    new = make_parser(version="fake-2", title_suffix="（新）")

    def ctrl_c(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reparse_run(db, ctrl_c, batch_keys=1, parser=new)
    rows = db.execute("SELECT key, title, parser_version FROM articles ORDER BY key").fetchall()
    assert rows == [
        ("people:40000001", "标题1（新）", "fake-2"),
        ("people:40000002", "标题2（新）", "fake-2"),
        ("people:40000003", "标题3", "fake-1"),
    ]
    versions = "SELECT article_key, parser_version FROM versions ORDER BY article_key"
    assert [v for _k, v in db.execute(versions)] == ["fake-2", "fake-2", "fake-1"]
    assert [h.key for h in search(db, "新")] == ["people:40000001", "people:40000002"]
    assert db.execute("SELECT kind, finish_reason FROM runs ORDER BY id").fetchall() == [
        ("crawl", None),
        ("reparse", "interrupted"),
    ]


def test_between_batches_another_writer_gets_the_lock(tmp_path):
    """What lets a reparse run beside a crawl: the write lock is free between two batches."""
    import sqlite3

    from crawler.archive.reparse import reparse_run

    path = tmp_path / "a.db"
    db = open_archive(path)
    parser = make_parser()
    run = start_run(db, "crawl")
    for n in (1, 2, 3):
        store_fetches(db, run, [fetch(url(n), page(f"标题{n}", "甲"))], parser=parser)
    other = sqlite3.connect(path, timeout=0)  # a writer that does not wait at all
    wrote = []

    def crawl_writes(done, total):
        with other:
            other.execute("UPDATE runs SET args = ? WHERE id = ?", [str(done), run])
        wrote.append(done)

    _run, counts = reparse_run(db, crawl_writes, batch_keys=1, parser=parser)
    assert wrote == [1, 2, 3]
    assert counts["unchanged"] == 3
    other.close()


def test_reparse_command_exits_130_on_ctrl_c(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from crawler.archive import reparse as reparse_module
    from crawler.cli import main

    path = tmp_path / "a.db"
    archive = open_archive(path)
    pages = [fetch(url(1), page("改革", "甲"))]
    store_fetches(archive, start_run(archive, "crawl"), pages, parser=make_parser())
    archive.close()

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(reparse_module, "store_fetches", interrupted)
    result = CliRunner().invoke(main, ["reparse", "--db", str(path)])
    assert result.exit_code == 130
    archive = open_archive(path)
    assert archive.execute("SELECT finish_reason FROM runs WHERE kind = 'reparse'").fetchall() == [
        ("interrupted",)
    ]
    assert archive.execute("SELECT count(*) FROM articles").fetchone() == (1,)
