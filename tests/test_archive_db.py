"""open_archive: the file, its pragmas and its migrations."""

from __future__ import annotations

from crawler.archive.db import open_archive
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
