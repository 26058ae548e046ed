"""The writer: the one process that stores the fleet's pages in the archive.

It consumes the Redis stream with a consumer group and acknowledges an entry only after
store_fetches committed it; the entry's id is recorded in the same transaction
(`stream_applied`), so an entry delivered again after a writer died between its commit and its
acknowledgement is acknowledged, not stored twice. On start it takes over what a killed writer
left pending (its own name first, then any consumer idle for `claim_idle` seconds), and it
publishes what the archive holds (article keys, URLs failed for good) for the workers.

It holds the archive's run lock like a single-machine crawl, so the two never write at once.
"""

from __future__ import annotations

import json
import logging
import pickle
import time

import redis
from sqlite_utils import Database

from crawler.archive import crawl_state, lockfile
from crawler.archive.db import write_transaction
from crawler.archive.lookup import known_article
from crawler.archive.runs import COUNTS, finish_run, start_run, unfinished_runs
from crawler.archive.store import no_response, store_fetches
from crawler.components.runlock import INTERRUPTED
from crawler.distributed.connection import connect
from crawler.distributed.keys import GROUP, Keys

logger = logging.getLogger(__name__)

BATCH = 100

# KEYS: stream, leased, lease_score, refused. ARGV: entry id, group, lease, keep ('1' or '0').
# Acknowledge the entry and forget its request; a request the site refused is kept for the
# crawl's next start (a single-machine crawl keeps it pending in its frontier likewise).
_ACK = """
if ARGV[4] == '1' and ARGV[3] ~= '' then
  local data = redis.call('HGET', KEYS[2], ARGV[3])
  if data then redis.call('ZADD', KEYS[4], redis.call('HGET', KEYS[3], ARGV[3]) or 0, data) end
end
redis.call('XACK', KEYS[1], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then
  redis.call('HDEL', KEYS[2], ARGV[3])
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return 1
"""


