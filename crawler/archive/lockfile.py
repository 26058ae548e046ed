"""The run lock: one crawl (or distributed writer) per archive at a time.

The lock is the kernel's: an exclusive flock on `<archive>.lock`, held by an open file for the
life of the run. The kernel drops it when that file is closed, including when the process dies
(a kill, a crash, a power cut), so a lock never outlives its holder and nothing has to decide
whether a holder is still alive. The holder writes its PID, host and start time into the file,
only so that a refused process can name it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from typing import IO

from sqlite_utils import Database

from crawler.archive.instants import utc_now


class ArchiveLocked(RuntimeError):
    """Another live process holds this archive's run lock."""


def lock_path(db_path: str | Path) -> Path:
    """The lock file of an archive: beside it (archive.db -> archive.db.lock)."""
    return Path(f"{db_path}.lock")


def archive_file(db: Database) -> str:
    """The file of `db`'s main database; "" for an in-memory one."""
    return next(row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main")


class HeldLock:
    """The held lock of one archive; `release()` (or the process's end) lets it go."""

    def __init__(self, path: Path, handle: IO[str]):
        self.path = path
        self.handle: IO[str] | None = handle

    def release(self) -> None:
        if self.handle is None:
            return
        # Emptied first: a file that names nobody while no one holds it.
        self.handle.truncate(0)
        self.handle.close()  # closing the file drops the flock
        self.handle = None


def acquire(db_path: str | Path) -> HeldLock:
    """Take the run lock of the archive at `db_path`, or raise ArchiveLocked naming its holder."""
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # "a+": create it if missing without emptying it, so the holder's note stays readable.
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        note = handle.read()
        handle.close()
        raise ArchiveLocked(
            f"{_holder(note)} is writing to this archive (lock file {path}); "
            "wait for it to finish or stop it"
        ) from None
    handle.truncate(0)
    note = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": utc_now()}
    handle.write(json.dumps(note))
    handle.flush()
    return HeldLock(path, handle)


def _holder(note: str) -> str:
    """Who the lock file says holds it, in words."""
    try:
        holder = json.loads(note)
        return (
            f"another crawl (pid {holder['pid']} on {holder['host']}, "
            f"started {holder['started_at']})"
        )
    except (ValueError, KeyError, TypeError):
        # Read between the holder's flock and its note.
        return "another crawl"
