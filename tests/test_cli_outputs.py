"""Output options on the command line: '-' is stdout, the archive is never overwritten."""

from __future__ import annotations

import gzip
import json
import os
import stat

import pytest
from click.testing import CliRunner

from crawler.archive.db import open_archive
from crawler.cli import main
from tests.fixture_archive import SEED_KEY, T2, edited_seed


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_export_to_stdout_writes_rows_and_no_file(archive, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["export", "--db", str(archive), "--format", "jsonl", "--out", name]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 7
    assert list(tmp_path.iterdir()) == []  # no file named "-" or "-.jsonl"


def test_export_warc_to_stdout_writes_a_compressed_warc(archive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export-warc", "--db", str(archive), "--out", "-"])
    assert result.exit_code == 0, result.output
    assert gzip.decompress(result.stdout_bytes).startswith(b"WARC/1.1\r\n")
    assert list(tmp_path.iterdir()) == []


def test_show_html_to_stdout_writes_exactly_the_page(archive):
    result = CliRunner().invoke(main, ["show", SEED_KEY, "--db", str(archive), "--html", "-"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == edited_seed(T2).body


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "jsonl", "--out", ""],
        ["export-warc", "--out", ""],
        ["show", SEED_KEY, "--html", ""],
    ],
    ids=["export", "export-warc", "show"],
)
def test_an_empty_output_path_is_a_usage_error(archive, args):
    result = run(*args, "--db", str(archive))
    assert result.exit_code == 2
    assert "empty output path" in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def own_archive(tmp_path):
    path = tmp_path / "own.db"
    open_archive(path).close()
    return path


@pytest.mark.parametrize("companion", ["", "-wal", "-shm"])
@pytest.mark.parametrize(
    "args",
    [["export", "--format", "jsonl"], ["export-warc"]],
    ids=["export", "export-warc"],
)
def test_an_export_never_overwrites_the_archive(own_archive, args, companion):
    target = own_archive.with_name(own_archive.name + companion)
    target.touch()
    before = target.read_bytes()
    result = run(*args, "--out", str(target), "--force", "--db", str(own_archive))
    assert result.exit_code == 1
    assert "archive being read" in result.output
    assert target.read_bytes() == before


def test_show_html_never_creates_folders_outside_the_current_directory(
    archive, tmp_path, monkeypatch
):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for name in ["../up/p.html", str(tmp_path / "far" / "away" / "p.html")]:
        result = run("show", SEED_KEY, "--db", str(archive), "--html", name)
        assert result.exit_code == 2, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd"]


def test_export_file_gets_the_users_umask(archive, tmp_path):
    old = os.umask(0o022)
    try:
        result = run(
            "export", "--db", str(archive), "--format", "csv", "--out", str(tmp_path / "a")
        )
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "jsonl", "--out", "notes.txt/x"],
        ["export-warc", "--out", "notes.txt/sub/x.warc.gz"],
        ["show", SEED_KEY, "--html", "notes.txt/x.html"],
        ["export", "--format", "csv", "--out", "a" * 300],
    ],
)
def test_an_output_path_the_system_refuses_is_a_line_not_a_traceback(
    archive, tmp_path, monkeypatch, args
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    result = run(*args, "--db", str(archive))
    assert result.exit_code in (1, 2), result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
