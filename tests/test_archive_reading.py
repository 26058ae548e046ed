"""The library functions behind the reading room: facet counts, article history, runs and
failures in words; on an in-memory fixture archive."""

from __future__ import annotations

import pytest

from crawler.archive.db import open_archive
from crawler.archive.history import (
    archived_snapshot_of,
    article_snapshots,
    article_urls,
    article_versions,
    version_diff,
)
from crawler.archive.run_story import describe_failure, describe_run
from crawler.archive.search.facets import Filters, facet_counts
from crawler.archive.search.fts import QueryError, search
from tests.fixture_archive import ADDED, OLD_KEY, SEED_KEY, build_fixture_archive


@pytest.fixture(scope="module")
def db():
    db = open_archive(":memory:")
    build_fixture_archive(db)
    return db


@pytest.mark.parametrize("query", ["改革", "发展", "中国", "妇联 OR 工会", "发展 -改革"])
def test_the_total_is_what_search_finds(db, query):
    assert facet_counts(db, query).total == len(search(db, query, limit=1000))


@pytest.mark.parametrize(
    "filters",
    [
        Filters(since="2024-08", until="2024-08"),
        Filters(source="人民网"),
        Filters(editor="王珂园"),
        Filters(channel="64094"),
        Filters(since="2013", until="2022"),
    ],
)
def test_filters_mean_what_they_mean_to_search(db, filters):
    found = {h.key for h in search(db, "发展", limit=1000, **filters.search_kwargs())}
    counts = facet_counts(db, "发展", filters)
    assert counts.total == counts.counted == len(found)
    assert sum(n for _, n in counts.facets["year"]) == len(found)


def test_facets_count_the_matches(db):
    facets = facet_counts(db, "发展").facets
    assert dict(facets["channel"])["64094"] == 3
    assert dict(facets["month"])["2013-04"] == 1
    assert dict(facets["year"]) == {"2024": 4, "2013": 1, "2009": 1}
    assert dict(facets["editor"])["王珂园"] == 1
    assert facets["paper_date"] == [("2013-04-09", 1)]
    assert facets["paper_page"] == [("04", 1)]


def found(db, query: str, filters: Filters) -> set[str]:
    return {h.key for h in search(db, query, limit=1000, **filters.search_kwargs())}


def test_print_filters(db):
    assert found(db, "发展", Filters(paper_date="2013-04-09")) == {OLD_KEY}
    assert found(db, "发展", Filters(paper_page="04")) == {OLD_KEY}
    assert found(db, "发展", Filters(paper_page="4")) == {OLD_KEY}  # one page, however written
    assert found(db, "发展", Filters(paper_page="05")) == set()
    assert facet_counts(db, "发展", Filters(paper_date="2013-04-09")).total == 1


def test_a_query_that_cannot_run_raises(db):
    with pytest.raises(QueryError):
        facet_counts(db, '"open')


def test_article_history(db):
    versions = article_versions(db, SEED_KEY)
    assert [(v.version, v.current) for v in versions] == [(1, False), (2, True)]
    assert [u for u, _, _ in article_urls(db, SEED_KEY)] == [
        "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"
    ]
    snapshots = article_snapshots(db, SEED_KEY)
    assert len(snapshots) == 2
    assert snapshots[0].fetched_at > snapshots[1].fetched_at  # newest first


def test_version_diff(db):
    diff = version_diff(db, SEED_KEY, 1, 2)
    changed = [(tag, text) for tag, text in diff if tag != "="]
    assert [tag for tag, _ in changed] == ["-", "+"]
    assert changed[1][1] == changed[0][1] + ADDED


def test_archived_snapshot_of_an_image_never_fetched(db):
    assert archived_snapshot_of(db, "http://cpc.people.com.cn/none.jpg") is None


RUN = {
    "id": 3,
    "kind": "crawl",
    "started_at": "2024-08-10T01:00:00Z",
    "finished_at": "2024-08-10T01:12:00Z",
    "finish_reason": "closespider_timeout",
    "args": '{"max_pages": 10}',
    "fetched": 1,
    "new": 1,
    "changed": 0,
    "unchanged": 0,
    "removed": 0,
    "failed": 2,
}


def test_a_run_in_words():
    text = describe_run(RUN)
    assert text.startswith("Crawl #3, started 2024-08-10T01:00:00Z, stopped at its time limit")
    assert "after 12 minutes" in text
    assert "1 fetch: 1 new article" in text
    assert "2 pages that could not become articles" in text
    assert "Options: max_pages=10." in text


def test_a_run_of_no_time():
    run = {**RUN, "finished_at": RUN["started_at"]}
    assert "after less than a second." in describe_run(run)


def test_a_run_that_never_finished():
    text = describe_run({**RUN, "finished_at": None, "finish_reason": None})
    assert "never finished: it is still running, or was killed" in text


def test_an_unknown_finish_reason_is_shown_as_it_is():
    assert "ended (odd_reason)" in describe_run({**RUN, "finish_reason": "odd_reason"})


def test_a_failure_in_words():
    assert describe_failure({"kind": "no_date", "reason": "no date line"}) == (
        "Not an article: the page shows no publication date (no date line)."
    )
    assert describe_failure({"kind": "weird", "reason": "why"}) == "Not an article (weird): why."


def test_a_source_named_whole(db):
    # 人民日报 is a part of 人民网－人民日报 too: search() takes both, a facet value only itself
    part = Filters(source="人民日报")
    whole = Filters(source="人民日报", exact_source=True)
    assert found(db, "发展", part) == {"people:10341172", OLD_KEY}
    assert found(db, "发展", whole) == {"people:10341172"}
    assert facet_counts(db, "发展", whole).facets["source"] == [("人民日报", 1)]


def test_facets_count_the_newest_archived_matches_when_there_are_more(db):
    everything = facet_counts(db, "发展")
    counts = facet_counts(db, "发展", limit=2)
    assert counts.total == everything.total > 2  # the total is still every match
    assert counts.counted == 2
    newest = db.execute(
        "SELECT substr(published_at, 1, 4) FROM articles WHERE doc_id IN "
        "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH '\"发展\"') "
        "ORDER BY doc_id DESC LIMIT 2"
    ).fetchall()
    years = {}
    for (year,) in newest:
        years[year] = years.get(year, 0) + 1
    assert dict(counts.facets["year"]) == years
