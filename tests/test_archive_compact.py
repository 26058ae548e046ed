"""compact keeps a new body encoding only when the store comes out smaller."""

from __future__ import annotations

import random

from crawler.archive.compress import compact_bodies, get_body, put_body, sha256, stored_bytes
from crawler.archive.db import open_archive


def _bodies(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    # one site's template around a short page-specific part: what a dictionary is for
    template = bytes(rng.getrandbits(8) for _ in range(3000))
    return [template + f"<p>page {i} {rng.random()}</p>".encode() + template for i in range(n)]


def test_a_dictionary_that_shrinks_the_store_is_kept():
    db = open_archive(":memory:")
    bodies = _bodies(60)
    for b in bodies:
        put_body(db, b)
    before = stored_bytes(db)
    result = compact_bodies(db, size=8192)
    assert result.kept and result.moved == 60
    assert result.after == stored_bytes(db) < before
    assert all(get_body(db, sha256(b)) == b for b in bodies)


def test_a_dictionary_that_grows_the_store_is_rolled_back():
    db = open_archive(":memory:")
    rng = random.Random(1)
    bodies = [bytes(rng.getrandbits(8) for _ in range(400)) for _ in range(30)]  # nothing shared
    for b in bodies:
        put_body(db, b)
    before = stored_bytes(db)
    rows = db.execute("SELECT sha256, dict_id, data FROM bodies ORDER BY sha256").fetchall()
    result = compact_bodies(db, size=8192)
    assert result.dict_id is not None  # a dictionary was trained and tried
    assert not result.kept and result.after >= before
    assert stored_bytes(db) == before
    assert db.execute("SELECT count(*) FROM dictionaries").fetchone()[0] == 0
    assert db.execute("SELECT sha256, dict_id, data FROM bodies ORDER BY sha256").fetchall() == rows
