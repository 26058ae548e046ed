"""The archive under stress: locks, a killed writer, two writers at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from crawler.archive.compress import sha256
from crawler.archive.db import ArchiveBusyError, open_archive
from crawler.archive.runs import start_run
from crawler.archive.schema import pending_migrations
from crawler.archive.search.fts import search
from crawler.archive.snapshots import snapshot_body
from crawler.archive.store import store_fetches
from crawler.cli import main
from tests.archive_helpers import fetch, record

ROOT = Path(__file__).resolve().parents[1]
STATE_TABLES = ("articles", "versions", "article_urls", "failures", "snapshots")

# A writer storing `count` distinct fetches one call at a time, printing each committed id.
WRITER = """
import sys
from crawler.archive.db import open_archive
from crawler.archive.runs import start_run
from crawler.archive.store import store_fetches
from tests.archive_helpers import fetch, page, record

path, prefix, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = open_archive(path, busy_timeout=60)
run = start_run(db, "writer")
for n in range(count):
    cid = str(prefix + n)
    url = f"http://cpc.people.com.cn/n1/2024/0807/c64094-{cid}.html"
    body = page(f"标题{cid}", "人民网 " * 200 + cid)
    out = store_fetches(db, run, [fetch(url, body)], record(url, content_id=cid, title=cid))
    print(cid, out.snapshot_ids[0], flush=True)
"""


def writer(path: Path, prefix: int, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(prefix), str(count)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_locked_database_gives_a_clear_error_after_the_timeout(tmp_path):
    path = tmp_path / "a.db"
    db = open_archive(path, busy_timeout=0.2)
    run = start_run(db, "test")
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        with pytest.raises(ArchiveBusyError, match=r"locked by another process after waiting 0.2s"):
            store_fetches(db, run, [fetch()], record())
    finally:
        holder.rollback()
        holder.close()
    # nothing half-written, and the archive works again once the lock is gone
    assert db.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0
    assert store_fetches(db, run, [fetch()], record()).status == "new"
    db.close()


def test_locked_database_is_a_message_not_a_traceback_on_the_command_line(tmp_path):
    path = tmp_path / "a.db"
    open_archive(path).close()
    saved = tmp_path / "page.html"
    saved.write_bytes(b"")
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = CliRunner().invoke(
            main,
            [
                "ingest",
                "--db",
                str(path),
                "--busy-timeout",
                "0.2",
                "--url",
                fetch().url,
                str(saved),
            ],
        )
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert "the archive is locked by another process after waiting 0.2s" in result.output
    assert result.output.startswith(f"Error: {path}: ")
    assert "Traceback" not in result.output


def test_killed_writer_leaves_an_intact_archive_with_every_committed_fetch(tmp_path):
    path = tmp_path / "a.db"
    open_archive(path).close()
    proc = writer(path, 40000000, 100000)
    committed = []
    for line in proc.stdout:
        committed.append(line.split())
        if len(committed) == 60:
            break
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the next store_fetches
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert integrity(path) == "ok"
    db = open_archive(path)
    for cid, snapshot_id in committed:
        row = db.execute(
            "SELECT s.url, s.body_sha256, a.title FROM snapshots s "
            "JOIN articles a ON a.snapshot_id = s.id WHERE s.id = ?",
            [int(snapshot_id)],
        ).fetchone()
        assert row is not None, f"committed fetch {cid} lost"
        assert row[0].endswith(f"-{cid}.html")
        assert row[2] == cid
        assert sha256(snapshot_body(db, row[1])) == row[1]
    # whatever got past the last printed line is whole too: every snapshot has its article
    snapshots, articles, fetched = db.execute(
        "SELECT (SELECT count(*) FROM snapshots), (SELECT count(*) FROM articles), "
        "(SELECT fetched FROM runs)"
    ).fetchone()
    assert snapshots == articles == fetched >= 60
    db.close()


def test_two_writers_at_once_both_finish_and_the_archive_is_intact(tmp_path):
    path = tmp_path / "a.db"
    open_archive(path).close()
    procs = [writer(path, 40000000, 80), writer(path, 50000000, 80)]
    outputs = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    assert [len(out.splitlines()) for out, _ in outputs] == [80, 80]
    assert integrity(path) == "ok"
    db = open_archive(path)
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 160
    assert db.execute("SELECT sum(fetched), sum(new) FROM runs").fetchone() == (160, 160)
    db.close()


OPEN_NEW_ARCHIVE = """
import sys
from crawler.archive.db import open_archive
from crawler.archive.schema import pending_migrations
db = open_archive(sys.argv[1])
print(len(pending_migrations(db)), db.journal_mode)
"""


def test_processes_creating_one_new_archive_at_once_all_open_it(tmp_path):
    path = tmp_path / "new.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_NEW_ARCHIVE, str(path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == ["0 wal"] * 6
    assert integrity(path) == "ok"
    db = open_archive(path)
    applied = db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    assert applied == len(pending_migrations(Database(memory=True)))
    db.close()


def test_reading_while_a_write_is_open_sees_the_last_committed_state(tmp_path):
    path = tmp_path / "a.db"
    db = open_archive(path)
    store_fetches(db, start_run(db, "test"), [fetch()], record())
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("DELETE FROM failures")
    try:
        reader = open_archive(path, busy_timeout=0.2)
        assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        reader.close()
    finally:
        holder.rollback()
        holder.close()
        db.close()


def test_a_file_that_is_not_an_archive_is_a_message_not_a_traceback(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are notes, not SQLite" * 100)
    for args in (["reparse"], ["compact"], ["ingest", "--url", fetch().url, str(path)]):
        result = CliRunner().invoke(main, [*args, "--db", str(path)])
        assert result.exit_code == 1, args
        assert "not a cpc-archive database" in result.output
        assert "Traceback" not in result.output
    assert path.read_bytes() == b"these are notes, not SQLite" * 100


def test_reparse_of_a_missing_archive_says_so(tmp_path):
    result = CliRunner().invoke(main, ["reparse", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no archive at" in result.output
    assert not (tmp_path / "none.db").exists()


def test_empty_file_ingested_on_the_command_line_lands_in_failures(tmp_path):
    path = tmp_path / "a.db"
    saved = tmp_path / "page.html"
    saved.write_bytes(b"")
    result = CliRunner().invoke(
        main, ["ingest", "--db", str(path), "--url", fetch().url, str(saved)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("failed: people:40294553 (snapshots 1) - empty: empty body")
    db = open_archive(path)
    assert db.execute("SELECT kind, snapshot_id FROM failures").fetchall() == [("empty", 1)]
    assert db.execute("SELECT kind, finish_reason, failed FROM runs").fetchall() == [
        ("ingest", "finished", 1)
    ]
    db.close()


REPARSER = """
import sys
from crawler.archive.db import open_archive
from crawler.archive.reparse import reparse
from crawler.archive.runs import start_run

