"""The run lock: one crawl per archive at a time.

A second `scrapy crawl cpc` on an archive a live crawl holds stops before its first request,
with a message naming the holder. A lock left by a killed process is taken over: the holder's
PID is gone (same host) or its heartbeat is older than ARCHIVE_LOCK_STALE_AFTER seconds.
"""

from __future__ import annotations

import logging

from scrapy import signals
from twisted.internet import task

from crawler.archive.runs import finish_run, start_run, unfinished_runs
from crawler.components import state
from crawler.components.connection import CrawlArchive

logger = logging.getLogger(__name__)

# Finish reason of a crawl run found open by the next crawl (its process was killed).
INTERRUPTED = "interrupted"
# Finish reason of a crawl refused because another one holds the archive.
LOCKED = "locked"


class RunLock:
    def __init__(self, db, heartbeat_every: float):
        self.db = db
        self.heartbeat_every = heartbeat_every
        self.beat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        path = settings.get("ARCHIVE_DB")
        db = CrawlArchive.of(crawler).db
        try:
            stale = state.acquire_lock(db, settings.getfloat("ARCHIVE_LOCK_STALE_AFTER"))
        except state.ArchiveLocked as exc:
            logger.critical("Archive %s is locked: %s", path, exc)
            # A scheduled run that could not start leaves its trace in `runs` too.
            finish_run(db, start_run(db, "crawl", {"refused": str(exc)}), LOCKED)
            CrawlArchive.of(crawler).close()
            raise
        if stale:
            logger.warning(
                "Took over the lock of a crawl that is gone (pid %s, last heartbeat %s)",
                stale["pid"],
                stale["heartbeat_at"],
            )
        # Holding the lock, any crawl run still open was killed: say so in its row.
        for run_id in unfinished_runs(db, "crawl"):
            finish_run(db, run_id, INTERRUPTED)
            logger.warning("Crawl run %d never finished: recorded as %r", run_id, INTERRUPTED)
        ext = cls(db, settings.getfloat("ARCHIVE_LOCK_HEARTBEAT"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self):
        self.beat = task.LoopingCall(state.heartbeat, self.db)
        self.beat.start(self.heartbeat_every, now=False)

    def spider_closed(self):
        if self.beat and self.beat.running:
            self.beat.stop()
        state.release_lock(self.db)
