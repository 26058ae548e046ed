"""What `browse` refuses: foreign Host names, writes, arbitrary SQL unless asked, internal
tables, pointer functions, and showing where the archive file lives (issue 11, browse)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import sqlite3
from urllib.parse import urlencode

import pytest

from crawler.datasette.app import make_datasette
from crawler.datasette.guard import HIDDEN_TABLES, UNREADABLE_TABLES, is_loopback_host

# SQLite's words for an authorizer's refusal (of a statement, of a column)
REFUSED = re.compile("not authorized|prohibited")
PAGES = ("/", "/?q=改革", "/archive", "/archive/articles", "/-/runs", "/-/snapshot/1")


def get(ds, path: str, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def sql(ds, query: str):
    return get(ds, "/archive.json?" + urlencode({"sql": query}))


@pytest.fixture(scope="module")
def ds(archive):
    return make_datasette(archive)


@pytest.fixture(scope="module")
def ds_sql(archive):
    return make_datasette(archive, sql=True)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8001", "10.0.0.1", "0.0.0.0"])
def test_a_foreign_host_header_is_refused(ds, host):
    response = get(ds, "/", headers={"host": host})
    assert response.status_code == 421
    assert "127.0.0.1" in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:8001", "localhost", "LOCALHOST:1", "[::1]:8001"])
def test_loopback_host_names_are_served(ds, host):
    assert get(ds, "/", headers={"host": host}).status_code == 200


def test_host_names_are_compared_whole():
    assert not is_loopback_host("localhost.evil.example")
    assert not is_loopback_host("127.0.0.1.evil.example:80")
    assert not is_loopback_host("")
    assert is_loopback_host("127.0.0.1")


def test_the_archive_is_served_immutable_by_default(ds):
    assert ds.get_database("archive").is_mutable is False


def test_connections_cannot_write(archive):
    for live in (False, True):
        ds = make_datasette(archive, live=live)
        database = ds.get_database("archive")
        with pytest.raises(sqlite3.OperationalError, match=r"readonly database"):
            asyncio.run(database.execute_fn(lambda conn: conn.execute("CREATE TABLE x (a)")))


def test_browsing_leaves_the_file_unchanged(archive):
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    ds = make_datasette(archive)
    for path in (*PAGES, "/-/article?key=people:40294513&old=1&new=2", "/-/failures"):
        assert get(ds, path).status_code == 200
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before


def test_arbitrary_sql_is_off_by_default(ds):
    assert sql(ds, "select 1").status_code == 403
    # canned queries still run
    assert get(ds, "/archive/search.json?q=妇联").status_code == 200


def test_arbitrary_sql_can_be_turned_on(ds_sql):
    response = sql(ds_sql, "select count(*) as n from articles")
    assert response.status_code == 200
    assert response.json()["rows"] == [[7]]


@pytest.mark.parametrize("table", sorted(UNREADABLE_TABLES))
def test_internal_tables_cannot_be_queried(ds_sql, table):
    columns = {
        "bodies": "data",
        "dictionaries": "data",
        "crawl_frontier": "url",
        "_sqlite_migrations": "name",
    }[table]
    response = sql(ds_sql, f"select {columns} from {table}")
    assert response.status_code == 400
    assert REFUSED.search(response.json()["error"])


def test_internal_tables_cannot_be_reached_through_a_view_or_subquery(ds_sql):
    response = sql(ds_sql, "select (select data from bodies limit 1) as b from articles")
    assert REFUSED.search(response.json()["error"])


@pytest.mark.parametrize("table", HIDDEN_TABLES)
def test_internal_table_pages_are_refused(ds_sql, table):
    assert get(ds_sql, f"/archive/{table}").status_code == 403
    assert get(ds_sql, f"/archive/{table}.json").status_code == 403


def test_internal_tables_are_not_listed(ds):
    listed = {t["name"] for t in get(ds, "/archive.json").json()["tables"]}
    assert "articles" in listed
    assert not listed & set(HIDDEN_TABLES)


@pytest.mark.parametrize("call", ["fts3_tokenizer('simple')", "fts3_tokenizer('x', x'00')"])
def test_pointer_functions_are_refused(ds_sql, call):
    response = sql(ds_sql, f"select {call}")
    assert response.status_code == 400
    assert "not authorized" in response.json()["error"]


def test_the_whole_file_is_not_downloadable(ds):
    assert get(ds, "/archive.db").status_code in (403, 404)


@pytest.mark.parametrize(
    "path", [*PAGES, "/-/databases.json", "/archive.json", "/-/settings.json", "/-/metadata.json"]
)
def test_no_page_shows_where_the_file_is(ds, archive, path):
    response = get(ds, path)
    assert response.status_code == 200
    assert str(archive.parent) not in response.text


@pytest.mark.parametrize(
    "query", ["select file from pragma_database_list", "select * from pragma_database_list()"]
)
def test_sql_does_not_show_where_the_file_is(ds_sql, archive, query):
    response = sql(ds_sql, query)
    assert str(archive.parent) not in response.text
    assert REFUSED.search(response.json()["error"])


def test_the_database_page_still_lists_attached_files(ds_sql):
    assert get(ds_sql, "/archive").status_code == 200


def run_browse(monkeypatch, *args) -> tuple[object, dict]:
    import uvicorn
    from click.testing import CliRunner

    from crawler.cli import main

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(kw, app=app))
    result = CliRunner().invoke(main, ["browse", *args])
    assert result.exit_code == 0, result.output
    return result, served


def test_browse_follows_an_archive_being_written(archive, tmp_path, monkeypatch):
    import shutil

    path = tmp_path / "busy.db"
    shutil.copy(archive, path)
    writer = sqlite3.connect(path)  # a crawl: its commits sit in the WAL until it checkpoints
    writer.execute("PRAGMA journal_mode=wal")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE runs SET args = '{}' WHERE id = 1")
    writer.commit()
    try:
        assert (tmp_path / "busy.db-wal").stat().st_size > 0
        result, _ = run_browse(monkeypatch, "--db", str(path), "--port", "8123")
        assert "following it read-only (--live)" in result.output
    finally:
        writer.close()


def test_browse_of_a_quiet_archive_is_immutable(archive, monkeypatch):
    result, _ = run_browse(monkeypatch, "--db", str(archive), "--port", "8123")
    assert "--live" not in result.output


def test_attaching_another_file_is_refused(ds_sql, tmp_path):
    database = ds_sql.get_database("archive")
    other = tmp_path / "other.db"
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        asyncio.run(
            database.execute_fn(lambda conn: conn.execute(f"ATTACH DATABASE '{other}' AS o"))
        )
