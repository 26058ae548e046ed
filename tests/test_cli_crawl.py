"""`cpc-archive replay-proxy` and `cpc-archive demo`."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.archive.db import open_archive
from crawler.cli import main

pytestmark = pytest.mark.e2e


def test_replay_proxy_refuses_a_source_it_cannot_read(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a recording")
    result = CliRunner().invoke(main, ["replay-proxy", "--from", str(junk), "--port", "0"])
    assert result.exit_code == 1
    assert "not a site folder, a WARC file or an archive database" in result.output


def test_replay_proxy_help_says_how_to_crawl_through_it():
    result = CliRunner().invoke(main, ["replay-proxy", "--help"])
    assert result.exit_code == 0
    assert "http_proxy=http://127.0.0.1:PORT scrapy crawl cpc" in result.output


def test_demo_crawls_the_recorded_site_into_a_fresh_archive(tmp_path):
    db = tmp_path / "demo.db"
    db.write_bytes(b"an old file the demo replaces")
    result = CliRunner().invoke(main, ["demo", "--db", str(db), "--force"])
    assert result.exit_code == 0, result.output
    assert "ended 'finished'" in result.output
    assert "What next:" in result.output
    assert f"cpc-archive search --db {db}" in result.output
    archive = open_archive(db)
    assert archive.execute("SELECT count(*) FROM articles").fetchone()[0] >= 30
    assert archive.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    archive.close()


def test_demo_refuses_an_existing_file_without_force(tmp_path):
    db = tmp_path / "precious.db"
    db.write_bytes(b"a year of crawling")
    result = CliRunner().invoke(main, ["demo", "--db", str(db)])
    assert result.exit_code == 1
    assert "pass --force" in result.output
    assert db.read_bytes() == b"a year of crawling"


def test_replay_proxy_port_out_of_range_is_a_usage_error():
    result = CliRunner().invoke(
        main, ["replay-proxy", "--from", "crawler/demo_site", "--port", "99999"]
    )
    assert result.exit_code == 2
    assert "99999 is not in the range 0<=x<=65535" in result.output
    assert "Traceback" not in result.output


def test_replay_proxy_folder_without_manifest_says_so(tmp_path):
    result = CliRunner().invoke(main, ["replay-proxy", "--from", str(tmp_path), "--port", "0"])
    assert result.exit_code == 1
    assert "folder without manifest.json" in result.output
    assert "Errno" not in result.output


def test_replay_proxy_refuses_a_sqlite_file_that_is_not_an_archive(tmp_path):
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    before = other.read_bytes()
    result = CliRunner().invoke(main, ["replay-proxy", "--from", str(other), "--port", "0"])
    assert result.exit_code == 1
    assert "not a cpc-archive database" in result.output
    assert other.read_bytes() == before


def _runs(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, finished_at, finish_reason FROM runs").fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        conn.close()


def test_ctrl_c_during_demo_closes_the_run_and_exits_130(tmp_path):
    db = tmp_path / "demo.db"
    # A session of its own: Ctrl-C reaches the demo and its crawl as a terminal would send it.
    demo = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "demo", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _runs(db) and demo.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _runs(db), "the crawl never started a run"
        os.killpg(demo.pid, signal.SIGINT)
        output = demo.communicate(timeout=60)[0].decode()
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    assert demo.returncode == 130, output
    runs = _runs(db)
    assert runs and all(finished for _, finished, _ in runs), runs
    # the crawl closes its own run on Ctrl-C ('shutdown'); the demo closes any it could not
    assert {reason for _, _, reason in runs} <= {"shutdown", "interrupted"}
    assert "Traceback" not in output
