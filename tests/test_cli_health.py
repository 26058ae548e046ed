"""`cpc-archive health` and the monitors column of `cpc-archive runs`, over checks stored in a
file archive."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crawler.archive.checks import Check, save_checks
from crawler.archive.db import open_archive
from crawler.archive.runs import finish_run, start_run
from crawler.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "archive.db"
    db = open_archive(path)
    first = start_run(db, "crawl")
    finish_run(db, first, "finished")
    save_checks(db, first, "cpc", [Check("New articles per run", True, "12 new articles")])
    second = start_run(db, "crawl")
    finish_run(db, second, "finished")
    save_checks(
        db,
        second,
        "cpc",
        [
            Check("New articles per run", True, "9 new articles"),
            Check("Fallback and unknown share", False, "pages fell to the fallback template"),
        ],
    )
    start_run(db, "reparse")  # not judged: health looks past it
    db.close()
    return path


def test_health_exits_1_and_names_the_failure_of_the_last_judged_run(archive):
    result = run("health", "--db", str(archive))
    assert result.exit_code == 1
    assert "Run 2" in result.output
    assert "FAILED Fallback and unknown share: pages fell to the fallback template" in result.output
    assert "ok     New articles per run: 9 new articles" in result.output


def test_health_exits_0_when_the_last_judged_run_passed(archive):
    db = open_archive(archive)
    save_checks(db, 2, "cpc", [Check("New articles per run", True, "9 new articles")])
    db.close()
    result = run("health", "--db", str(archive), "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["healthy"] is True


def test_health_exits_2_when_nothing_was_judged(tmp_path):
    path = tmp_path / "empty.db"
    open_archive(path).close()
    result = run("health", "--db", str(path))
    assert result.exit_code == 2
    assert "No crawl has been judged" in result.output


def test_health_of_one_spider(archive):
    assert run("health", "--db", str(archive), "--spider", "rmrb").exit_code == 2
    assert run("health", "--db", str(archive), "--spider", "cpc").exit_code == 1


def test_runs_lists_each_runs_monitors(archive):
    result = run("runs", "--db", str(archive), "--json")
    checks = {r["id"]: r["checks"] for r in json.loads(result.output)}
    assert checks[3] == []
    assert [c["passed"] for c in checks[2]] == [True, False]
    table = run("runs", "--db", str(archive))
    assert "1 passed" in table.output
    assert "run 2: Fallback and unknown share failed: pages fell to the fallback" in table.output