db = open_archive(sys.argv[1])
run = start_run(db, "reparse")
reparse(db, run, lambda done, total: print(done, total, flush=True), batch_keys=2)
print("finished", flush=True)
"""


def _derived_state(db) -> dict[str, list[str]]:
    """Every row of the state tables as text, but the ids a re-derivation renumbers (an
    article's doc_id, a failure's id and run)."""
    import json

    out = {}
    for table in STATE_TABLES:
        rows = []
        for row in db.query(f"SELECT * FROM {table}"):
            if table != "snapshots":
                for renumbered in ("doc_id", "id", "run_id"):
                    row.pop(renumbered, None)
            rows.append(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str))
        out[table] = sorted(rows)
    return out


def test_killed_reparse_leaves_every_article_whole(tmp_path):
    """reparse works in batches (a deliberate change: one transaction held the archive); a
    kill halfway leaves the batches done re-derived and the others as they were, each article
    whole: with the same parser, the same archive."""
    from tests.test_archive_fixtures import CASES, fixture_fetches

    path = tmp_path / "a.db"
    db = open_archive(path)
    run = start_run(db, "test")
    for n in range(8):  # the fixture site fetched 8 times: a few hundred snapshot groups
        for case in CASES:
            store_fetches(db, run, fixture_fetches(case, at=f"2024-08-1{n}T00:00:00Z"))
    before = _derived_state(db)
    db.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", REPARSER, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stdout:
        done, total = map(int, line.split())
        if done >= total // 2:
            break
    os.kill(proc.pid, signal.SIGKILL)  # halfway through re-deriving everything
    assert done < total
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    assert integrity(path) == "ok"
    db = open_archive(path)
    assert _derived_state(db) == before
    assert [h.key for h in search(db, "妇联")][:1] == ["people:40294513"]
    db.close()
