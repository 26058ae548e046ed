"""Browsing the archive in a web browser with Datasette: `browse`."""

from __future__ import annotations

import click

from crawler.cli import main
from crawler.cli.options import console, db_option, open_db

# Served on the loopback interface only: the archive is not published by this command.
HOST = "127.0.0.1"


@main.command()
@db_option
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to serve on.",
)
@click.option(
    "--sql/--no-sql",
    default=False,
    show_default=True,
    help="Allow arbitrary read-only SQL queries (internal tables stay unreadable).",
)
@click.option(
    "--live",
    is_flag=True,
    help="Follow a crawl writing to the archive (read-only, not immutable).",
)
def browse(db_path, port, sql, live):
    """Browse the archive in a web browser: the reading room (Datasette).

    Serves http://127.0.0.1:PORT/ until Ctrl-C, read-only, to loopback Host names only. The
    first page searches titles and bodies (2-character words work) with facets by year, month,
    channel, source, editor and print edition; each hit opens the article with its versions,
    their differences and the snapshots it was read from. Runs and failures are told in words;
    Datasette's tables, canned queries and JSON stay under /ARCHIVE-NAME.

    \b
    Example:
      $ cpc-archive browse --db data/archive.db --port 8001
      $ cpc-archive browse --db data/archive.db --live --sql
    """
    import uvicorn

    from crawler.datasette.app import being_written, make_datasette

    with open_db(db_path):
        pass  # a clear error for a missing or locked archive, and migrations (views) applied
    if not live and being_written(db_path):
        console.print("The archive is being written to: following it read-only (--live).")
        live = True
    ds = make_datasette(db_path, sql=sql, live=live)
    console.print(f"Browsing {db_path} at http://{HOST}:{port}/ (Ctrl-C stops)")
    uvicorn.run(ds.app(), host=HOST, port=port, log_level="warning")
