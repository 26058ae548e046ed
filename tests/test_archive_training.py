"""The automatic first dictionary holds the write lock only in short, bounded transactions."""

from __future__ import annotations

import pytest

from crawler.archive import compress
from crawler.archive.compress import get_body, sha256
from crawler.archive.db import open_archive
from crawler.archive.runs import start_run
from crawler.archive.store import store_fetches
from tests.archive_helpers import URL, fetch, page, record

TRAIN_AT = 40
BATCH = 7


def url(n: int) -> str:
    return URL.replace("40294553", str(40000000 + n))


def body(n: int) -> bytes:
    return page(f"第{n}篇", "<div class='nav'>人民网 首页 时政 党建</div>" * 20 + f"正文{n}" * 5)


def store(db, run, n: int) -> None:
    rec = record(url(n), content_id=str(40000000 + n), title=f"第{n}篇")
    store_fetches(db, run, [fetch(url(n), body(n))], rec)


@pytest.fixture
def small_training(monkeypatch):
    monkeypatch.setattr(compress, "AUTO_TRAIN_AT", TRAIN_AT)
    monkeypatch.setattr(compress, "DICT_SIZE", 4096)
    monkeypatch.setattr(compress, "RECOMPRESS_BATCH", BATCH)


def transactions(db) -> list[list[str]]:
    """Record the statements of each write transaction on this connection, in order."""
    seen: list[list[str]] = []
    current: list[str] | None = None

    def trace(sql: str) -> None:
        nonlocal current
        word = sql.split(None, 1)[0].upper() if sql.strip() else ""
        if word == "BEGIN":
            current = []
        elif word in ("COMMIT", "ROLLBACK") and current is not None:
            seen.append(current)
            current = None
        elif current is not None:
            current.append(" ".join(sql.split()))

    db.conn.set_trace_callback(trace)
    return seen


def test_training_runs_after_the_page_commits_in_bounded_transactions(tmp_path, small_training):
    db = open_archive(tmp_path / "archive.db")
    run = start_run(db, "test")
    for n in range(TRAIN_AT - 1):
        store(db, run, n)
    seen = transactions(db)
    store(db, run, TRAIN_AT - 1)  # the store that reaches AUTO_TRAIN_AT bodies
    db.conn.set_trace_callback(None)

    def count(tx: list[str], prefix: str) -> int:
        return sum(1 for s in tx if s.startswith(prefix))

    page_tx, dict_tx, *batches = seen
    # The page's own transaction stores the page and nothing of the training.
    assert count(page_tx, "INSERT INTO snapshots") == 1
    assert count(page_tx, "INSERT INTO dictionaries") == 0
    assert count(page_tx, "UPDATE bodies") == 0
    # The dictionary is committed alone, before any body is moved onto it.
    assert count(dict_tx, "INSERT INTO dictionaries") == 1
    assert count(dict_tx, "UPDATE bodies") == 0
    # Then every older body moves onto it, at most BATCH per transaction.
    moved = [count(tx, "UPDATE bodies") for tx in batches]
    assert max(moved) == BATCH
    assert sum(moved) == TRAIN_AT
    assert db.execute("SELECT count(*) FROM bodies WHERE dict_id = 1").fetchone()[0] == TRAIN_AT
    assert all(get_body(db, sha256(body(n))) == body(n) for n in range(TRAIN_AT))
    db.close()


def test_recompression_cut_short_leaves_every_body_readable(tmp_path, small_training, monkeypatch):
    path = tmp_path / "archive.db"
    db = open_archive(path)
    run = start_run(db, "test")
    for n in range(TRAIN_AT - 1):
        store(db, run, n)
    real = compress.compress
    calls = []

    def dies_in_the_third_batch(db_, data, dict_id):
        calls.append(1)
        if len(calls) > 2 * BATCH + 3:
            raise KeyboardInterrupt("the process stops here")
        return real(db_, data, dict_id)

    monkeypatch.setattr(compress, "compress", dies_in_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        store(db, run, TRAIN_AT - 1)
    db.close()
    monkeypatch.setattr(compress, "compress", real)

    fresh = open_archive(path)
    dict_ids = [r[0] for r in fresh.execute("SELECT dict_id FROM bodies")]
    # The page, the dictionary and two whole batches committed; the third batch did not.
    assert len(dict_ids) == TRAIN_AT
    assert dict_ids.count(1) == 2 * BATCH
    assert dict_ids.count(None) == TRAIN_AT - 2 * BATCH
    assert all(get_body(fresh, sha256(body(n))) == body(n) for n in range(TRAIN_AT))
    fresh.close()
