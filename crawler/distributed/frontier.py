"""The crawl frontier in Redis: what the spider asks of it, for all workers together.

The same questions crawler.components.frontier.SqliteFrontier answers from the archive file, here
answered from Redis so that workers on other machines need no archive: which URLs this crawl
has already admitted (the exact duplicate filter), which articles the archive holds and which
URLs failed for good (published by the writer), and when the crawl is over.

One instance per crawler (`RedisFrontier.of`), shared by the spider, the scheduler, the
pipeline and the middlewares: it also holds this worker's leases, by frontier URL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
import uuid

from crawler.archive.crawl_state import Entry
from crawler.distributed.connection import connect
from crawler.distributed.keys import Keys
from crawler.distributed.leases import LeaseStore

logger = logging.getLogger(__name__)

# KEYS: crawl, requests, leases, stream, dupefilter, args, stop, refused, finished.
# ARGV: crawl id, worker, reason, seconds before a new crawl may begin.
# The crawl ends once, for the first worker that finds nothing queued and nothing leased, and
# the fleet not stopped (a ban); the writer learns it from the stream, after every page
# delivered before it. Like a finished single-machine crawl, it forgets what was refused.
_FINISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[7]) == 1 then return 0 end
if redis.call('ZCARD', KEYS[2]) > 0 or redis.call('ZCARD', KEYS[3]) > 0 then return 0 end
redis.call('XADD', KEYS[4], '*', 'crawl', ARGV[1], 'worker', ARGV[2], 'finish', ARGV[3],
           'args', redis.call('GET', KEYS[6]) or '{}')
redis.call('DEL', KEYS[1], KEYS[5], KEYS[6], KEYS[8])
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[9], ARGV[1], 'EX', ARGV[4]) end
return 1
"""


# KEYS: crawl, args, finished. ARGV: a new crawl id, its arguments (JSON).
# Join the crawl under way, or begin one unless the fleet ended one less than
# ARCHIVE_REDIS_RECRAWL_AFTER ago (`finished` holds its id until then), decided in one step:
# no worker can find no crawl under way as another ends one, and begin a second.
# Returns {how, crawl id, its arguments}: how is join, begin or ended.
_START = """
local crawl = redis.call('GET', KEYS[1])
if crawl then return {'join', crawl, redis.call('GET', KEYS[2]) or '{}'} end
local ended = redis.call('GET', KEYS[3])
if ended then return {'ended', ended} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return {'begin', ARGV[1], ARGV[2]}
"""


def fingerprint(url: str) -> bytes:
    """The exact fingerprint of a frontier URL (already canonical): 20 raw bytes of SHA-1."""
    return hashlib.sha1(url.encode("utf-8")).digest()


def worker_name(settings) -> str:
    return settings.get("ARCHIVE_WORKER_NAME") or f"{socket.gethostname()}:{os.getpid()}"


