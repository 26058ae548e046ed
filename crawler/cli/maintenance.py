"""Archive commands: ingest a saved page, reparse stored snapshots, compact the body store."""

from __future__ import annotations

import click

from crawler.archive.compact import compact_archive
from crawler.archive.db import DEFAULT_BUSY_TIMEOUT
from crawler.archive.reparse import reparse_run
from crawler.archive.runs import finish_run, start_run
from crawler.archive.saved_pages import SavedPageError, saved_page_fetches
from crawler.archive.store import store_fetches
from crawler.cli import main
from crawler.cli.options import TEXT, db_option, open_db

busy_option = click.option(
    "--busy-timeout",
    default=DEFAULT_BUSY_TIMEOUT,
    show_default=True,
    type=float,
    help="Seconds to wait for another process's write to finish before giving up.",
)


def _parse_header(values: tuple[str, ...]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r} is not 'Name: value'", param_hint="--header")
        headers[name.strip()] = content.strip()
    return headers


@main.command()
@db_option
@busy_option
@click.option(
    "--url", required=True, type=TEXT, help="The absolute http(s) URL the page was served from."
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="A response header as served (repeatable), e.g. the Content-Type with its charset.",
)
@click.option(
    "--status",
    default=200,
    show_default=True,
    type=int,
    help="The HTTP status it was served with (100-599).",
)
@click.option(
    "--fetched-at",
    help="When the page was fetched (ISO 8601 with a zone, e.g. 2024-08-07T09:30:00+08:00); "
    "default: the file's modification time.",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def ingest(db_path, busy_timeout, url, headers, status, fetched_at, files):
    """Store a saved page as a fetch: snapshot + article (or a failures row).

    FILE is the page as saved, byte for byte; further FILEs are its continuation pages
    (-2.html, -3.html, ... in order, their URLs derived from --url).

    \b
    Example:
      cpc-archive ingest --db data/archive.db \\
        --url http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html \\
        --header 'Content-Type: text/html; charset=GB2312' page.html page-2.html
    """
    try:
        fetches = saved_page_fetches(url, files, _parse_header(headers), status, fetched_at)
    except SavedPageError as e:
        raise click.BadParameter(str(e), param_hint="--" + e.field.replace("_", "-")) from None
    with open_db(db_path, create=True, busy_timeout=busy_timeout) as db:
        run = start_run(db, "ingest", {"url": url, "files": list(files)})
        out = store_fetches(db, run, fetches)
        finish_run(db, run, "finished")
    snapshots = ", ".join(map(str, out.snapshot_ids))
    line = f"{out.status}: {out.article_key or url} (snapshots {snapshots})"
    if out.reason:
        line += f" - {out.reason}"
    click.echo(line)


@main.command(name="reparse")
@db_option
@busy_option
def reparse_command(db_path, busy_timeout):
    """Re-extract every stored snapshot with the current parser; fetch nothing.

    Articles, versions, URLs, failures and the search index are derived again from the stored
    bytes, a batch of articles per transaction (it can run beside a crawl); the run row counts
    what changed.

    \b
    Example:
      cpc-archive reparse --db data/archive.db
    """
    with (
        open_db(db_path, busy_timeout=busy_timeout) as db,
        click.progressbar(length=1, label="reparsing") as bar,
    ):

        def progress(done, total):
            bar.length = total
            bar.update(1)

        try:
            _run, counts = reparse_run(db, progress)
        except KeyboardInterrupt:
            click.echo(
                "\nreparse interrupted: articles done so far are reparsed, the others as they "
                "were (each whole); run it again to finish",
                err=True,
            )
            raise SystemExit(130) from None
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@main.command()
@db_option
@busy_option
def compact(db_path, busy_timeout):
    """Train a compression dictionary on the stored pages and recompress the bodies with it.

    The new encoding is kept only when the bodies, dictionaries included, take fewer bytes
    than before; otherwise nothing changes and it says so.

    Run it now and then as the archive grows (the first dictionary is trained automatically
    once a few hundred pages are stored). It also merges the search index into one segment,
    and VACUUM returns the freed space to the disk.

    \b
    Example:
      cpc-archive compact --db data/archive.db
    """
    with open_db(db_path, busy_timeout=busy_timeout) as db:
        result = compact_archive(db)
    if result.dict_id is None:
        click.echo("too few pages stored to train a dictionary; bodies unchanged")
    elif not result.kept:
        click.echo(
            f"a new dictionary would store the bodies in {result.after} bytes against "
            f"{result.before} now: kept the current encoding"
        )
    else:
        click.echo(
            f"dictionary {result.dict_id}: {result.moved} bodies recompressed, "
            f"{result.before} -> {result.after} bytes stored"
        )
