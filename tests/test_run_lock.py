"""The run lock file (crawler.archive.lockfile) and the migration that retired its table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlite_utils import Database

from crawler.archive import crawl_state, lockfile
from crawler.archive.db import open_archive
from crawler.archive.schema import MIGRATIONS, apply_migrations


def test_a_second_holder_is_refused_with_the_first_named(tmp_path):
    db = tmp_path / "archive.db"
    held = lockfile.acquire(db)
    with pytest.raises(lockfile.ArchiveLocked, match=rf"pid {os.getpid()} .*{db}\.lock"):
        lockfile.acquire(db)
    held.release()
    lockfile.acquire(db).release()


def test_the_lock_of_a_killed_process_is_free_at_once(tmp_path):
    db = tmp_path / "archive.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from crawler.archive import lockfile; "
            f"held = lockfile.acquire({str(db)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(lockfile.ArchiveLocked, match=rf"pid {holder.pid} "):
            lockfile.acquire(db)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
    # No staleness rule to wait out: the kernel let go with the process.
    lockfile.acquire(db).release()


def test_the_lock_file_of_an_archive_is_beside_it(tmp_path):
    db = open_archive(tmp_path / "archive.db")
    assert lockfile.lock_path(lockfile.archive_file(db)) == tmp_path / "archive.db.lock"
    db.close()


def test_the_retired_lock_table_is_dropped_and_the_frontier_kept(tmp_path):
    path = tmp_path / "archive.db"
    old = Database(path)
    MIGRATIONS.apply(old, stop_before="014b_drop_crawl_lock")  # an archive of before the file
    assert old["crawl_lock"].exists()
    crawl_state.enqueue(old, [crawl_state.Entry("u1", "article")])
    old.close()
    db = open_archive(path)
    assert not db["crawl_lock"].exists()
    assert crawl_state.pending(db) == [crawl_state.Entry("u1", "article")]
    apply_migrations(db)  # nothing left to do
    db.close()
