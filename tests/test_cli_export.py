"""export: JSON Lines and CSV files of articles or versions, written only where the user said."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from crawler.archive.db import open_archive
from crawler.archive.selection import ARTICLE_COLUMNS, VERSION_COLUMNS
from crawler.cli import main
from tests.fixture_archive import ADDED, OLD_KEY, SEED_KEY, T1, T2


def export(archive, *args: str):
    return CliRunner().invoke(main, ["export", "--db", str(archive), *args])


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_jsonl_has_one_article_per_line_in_column_order(archive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # missing folders are created inside the current directory
    out = tmp_path / "exports" / "all.jsonl"
    result = export(archive, "--format", "jsonl", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = read_jsonl(out)
    assert len(rows) == 7
    assert all(list(r) == list(ARTICLE_COLUMNS) for r in rows)
    seed = next(r for r in rows if r["key"] == SEED_KEY)
    assert seed["editors"] == ["王子锋", "王珂园"]  # lists stay lists
    assert seed["version"] == 2
    assert seed["urls"] == ["http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"]
    assert ADDED in seed["body_text"]
    assert seed["decode_errors"] == 0  # GBK bytes read cleanly as GB18030
    assert seed["encoding"] == "gb18030"
    old = next(r for r in rows if r["key"] == OLD_KEY)
    assert old["removed_at"] == T2
    # without a query, oldest publication first
    assert [r["published_at"] for r in rows] == sorted(r["published_at"] for r in rows)


def test_jsonl_is_utf8_without_escapes(archive, tmp_path):
    out = tmp_path / "a.jsonl"
    assert export(archive, "--format", "jsonl", "--out", str(out)).exit_code == 0
    raw = out.read_bytes()
    assert "妇联".encode() in raw
    assert b"\\u" not in raw


def test_csv_has_bom_header_crlf_and_json_lists(archive, tmp_path):
    out = tmp_path / "a.csv"
    assert export(archive, "--format", "csv", "--out", str(out)).exit_code == 0, out
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfkey,title,")
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == ARTICLE_COLUMNS
    assert len(rows) == 8  # header + 7 articles
    seed = dict(zip(rows[0], next(r for r in rows if r[0] == SEED_KEY), strict=True))
    assert json.loads(seed["editors"]) == ["王子锋", "王珂园"]
    assert seed["version"] == "2"
    assert "\n" in seed["body_text"]  # paragraphs kept apart inside the quoted cell
    assert seed["removed_at"] == ""


def test_versions_give_one_row_per_version(archive, tmp_path):
    out = tmp_path / "v.jsonl"
    result = export(archive, "--format", "jsonl", "--versions", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == 8
    rows = read_jsonl(out)
    assert all(list(r) == list(VERSION_COLUMNS) for r in rows)
    seed = [r for r in rows if r["key"] == SEED_KEY]
    assert [(r["version"], r["seen_from"]) for r in seed] == [(1, T1), (2, T2)]
    assert ADDED not in seed[0]["body_text"]
    assert ADDED in seed[1]["body_text"]


def test_versions_csv_header_is_the_version_columns(archive, tmp_path):
    out = tmp_path / "v.csv"
    assert export(archive, "--format", "csv", "--versions", "--out", str(out)).exit_code == 0
    header = next(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert tuple(header) == VERSION_COLUMNS


def test_filters_and_query_select_articles(archive, tmp_path):
    out = tmp_path / "f.jsonl"
    assert export(archive, "--format", "jsonl", "--out", str(out), "--query", "妇联").exit_code == 0
    assert [r["key"] for r in read_jsonl(out)] == [SEED_KEY]
    out2 = tmp_path / "g.jsonl"
    result = export(archive, "--format", "jsonl", "--out", str(out2), "--since", "2024-01-01")
    assert result.exit_code == 0
    assert len(read_jsonl(out2)) == 4
    out3 = tmp_path / "h.jsonl"
    assert (
        export(archive, "--format", "jsonl", "--out", str(out3), "--channel", "64094").exit_code
        == 0
    )
    assert {r["channel_id"] for r in read_jsonl(out3)} == {"64094"}


def test_extension_is_added_and_parent_dirs_created(archive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # missing folders are created inside the current directory
    out = tmp_path / "deep" / "er" / "august"
    assert export(archive, "--format", "csv", "--out", str(out)).exit_code == 0
    assert (tmp_path / "deep" / "er" / "august.csv").is_file()


def test_existing_file_is_kept_without_force(archive, tmp_path):
    out = tmp_path / "a.jsonl"
    out.write_text("keep")
    result = export(archive, "--format", "jsonl", "--out", str(out))
    assert result.exit_code == 1
    assert "pass --force" in result.output
    assert out.read_text() == "keep"
    assert export(archive, "--format", "jsonl", "--out", str(out), "--force").exit_code == 0
    assert len(read_jsonl(out)) == 7


@pytest.mark.parametrize("name", ["../escape.jsonl", "exports/../../escape.jsonl"])
def test_dotdot_in_the_output_path_is_refused(archive, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    result = export(archive, "--format", "jsonl", "--out", name)
    assert result.exit_code == 2
    assert "'..' is not allowed" in result.output
    assert not (tmp_path.parent / "escape.jsonl").exists()


def test_output_path_that_is_a_directory_is_refused(archive, tmp_path):
    result = export(archive, "--format", "jsonl", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_bad_query_leaves_no_file(archive, tmp_path):
    out = tmp_path / "q.jsonl"
    result = export(archive, "--format", "jsonl", "--out", str(out), "--query", '"open')
    assert result.exit_code == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


def test_query_export_keeps_every_match_beyond_the_search_rank_window(
    archive, tmp_path, monkeypatch
):
    import crawler.archive.search.fts as search_module

    monkeypatch.setattr(search_module, "RANK_WINDOW", 1)  # search ranks only the newest match
    db = open_archive(archive)
    assert len(search_module.search(db, "改革", limit=100)) == 1
    matching = db.execute(
        "SELECT count(*) FROM articles WHERE body_text LIKE '%改革%' OR title LIKE '%改革%'"
    ).fetchone()[0]
    db.conn.close()
    assert matching >= 2
    out = tmp_path / "q.jsonl"
    assert export(archive, "--format", "jsonl", "--out", str(out), "--query", "改革").exit_code == 0
    assert len(read_jsonl(out)) == matching


def test_the_summary_names_what_was_written(archive, tmp_path):
    articles = export(archive, "--format", "jsonl", "--out", str(tmp_path / "a"))
    assert articles.exit_code == 0, articles.output
    rows = len(read_jsonl(tmp_path / "a.jsonl"))
    assert f"Wrote {rows} articles to " in articles.output
    assert "articles of" not in articles.output
    versions = export(archive, "--format", "jsonl", "--versions", "--out", str(tmp_path / "v"))
    assert versions.exit_code == 0, versions.output
    assert f"versions of {rows} articles to " in versions.output
