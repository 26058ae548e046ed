"""Odd command-line input gives a one-line error and an exit code, never a traceback."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.fixture_archive import SEED_KEY

XFF = "\udcff"  # how Python hands over a \xff byte from the command line


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    "args",
    [
        ["search", "改革", "--source", XFF],
        ["search", "改革", "--editor", XFF],
        ["search", "改革", "--channel", XFF],
        ["stats", "--source", XFF],
        ["export", "--format", "jsonl", "--out", "-", "--editor", XFF],
        ["export-warc", "--out", "-", "--channel", XFF],
        ["show", XFF],
        ["show", "http://cpc.people.com.cn/" + XFF],
        ["search", "改" + XFF],
    ],
)
def test_a_byte_that_is_not_utf8_is_a_usage_error(archive, args):
    result = run(*args, "--db", str(archive))
    assert result.exit_code == 2, result.output
    assert "is not valid UTF-8 text" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", [["search", "改革"], ["runs"]])
def test_a_huge_limit_is_a_usage_error(archive, command):
    result = run(*command, "--limit", "99999999999999999999", "--db", str(archive))
    assert result.exit_code == 2
    assert "--limit" in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("value", ["2024", "2024-08"])
def test_since_takes_a_year_or_a_month_in_every_command(archive, value):
    for args in (
        ["search", "改革"],
        ["stats"],
        ["export", "--format", "jsonl", "--out", "-"],
        ["export-warc", "--out", "-"],
    ):
        result = run(*args, "--since", value, "--db", str(archive))
        assert result.exit_code == 0, (args, result.output)


def test_since_that_is_not_a_date_is_a_usage_error(archive):
    result = run("stats", "--since", "2024-13", "--db", str(archive))
    assert result.exit_code == 2
    assert "is not a date" in result.output


@pytest.fixture
def damaged(archive, tmp_path):
    copy = tmp_path / "damaged.db"
    shutil.copy(archive, copy)
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE articles SET editors = '[broken' WHERE key = ?", [SEED_KEY])
    conn.commit()
    conn.close()
    return copy


@pytest.mark.parametrize(
    "args",
    [
        ["show", SEED_KEY],
        ["show", SEED_KEY, "--json"],
        ["export", "--format", "csv", "--out", "x"],
        ["export", "--format", "csv", "--versions", "--out", "x"],
    ],
)
def test_malformed_json_in_an_article_column_is_named(damaged, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = run(*args, "--db", str(damaged))
    assert result.exit_code == 1
    assert f"article {SEED_KEY}: its editors column holds malformed JSON" in result.output
    assert isinstance(result.exception, SystemExit)
    assert not (tmp_path / "x.csv").exists()  # no half-written export


@pytest.mark.parametrize(
    "args",
    [
        ["show", SEED_KEY, "--diff", "--from", "1", "--to", "1"],
        ["export", "--format", "jsonl", "--versions", "--out", "x"],
    ],
)
def test_malformed_json_in_a_version_is_named(archive, tmp_path, monkeypatch, args):
    copy = tmp_path / "damaged.db"
    shutil.copy(archive, copy)
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE versions SET fields = '{broken' WHERE article_key = ?", [SEED_KEY])
    conn.commit()
    conn.close()
    monkeypatch.chdir(tmp_path)
    result = run(*args, "--db", str(copy))
    assert result.exit_code == 1
    assert f"article {SEED_KEY}: the fields of its version 1 holds malformed JSON" in result.output
    assert isinstance(result.exception, SystemExit)
    assert not (tmp_path / "x.jsonl").exists()
