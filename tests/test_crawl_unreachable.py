"""The README's first command without the network: a clear message, exit 1, no snapshot.

The network is taken away the way it goes away for a user: the crawl's proxy is a loopback
port nothing listens on (every connection refused), or a `.invalid` host name (the DNS lookup
fails locally). No request ever leaves the machine.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.cli.demo import ROOT, crawl_env

pytestmark = pytest.mark.e2e


def closed_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.fixture(
    scope="module",
    params=["refused", "dns"],
    ids=["loopback port nothing listens on", "unresolvable .invalid host"],
)
def offline_crawl(request, tmp_path_factory):
    proxy = {
        "refused": f"http://127.0.0.1:{closed_loopback_port()}",
        "dns": "http://cpc-archive-test-proxy.invalid:8080",
    }[request.param]
    db = tmp_path_factory.mktemp("offline") / "a.db"
    # The crawl's own settings, politeness included: only the network is missing.
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "cpc", "-s", f"ARCHIVE_DB={db}"],
        env=crawl_env(proxy),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, db


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_offline_crawl_exits_non_zero(offline_crawl):
    done, _ = offline_crawl
    assert done.returncode == 1


def test_offline_crawl_says_the_site_was_not_reached_and_points_to_the_demo(offline_crawl):
    done, _ = offline_crawl
    log = done.stdout + done.stderr
    assert "Could not reach cpc.people.com.cn" in log
    assert "cpc-archive demo" in log
    assert "Traceback" not in log


def test_offline_crawl_stores_failures_and_no_snapshot(offline_crawl):
    _, db = offline_crawl
    assert rows(db, "SELECT count(*) FROM snapshots") == [(0,)]
    assert rows(db, "SELECT count(*) FROM failures WHERE kind = 'fetch_error'")[0][0] >= 1
    assert rows(db, "SELECT finish_reason, fetched FROM runs") == [("unreachable", 0)]
