"""crawler.archive.filters: the one meaning of --since/--until/--source/... for every command."""

from __future__ import annotations

import pytest

from crawler.archive.db import open_archive
from crawler.archive.filters import FilterError, date_bound, filter_sql, filter_text
from crawler.archive.search.fts import index_article, indexed_row, search
from crawler.archive.selection import article_keys


@pytest.mark.parametrize("value", ["2024", "2024-08", "2024-08-07"])
def test_a_year_a_month_or_a_day_is_a_date_bound(value):
    assert date_bound(value) == value


@pytest.mark.parametrize("value", ["yesterday", "2024-13", "2024-02-30", "24-08", "2024/08/07"])
def test_anything_else_is_refused(value):
    with pytest.raises(FilterError, match="is not a date"):
        date_bound(value)


def test_text_that_is_not_utf8_is_refused():
    with pytest.raises(FilterError, match=r"'\\xff' is not valid UTF-8"):
        filter_text("\udcff", "source")


@pytest.fixture
def db():
    archive = open_archive(":memory:")
    for key, published, doc in (
        ("people:1", "2023-12-31T23:00:00+08:00", 1),
        ("people:2", "2024-01-01T08:00:00+08:00", 2),
        ("people:3", "2024-08-31T20:00:00+08:00", 3),
        ("people:4", "2024-09-01T00:00:00+08:00", 4),
    ):
        archive["articles"].insert(
            {
                "key": key,
                "published_at": published,
                "doc_id": doc,
                "title": "改革",
                "url": key,
                "first_seen": "2024-09-02T00:00:00Z",
                "last_seen": "2024-09-02T00:00:00Z",
            }
        )
        index_article(archive, indexed_row(archive, key))
    return archive


def keys(db, **filters):
    where, params = filter_sql(**filters)
    return [
        r[0] for r in db.execute(f"SELECT key FROM articles a WHERE {where} ORDER BY key", params)
    ]


def test_a_month_bound_takes_the_whole_month(db):
    assert keys(db, since="2024-08", until="2024-08") == ["people:3"]


def test_a_year_bound_takes_the_whole_year(db):
    assert keys(db, since="2024") == ["people:2", "people:3", "people:4"]
    assert keys(db, until="2023") == ["people:1"]


def test_export_selection_and_search_share_the_filters(db):
    assert article_keys(db, since="2024-08") == ["people:3", "people:4"]
    assert sorted(h.key for h in search(db, "改革", since="2024-08")) == ["people:3", "people:4"]
