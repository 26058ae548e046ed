"""The library functions the reading commands print: key resolution, stats, runs, the pages of
a version, the demo's summary, compaction; over the fixture archive."""

from __future__ import annotations

import pytest

from crawler.archive.compact import compact_archive, optimize_search_index
from crawler.archive.compress import stored_bytes
from crawler.archive.db import open_archive
from crawler.archive.lookup import resolve_key
from crawler.archive.runs import last_run_summary, recent_runs, run_ending, start_run
from crawler.archive.search.fts import search_results
from crawler.archive.selection import article_row
from crawler.archive.snapshots import snapshot_body, snapshot_pages
from crawler.archive.stats import archive_stats
from tests.fixture_archive import SEED_KEY, build_fixture_archive

SEED_URL = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"


@pytest.fixture
def db(archive):
    db = open_archive(archive)
    yield db
    db.conn.close()


@pytest.mark.parametrize(
    "key",
    [SEED_KEY, " people:40294513 ", "40294513", SEED_URL, SEED_URL.replace("http:", "https:")],
)
def test_resolve_key_accepts_a_key_content_id_or_url(db, key):
    assert resolve_key(db, key) == SEED_KEY


def test_resolve_key_of_an_unknown_article_is_none(db):
    assert resolve_key(db, "people:1") is None
    assert resolve_key(db, "http://cpc.people.com.cn/n1/2024/0807/c64094-1.html") is None


def test_archive_stats_counts_articles_runs_and_failures(db):
    data = archive_stats(db)
    assert (data["articles"], data["changed"], data["removed"]) == (7, 1, 1)
    assert data["by_channel"]["64094"] == 3
    assert data["runs"] == {"crawl": 2}
    assert data["failures_by_kind"] == {"not_found": 1}


def test_archive_stats_filters_narrow_the_articles_only(db):
    data = archive_stats(db, since="2024-01-01")
    assert data["articles"] == 4
    assert "2013-04" not in data["by_month"]
    assert data["snapshots"] == archive_stats(db)["snapshots"]


def test_recent_runs_newest_first_and_limited(db):
    runs = recent_runs(db, 10)
    assert [r["id"] for r in runs] == [2, 1]
    assert (runs[0]["changed"], runs[0]["unchanged"], runs[0]["removed"]) == (1, 1, 1)
    assert [r["id"] for r in recent_runs(db, 1)] == [2]


def test_run_ending_gives_start_and_reason_or_none(db):
    started, reason = run_ending(db, 1)
    assert started.startswith("20") and reason == "finished"
    assert run_ending(db, 99) is None


def test_snapshot_pages_of_a_multipage_version_are_every_page_in_order(db):
    row = article_row(db, "people:40293310")
    pages = snapshot_pages(db, row["snapshot_id"])
    assert [page for _, page, _ in pages] == [1, 2, 3]
    assert pages[0][0] == row["snapshot_id"]
    assert all(snapshot_body(db, sha) for _, _, sha in pages)


def test_snapshot_pages_of_a_single_page_version_is_that_snapshot(db):
    row = article_row(db, SEED_KEY)
    ((sid, page, _),) = snapshot_pages(db, row["snapshot_id"])
    assert (sid, page) == (row["snapshot_id"], 1)


def test_last_run_summary_is_the_latest_run_with_archive_totals(db):
    summary = last_run_summary(db)
    assert (summary["id"], summary["finish_reason"]) == (2, "finished")
    assert (summary["changed"], summary["removed"]) == (1, 1)
    assert summary["articles"] == 7
    assert summary["failures_by_kind"] == {"not_found": 1}


def test_last_run_summary_of_an_archive_without_runs_is_none():
    assert last_run_summary(open_archive(":memory:")) is None


@pytest.fixture
def own_archive(tmp_path):
    db = open_archive(tmp_path / "archive.db")
    build_fixture_archive(db)
    yield db
    db.conn.close()


def _fts_rows(db) -> int:
    return db.execute("SELECT count(*) FROM articles_fts_data").fetchone()[0]


def test_optimize_search_index_merges_segments_and_keeps_the_hits(own_archive):
    before = [h.key for h in search_results(own_archive, "改革", limit=50).hits]
    rows = _fts_rows(own_archive)
    optimize_search_index(own_archive)
    assert _fts_rows(own_archive) < rows
    assert [h.key for h in search_results(own_archive, "改革", limit=50).hits] == before


def test_compact_archive_with_too_few_pages_keeps_the_bodies(own_archive):
    before = stored_bytes(own_archive)
    result = compact_archive(own_archive)
    assert result.dict_id is None and not result.kept
    assert stored_bytes(own_archive) == before == result.after


def test_start_run_then_summary_reports_the_open_run(own_archive):
    run_id = start_run(own_archive, "reparse")
    summary = last_run_summary(own_archive)
    assert summary["id"] == run_id and summary["finish_reason"] is None
