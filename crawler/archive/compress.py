"""The content-addressed body store: each distinct body once, zstd-compressed with a dictionary.

Pages of one site share most of their bytes (navigation, scripts, footers), so a zstd dictionary
trained on the site's own pages shrinks each body far below what per-file gzip can. Dictionaries
live in the `dictionaries` table and never change once written; every body records the one it
was compressed with (NULL: compressed without one), so bodies written before a dictionary
existed, or with an older one, stay readable. `train_dictionary` makes a new one from the
stored bodies and `recompress` moves older bodies onto it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import zstandard
from sqlite_utils import Database

from crawler.archive.db import write_transaction

# Compression level: with a dictionary, levels above this cost much more time for little gain.
LEVEL = 9
# Train the first dictionary automatically once this many bodies are stored without one.
AUTO_TRAIN_AT = 200
DICT_SIZE = 192 * 1024
# Bodies sampled when training (the newest first: they show the current templates).
TRAIN_SAMPLES = 2000
# Bodies the automatic training re-encodes per write transaction: each holds the write lock
# for a few tens of milliseconds, so a crawl's writes never queue behind the whole archive.
RECOMPRESS_BATCH = 50


class BodyCorrupt(RuntimeError):
    """A stored body does not decompress to the bytes its sha256 names."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cache(db: Database) -> dict:
    # Per connection: dictionaries and compressors built from `dictionaries` rows. A rollback
    # can undo a dictionary whose id is then reused: db.forget_caches drops this then.
    cache = getattr(db, "_cpc_zstd", None)
    if cache is None:
        cache = {"dicts": {}, "compressors": {}}
        db._cpc_zstd = cache  # type: ignore[attr-defined]
    return cache


def _compressor(db: Database, dict_id: int | None) -> zstandard.ZstdCompressor:
    # Building a compressor digests its dictionary: far dearer than compressing one page.
    cache = _cache(db)["compressors"]
    if dict_id not in cache:
        d = _dict(db, dict_id) if dict_id is not None else None
        cache[dict_id] = zstandard.ZstdCompressor(level=LEVEL, dict_data=d)
    return cache[dict_id]


def _dict(db: Database, dict_id: int) -> zstandard.ZstdCompressionDict:
    cache = _cache(db)["dicts"]
    if dict_id not in cache:
        row = db.execute("SELECT data FROM dictionaries WHERE id = ?", [dict_id]).fetchone()
        if row is None:
            raise BodyCorrupt(f"dictionary {dict_id} is missing")
        cache[dict_id] = zstandard.ZstdCompressionDict(row[0])
    return cache[dict_id]


def current_dict_id(db: Database) -> int | None:
    row = db.execute("SELECT max(id) FROM dictionaries").fetchone()
    return row[0]


def compress(db: Database, body: bytes, dict_id: int | None) -> bytes:
    return _compressor(db, dict_id).compress(body)


def put_body(db: Database, body: bytes) -> str:
    """Store `body` unless a body with the same sha256 is there already; return the sha256."""
    digest = sha256(body)
    if db.execute("SELECT 1 FROM bodies WHERE sha256 = ?", [digest]).fetchone():
        return digest
    dict_id = current_dict_id(db)
    data = compress(db, body, dict_id)
    db.execute(
        "INSERT INTO bodies (sha256, size, stored_size, codec, dict_id, data) "
        "VALUES (?, ?, ?, 'zstd', ?, ?)",
        [digest, len(body), len(data), dict_id, data],
    )
    return digest


def get_body(db: Database, digest: str) -> bytes:
    """The exact bytes stored under `digest`; KeyError when unknown, BodyCorrupt when damaged."""
    row = db.execute(
        "SELECT codec, dict_id, data, size FROM bodies WHERE sha256 = ?", [digest]
    ).fetchone()
    if row is None:
        raise KeyError(f"no body {digest}")
    codec, dict_id, data, size = row
    if codec == "raw":
        body = data
    else:
        d = _dict(db, dict_id) if dict_id is not None else None
        dctx = zstandard.ZstdDecompressor(dict_data=d) if d else zstandard.ZstdDecompressor()
        try:
            body = dctx.decompress(data, max_output_size=max(size, 1))
        except zstandard.ZstdError as e:
            raise BodyCorrupt(f"body {digest} does not decompress: {e}") from e
    if sha256(body) != digest:
        raise BodyCorrupt(f"body {digest} decompresses to bytes with another sha256")
    return body


def bodies_without_dict(db: Database) -> int:
    return db.execute("SELECT count(*) FROM bodies WHERE dict_id IS NULL").fetchone()[0]


def train(
    db: Database, samples: int = TRAIN_SAMPLES, size: int = DICT_SIZE, seed: int = 0
) -> tuple[bytes, int] | None:
    """A dictionary trained on up to `samples` stored bodies, and how many it saw; writes nothing.

    Needs a few dozen distinct bodies to say anything about the site; below that: None.
    """
    digests = [
        r[0]
        for r in db.execute(
            "SELECT sha256 FROM bodies WHERE size > 0 ORDER BY rowid DESC LIMIT ?", [samples]
        ).fetchall()
    ]
    if len(digests) < 20:
        return None
    bodies = [get_body(db, d) for d in digests]
    random.Random(seed).shuffle(bodies)
    try:
        # Fixed cover parameters (k, d): the parameter search zstd does otherwise costs seconds
        # for a dictionary within 1-2% of this one on the site's pages.
        trained = zstandard.train_dictionary(size, bodies, k=2048, d=8, threads=-1)
    except zstandard.ZstdError:
        return None  # too little material for a dictionary of this size
    return trained.as_bytes(), len(bodies)


