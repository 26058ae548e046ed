"""A fleet on one machine: the writer and N workers as subprocesses, for tests and the bench.

On real machines each of these is a systemd unit (deploy/); here they share the loopback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crawler.cli.demo import ROOT, crawl_command, crawl_env


def writer_command(db: Path, redis_url: str, prefix: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "crawler.cli", "archiver",
        "--redis", redis_url, "--db", str(db), "--prefix", prefix, *extra,
    ]  # fmt: skip


def worker_command(redis_url: str, prefix: str, name: str, extra: list[str]) -> list[str]:
    # ARCHIVE_DB names a file no worker may open: a worker's archive is the writer's.
    return crawl_command(
        Path("/nonexistent/worker-has-no-archive.db"),
        [
            "-s", f"ARCHIVE_REDIS_URL={redis_url}",
            "-s", f"ARCHIVE_REDIS_PREFIX={prefix}",
            "-s", f"ARCHIVE_WORKER_NAME={name}",
            *extra,
        ],
    )  # fmt: skip


def start_writer(db, redis_url, prefix, log, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        writer_command(db, redis_url, prefix, *extra),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def start_worker(proxy, redis_url, prefix, name, log, extra=()) -> subprocess.Popen:
    return subprocess.Popen(
        worker_command(redis_url, prefix, name, list(extra)),
        env=crawl_env(proxy),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
