"""Article text stored once: the short form of the current version, and migration 009."""

from __future__ import annotations

import json

from sqlite_utils import Database

from crawler.archive.current import article_record, full_fields
from crawler.archive.db import open_archive
from crawler.archive.runs import start_run
from crawler.archive.schema import MIGRATIONS
from crawler.archive.search.fts import search_results
from crawler.archive.store import store_fetches
from tests.archive_helpers import URL, fetch, page, record

KEY = "people:40294553"


def test_a_paragraph_holding_a_newline_keeps_its_paragraphs_in_the_version():
    db = open_archive(":memory:")
    run = start_run(db, "test")
    rec = record(paragraphs=["第一段\n仍是第一段。", "第二段。"])
    store_fetches(db, run, [fetch()], rec)
    fields = json.loads(db.execute("SELECT fields FROM versions").fetchone()[0])
    assert fields == {"paragraphs": rec.paragraphs}  # body_text alone cannot give them back
    assert article_record(db, KEY) == rec


def _old_archive(path) -> Database:
    """An archive as the code before migration 009 wrote it: paragraphs in the articles row,
    each version whole, the index without source and filter tokens."""
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="009_text_once_filter_index")
    old = record(paragraphs=["初稿一段。"])
    new = record()
    db["runs"].insert({"id": 1, "kind": "crawl", "started_at": "2024-08-07T00:00:00Z"})
    for sid in (1, 2):
        db["bodies"].insert(
            {"sha256": f"s{sid}", "size": 1, "codec": "raw", "data": b"x"}, replace=True
        )
        db["snapshots"].insert(
            {
                "id": sid,
                "url": URL,
                "status": 200,
                "fetched_at": f"2024-08-0{sid}",
                "run_id": 1,
                "body_sha256": f"s{sid}",
            }
        )
    row = {
        k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
        for k, v in new.to_dict().items()
    }
    row.update(
        key=KEY, doc_id=1, first_seen="2024-08-01", last_seen="2024-08-02", version=2, snapshot_id=2
    )
    db["articles"].insert(row)
    for number, rec in ((1, old), (2, new)):
        db["versions"].insert(
            {
                "article_key": KEY,
                "version": number,
                "fields": full_fields(rec.to_dict()),
                "seen_from": f"2024-08-0{number}",
                "snapshot_id": number,
            }
        )
    db.execute(
        "INSERT INTO articles_fts (rowid, title, body) VALUES (1, ?, ?)",
        ["全国 国各", "进一 一步"],
    )
    db.conn.commit()
    return db


def test_migration_keeps_every_version_and_rebuilds_the_index(tmp_path):
    path = tmp_path / "old.db"
    _old_archive(path).close()
    db = open_archive(path)
    assert "paragraphs" not in db["articles"].columns_dict
    assert article_record(db, KEY) == record()
    assert article_record(db, KEY, 1).paragraphs == ["初稿一段。"]
    current = db.execute("SELECT fields FROM versions WHERE version = 2").fetchone()[0]
    assert json.loads(current) == {}
    found = search_results(db, "深化改革", source="妇女报", channel="64094", since="2024-08")
    assert (found.total, [h.key for h in found.hits]) == (1, [KEY])
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_article_changed_after_the_migration_keeps_its_old_state(tmp_path):
    path = tmp_path / "old.db"
    _old_archive(path).close()
    db = open_archive(path)
    run = start_run(db, "test")
    changed = record(paragraphs=["第三稿。"])
    out = store_fetches(db, run, [fetch(body=page(body="v3"), at="2024-08-09T00:00:00Z")], changed)
    assert (out.status, out.version) == ("changed", 3)
    assert article_record(db, KEY, 2) == record()
    assert article_record(db, KEY) == changed


def test_the_text_reads_with_plain_sqlite3(tmp_path):
    path = tmp_path / "a.db"
    db = open_archive(path)
    store_fetches(db, start_run(db, "test"), [fetch()], record())
    db.close()
    import sqlite3

    plain = sqlite3.connect(path)  # no functions of ours registered
    row = plain.execute(
        "SELECT title, published_at, source, editors, body_text FROM articles"
    ).fetchone()
    rec = record()
    assert row == (rec.title, rec.published_at, rec.source, '["王子锋", "王珂园"]', rec.body_text)
