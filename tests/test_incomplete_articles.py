"""One multi-page policy: the pages that came in make the article, flagged with those missing.

Here through `ingest` of page 1 alone: the article is stored, searchable, shown and exported
with the flag; storing its other pages later makes it whole, a new version.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from crawler.archive.db import open_archive
from crawler.archive.runs import start_run
from crawler.archive.search.fts import search
from crawler.archive.store import store_fetches
from crawler.cli import main
from tests.fixture_archive import MULTIPAGE, T1, T2, fixture_fetches

KEY = "people:40293310"


def flagged_archive(path):
    db = open_archive(path)
    first, second, third = fixture_fetches(MULTIPAGE, T1)
    store_fetches(db, start_run(db, "ingest"), [first])
    return db, (first, second, third)


def test_page_one_alone_is_an_article_flagged_with_the_pages_missing(tmp_path):
    db, (_first, second, third) = flagged_archive(tmp_path / "a.db")
    ((count, missing),) = db.execute("SELECT page_count, missing_pages FROM articles").fetchall()
    assert count == 3
    assert json.loads(missing) == [
        {"url": second.url, "reason": "not fetched", "transient": True},
        {"url": third.url, "reason": "not fetched", "transient": True},
    ]
    assert db.execute("SELECT count(*) FROM failures").fetchone() == (0,)


def test_a_flagged_article_is_searchable(tmp_path):
    db, _ = flagged_archive(tmp_path / "a.db")
    title = db.execute("SELECT title FROM articles").fetchone()[0]
    assert [h.key for h in search(db, title[:4])] == [KEY]


def test_show_and_export_carry_the_flag(tmp_path):
    db, (_first, second, _third) = flagged_archive(tmp_path / "a.db")
    db.close()
    runner = CliRunner()
    shown = runner.invoke(main, ["show", KEY, "--db", str(tmp_path / "a.db")])
    assert shown.exit_code == 0, shown.output
    assert "Incomplete" in shown.output
    assert "not fetched" in shown.output
    out = tmp_path / "out.jsonl"
    args = ["export", "--format", "jsonl", "--db", str(tmp_path / "a.db"), "--out", str(out)]
    exported = runner.invoke(main, args)
    assert exported.exit_code == 0, exported.output
    (row,) = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [p["url"] for p in row["missing_pages"]] == [second.url, _third.url]


def test_the_missing_pages_stored_later_make_it_whole_as_a_new_version(tmp_path):
    db, (first, second, third) = flagged_archive(tmp_path / "a.db")
    later = [
        f.__class__(f.url, f.body, f.status, f.headers, "", T2) for f in (first, second, third)
    ]
    out = store_fetches(db, start_run(db, "crawl"), later)
    assert (out.status, out.version) == ("changed", 2)
    assert db.execute("SELECT missing_pages, page_count FROM articles").fetchone() == (None, 3)
