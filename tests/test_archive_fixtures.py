"""The real parser and the archive together, over every page in tests/fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.archive.compress import sha256
from crawler.archive.current import article_record
from crawler.archive.db import open_archive
from crawler.archive.reparse import reparse
from crawler.archive.runs import start_run
from crawler.archive.search.fts import search
from crawler.archive.snapshots import snapshot_body
from crawler.archive.store import store_fetches
from crawler.cli import main
from crawler.pages.article import PARSER_VERSION
from crawler.records import Fetch
from crawler.urls import article_key

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "meta.json").exists())


def fixture_fetches(case: str, at: str = "2024-08-10T00:00:00Z") -> list[Fetch]:
    folder = FIXTURES / case
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    fetches = [
        Fetch(
            url=meta["url"],
            body=(folder / "page.bin").read_bytes(),
            status=meta.get("status", 200),
            headers=meta.get("headers", {}),
            fetched_at=at,
        )
    ]
    for name, url in sorted((meta.get("pages") or {}).items()):
        fetches.append(Fetch(url=url, body=(folder / name).read_bytes(), fetched_at=at))
    return fetches


def expected(case: str) -> dict:
    return json.loads((FIXTURES / case / "expected.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def archive():
    db = open_archive(":memory:")
    run = start_run(db, "test")
    outcomes = {case: store_fetches(db, run, fixture_fetches(case)) for case in CASES}
    yield db, run, outcomes
    db.close()


@pytest.mark.parametrize("case", CASES)
def test_every_fixture_ends_where_its_expected_output_says(archive, case):
    db, _, outcomes = archive
    out = outcomes[case]
    exp = expected(case)
    fetches = fixture_fetches(case)
    assert len(out.snapshot_ids) == len(fetches)
    for sid, f in zip(out.snapshot_ids, fetches, strict=True):
        digest = db.execute("SELECT body_sha256 FROM snapshots WHERE id = ?", [sid]).fetchone()[0]
        assert snapshot_body(db, digest) == f.body  # the exact bytes, whatever the charset
    if "record" in exp:
        want = exp["record"]
        assert out.status == "new"
        assert out.article_key == article_key(want["url"], want["content_id"])
        got = article_record(db, out.article_key).to_dict()
        for name, value in want.items():
            assert got[name] == value, name
    else:
        kind = exp["not_article"]["kind"]
        if kind in ("listing", "home"):
            assert out.status == "skipped"
        else:
            assert out.status == "failed"
            row = db.execute(
                "SELECT kind, reason FROM failures WHERE snapshot_id = ?", [out.snapshot_ids[0]]
            ).fetchone()
            assert row[0] == kind
            assert exp["not_article"].get("reason_contains", "") in row[1]


def test_charset_used_is_recorded_per_snapshot(archive):
    db, _, outcomes = archive
    sid = outcomes["js_n2_2020wbc_2022_c360307-35131671"].snapshot_ids[0]
    assert db.execute("SELECT charset FROM snapshots WHERE id = ?", [sid]).fetchone()[0] == (
        "gb18030"
    )


def test_real_text_is_searchable_by_two_character_words(archive):
    db, _, _ = archive
    hits = search(db, "妇联")
    assert hits[0].key == "people:40294513"
    assert "妇联" in hits[0].snippet
    hits = search(db, "全面深化改革")
    assert "people:40294513" in [h.key for h in hits]
    for h in hits:  # every hit really holds the phrase; nothing matched by bigrams alone
        text = db.execute("SELECT title || body_text FROM articles WHERE key = ?", [h.key])
        assert "全面深化改革" in text.fetchone()[0]


def test_not_found_page_for_an_archived_article_marks_it_removed():
    db = open_archive(":memory:")
    run = start_run(db, "test")
    notfound = fixture_fetches("cpc_notfound_200")[0]
    # the not-found page's URL once served an article: archive one there first
    article = fixture_fetches("cpc_article_2024_c64094-40294513", at="2024-08-01T00:00:00Z")[0]
    article.url = notfound.url
    assert store_fetches(db, run, [article]).status == "new"
    key = article_key(notfound.url)
    assert db.execute("SELECT key FROM articles").fetchone()[0] == key
    out = store_fetches(db, run, [notfound])
    assert (out.status, out.article_key) == ("removed", key)
    assert db.execute("SELECT removed_at, version FROM articles").fetchone() == (
        "2024-08-10T00:00:00Z",
        1,
    )


def test_refetching_the_fixture_site_changes_nothing_but_last_seen(archive):
    db, _, _ = archive
    run = start_run(db, "recrawl")
    bodies = db.execute("SELECT count(*) FROM bodies").fetchone()[0]
    statuses = {
        store_fetches(db, run, fixture_fetches(c, at="2024-09-01T00:00:00Z")).status for c in CASES
    }
    assert statuses <= {"unchanged", "skipped", "failed"}
    assert db.execute("SELECT count(*) FROM bodies").fetchone()[0] == bodies
    assert (
        db.execute("SELECT count(*) FROM versions").fetchone()[0]
        == db.execute("SELECT count(*) FROM articles").fetchone()[0]
    )
    assert {r[0] for r in db.execute("SELECT last_seen FROM articles")} == {"2024-09-01T00:00:00Z"}


def test_reparse_with_the_same_parser_changes_nothing(tmp_path):
    db = open_archive(tmp_path / "a.db")
    run = start_run(db, "test")
    for case in CASES:
        store_fetches(db, run, fixture_fetches(case))
    articles = list(db.query("SELECT * FROM articles ORDER BY key"))
    failures = [(f["kind"], f["snapshot_id"]) for f in db.query("SELECT * FROM failures")]
    counts = reparse(db, start_run(db, "reparse"))
    assert counts["new"] == counts["changed"] == counts["removed"] == 0
    assert counts["unchanged"] == len(articles)
    assert list(db.query("SELECT * FROM articles ORDER BY key")) == articles
    assert [(f["kind"], f["snapshot_id"]) for f in db.query("SELECT * FROM failures")] == failures
    assert {r[0] for r in db.execute("SELECT parser_version FROM articles")} == {PARSER_VERSION}
    db.close()


def test_ingest_command_stores_a_multipage_article_from_saved_files(tmp_path):
    folder = FIXTURES / "cpc_multipage_2024_c64387-40293310"
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    path = tmp_path / "a.db"
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            "--db",
            str(path),
            "--url",
            meta["url"],
            "--header",
            "Content-Type: " + meta["headers"]["Content-Type"],
            "--fetched-at",
            "2024-08-10T00:00:00Z",
            str(folder / "page.bin"),
            str(folder / "page-2.bin"),
            str(folder / "page-3.bin"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == "new: people:40293310 (snapshots 1, 2, 3)\n"
    db = open_archive(path)
    assert db.execute("SELECT url, page FROM snapshots ORDER BY id").fetchall() == [
        (meta["url"], 1),
        (meta["pages"]["page-2.bin"], 2),
        (meta["pages"]["page-3.bin"], 3),
    ]
    assert db.execute("SELECT page_count FROM articles").fetchone()[0] == 3
    (headers,) = db.execute("SELECT headers FROM snapshots WHERE id = 1").fetchone()
    assert json.loads(headers) == {"Content-Type": meta["headers"]["Content-Type"]}
    digest = db.execute("SELECT body_sha256 FROM snapshots WHERE id = 1").fetchone()[0]
    assert digest == sha256((folder / "page.bin").read_bytes())
    db.close()


def test_reparse_and_compact_commands(tmp_path):
    path = tmp_path / "a.db"
    db = open_archive(path)
    run = start_run(db, "test")
    for case in CASES:
        store_fetches(db, run, fixture_fetches(case))
    db.close()
    result = CliRunner().invoke(main, ["reparse", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "new 0, changed 0, unchanged" in result.output
    result = CliRunner().invoke(main, ["compact", "--db", str(path)])
    assert result.exit_code == 0, result.output
    # a dictionary for these few pages costs more than it saves: the bodies stay as they were
    assert "kept the current encoding" in result.output
    db = open_archive(path)
    assert db.execute("SELECT count(*) FROM dictionaries").fetchone()[0] == 0
    for (digest,) in db.execute("SELECT sha256 FROM bodies").fetchall():
        assert sha256(snapshot_body(db, digest)) == digest
    assert search(db, "妇联")[0].key == "people:40294513"  # index merged, still whole
    db.close()


@pytest.mark.parametrize("command", ["ingest", "reparse", "compact"])
def test_every_archive_command_has_help_with_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"cpc-archive {command} --db" in result.output
