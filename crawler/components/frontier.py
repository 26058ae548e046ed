"""The spider's frontier on one machine, kept in the archive (crawler.archive.crawl_state).

The spider asks its frontier what to fetch and what is known; this one answers from SQLite,
crawler.distributed.frontier.RedisFrontier from Redis for a fleet of workers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from crawler.archive import crawl_state
from crawler.archive.db import ArchiveBusyError, busy_errors
from crawler.archive.instants import utc_instant
from crawler.archive.lookup import articles_first_seen_since, known_article
from crawler.components import spool
from crawler.components.connection import CrawlArchive
from crawler.urls import article_key, canonical_url

logger = logging.getLogger(__name__)


class SqliteFrontier:
    """Its writes while the crawl runs (links found, pages done) never wait for another
    writer's lock: they run on the reactor, and a wait there stalls fetching. What the archive
    cannot take at once is kept in memory and written later (enqueue, mark_done); the start
    and the end of the crawl wait ARCHIVE_BUSY_TIMEOUT, as any other writer would."""

    def __init__(self, archive: CrawlArchive, settings):
        self.archive = archive
        self.db = archive.db
        # Pages fetched while the archive was busy wait here (ArchivePipeline stores them).
        self.spool = spool.spool_dir(settings.get("ARCHIVE_DB"))
        # Links found while the archive was too busy to write them down (enqueue), and those
        # of them already requested.
        self.unwritten: list[crawl_state.Entry] = []
        self.fetched_unwritten: set[str] = set()
        # Pages stored (or done for good) not yet marked done: the archive was busy.
        self.undone: set[str] = set()
        self.busy_timeout = settings.getfloat("ARCHIVE_BUSY_TIMEOUT")
        self.started = False

    @classmethod
    def from_crawler(cls, crawler) -> SqliteFrontier:
        return cls(CrawlArchive.of(crawler), crawler.settings)

    def start(
        self, seeds: list[crawl_state.Entry], args: dict | None = None
    ) -> list[crawl_state.Entry]:
        """The pending URLs of an interrupted crawl, else the seeds of a fresh one.

        Before any fetch: this waits the full ARCHIVE_BUSY_TIMEOUT for the lock.
        """
        self.started = True
        resumed = crawl_state.pending(self.db)
        if resumed:
            logger.info("Resuming an interrupted crawl: %d URLs pending", len(resumed))
            out = []
            spooled = spool.waiting(self.spool)
            for entry in resumed:
                if entry.kind == "article" and known_article(self.db, article_key(entry.url)):
                    # Stored before the kill, not yet marked done: nothing to fetch.
                    crawl_state.mark_done(self.db, entry.url)
                    continue
                if spool.holds(spooled, entry.url):
                    continue  # fetched, waiting in the spool: the pipeline stores it
                out.append(entry)
            return out
        # A fresh crawl: forget what a stopped one left done (banned, or capped by a limit).
        crawl_state.clear(self.db)
        return crawl_state.enqueue(self.db, seeds)

    def recheck(self, days: int) -> list[crawl_state.Entry]:
        since = datetime.now(UTC) - timedelta(days=days)
        recent = articles_first_seen_since(self.db, utc_instant(since.isoformat()))
        return [crawl_state.Entry(canonical_url(url), "recheck") for _key, url in recent]

    def incomplete_to_retry(self) -> list[crawl_state.Entry]:
        """Articles stored incomplete for a transient cause: asked again until whole."""
        return [
            crawl_state.Entry(canonical_url(u), "article")
            for u in crawl_state.incomplete_to_retry(self.db)
        ]

    def enqueue(self, found: list[crawl_state.Entry]) -> list[crawl_state.Entry]:
        """Write found links to the frontier; the entries to fetch now.

        A busy archive does not cost the links (nor waits): they are fetched
        all the same, kept in memory (deduplicated there) and written with the next page's
        links, or at the end of the crawl; a run that ends with links unwritten keeps its
        frontier and does not end `finished`.
        """
        self._flush_done()
        entries = [*self.unwritten, *found]
        try:
            with self.archive.attempt():
                added = crawl_state.enqueue(self.db, entries)
        except ArchiveBusyError as busy:
            n = len(entries)
            logger.warning("Archive busy; %d links kept in memory until it is free: %s", n, busy)
            self.unwritten = entries
            fresh = {e.url: e for e in found if e.url not in self.fetched_unwritten}
            known = crawl_state.kinds(self.db, list(fresh))  # in the frontier already: requested
            fresh = {u: e for u, e in fresh.items() if u not in known}
            self.fetched_unwritten.update(fresh)
            return list(fresh.values())
        self.unwritten = []
        return [e for e in added if e.url not in self.fetched_unwritten]

    def kinds(self, urls):
        return crawl_state.kinds(self.db, urls)

    def known_article(self, key: str) -> bool:
        return known_article(self.db, key)

    def settled(self, url: str) -> bool:
        return crawl_state.settled(self.db, url)

    def mark_done(self, url: str) -> None:
        """Mark `url` done, or keep it in memory while the archive is busy: written with the
        next page marked done, the next links found, or at the end of the crawl."""
        self.undone.add(url)
        self._flush_done()

    def _flush_done(self) -> None:
        if not self.undone:
            return
        try:
            with self.archive.attempt():
                crawl_state.mark_done(self.db, *sorted(self.undone))
        except ArchiveBusyError:
            logger.debug("Archive busy; %d pages wait to be marked done", len(self.undone))
            return
        self.undone.clear()

    def close(self, reason: str) -> None:
        if not self.started:  # closed before its first request: the run lock refused it
            return
        # Nothing left to stall: the connection waits ARCHIVE_BUSY_TIMEOUT, as any other writer.
        if self.undone:
            try:
                with busy_errors(self.busy_timeout):
                    crawl_state.mark_done(self.db, *sorted(self.undone))
                self.undone.clear()
            except ArchiveBusyError:
                logger.error("%d pages could not be marked done in the frontier", len(self.undone))
        if self.unwritten:
            try:
                with busy_errors():
                    crawl_state.enqueue(self.db, self.unwritten)
                self.unwritten = []
            except ArchiveBusyError:
                logger.error("%d links could not be written to the frontier", len(self.unwritten))
        unstored = spool.pending(self.spool)
        if self.unwritten or self.undone:
            logger.warning("The frontier is kept: links found or pages done not all written down")
        elif unstored:
            # Pages fetched but not yet stored: their URLs stay pending for the next run.
            logger.warning("%d fetched pages wait in the spool for the archive", len(unstored))
        elif reason == "finished":
            crawl_state.clear(self.db)
        else:
            left = len(crawl_state.pending(self.db))
            logger.info("Crawl stopped (%s): %d URLs pending for the next run", reason, left)
