"""crawler.archive.instants: one written form for every instant the archive stores."""

from __future__ import annotations

import pytest

from crawler.archive.db import open_archive
from crawler.archive.instants import InstantError, stored_instant, utc_instant
from crawler.archive.runs import start_run
from crawler.archive.store import store_fetches
from crawler.records import Fetch


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2024-08-07T01:00:00Z", "2024-08-07T01:00:00Z"),
        ("2024-08-07T01:00:00+00:00", "2024-08-07T01:00:00Z"),
        ("2024-08-07T01:00:00.25+00:00", "2024-08-07T01:00:00.25Z"),
        ("2024-08-07T09:00:00+08:00", "2024-08-07T01:00:00Z"),
    ],
)
def test_instants_are_written_utc_with_z(text, expected):
    assert utc_instant(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-08-07", "2024-08-07T01:00", "now"])
def test_text_that_is_not_an_instant_with_a_zone_is_refused(text):
    with pytest.raises(InstantError):
        utc_instant(text)


def test_a_stored_instant_that_cannot_be_read_is_kept_as_written():
    assert stored_instant("Tue, 07 Aug 2024 01:00:00 GMT") == "Tue, 07 Aug 2024 01:00:00 GMT"


def test_every_source_stores_the_same_form():
    db = open_archive(":memory:")
    run = start_run(db, "crawl")
    for i, at in enumerate(["2024-08-07T01:00:00+00:00", "2024-08-07T02:00:00Z"]):
        page = Fetch(f"http://cpc.people.com.cn/{i}", b"<html>gone</html>", 404, {}, "", at)
        store_fetches(db, run, [page])
    stored = [r[0] for r in db.execute("SELECT fetched_at FROM snapshots ORDER BY id")]
    assert stored == ["2024-08-07T01:00:00Z", "2024-08-07T02:00:00Z"]
    failed = [r[0] for r in db.execute("SELECT at FROM failures ORDER BY id")]
    assert all(at.endswith("Z") for at in failed) and failed
