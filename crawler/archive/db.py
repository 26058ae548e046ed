"""Opening the archive: one SQLite file, WAL, a busy timeout, foreign keys, migrations applied."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from crawler.archive.schema import (
    MIGRATION_SET,
    MIGRATIONS_TABLE,
    apply_migrations,
    pending_migrations,
)

DEFAULT_DB = "data/archive.db"
# Seconds a writer waits for another writer's transaction before giving up.
DEFAULT_BUSY_TIMEOUT = 30.0


class ArchiveBusyError(RuntimeError):
    """Another process held the archive's write lock for longer than the busy timeout."""


class NotAnArchiveError(ValueError):
    """The file exists but is not a cpc-archive database (another SQLite file, empty, junk)."""


def open_existing_archive(
    path: str | Path = DEFAULT_DB, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> Database:
    """Open an archive that must already exist; never create one.

    Commands that only read (search, show, stats, export, reparse, ...) use this: pointed at a
    missing file, an empty file or another program's SQLite database, they must not turn it
    into an archive. The file is first looked at read-only, so a refused file is left
    byte-identical (no schema, no -wal/-shm). Raises FileNotFoundError or NotAnArchiveError.
    """
    if str(path) == ":memory:":
        return open_archive(path, busy_timeout)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no archive at {path}")
    if not is_archive(path, busy_timeout):
        raise NotAnArchiveError(f"{path}: not a cpc-archive database")
    return open_archive(path, busy_timeout)


def open_or_create_archive(
    path: str | Path = DEFAULT_DB, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> Database:
    """Open the archive at `path`, creating it in a missing or empty file; never in another
    program's SQLite database (one with tables but no archive record): NotAnArchiveError,
    the file untouched. For the commands that create archives (ingest, import-warc)."""
    if str(path) != ":memory:" and Path(path).is_file() and _foreign_tables(Path(path)):
        raise NotAnArchiveError(f"{path}: not a cpc-archive database")
    return open_archive(path, busy_timeout)


def _foreign_tables(path: Path) -> bool:
    """Tables in the file, none of them the archive's migration record. A file being created
    by another process shows no table until its migrations commit: not foreign."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return False
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error:  # junk or locked: open_archive reports it
        return False
    finally:
        conn.close()
    return bool(tables) and not is_archive(path)


def is_archive(path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> bool:
    """Whether `path` holds the archive's migration record; looks without writing anything."""
    # mode=ro: SQLite neither creates nor changes the file (an empty file stays empty).
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout)
    except sqlite3.Error:
        return False
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            [MIGRATIONS_TABLE],
        ).fetchone()
        if not found:
            return False
        return (
            conn.execute(
                f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE migration_set = ? LIMIT 1",
                [MIGRATION_SET],
            ).fetchone()
            is not None
        )
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            with busy_errors(busy_timeout):
                raise
        return False
    except sqlite3.DatabaseError:  # "file is not a database"
        return False
    finally:
        conn.close()


def open_archive(
    path: str | Path = DEFAULT_DB, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> Database:
    """Open (creating if needed) the archive at `path`, ":memory:" for a throwaway one.

    WAL lets readers (search, Datasette) run while a crawl writes; the busy timeout makes a second
    writer wait its turn instead of failing at once.
    """
    memory = str(path) == ":memory:"
    if not memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(":memory:" if memory else str(path), timeout=busy_timeout)
    db = Database(conn)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        db.execute("PRAGMA foreign_keys = ON")
        if not memory:
            _enable_wal(db, busy_timeout)
        # NORMAL in WAL keeps every committed transaction across a process crash (only an OS
        # crash can lose the last ones), at a fraction of FULL's fsyncs.
        db.execute("PRAGMA synchronous = NORMAL")
        with busy_errors(busy_timeout):
            _migrate(db)
    except BaseException:
        conn.close()
        raise
    return db


def _migrate(db: Database) -> None:
    """Apply pending migrations under the write lock, so two processes opening a new archive at
    once take turns and the second finds nothing left to do. An up-to-date archive (every open
    but the first) takes no lock, so readers never wait on a crawl here."""
    if not pending_migrations(db):
        return
    with write_transaction(db):
        apply_migrations(db)


def _enable_wal(db: Database, busy_timeout: float) -> None:
    """Switch a new archive to WAL; an archive already in WAL is left as it is.

    Two processes creating the same archive at once can both want the switch; SQLite then
    answers one of them "locked" at once, without waiting, to avoid a deadlock. Retry that
    until the busy timeout has passed, as any other lock wait would.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            if db.journal_mode != "wal":
                db.enable_wal()
            return
        except sqlite3.OperationalError as e:
            if time.monotonic() >= deadline:
                with busy_errors(busy_timeout):
                    raise
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def busy_errors(timeout: float | None = None) -> Iterator[None]:
    """Turn SQLite's "database is locked" into an ArchiveBusyError that says what to do."""
    try:
        yield
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            waited = f" after waiting {timeout:g}s" if timeout is not None else ""
            raise ArchiveBusyError(
                f"the archive is locked by another process{waited} ({e}); "
                "try again when it finishes, or raise the busy timeout"
            ) from e
        raise


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One write transaction, taking the write lock up front.

    BEGIN IMMEDIATE waits (busy timeout) for the lock before reading anything, so two writers
    queue instead of one failing when it upgrades a read transaction to a write. Nested calls
    become savepoints of the outer transaction.
    """
    if db.conn.in_transaction:
        try:
            with db.atomic():
                yield db
        except BaseException:
            forget_caches(db)
            raise
        return
    with busy_errors(_busy_timeout(db)):
        db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        with busy_errors(_busy_timeout(db)):
            db.conn.execute("COMMIT")
    except BaseException:
        db.rollback()
        forget_caches(db)
        raise


def forget_caches(db: Database) -> None:
    """Drop what modules cached from rows on this connection (attributes named _cpc_*).

    After a rollback such rows may never have existed, and their ids can be reused.
    """
    for name in [n for n in vars(db) if n.startswith("_cpc_")]:
        delattr(db, name)


def _busy_timeout(db: Database) -> float:
    return db.conn.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
