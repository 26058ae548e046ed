"""`python -m tests.count_connections ARGS`: `scrapy ARGS`, counting SQLite connections.

Every sqlite3 connection the process opens is counted by the file it names, and so is each
explicit close(); at exit one line `sqlite3 connections: {...}` (JSON: file -> [opened,
closed]) goes to standard output, for tests that check how often a crawl opens its archive.
"""

from __future__ import annotations

import atexit
import json
import os
import sqlite3
import sys
from collections import Counter

opened: Counter[str] = Counter()
closed: Counter[str] = Counter()
_connect = sqlite3.connect


class CountedConnection(sqlite3.Connection):
    def close(self) -> None:
        if not getattr(self, "_counted_close", False):
            self._counted_close = True
            closed[self._counted_path] += 1
        super().close()


def connect(database, *args, **kwargs):
    kwargs.setdefault("factory", CountedConnection)
    conn = _connect(database, *args, **kwargs)
    path = str(database)
    if not path.startswith("file:") and path != ":memory:":
        path = os.path.realpath(path)
    conn._counted_path = path
    opened[path] += 1
    return conn


def report() -> None:
    counts = {path: [opened[path], closed[path]] for path in opened}
    print(f"sqlite3 connections: {json.dumps(counts)}", flush=True)


if __name__ == "__main__":
    sqlite3.connect = connect
    atexit.register(report)
    from scrapy.cmdline import execute

    execute(["scrapy", *sys.argv[1:]])
