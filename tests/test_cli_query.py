"""search, show, stats, runs over the fixture archive, through the command line."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from click.testing import CliRunner

import crawler.cli.options as options
from crawler.cli import main
from tests.fixture_archive import (
    ADDED,
    MULTIPAGE,
    OLD_KEY,
    SEED,
    SEED_KEY,
    T1,
    T2,
    edited_seed,
    fixture_fetches,
)


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    return result


def run_json(*args: str):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- search -----------------------------------------------------------------------------------


def hits_of(*args: str) -> list[dict]:
    return run_json(*args)["hits"]


def test_search_finds_a_two_character_word(archive):
    hits = hits_of("search", "妇联", "--db", str(archive))
    assert [h["key"] for h in hits] == [SEED_KEY]
    snippet = hits[0]["snippet"]
    start, end = hits[0]["highlights"][0]
    assert snippet[start:end] == "妇联"


def test_search_filters_narrow_the_hits(archive):
    all_hits = hits_of("search", "改革", "--db", str(archive))
    assert len(all_hits) >= 2
    by_source = hits_of("search", "改革", "--source", "中国妇女报", "--db", str(archive))
    assert [h["key"] for h in by_source] == [SEED_KEY]
    by_editor = hits_of("search", "改革", "--editor", "王珂园", "--db", str(archive))
    assert [h["key"] for h in by_editor] == [SEED_KEY]
    by_channel = hits_of("search", "改革", "--channel", "117005", "--db", str(archive))
    assert [h["channel_id"] for h in by_channel] == ["117005"]
    since = hits_of("search", "改革", "--since", "2024-08-01", "--db", str(archive))
    assert all(h["published_at"] >= "2024-08-01" for h in since)
    assert SEED_KEY in [h["key"] for h in since]
    until = hits_of("search", "改革", "--until", "2024-07-31", "--db", str(archive))
    assert SEED_KEY not in [h["key"] for h in until]
    limited = hits_of("search", "改革", "--limit", "1", "--db", str(archive))
    assert len(limited) == 1


def test_search_table_output_shows_title_and_key(archive):
    result = run("search", "妇联", "--db", str(archive))
    assert result.exit_code == 0
    assert SEED_KEY in result.output
    assert "全国各级妇联" in result.output


def test_search_prints_the_exact_total_and_that_more_exist(archive):
    everything = run_json("search", "改革", "--limit", "100", "--db", str(archive))
    total = len(everything["hits"])
    assert total >= 2 and everything["total"] == total and everything["more"] is False
    one = run_json("search", "改革", "--limit", "1", "--db", str(archive))
    assert (one["total"], len(one["hits"]), one["more"]) == (total, 1, True)
    result = run("search", "改革", "--limit", "1", "--db", str(archive))
    assert f"{total} articles match '改革': the best 1 shown, more with --limit" in result.output


@pytest.mark.parametrize("command", ["search", "export"])
def test_a_query_too_long_is_refused_in_a_line_that_fits_a_terminal(archive, command, tmp_path):
    query = " OR ".join(f"词{i}" for i in range(3000))
    if command == "search":
        args = ["search", query]
    else:
        args = ["export", "--format", "jsonl", "--query", query, "--out", str(tmp_path / "x")]
    result = run(*args, "--db", str(archive))
    assert result.exit_code == 2
    assert "query too long" in result.output
    assert len(result.output) < 500


def test_search_without_hits_says_so(archive):
    result = run("search", "量子计算机", "--db", str(archive))
    assert result.exit_code == 0
    assert "No article matches" in result.output


@pytest.mark.parametrize("query", ['"unbalanced', "OR", "-改革", "   "])
def test_malformed_query_is_a_usage_error_without_traceback(archive, query):
    # "--" ends the options, so a query may start with "-"
    result = run("search", "--db", str(archive), "--", query)
    assert result.exit_code == 2
    assert "bad query" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("query", "message"),
    [("改革 or 开放", "not an operator"), ("NEAR(改革 开放)", "NEAR is not supported")],
)
def test_operator_like_words_are_refused_with_the_reason(archive, query, message):
    result = run("search", "--db", str(archive), "--", query)
    assert (result.exit_code, "Traceback" in result.output) == (2, False)
    assert message in result.output


def test_field_prefix_searches_one_field(archive):
    titled = hits_of("search", "title:妇联", "--db", str(archive))
    assert [h["key"] for h in titled] == [SEED_KEY]
    assert "妇联" in titled[0]["title"]


def test_bad_date_is_a_usage_error(archive):
    result = run("search", "改革", "--since", "last week", "--db", str(archive))
    assert result.exit_code == 2
    assert "is not a date: use YYYY-MM-DD, YYYY-MM or YYYY" in result.output


# --- missing and locked archives ------------------------------------------------------------


@pytest.mark.parametrize("command", [["search", "改革"], ["show", SEED_KEY], ["stats"], ["runs"]])
def test_missing_archive_is_a_clear_error(tmp_path, command):
    missing = tmp_path / "nope.db"
    result = run(*command, "--db", str(missing))
    assert result.exit_code == 1
    assert f"no archive at {missing}" in result.output
    assert not missing.exists()  # a read command never creates an archive


def test_locked_archive_is_a_clear_error(archive, monkeypatch):
    monkeypatch.setattr(options, "READ_BUSY_TIMEOUT", 0.1)
    holder = sqlite3.connect(archive, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE runs SET kind = kind")
        result = run("runs", "--db", str(archive))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "locked by another process" in result.output
    assert "Traceback" not in result.output


def test_file_that_is_not_an_archive_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    result = run("runs", "--db", str(junk))
    assert result.exit_code == 1
    assert "not a cpc-archive database" in result.output


def _other_sqlite(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()


READ_ONLY_COMMANDS = [
    ["search", "改革"],
    ["stats"],
    ["show", SEED_KEY],
    ["export", "--format", "jsonl", "--out", "-"],
    ["export-warc", "--out", "-"],
    ["reparse"],
    ["runs"],
    ["compact"],
]


@pytest.mark.parametrize("kind", ["empty", "other sqlite"])
@pytest.mark.parametrize("command", READ_ONLY_COMMANDS, ids=lambda c: c[0])
def test_read_only_command_leaves_a_file_that_is_not_an_archive_untouched(tmp_path, command, kind):
    path = tmp_path / "file.db"
    if kind == "empty":
        path.write_bytes(b"")
    else:
        _other_sqlite(path)
    before = path.read_bytes()
    result = run(*command, "--db", str(path))
    assert result.exit_code == 1, result.output
    assert "not a cpc-archive database" in result.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.db"]  # no -wal, -shm, export


# --- show -----------------------------------------------------------------------------------


def test_show_gives_fields_urls_and_versions(archive):
    data = run_json("show", SEED_KEY, "--db", str(archive))
    article = data["article"]
    assert article["title"] == "全国各级妇联深入学习宣传贯彻落实党的二十届三中全会精神"
    assert article["editors"] == ["王子锋", "王珂园"]
    assert article["version"] == 2
    assert article["urls"] == ["http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"]
    assert [v["version"] for v in data["versions"]] == [1, 2]
    assert data["versions"][0]["seen_from"] == T1
    assert data["versions"][1]["seen_from"] == T2


@pytest.mark.parametrize(
    "key",
    [
        "40294513",
        "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html",
        "https://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html?from=timeline",
    ],
)
def test_show_accepts_a_content_id_or_any_url(archive, key):
    data = run_json("show", key, "--db", str(archive))
    assert data["article"]["key"] == SEED_KEY


def test_show_table_output_says_removed_and_edited(archive):
    removed = run("show", OLD_KEY, "--db", str(archive)).output
    assert "Removed from the site" in removed
    assert f"first seen gone {T2}" in removed
    edited = run("show", SEED_KEY, "--db", str(archive)).output
    assert "Removed" not in edited
    assert "edited: 2 versions" in edited


def test_show_unknown_key_is_a_clear_error(archive):
    result = run("show", "people:1", "--db", str(archive))
    assert result.exit_code == 1
    assert "no article 'people:1'" in result.output


@pytest.mark.parametrize("key", ["http://[::1/", "https://cpc.people.com.cn:99999999/x.html"])
def test_show_of_a_url_nothing_can_be_seen_under_is_a_clear_error(archive, key):
    result = run("show", key, "--db", str(archive))
    assert result.exit_code == 1
    assert f"no article '{key}'" in result.output
    assert isinstance(result.exception, SystemExit)


def test_show_diff_is_paragraph_by_paragraph(archive):
    data = run_json("show", SEED_KEY, "--diff", "--db", str(archive))
    diff = data["diff"]
    assert (diff["from"], diff["to"]) == (1, 2)
    changed = [p for p in diff["paragraphs"] if p["op"] != "="]
    assert [p["op"] for p in changed] == ["-", "+"]
    assert changed[1]["text"] == changed[0]["text"] + ADDED
    assert len(diff["paragraphs"]) - len(changed) >= 10  # the rest unchanged


def test_show_diff_table_output_marks_removed_and_added_lines(archive):
    result = run("show", SEED_KEY, "--diff", "--db", str(archive))
    assert result.exit_code == 0
    assert "Changes from version 1 to version 2" in result.output
    assert "+ " in result.output
    assert ADDED in result.output


def test_show_diff_with_unknown_version_is_a_usage_error(archive):
    result = run("show", SEED_KEY, "--diff", "--from", "7", "--db", str(archive))
    assert result.exit_code == 2
    assert "no version 7" in result.output


def test_show_diff_of_a_single_version_says_there_is_nothing_to_compare(archive):
    data = run_json("show", OLD_KEY, "--diff", "--db", str(archive))
    assert data["diff"]["from"] is None
    assert "nothing to compare" in data["diff"]["note"]


def test_show_html_writes_the_exact_snapshot_bytes(archive, tmp_path):
    out = tmp_path / "seed.html"
    result = run("show", SEED_KEY, "--html", str(out), "--db", str(archive))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == edited_seed(T2).body  # the current version's bytes
    old = tmp_path / "v1.html"
    assert (
        run("show", SEED_KEY, "--html", str(old), "--to", "1", "--db", str(archive)).exit_code == 0
    )
    (first,) = fixture_fetches(SEED, T1)
    assert old.read_bytes() == first.body
    assert hashlib.sha256(old.read_bytes()).hexdigest() in run("show", SEED_KEY, "--html",
        str(tmp_path / "v1b.html"), "--to", "1", "--db", str(archive)).output  # fmt: skip


def test_show_html_writes_every_page_of_a_multipage_article(archive, tmp_path):
    out = tmp_path / "multi.html"
    assert run("show", "people:40293310", "--html", str(out), "--db", str(archive)).exit_code == 0
    pages = fixture_fetches(MULTIPAGE, T1)
    assert out.read_bytes() == pages[0].body
    assert (tmp_path / "multi-2.html").read_bytes() == pages[1].body
    assert (tmp_path / "multi-3.html").read_bytes() == pages[2].body


def test_show_html_refuses_to_overwrite_without_force(archive, tmp_path):
    out = tmp_path / "seed.html"
    out.write_bytes(b"keep me")
    result = run("show", SEED_KEY, "--html", str(out), "--db", str(archive))
    assert result.exit_code == 1
    assert "--force" in result.output
    assert out.read_bytes() == b"keep me"


# --- stats and runs -------------------------------------------------------------------------


def test_stats_counts(archive):
    data = run_json("stats", "--db", str(archive))
    assert data["articles"] == 7
    assert data["changed"] == 1
    assert data["removed"] == 1
    assert data["by_month"]["2024-08"] == 2
    assert data["by_channel"]["64094"] == 3
    assert data["by_source"]["中国妇女报"] == 1
    assert data["runs"] == {"crawl": 2}
    assert data["failures_by_kind"] == {"not_found": 1}


def test_stats_with_a_filter(archive):
    data = run_json("stats", "--since", "2024-01-01", "--db", str(archive))
    assert data["articles"] == 4
    assert "2013-04" not in data["by_month"]


def test_stats_table_output(archive):
    result = run("stats", "--db", str(archive))
    assert result.exit_code == 0
    assert "7 articles (1 changed, 1 removed)" in result.output
    assert "failures by reason" in result.output


def test_runs_newest_first_with_counts(archive):
    data = run_json("runs", "--db", str(archive))
    assert [r["id"] for r in data] == [2, 1]
    assert (data[0]["changed"], data[0]["unchanged"], data[0]["removed"]) == (1, 1, 1)
    assert data[1]["new"] == 7
    assert data[1]["failed"] == 1
    assert all(r["finish_reason"] == "finished" for r in data)


def test_runs_table_output(archive):
    result = run("runs", "--db", str(archive))
    assert result.exit_code == 0
    assert "crawl" in result.output


def test_show_cuts_a_long_body_and_says_how_to_see_it_all(archive):
    result = run("show", SEED_KEY, "--db", str(archive))
    assert result.exit_code == 0
    assert "--full prints them" in result.output


def test_show_full_prints_the_whole_body(archive):
    body = run_json("show", SEED_KEY, "--db", str(archive))["article"]["body_text"]
    result = run("show", SEED_KEY, "--full", "--db", str(archive))
    assert result.exit_code == 0
    last = body.split("\n")[-1]
    assert len(body) > 600 and last[-20:] in result.output.replace("\n", "")
    assert "--full prints them" not in result.output
