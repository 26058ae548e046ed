"""Datasette over a fixture archive, through Datasette's own test client."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from click.testing import CliRunner

from crawler.archive.db import open_archive
from crawler.cli import main
from crawler.datasette.app import load_metadata, make_datasette
from crawler.datasette.plugin import cpc_fts, cpc_query_error, cpc_snippet
from tests.fixture_archive import OLD_KEY, SEED_KEY


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def facet_results(data: dict) -> dict:
    # Datasette 0.65 returns the facets directly, 1.0 under "results"
    results = data["facet_results"]
    return results.get("results", results)


def get_json(ds, path: str):
    response = get(ds, path)
    assert response.status_code == 200, response.text[:500]
    return response.json()


@pytest.fixture(scope="module")
def ds(archive):
    return make_datasette(archive)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/archive",
        "/archive/articles",
        "/archive/article_list",
        "/archive/versions",
        "/archive/snapshots",
        "/archive/runs",
        "/archive/failures",
        "/archive/search?q=妇联",
        "/archive/changed_articles",
        "/archive/removed_articles",
        "/archive/recent_failures",
    ],
)
def test_pages_render(ds, path):
    response = get(ds, path)
    assert response.status_code == 200
    assert "<html" in response.text


def test_titles_and_descriptions_show(ds):
    page = get(ds, "/archive/articles").text
    assert "Articles" in page
    assert "stable article key" in page
    assert "cpc-archive" in get(ds, "/").text


def test_internal_tables_are_hidden(ds):
    tables = {t["name"]: t for t in get_json(ds, "/archive.json")["tables"]}
    assert tables["bodies"]["hidden"] is True
    assert tables["articles_fts"]["hidden"] is True
    assert tables["articles"]["hidden"] is False


def test_facets_on_source_editors_channel(ds):
    facets = facet_results(get_json(ds, "/archive/articles.json?_extra=facet_results"))
    assert set(facets) >= {"source", "channel_id", "editors"}
    editors = {f["value"]: f["count"] for f in facets["editors"]["results"]}
    assert editors["王珂园"] == 1
    channels = {f["value"]: f["count"] for f in facets["channel_id"]["results"]}
    assert channels["64094"] == 3


def test_facet_on_month(ds):
    facets = facet_results(get_json(ds, "/archive/article_list.json?_extra=facet_results"))
    months = {f["value"]: f["count"] for f in facets["month"]["results"]}
    assert months["2024-08"] == 2
    assert months["2013-04"] == 1


def test_search_finds_a_two_character_word(ds):
    rows = get_json(ds, "/archive/search.json?q=妇联&_shape=objects")["rows"]
    assert [r["key"] for r in rows] == [SEED_KEY]
    assert "«妇联»" in rows[0]["snippet"]
    assert rows[0]["error"] is None


def test_search_with_a_malformed_query_explains_it(ds):
    rows = get_json(ds, '/archive/search.json?q="open&_shape=objects')["rows"]
    assert len(rows) == 1
    assert "unbalanced quotes" in rows[0]["error"]


def test_search_with_an_empty_query_shows_nothing(ds):
    assert get_json(ds, "/archive/search.json?q=&_shape=objects")["rows"] == []


def test_changed_articles_query(ds):
    rows = get_json(ds, "/archive/changed_articles.json?_shape=objects")["rows"]
    assert [(r["key"], r["versions"]) for r in rows] == [(SEED_KEY, 2)]
    assert rows[0]["changed_at"] == "2024-08-10T01:00:00Z"


def test_removed_articles_query(ds):
    rows = get_json(ds, "/archive/removed_articles.json?_shape=objects")["rows"]
    assert [(r["key"], r["removed_at"]) for r in rows] == [(OLD_KEY, "2024-08-10T01:00:00Z")]


def test_recent_failures_query(ds):
    rows = get_json(ds, "/archive/recent_failures.json?_shape=objects")["rows"]
    assert [r["kind"] for r in rows] == ["not_found"]


def test_metadata_follows_the_database_name(archive, tmp_path):
    other = tmp_path / "cpc2024.db"
    shutil.copy(archive, other)
    assert "cpc2024" in load_metadata("cpc2024")["databases"]
    ds = make_datasette(other)
    rows = get_json(ds, "/cpc2024/removed_articles.json?_shape=objects")["rows"]
    assert [r["key"] for r in rows] == [OLD_KEY]


def test_plugin_functions():
    assert cpc_fts("妇联") == '"妇联"'
    assert cpc_query_error("妇联") is None
    assert "unbalanced" in cpc_query_error('"x')
    assert cpc_fts('"x') == cpc_fts("")  # a query that cannot run matches nothing
    assert cpc_snippet("标题", "全国妇联干部", "妇联") == "全国«妇联»干部"


def test_browse_serves_the_archive_on_loopback_only(archive, monkeypatch):
    import uvicorn

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(kw, app=app))
    result = CliRunner().invoke(main, ["browse", "--db", str(archive), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert served["host"] == "127.0.0.1"
    assert served["port"] == 8123
    assert "http://127.0.0.1:8123/archive" in result.output


def test_browse_a_missing_archive_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["browse", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no archive at" in result.output


def test_table_search_combines_with_facets(ds):
    data = get_json(ds, "/archive/articles.json?_search=改革&_shape=objects&_extra=facet_results")
    keys = {r["key"] for r in data["rows"]}
    assert SEED_KEY in keys
    assert len(keys) >= 2
    sources = {f["value"] for f in facet_results(data)["source"]["results"]}
    assert sources <= {r["source"] for r in data["rows"]}
    month = get_json(ds, "/archive/article_list.json?_search=妇联&_shape=objects")["rows"]
    assert [(r["key"], r["month"]) for r in month] == [(SEED_KEY, "2024-08")]


def test_table_search_with_a_malformed_query_says_why(ds):
    page = get(ds, '/archive/articles?_search="open').text
    assert "unbalanced quotes" in page
    rows = get_json(ds, '/archive/articles.json?_search="open&_shape=objects')["rows"]
    assert rows == []


def test_view_migration_runs_over_an_existing_view(tmp_path):
    path = tmp_path / "a.db"
    open_archive(path).conn.close()
    db = open_archive(path)
    db.execute("DELETE FROM _sqlite_migrations WHERE name = '005_browse_views'")
    db.conn.commit()
    db.conn.close()
    again = open_archive(path)  # re-runs the migration over the view it finds
    assert "article_list" in again.view_names()
    names = [r[0] for r in again.execute("SELECT name FROM _sqlite_migrations")]
    assert "005_browse_views" in names
