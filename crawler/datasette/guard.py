"""Datasette plugin: what `browse` lets a browser (or a web page in it) reach.

- Host header: only loopback names. A page on any site can point its own DNS name at
  127.0.0.1 (DNS rebinding) and then read whatever answers there as same-origin; refusing
  every Host that is not a loopback name closes that.
- Internal tables (raw bodies, compression dictionaries, crawl state, migrations, the search
  index's own tables) are hidden, their pages refused (metadata `allow: false`, set in app.py),
  and SQLite's authorizer refuses any SQL that reads the first four groups on Datasette's
  connections, so an arbitrary-SQL query (when turned on) cannot reach them either.
- Functions that hand out or accept memory pointers (fts3_tokenizer) are refused outright.
- /-/databases shows no file path, nor does SQL (pragma_database_list's `file` is refused):
  where the archive lives on disk is nobody's business.

The reading room's own pages read through `trusted()`, which lifts the table rule (it needs
the bodies to show a snapshot) for the duration of one library call on that connection.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator

from datasette import hookimpl
from datasette.utils.asgi import Response

# Tables no query from the browser may read. The search index's shadow tables
# (articles_fts_data, ...) are hidden and refused as pages but not listed here: FTS5 reads them
# through the same connection, with the same authorizer, whenever a search runs.
UNREADABLE_TABLES = frozenset({"bodies", "dictionaries", "crawl_frontier", "_sqlite_migrations"})
# Hidden from the table lists and refused as pages.
HIDDEN_TABLES = (
    *sorted(UNREADABLE_TABLES),
    "articles_fts",
    "articles_fts_data",
    "articles_fts_idx",
    "articles_fts_docsize",
    "articles_fts_config",
)
# fts3_tokenizer(name) returns a pointer and fts3_tokenizer(name, ptr) installs one.
REFUSED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension"})

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def host_name(host: str) -> str:
    """The name part of a Host header value (no port), lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback_host(host: str) -> bool:
    return host_name(host) in LOOPBACK_HOSTS


def _guard(action: int, arg1, arg2, _db, _inner) -> int:
    # An empty column name is a read of no column (count(*)): how many rows, nothing more.
    if action == sqlite3.SQLITE_READ and arg1 in UNREADABLE_TABLES and arg2:
        return sqlite3.SQLITE_DENY
    # The archive's path on disk, through SQL (Datasette's own `PRAGMA database_list` for
    # attached files reads no such column and still works).
    if action == sqlite3.SQLITE_READ and arg1 == "pragma_database_list" and arg2 == "file":
        return sqlite3.SQLITE_DENY
    return _functions_only(action, arg1, arg2, _db, _inner)


def _functions_only(action: int, _arg1, arg2, _db, _inner) -> int:
    if action == sqlite3.SQLITE_ATTACH:  # another file: nothing the archive's pages need
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in REFUSED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def guard_connection(conn: sqlite3.Connection) -> None:
    conn.set_authorizer(_guard)


@contextlib.contextmanager
def trusted(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`conn` with the internal tables readable, for the reading room's own library calls.

    Datasette gives each of its threads a connection of its own, so lifting the rule here
    affects no other request.
    """
    conn.set_authorizer(_functions_only)
    try:
        yield conn
    finally:
        conn.set_authorizer(_guard)


def run_trusted(fn: Callable[[sqlite3.Connection], object]) -> Callable:
    """`fn` wrapped for Database.execute_fn, run under `trusted`."""

    def call(conn):
        with trusted(conn):
            return fn(conn)

    return call


@hookimpl
def prepare_connection(conn):
    guard_connection(conn)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def only_loopback_hosts(scope, receive, send):
            if scope["type"] == "http":
                headers = dict(scope.get("headers") or [])
                host = headers.get(b"host", b"").decode("latin-1")
                if not is_loopback_host(host):
                    response = Response.text(
                        "This archive answers only to 127.0.0.1, localhost or [::1].",
                        status=421,
                    )
                    await response.asgi_send(send)
                    return
            await app(scope, receive, send)

        return only_loopback_hosts

    return wrap


def _databases(datasette) -> list[dict]:
    return [
        {"name": d.name, "route": d.route, "is_mutable": d.is_mutable, "size": d.size}
        for name, d in datasette.databases.items()
        if name != "_internal"
    ]


async def databases_view(datasette):
    return Response.json(_databases(datasette))


@hookimpl
def register_routes():
    # Replaces Datasette's own /-/databases, which shows each file's absolute path.
    return [(r"^/-/databases(\.json)?$", databases_view)]
