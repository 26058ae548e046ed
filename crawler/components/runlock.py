"""The run lock of a crawl: one crawl per archive at a time (crawler.archive.lockfile).

A second `scrapy crawl` on an archive a live crawl holds is refused: one CRITICAL line naming
the lock file and the holder's PID, a `runs` row with finish reason `locked`, and the crawl
closes with that reason before its first request (the crawl command exits 1 on it). Nothing
else of it touches the archive: the archive pipeline asks `refused` and starts no run nor
stores the holder's spooled pages, and the spider's frontier, never started, writes nothing.

The lock is the kernel's, so a killed crawl's lock is free at once; the crawl that takes it
next closes the killed crawl's run, still open, as `interrupted`.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import CloseSpider

from crawler.archive import lockfile
from crawler.archive.runs import finish_run, start_run, unfinished_runs
from crawler.components.connection import CrawlArchive

logger = logging.getLogger(__name__)

# Finish reason of a crawl run found open by the next crawl (its process was killed).
INTERRUPTED = "interrupted"
# Finish reason of a crawl refused because another one holds the archive.
LOCKED = "locked"


class RunLock:
    def __init__(self, lock: lockfile.HeldLock | None, signals):
        self.lock = lock
        self.signals = signals

    @property
    def refused(self) -> bool:
        return self.lock is None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        path = settings.get("ARCHIVE_DB")
        db = CrawlArchive.of(crawler).db
        try:
            lock = lockfile.acquire(path)
        except lockfile.ArchiveLocked as exc:
            logger.critical("Archive %s is locked: %s", path, exc)
            # A scheduled run that could not start leaves its trace in `runs` too.
            args = getattr(crawler.spider, "run_args", None) or {}
            finish_run(db, start_run(db, "crawl", {**args, "refused": str(exc)}), LOCKED)
            # Nothing else of a refused crawl may touch the archive.
            CrawlArchive.of(crawler).close()
            lock = None
        else:
            # Holding the lock, any crawl run still open was killed: say so in its row.
            for run_id in unfinished_runs(db, "crawl"):
                finish_run(db, run_id, INTERRUPTED)
                logger.warning("Crawl run %d never finished: recorded as %r", run_id, INTERRUPTED)
        ext = cls(lock, crawler.signals)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        return ext

    def spider_opened(self):
        if self.refused:
            raise CloseSpider(LOCKED)

    def engine_started(self):
        # Connected once the engine runs, after CrawlArchive connected its own close: the lock
        # goes once the crawl's connection is closed, everything written.
        self.signals.connect(self.release, signal=signals.engine_stopped)

    def release(self):
        if self.lock is not None:
            self.lock.release()


def refused(crawler) -> bool:
    """Whether the run lock refused this crawl: then nothing may write to the archive."""
    ext = crawler.get_extension(RunLock)
    return ext is not None and ext.refused
