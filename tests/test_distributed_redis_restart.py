"""Redis stopped and restarted in the middle of a distributed crawl: workers and the writer
wait with a clear log line, do not crash, and the archive loses nothing and doubles nothing.

A private redis-server (the binary .ci/run installs), append-only so a restart keeps the
queue, on a free loopback port: stopping the shared one would break other test runs."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from crawler.distributed.localfleet import start_worker, start_writer
from crawler.replay import ReplayServer
from tests.crawl_helpers import crawl, wait_for
from tests.site_paths import SITE, manifest
from tests.test_distributed_e2e import archive_state, integrity

pytestmark = pytest.mark.e2e

NO_FAULTS = {u: None for u, e in manifest()["pages"].items() if e.get("fault")}
# Downloads must outlast the outage: the worker's reactor waits on Redis meanwhile.
SLOW = ["-s", "DOWNLOAD_TIMEOUT=20", "-s", "ARCHIVE_REDIS_LEASE=30"]


class PrivateRedis:
    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (.ci/run installs it)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.cmd = [
            binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(folder),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
        ]  # fmt: skip
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        self.proc.terminate()  # SIGTERM: Redis writes its append-only file and exits
        self.proc.wait(timeout=30)


def test_redis_restarted_mid_crawl_loses_nothing(tmp_path):
    reference = tmp_path / "reference.db"
    with ReplayServer(SITE, faults=NO_FAULTS) as server:
        assert crawl(reference, server, *SLOW)[0] == 0
    store = PrivateRedis(tmp_path)
    store.start()
    db = tmp_path / "archive.db"
    try:
        with (
            contextlib.ExitStack() as stack,
            ReplayServer(SITE, faults=NO_FAULTS, delay=0.03) as server,
        ):
            logs = [stack.enter_context(open(tmp_path / f"{n}.log", "w")) for n in range(3)]
            writer = start_writer(db, store.url, "t", logs[2], "--until-finished")
            workers = [
                start_worker(server.url, store.url, "t", f"w{n}", logs[n], SLOW) for n in range(2)
            ]
            wait_for(db, "SELECT count(*) FROM articles", at_least=5)
            store.stop()
            time.sleep(2)
            store.start()
            codes = [p.wait(timeout=180) for p in [*workers, writer]]
    finally:
        store.stop()
    out = [(tmp_path / f"{n}.log").read_text() for n in range(3)]
    assert codes == [0, 0, 0], out
    assert any("is unreachable" in log and "waiting and retrying" in log for log in out), out
    assert all("Traceback" not in log for log in out), out
    got, want = archive_state(db), archive_state(reference)
    for table in want:
        assert got[table] == want[table], table
    assert integrity(db) == "ok"