def add_dictionary(db: Database, data: bytes, samples: int) -> int:
    cur = db.execute(
        "INSERT INTO dictionaries (created_at, samples, size, data) VALUES (?, ?, ?, ?)",
        [datetime.now(UTC).isoformat(timespec="seconds"), samples, len(data), data],
    )
    return cur.lastrowid


def train_dictionary(
    db: Database, samples: int = TRAIN_SAMPLES, size: int = DICT_SIZE, seed: int = 0
) -> int | None:
    """Train a dictionary on up to `samples` stored bodies and store it; return its id (None:
    too few bodies)."""
    trained = train(db, samples, size, seed)
    return add_dictionary(db, *trained) if trained is not None else None


def recompress(db: Database, dict_id: int, batch: int = 500) -> int:
    """Re-encode every body not yet on dictionary `dict_id` with it; return how many moved.

    Each batch of bodies is its own write transaction (a savepoint inside the caller's, if it
    has one), so other writers wait for one batch, never for the whole archive. Every body is
    readable throughout: a row changes its data and dict_id together, onto a dictionary already
    committed. Keeps the old encoding when the new one is not smaller.
    """
    moved = 0
    last = ""
    while True:
        with write_transaction(db):
            rows = db.execute(
                "SELECT sha256 FROM bodies WHERE (dict_id IS NULL OR dict_id != ?) "
                "AND sha256 > ? ORDER BY sha256 LIMIT ?",
                [dict_id, last, batch],
            ).fetchall()
            for (digest,) in rows:
                body = get_body(db, digest)
                data = compress(db, body, dict_id)
                old = db.execute("SELECT stored_size FROM bodies WHERE sha256 = ?", [digest])
                if len(data) < old.fetchone()[0]:
                    db.execute(
                        "UPDATE bodies SET data = ?, stored_size = ?, codec = 'zstd', "
                        "dict_id = ? WHERE sha256 = ?",
                        [data, len(data), dict_id, digest],
                    )
                    moved += 1
        if not rows:
            return moved
        last = rows[-1][0]


def drop_unused_dictionaries(db: Database) -> int:
    """Delete dictionaries no body needs any more (the newest is always kept)."""
    cur = db.execute(
        "DELETE FROM dictionaries WHERE id != (SELECT max(id) FROM dictionaries) "
        "AND id NOT IN (SELECT DISTINCT dict_id FROM bodies WHERE dict_id IS NOT NULL)"
    )
    return cur.rowcount


def maybe_train(db: Database) -> int | None:
    """Train and apply the first dictionary once enough bodies exist (later: `compact`).

    Called after a store's transaction has committed, it holds the write lock only for short
    transactions: training reads bodies and computes without it, the dictionary is inserted in
    one transaction, and the older bodies move onto it RECOMPRESS_BATCH at a time. Inside a
    caller's transaction (reparse) all of it is part of that transaction instead.
    When the bodies do not make a dictionary (too small or too alike), the next attempt waits
    for AUTO_TRAIN_AT more of them instead of retrying on every store.
    """
    if current_dict_id(db) is not None:
        return None
    count = bodies_without_dict(db)
    if count < getattr(db, "_cpc_next_training", AUTO_TRAIN_AT):
        return None
    trained = train(db)
    if trained is None:
        db._cpc_next_training = count + AUTO_TRAIN_AT  # type: ignore[attr-defined]
        return None
    with write_transaction(db):
        if current_dict_id(db) is not None:
            return None  # another writer trained one meanwhile: its bodies use that one
        dict_id = add_dictionary(db, *trained)
    recompress(db, dict_id, batch=RECOMPRESS_BATCH)
    return dict_id


def stored_bytes(db: Database) -> int:
    """What the body store takes: every stored body plus every dictionary."""
    return db.execute(
        "SELECT (SELECT coalesce(sum(stored_size), 0) FROM bodies) + "
        "(SELECT coalesce(sum(size), 0) FROM dictionaries)"
    ).fetchone()[0]


@dataclass
class Compaction:
    """What `compact_bodies` did: a new dictionary (dict_id) is kept only when the body store,
    dictionaries included, came out smaller (kept); otherwise nothing changed."""

    dict_id: int | None
    moved: int
    before: int
    after: int  # bytes the store takes now (or would have taken, when not kept)
    kept: bool


class _NotSmaller(Exception):
    pass


def compact_bodies(db: Database, samples: int = TRAIN_SAMPLES, size: int = DICT_SIZE) -> Compaction:
    """Train a dictionary on the stored bodies and move them onto it, all in one transaction
    that is rolled back unless the store (bodies + dictionaries) ends up smaller: a new
    dictionary costs its own size, which few or unlike bodies never earn back."""
    before = stored_bytes(db)
    trained = train(db, samples, size)
    if trained is None:
        return Compaction(None, 0, before, before, False)
    result = Compaction(None, 0, before, before, False)
    try:
        with write_transaction(db):
            result.dict_id = add_dictionary(db, *trained)
            result.moved = recompress(db, result.dict_id)
            drop_unused_dictionaries(db)
            result.after = stored_bytes(db)
            if result.after >= before:
                raise _NotSmaller
    except _NotSmaller:
        result.moved = 0
        return result
    result.kept = True
    return result
