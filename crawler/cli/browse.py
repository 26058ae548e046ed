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
def browse(db_path, port):
    """Browse the archive in a web browser (Datasette).

    Serves http://127.0.0.1:PORT/ until Ctrl-C. Tables with facets by source, editor, channel
    and month; a search page that finds 2-character words; canned queries for changed and
    removed articles and recent failures.

    \b
    Example:
      $ cpc-archive browse --db data/archive.db --port 8001
    """
    import uvicorn

    from crawler.datasette.app import make_datasette

    with open_db(db_path):
        pass  # a clear error for a missing or locked archive, and migrations (views) applied
    ds = make_datasette(db_path)
    console.print(f"Browsing {db_path} at http://{HOST}:{port}/{db_path.stem} (Ctrl-C stops)")
    uvicorn.run(ds.app(), host=HOST, port=port, log_level="warning")
