"""`cpc-archive reparse` run again and again beside a real crawl of the same archive.

Reparse writes in batches and lets the write lock go between them; the crawl never waits for
the lock (a busy archive spools the page). Neither may cost the other anything: every page
the site answered is a snapshot once, every article has its current version, both runs end
`finished`, and the archive is intact.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from crawler.components.spool import pending, spool_dir
from crawler.replay import ReplayServer
from tests.crawl_helpers import crawl, query, wait_for
from tests.site_paths import SITE, manifest

pytestmark = pytest.mark.e2e

NO_FAULTS = {u: None for u, e in manifest()["pages"].items() if e.get("fault")}
REPARSE = [sys.executable, "-m", "crawler.cli", "reparse", "--db"]


def test_reparse_beside_a_crawl_costs_neither_anything(tmp_path):
    db = tmp_path / "archive.db"
    reparses = []
    with ReplayServer(SITE, faults=NO_FAULTS, delay=0.05) as server:
        proc = crawl(db, server, "-s", "ARCHIVE_SPOOL_RETRY=0.5", wait=False)
        wait_for(db, "SELECT count(*) FROM articles", at_least=3)
        while True:  # the first starts once the crawl has stored three articles
            done = subprocess.run([*REPARSE, str(db)], capture_output=True, text=True, timeout=120)
            reparses.append(done)
            if proc.poll() is not None:
                break
        out, _ = proc.communicate(timeout=180)
        hits = list(server.hits)
    assert proc.returncode == 0, out
    for done in reparses:
        assert done.returncode == 0, done.stdout + done.stderr
    reasons = query(db, "SELECT kind, finish_reason FROM runs ORDER BY id")
    assert reasons[0] == ("crawl", "finished")
    assert {r for r in reasons[1:]} <= {("reparse", "finished")}
    stored = {u for row in query(db, "SELECT url, final_url FROM snapshots") for u in row}
    assert {h.url for h in hits if not h.url.endswith("/robots.txt")} - stored == set()
    doubled = "SELECT url FROM snapshots WHERE status = 200 GROUP BY url HAVING count(*) > 1"
    assert query(db, doubled) == []
    headless = (
        "SELECT key FROM articles a WHERE NOT EXISTS (SELECT 1 FROM versions v "
        "WHERE v.article_key = a.key AND v.version = a.version)"
    )
    assert query(db, headless) == []
    # The parser did not change, so no reparse made a new version.
    assert query(db, "SELECT max(version) FROM articles") == [(1,)]
    assert pending(spool_dir(db)) == []
    assert query(db, "SELECT count(*) FROM crawl_frontier") == [(0,)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
