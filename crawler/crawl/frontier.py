"""The spider's frontier on one machine: crawl state in the archive file (crawler.crawl.state).

The spider asks its frontier what to fetch and what is known; this one answers from SQLite,
crawler.distributed.frontier.RedisFrontier from Redis for a fleet of workers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from crawler.archive.instants import utc_instant
from crawler.archive.store import articles_first_seen_since, known_article
from crawler.crawl import state
from crawler.crawl.archive import open_crawl_archive
from crawler.urls import article_key, canonical_url

logger = logging.getLogger(__name__)


class SqliteFrontier:
    def __init__(self, settings):
        self.db = open_crawl_archive(settings)

    def start(self, seeds: list[state.Entry], args: dict | None = None) -> list[state.Entry]:
        """The pending URLs of an interrupted crawl, else the seeds of a fresh one."""
        resumed = state.pending(self.db)
        if resumed:
            logger.info("Resuming an interrupted crawl: %d URLs pending", len(resumed))
            out = []
            for entry in resumed:
                if entry.kind == "article" and known_article(self.db, article_key(entry.url)):
                    # Stored before the kill, not yet marked done: nothing to fetch.
                    state.mark_done(self.db, entry.url)
                    continue
                out.append(entry)
            return out
        # A fresh crawl: forget what a stopped one left done (banned, or capped by a limit).
        state.clear(self.db)
        return state.enqueue(self.db, seeds)

    def recheck(self, days: int) -> list[state.Entry]:
        since = datetime.now(UTC) - timedelta(days=days)
        recent = articles_first_seen_since(self.db, utc_instant(since.isoformat()))
        return [state.Entry(canonical_url(url), "recheck") for _key, url in recent]

    def enqueue(self, entries, done=None):
        return state.enqueue(self.db, entries, done)

    def kinds(self, urls):
        return state.kinds(self.db, urls)

    def known_article(self, key: str) -> bool:
        return known_article(self.db, key)

    def settled(self, url: str) -> bool:
        return state.settled(self.db, url)

    def mark_done(self, url: str) -> None:
        state.mark_done(self.db, url)

    def close(self, reason: str) -> None:
        if reason == "finished":
            state.clear(self.db)
        else:
            left = len(state.pending(self.db))
            logger.info("Crawl stopped (%s): %d URLs pending for the next run", reason, left)
        self.db.close()
