"""open_archive: the file, its pragmas and its migrations."""

from __future__ import annotations

import sqlite3

import pytest

from crawler.archive.db import NotAnArchiveError, open_archive, open_existing_archive
from crawler.archive.schema import MIGRATIONS


def test_open_creates_parent_dir_wal_busy_timeout_and_foreign_keys(tmp_path):
    path = tmp_path / "deep" / "dir" / "archive.db"
    db = open_archive(path, busy_timeout=7.5)
    assert path.exists()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 7500
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_migrations_are_applied_once_and_recorded(tmp_path):
    path = tmp_path / "a.db"
    open_archive(path).close()
    db = open_archive(path)
    applied = [m.name for m in MIGRATIONS.applied(db)]
    assert applied == [m.name for m in MIGRATIONS._migrations]
    assert MIGRATIONS.pending(db) == []
    assert {
        "snapshots",
        "bodies",
        "dictionaries",
        "articles",
        "article_urls",
        "versions",
        "runs",
        "failures",
        "articles_fts",
    } <= set(db.table_names())
    db.close()


def test_memory_archive_has_the_full_schema():
    db = open_archive(":memory:")
    assert db["articles"].pks == ["key"]
    assert db["bodies"].pks == ["sha256"]
    assert {fk.other_table for fk in db["snapshots"].foreign_keys} == {"bodies", "runs"}


def test_open_existing_refuses_a_missing_file_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_existing_archive(tmp_path / "nope" / "a.db")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"", b"not sqlite at all" * 50])
def test_open_existing_refuses_an_empty_or_junk_file_untouched(tmp_path, content):
    path = tmp_path / "a.db"
    path.write_bytes(content)
    with pytest.raises(NotAnArchiveError, match="not a cpc-archive database"):
        open_existing_archive(path)
    assert path.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == ["a.db"]


def test_open_existing_refuses_another_programs_sqlite_file_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE _sqlite_migrations (migration_set, name, applied_at)")
    conn.execute("INSERT INTO _sqlite_migrations VALUES ('someone-else', 'x', '')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotAnArchiveError):
        open_existing_archive(path)
    assert path.read_bytes() == before


def test_open_existing_opens_an_archive(tmp_path):
    path = tmp_path / "a.db"
    open_archive(path).close()
    db = open_existing_archive(path)
    assert db["articles"].exists()
    db.close()


def test_the_instant_migration_rewrites_plus_zero_as_z(tmp_path):
    from sqlite_utils import Database

    from crawler.archive.schema import MIGRATIONS

    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="013_instants_in_utc_z")  # an archive of before 013
    db.execute(
        "INSERT INTO runs (id, kind, started_at) VALUES (1, 'crawl', '2024-08-07T01:00:00Z')"
    )
    db.execute(
        "INSERT INTO failures (url, kind, reason, run_id, at) VALUES "
        "('http://x/', 'fetch_error', 'r', 1, '2024-08-07T01:00:00.25+00:00'), "
        "('http://y/', 'fetch_error', 'r', 1, '2024-08-07T01:00:00Z')"
    )
    db.conn.commit()
    db.close()
    db = open_archive(path)
    assert MIGRATIONS.pending(db) == []
    assert [r[0] for r in db.execute("SELECT at FROM failures ORDER BY url")] == [
        "2024-08-07T01:00:00.25Z",
        "2024-08-07T01:00:00Z",
    ]
    db.close()


def test_the_browsing_view_gains_the_index_rowid_and_search_uses_it(tmp_path):
    from sqlite_utils import Database

    from crawler.archive.schema import MIGRATIONS
    from crawler.datasette.plugin import SEARCH_CLAUSE, cpc_fts

    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="015_article_list_doc_id")
    assert "doc_id" not in db["article_list"].columns_dict
    db.close()
    db = open_archive(path)
    assert "doc_id" in db["article_list"].columns_dict
    db.conn.create_function("cpc_fts", 1, cpc_fts)
    db.execute(
        "INSERT INTO articles (key, doc_id, url, title, first_seen, last_seen) "
        "VALUES ('people:1', 7, 'http://x/', '改革开放', '2024-08-07Z', '2024-08-07Z')"
    )
    db.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (7, '改革 革开 开放', '')")
    found = db.execute(
        f"SELECT key FROM article_list WHERE {SEARCH_CLAUSE}", {"cpc_search": "改革"}
    ).fetchall()
    assert found == [("people:1",)]
    db.close()


def test_the_index_is_rebuilt_with_editor_print_and_source_words(tmp_path):
    from sqlite_utils import Database

    from crawler.archive.schema import MIGRATIONS
    from crawler.archive.search.bigrams import segment
    from crawler.archive.search.fts import search_results
    from crawler.archive.search.tags import source_tokens, tags

    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="019_index_editor_print_source")
    db["articles"].insert(
        {
            "key": "people:1",
            "doc_id": 7,
            "url": "http://x/",
            "title": "改革开放",
            "source": "人民日报",
            "editors": '["赵六"]',
            "print_edition": '{"paper": "人民日报", "date": "2024-08-07", "page": "04"}',
            "first_seen": "2024-08-07T00:00:00Z",
            "last_seen": "2024-08-07T00:00:00Z",
        }
    )
    # indexed as before 019: words, source bigrams, date and channel tokens only
    db.execute(
        "INSERT INTO articles_fts (rowid, title, body, source, tags) VALUES (7, ?, '', ?, ?)",
        [segment("改革开放"), source_tokens("人民日报"), tags(None, None)],
    )
    db.conn.commit()
    db.close()
    db = open_archive(path)
    assert search_results(db, "改革").total == 1  # indexed again, not twice
    for filters in (
        {"editor": "赵六"},
        {"paper_date": "2024-08-07", "paper_page": 4},
        {"source": "人民日报", "whole_source": True},
    ):
        assert search_results(db, "改革", **filters).total == 1, filters
    db.close()


def test_create_refuses_another_programs_sqlite_file_untouched(tmp_path):
    from crawler.archive.db import open_or_create_archive

    path = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotAnArchiveError):
        open_or_create_archive(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("existing", [None, b""])
def test_create_makes_an_archive_in_a_missing_or_empty_file(tmp_path, existing):
    from crawler.archive.db import open_or_create_archive

    path = tmp_path / "a.db"
    if existing is not None:
        path.write_bytes(existing)
    db = open_or_create_archive(path)
    assert db["articles"].exists()
    db.close()