class Archiver:
    def __init__(
        self,
        db: Database,
        redis_url: str,
        prefix: str,
        consumer: str = "archiver",
        claim_idle: float = 60.0,
    ):
        self.db = db
        self.server = connect(redis_url)
        self.keys = Keys(prefix)
        self.consumer = consumer
        self.claim_idle_ms = int(claim_idle * 1000)
        self.lock: lockfile.HeldLock | None = None
        self.stopping = False
        self.finished: list[int] = []  # runs finished by this process
        self._runs: dict[str, int] = {}
        self._ack_script = self.server.register_script(_ACK)
        self.busy = 0.0  # seconds spent storing and acknowledging entries
        self.stored = 0
        self.opened_at = time.monotonic()

    # --- start ---------------------------------------------------------------------------------

    def open(self) -> None:
        path = lockfile.archive_file(self.db)
        # An in-memory archive is this process's alone: nothing to lock.
        self.lock = lockfile.acquire(path) if path else None
        mapped = {r for (r,) in self.db.execute("SELECT run_id FROM distributed_runs")}
        for run_id in unfinished_runs(self.db, "crawl"):
            if run_id not in mapped:
                finish_run(self.db, run_id, INTERRUPTED)
        try:
            self.server.xgroup_create(self.keys.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.publish_known()

    def publish_known(self) -> None:
        """Tell the workers which articles the archive holds and which URLs failed for good."""
        keys = [k for (k,) in self.db.execute("SELECT key FROM articles")]
        failed = [u for (u,) in self.db.execute("SELECT DISTINCT url FROM failures")]
        settled = [u for u in failed if crawl_state.settled(self.db, u)]
        for name, members in ((self.keys.known, keys), (self.keys.settled, settled)):
            for start in range(0, len(members), 10_000):
                self.server.sadd(name, *members[start : start + 10_000])
        self.server.set(self.keys.ready, "1")
        logger.info("Published %d archived articles, %d settled failures", len(keys), len(settled))

    def close(self) -> None:
        if self.lock is not None:
            self.lock.release()
        logger.info(
            "Writer busy %.2fs of %.2fs storing %d entries",
            self.busy,
            time.monotonic() - self.opened_at,
            self.stored,
        )

    # --- the loop ------------------------------------------------------------------------------

    def run(self, until_finished: bool = False) -> None:
        """Store entries until stopped; with until_finished, until a crawl's end is stored."""
        while not self.stopping:
            entries = self.next_batch()
            for entry_id, fields in entries:
                began = time.monotonic()
                self.handle(entry_id, fields)
                self.busy += time.monotonic() - began
                self.stored += 1
            if until_finished and self.finished and not entries:
                return

    def next_batch(self) -> list[tuple[bytes, dict]]:
        s, k = self.server, self.keys
        # What this consumer read before it was killed, then what others left idle.
        mine = s.xreadgroup(GROUP, self.consumer, {k.stream: "0"}, count=BATCH)
        entries = [e for e in (mine[0][1] if mine else []) if e[1]]
        if entries:
            return entries
        claimed = s.xautoclaim(k.stream, GROUP, self.consumer, self.claim_idle_ms, "0-0", BATCH)
        entries = [e for e in claimed[1] if e[1]]
        if entries:
            logger.warning("Claimed %d entries a stopped writer left pending", len(entries))
            return entries
        fresh = s.xreadgroup(GROUP, self.consumer, {k.stream: ">"}, count=BATCH, block=500)
        return [e for e in (fresh[0][1] if fresh else []) if e[1]]

    def run_for(self, crawl: str, args: dict) -> int:
        if crawl not in self._runs:
            row = self.db.execute(
                "SELECT run_id FROM distributed_runs WHERE crawl = ?", [crawl]
            ).fetchone()
            if row:
                self._runs[crawl] = row[0]
            else:
                with write_transaction(self.db):
                    run_id = start_run(self.db, "crawl", {**args, "distributed": crawl})
                    self.db.execute(
                        "INSERT INTO distributed_runs (crawl, run_id) VALUES (?, ?)",
                        [crawl, run_id],
                    )
                self._runs[crawl] = run_id
        return self._runs[crawl]

    def handle(self, entry_id: bytes, fields: dict) -> None:
        crawl = fields[b"crawl"].decode()
        worker = fields[b"worker"].decode()
        args = json.loads(fields.get(b"args", b"{}"))
        run_id = self.run_for(crawl, args)
        if b"finish" in fields:
            reason = fields[b"finish"].decode()
            finish_run(self.db, run_id, reason)
            self.finished.append(run_id)
            logger.info("Distributed crawl %s (run %d) ended: %s", crawl, run_id, reason)
            self._ack(entry_id, None, keep=False)
            return
        page = pickle.loads(fields[b"page"])
        applied_key = f"{crawl}:{entry_id.decode()}"
        outcome = None
        with write_transaction(self.db):
            done = self.db.execute(
                "SELECT 1 FROM stream_applied WHERE entry = ?", [applied_key]
            ).fetchone()
            if not done:
                outcome = store_fetches(self.db, run_id, page.fetches, page.result)
                self.db.execute(
                    "INSERT INTO stream_applied (entry, run_id) VALUES (?, ?)",
                    [applied_key, run_id],
                )
                # As store_fetches counts the run: a fetch with no response is no fetch.
                fetched = 0 if no_response(page.fetches) else len(page.fetches)
                self._count(run_id, worker, fetched, outcome.status)
        if outcome is not None:
            self._publish(page.frontier_url, outcome.article_key)
        self._ack(entry_id, fields.get(b"lease"), keep=not page.done)

    def _count(self, run_id: int, worker: str, fetched: int, status: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO run_workers (run_id, worker) VALUES (?, ?)", [run_id, worker]
        )
        sets = "fetched = fetched + ?" + (
            f", [{status}] = [{status}] + 1" if status in COUNTS else ""
        )
        self.db.execute(
            f"UPDATE run_workers SET {sets} WHERE run_id = ? AND worker = ?",
            [fetched, run_id, worker],
        )

    def _publish(self, url: str, key: str | None) -> None:
        if key and known_article(self.db, key):
            self.server.sadd(self.keys.known, key)
        if crawl_state.settled(self.db, url):
            self.server.sadd(self.keys.settled, url)

    def _ack(self, entry_id: bytes, lease: bytes | None, keep: bool) -> None:
        k = self.keys
        self._ack_script(
            keys=[k.stream, k.leased, k.lease_score, k.refused],
            args=[entry_id, GROUP, lease or b"", "1" if keep else "0"],
        )
