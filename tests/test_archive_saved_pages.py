"""Saved pages as fetches: what `ingest` is told is checked before anything is stored."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crawler.archive.saved_pages import SavedPageError, saved_page_fetches
from crawler.cli import main

URL = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html"


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(b"<html><body>saved</body></html>")
    return path


@pytest.mark.parametrize(
    "url", ["notaurl", "/n1/2024/0807/c64094-40294553.html", "ftp://cpc.people.com.cn/x", "http://"]
)
def test_a_url_that_is_not_absolute_http_is_refused(page, url):
    with pytest.raises(SavedPageError) as e:
        saved_page_fetches(url, [page])
    assert e.value.field == "url"


@pytest.mark.parametrize("status", [0, 99, 600, 999])
def test_a_status_outside_100_599_is_refused(page, status):
    with pytest.raises(SavedPageError) as e:
        saved_page_fetches(URL, [page], status=status)
    assert e.value.field == "status"


@pytest.mark.parametrize("when", ["yesterday", "2024-08-07", "07/08/2024 09:00"])
def test_a_time_that_is_not_iso_8601_with_a_zone_is_refused(page, when):
    with pytest.raises(SavedPageError) as e:
        saved_page_fetches(URL, [page], fetched_at=when)
    assert e.value.field == "fetched_at"


def test_a_valid_page_becomes_fetches_in_the_archives_time_form(page):
    (fetch,) = saved_page_fetches(URL, [page], status=404, fetched_at="2024-08-07T09:00:00+08:00")
    assert (fetch.url, fetch.status, fetch.fetched_at) == (URL, 404, "2024-08-07T01:00:00Z")


@pytest.mark.parametrize(
    "option,value",
    [("--fetched-at", "yesterday"), ("--url", "notaurl"), ("--status", "999")],
)
def test_ingest_refuses_the_bad_field_and_stores_nothing(tmp_path, page, option, value):
    db = tmp_path / "a.db"
    args = {"--url": URL, "--status": "200", "--fetched-at": "2024-08-07T01:00:00Z"}
    args[option] = value
    flat = [x for pair in args.items() for x in pair]
    result = CliRunner().invoke(main, ["ingest", "--db", str(db), *flat, str(page)])
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert not db.exists()


def test_ingest_never_creates_an_archive_inside_another_programs_sqlite_file(tmp_path, page):
    import sqlite3

    other = tmp_path / "notes.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE notes (body TEXT)").connection.close()
    before = other.read_bytes()
    result = CliRunner().invoke(main, ["ingest", "--db", str(other), "--url", URL, str(page)])
    assert result.exit_code == 1
    assert "not a cpc-archive database" in result.output
    assert other.read_bytes() == before
