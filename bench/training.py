"""How long the automatic dictionary training holds the archive's write lock.

    python -m bench.training                 # 300 generated pages, shuffled and scrambled
    python -m bench.training --pages 250 --modes shuffled
    python -m bench.training --pages 2510 --train-at 2500 --modes shuffled   # a backlog

Ingests generated pages (bench.archive.make_pages: real templates, real paragraphs) through
store_fetches into a fresh on-disk archive; the first dictionary is trained automatically at
compress.AUTO_TRAIN_AT bodies. Every BEGIN IMMEDIATE ... COMMIT on the connection is timed (a
SQLite trace callback), so the figure is what another writer would wait: the longest write
transaction of the ingest, against the median one in the same run. It also prints the time
spent in maybe_train itself, locked or not. --train-at stands for an archive that reached the
training with many bodies already stored (e.g. its bodies made no dictionary at 200).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.archive import make_pages
from crawler.archive import compress, store
from crawler.archive.db import open_archive
from crawler.archive.runs import start_run
from crawler.archive.store import store_fetches


def run(pages: int, mode: str, workdir: Path, train_at: int) -> None:
    fetches = make_pages(pages, mode)
    db = open_archive(workdir / f"train-{mode}.db")
    spans: list[float] = []
    began: list[float] = []

    def trace(sql: str) -> None:
        word = sql.strip().split(None, 1)[0].upper() if sql.strip() else ""
        if word == "BEGIN":
            began.append(time.perf_counter())
        elif word in ("COMMIT", "ROLLBACK") and began:
            spans.append(time.perf_counter() - began.pop())

    training: list[float] = []
    real = compress.maybe_train

    def timed(*a, **kw):
        t0 = time.perf_counter()
        out = real(*a, **kw)
        if out is not None:
            training.append(time.perf_counter() - t0)
        return out

    store.maybe_train = timed
    compress.AUTO_TRAIN_AT = train_at
    try:
        run_id = start_run(db, "bench")
        db.conn.set_trace_callback(trace)
        for f in fetches:
            store_fetches(db, run_id, [f])
        db.conn.set_trace_callback(None)
    finally:
        store.maybe_train = real
    moved = db.execute("SELECT count(*) FROM bodies WHERE dict_id IS NOT NULL").fetchone()[0]
    total = db.execute("SELECT count(*) FROM bodies").fetchone()[0]
    db.close()
    median = statistics.median(spans)
    print(
        f"{mode}: {pages} pages, trained at {train_at} bodies; "
        f"{total} bodies, {moved} on the dictionary"
    )
    print(f"    maybe_train (when it trained)   {sum(training):7.3f} s")
    print(f"    longest write transaction       {max(spans):7.3f} s")
    print(
        f"    median write transaction        {median:7.3f} s  "
        f"(longest = {max(spans) / median:.0f}x the median)"
    )
    print(f"    write transactions              {len(spans):7d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--modes", default="shuffled,scrambled")
    ap.add_argument("--train-at", type=int, default=compress.AUTO_TRAIN_AT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            run(args.pages, mode, Path(tmp), args.train_at)


if __name__ == "__main__":
    main()
