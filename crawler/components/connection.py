"""The crawl's one connection to its archive (ARCHIVE_DB), shared by every component of the crawl.

The run lock, the spider's frontier, the archive pipeline, the rmrb spider and the monitors
all take it from `CrawlArchive.of(crawler)`: one SQLite connection per crawl, opened on first
use with ARCHIVE_BUSY_TIMEOUT and closed once the engine has stopped (after the spider_closed
handlers and Spidermon's monitors). It is used on the reactor thread only (sqlite3 refuses
another thread).

Its busy timeout is ARCHIVE_BUSY_TIMEOUT, right for the crawl's start and end. Writes made
while the crawl runs go through `attempt()`: they never wait for another writer's lock, so a
reparse or an ingest holding it cannot stall the reactor (and fetching with it); the caller
keeps what it could not write (spool, memory) and tries again later.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from scrapy import signals
from sqlite_utils import Database

from crawler.archive.db import busy_errors, open_archive


def open_crawl_archive(settings) -> Database:
    return open_archive(settings.get("ARCHIVE_DB"), settings.getfloat("ARCHIVE_BUSY_TIMEOUT"))


class ArchiveClosedError(RuntimeError):
    """The crawl's archive connection was used after the engine stopped."""


class CrawlArchive:
    def __init__(self, crawler):
        self.settings = crawler.settings
        self._db: Database | None = None
        self.closed = False
        self.signals = crawler.signals
        # The crawl's components ask for it while they are built, before the engine starts.
        crawler.signals.connect(self._engine_started, signal=signals.engine_started)

    def _engine_started(self) -> None:
        # Connected once the engine runs, so it comes after every engine_stopped handler
        # connected while the crawl was set up (Spidermon's monitors among them).
        self.signals.connect(self.close, signal=signals.engine_stopped)

    @classmethod
    def of(cls, crawler) -> CrawlArchive:
        """The crawl's archive, created on the first call for this crawler."""
        archive = getattr(crawler, "_crawl_archive", None)
        if archive is None:
            archive = cls(crawler)
            crawler._crawl_archive = archive
        return archive

    @property
    def db(self) -> Database:
        if self.closed:
            raise ArchiveClosedError("the crawl's archive connection is closed: the crawl is over")
        if self._db is None:
            self._db = open_crawl_archive(self.settings)
        return self._db

    @contextlib.contextmanager
    def attempt(self, wait: float = 0.0) -> Iterator[Database]:
        """Writes that wait `wait` seconds at most for another writer's lock (by default not
        at all): ArchiveBusyError when it is held. The busy timeout is restored after."""
        db = self.db
        before = db.execute("PRAGMA busy_timeout").fetchone()[0]
        db.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            with busy_errors(wait):
                yield db
        finally:
            db.execute(f"PRAGMA busy_timeout = {before}")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self.closed = True
