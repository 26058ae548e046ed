"""A real Redis for the tests: ARCHIVE_TEST_REDIS_URL (default redis://127.0.0.1:6379/0).

Each test gets its own key prefix and has its keys deleted afterwards: other test runs may
share the server. No Redis answering is a test failure, never a skip (.ci/run starts one).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path

import pytest
import redis

REDIS_URL = os.environ.get("ARCHIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def plain_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)


@contextlib.contextmanager
def fresh_prefix():
    client = plain_client()
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"no Redis answers at {REDIS_URL} (set ARCHIVE_TEST_REDIS_URL): {exc}")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture
def redis_prefix():
    """A fresh key prefix on the test Redis; its keys are deleted after the test."""
    with fresh_prefix() as prefix:
        yield prefix


@pytest.fixture(scope="module")
def module_redis_prefix():
    """The same, for the tests of one module sharing one crawl."""
    with fresh_prefix() as prefix:
        yield prefix


def gate(prefix: str, logs: list) -> None:
    """Hold workers at the writer's gate: clear the writer's "ready" (it sets it again on
    start), then wait until every worker log says it waits. A worker that starts after its
    fleet finished would begin a crawl of its own; held at the gate, all crawl side by side."""
    plain_client().delete(f"{prefix}:cpc:ready")
    deadline = time.monotonic() + 120
    while not all("Waiting for the archiver" in Path(p).read_text() for p in logs):
        assert time.monotonic() < deadline, "workers never reached the writer's gate"
        time.sleep(0.1)
