"""One archive connection per crawl: the run lock, the frontier, the pipeline, the spider and
the monitors all use the connection crawler.components.connection.CrawlArchive opens, and it
is closed once the engine has stopped. Each crawl runs under tests/count_connections.py."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from crawler.cli.demo import ROOT, crawl_command, crawl_env
from crawler.replay import ReplayServer
from tests.site_paths import SITE
from tests.test_rmrb_e2e import WEEK, site

pytestmark = pytest.mark.e2e


def connections(db, server, spider: str, *args: str) -> tuple[dict, str]:
    cmd = crawl_command(db, ["-s", "LOG_LEVEL=INFO", *args])
    assert cmd[1:4] == ["-m", "scrapy", "crawl"]
    cmd[1:3] = ["-m", "tests.count_connections"]
    cmd[cmd.index("cpc")] = spider
    proc = subprocess.run(
        cmd, env=crawl_env(server.url), cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    found = re.search(r"^sqlite3 connections: (.*)$", proc.stdout, re.M)
    assert found, out[-3000:]
    return json.loads(found[1]), out


@pytest.mark.parametrize("spider", ["cpc", "rmrb"])
def test_a_crawl_opens_its_archive_once_and_closes_it(tmp_path, spider):
    db = tmp_path / "archive.db"
    source, args = (SITE, []) if spider == "cpc" else (site(), WEEK)
    with ReplayServer(source) as server:
        counts, out = connections(db, server, spider, *args)
    assert "Spider closed (finished)" in out
    assert "[Spidermon]" in out  # the monitors ran, on the same connection
    assert counts == {os.path.realpath(db): [1, 1]}, counts
