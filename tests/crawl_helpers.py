"""Running the real `scrapy crawl` against a replay proxy, and reading the archive it wrote.

Shared by the end-to-end tests: each crawl is a subprocess with http_proxy pointing at a
ReplayServer on a loopback port (crawler.cli.demo's command line: politeness relaxed for
loopback, robots.txt obeyed).
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from crawler.archive.db import open_archive
from crawler.cli.demo import ROOT, crawl_command, crawl_env
from crawler.replay import ReplayServer

# Loopback-fast: a held connection counts as a timeout after one second.
FAST = ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "LOG_LEVEL=INFO"]


def crawl(
    db: Path,
    server: ReplayServer,
    *args: str,
    spider: str = "cpc",
    settings: Sequence[str] = FAST,
    wait: bool = True,
):
    """`scrapy crawl <spider>` into `db` through `server`: (exit status, output) once it ends,
    or the running process with wait=False."""
    cmd = [*crawl_command(db, list(settings)), *args]
    cmd[cmd.index("cpc")] = spider
    proc = subprocess.Popen(
        cmd,
        env=crawl_env(server.url),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if not wait:
        return proc
    out, _ = proc.communicate(timeout=120)
    return proc.returncode, out


def query(db: Path, sql: str, params=()):
    archive = open_archive(db)
    try:
        return archive.execute(sql, params).fetchall()
    finally:
        archive.close()


def peek(db: Path, sql: str) -> int:
    """A count read while a crawl may be creating the file: read-only, 0 until it exists."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def wait_for(db: Path, sql: str, at_least: int = 1, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (n := peek(db, sql)) >= at_least:
            return n
        time.sleep(0.05)
    raise AssertionError(f"{sql!r} never reached {at_least}")