class RedisFrontier:
    def __init__(
        self, url: str, prefix: str, worker: str, lease_ttl: float, recrawl_after: float = 0
    ):
        self.url = url
        self.server = connect(url)
        self.keys = Keys(prefix)
        self.store = LeaseStore(self.server, self.keys)
        self.worker = worker
        self.lease_ttl = lease_ttl
        self.recrawl_after = int(recrawl_after)
        self.held: dict[str, str] = {}  # frontier URL -> lease id, this worker's
        self.crawl_id: str | None = None
        self.args: dict = {}
        self._start = self.server.register_script(_START)
        self._finish = self.server.register_script(_FINISH)

    @classmethod
    def of(cls, crawler) -> RedisFrontier:
        frontier = getattr(crawler, "_redis_frontier", None)
        if frontier is None:
            s = crawler.settings
            prefix = f"{s.get('ARCHIVE_REDIS_PREFIX')}:{crawler.spidercls.name}"
            frontier = cls(
                s.get("ARCHIVE_REDIS_URL"),
                prefix,
                worker_name(s),
                s.getfloat("ARCHIVE_REDIS_LEASE"),
                s.getfloat("ARCHIVE_REDIS_RECRAWL_AFTER"),
            )
            crawler._redis_frontier = frontier
        return frontier

    # --- the crawl ---------------------------------------------------------------------------

    def start(self, seeds: list[Entry], args: dict | None = None) -> list[Entry]:
        """Join the crawl under way, or begin one; the seeds to request (the duplicate filter
        drops those a running crawl already has)."""
        self._wait_for_writer()
        fresh = uuid.uuid4().hex
        got = self._start(
            keys=[self.keys.crawl, self.keys.args, self.keys.finished],
            args=[fresh, json.dumps(args or {}, ensure_ascii=False)],
        )
        how, crawl = got[0].decode(), got[1].decode()
        if how == "ended":
            logger.info(
                "The fleet finished crawl %s less than ARCHIVE_REDIS_RECRAWL_AFTER (%ds) ago: "
                "nothing to do",
                crawl,
                self.recrawl_after,
            )
            return []
        self.crawl_id = self.store.crawl = crawl
        self.args = json.loads(got[2])
        others = self.live_workers()
        self.beat()
        if not others and not self.server.exists(self.keys.stop):
            # The first worker of a fleet that had stopped (a ban, a shutdown): a resumed crawl.
            self._ask_refused_again()
        logger.info(
            "%s distributed crawl %s as worker %s (%d requests queued, %d leased)",
            "Starting" if how == "begin" else "Joining",
            self.crawl_id,
            self.worker,
            self.store.queued(),
            self.store.leased(),
        )
        return seeds

    def crawl_over(self) -> bool:
        """The crawl this worker joined has ended (another worker found nothing left): what
        the queue holds now, if anything, is another crawl's."""
        crawl = self.server.get(self.keys.crawl)
        return self.crawl_id is not None and (crawl is None or crawl.decode() != self.crawl_id)

    def _now_ms(self) -> int:
        seconds, micros = self.server.time()
        return seconds * 1000 + micros // 1000

    def live_workers(self) -> int:
        """Other workers that gave a sign of life within their lease time."""
        alive = self.server.zrangebyscore(self.keys.workers, self._now_ms(), "+inf")
        return len([w for w in alive if w.decode() != self.worker])

    def beat(self) -> None:
        """This worker is alive for one more lease time (renewed with its leases)."""
        expiry = self._now_ms() + int(self.lease_ttl * 1000)
        self.server.zadd(self.keys.workers, {self.worker: expiry})

    def leave(self) -> None:
        self.server.zrem(self.keys.workers, self.worker)

    def _ask_refused_again(self) -> None:
        """Requests the site refused go back in the queue: the resumed crawl is their next run
        (an interrupted single-machine crawl asks its pending URLs again likewise)."""
        again = self.store.ask_refused_again()
        if again > 0:
            logger.info("%d requests the site refused earlier are queued again", again)

    def _wait_for_writer(self) -> None:
        waited = False
        while not self.server.exists(self.keys.ready):
            if not waited:
                logger.warning(
                    "Waiting for the archiver (cpc-archive archiver --redis %s) to publish "
                    "what the archive holds",
                    self.url,
                )
                waited = True
            time.sleep(0.5)

    def close(self, reason: str) -> None:
        self.leave()
        if reason == "finished" and self.crawl_id:
            ended = self._finish(
                keys=[
                    self.keys.crawl,
                    self.keys.requests,
                    self.keys.leases,
                    self.keys.stream,
                    self.keys.dupefilter,
                    self.keys.args,
                    self.keys.stop,
                    self.keys.refused,
                    self.keys.finished,
                ],
                args=[self.crawl_id, self.worker, reason, self.recrawl_after],
            )
            if ended:
                logger.info("Distributed crawl %s finished: nothing left to fetch", self.crawl_id)
        else:
            logger.info(
                "Worker %s stopped (%s): %d requests queued for the fleet",
                self.worker,
                reason,
                self.store.queued(),
            )

    # --- what the spider asks ----------------------------------------------------------------

    def incomplete_to_retry(self) -> list[Entry]:
        """Nothing: which stored articles are incomplete is known to the archive file, which
        workers never read; a single-machine crawl asks for them again."""
        return []

    def enqueue(self, entries: list[Entry], done: str | None = None) -> list[Entry]:
        # The scheduler's exact duplicate filter decides, atomically with the queueing.
        return list(entries)

    def kinds(self, urls: list[str]) -> dict[str, str]:
        if not urls:
            return {}
        seen = self.server.smismember(self.keys.dupefilter, [fingerprint(u) for u in urls])
        return {u: "article" for u, s in zip(urls, seen, strict=True) if s}

    def known_article(self, key: str) -> bool:
        return bool(self.server.sismember(self.keys.known, key))

    def settled(self, url: str) -> bool:
        return bool(self.server.sismember(self.keys.settled, url))

    def mark_done(self, url: str) -> None:
        """A request that ends with nothing to store (robots.txt forbids it): acknowledged."""
        lease = self.held.pop(url, None)
        if lease is not None:
            self.store.ack(lease)

    # --- delivering pages --------------------------------------------------------------------

    def deliver(self, url: str, payload: bytes) -> bool:
        """Send one fetch group to the writer; False if this worker no longer held it."""
        lease = self.held.pop(url, None)
        if lease is None:
            logger.warning("No lease held for %s: not delivered (another worker has it)", url)
            return False
        fields = {
            "crawl": self.crawl_id or "",
            "worker": self.worker,
            "lease": lease,
            "args": json.dumps(self.args, ensure_ascii=False),
            "page": payload,
        }
        if not self.store.deliver(lease, fields):
            logger.warning("Lease on %s expired before delivery: another worker redoes it", url)
            return False
        return True
