"""What the archive-reading commands share: --db, --json, the article filters, opening the
archive with an error a user can act on, output as a rich table or JSON, and progress bars.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlite_utils import Database

from crawler.archive.db import DEFAULT_DB

# Read commands wait this long for a writer's lock, then say so instead of hanging.
READ_BUSY_TIMEOUT = 5.0

console = Console(soft_wrap=True)
err_console = Console(stderr=True)


def db_option(f: Callable) -> Callable:
    return click.option(
        "--db",
        "db_path",
        default=DEFAULT_DB,
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="The archive file.",
    )(f)


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")(f)


def _iso_date(ctx, param, value: str | None) -> str | None:
    """A whole day, YYYY-MM-DD: a print issue, a paper date."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-08-07") from None


def _date_bound(ctx, param, value: str | None) -> str | None:
    from crawler.archive.filters import FilterError, date_bound

    if value is None:
        return None
    try:
        return date_bound(value)
    except FilterError as e:
        raise click.BadParameter(str(e)) from None


class Utf8Text(click.ParamType):
    """Text that is valid UTF-8: a stray byte such as \\xff is a usage error, not a traceback."""

    name = "text"

    def convert(self, value, param, ctx):
        from crawler.archive.filters import FilterError, filter_text

        try:
            return filter_text(value)
        except FilterError as e:
            self.fail(str(e), param, ctx)


TEXT = Utf8Text()
# --limit options stop here: larger numbers overflow SQLite's integers, and nobody reads more.
MAX_LIMIT = 1_000_000


def limit_option(default: int, help: str) -> Callable:
    return click.option(
        "--limit",
        default=default,
        show_default=True,
        type=click.IntRange(1, MAX_LIMIT),
        help=help,
    )


@dataclass(frozen=True)
class Filters:
    """Which articles a command works on (the same meaning as crawler.archive.search.fts)."""

    since: str | None = None  # publication date, YYYY-MM-DD / YYYY-MM / YYYY, inclusive
    until: str | None = None
    source: str | None = None  # part of the 来源 name
    editor: str | None = None  # one editor, exactly
    channel: str | None = None  # channel id
    paper_date: str | None = None  # print edition date, YYYY-MM-DD
    paper_page: str | None = None  # print edition page number

    def as_kwargs(self) -> dict[str, str | None]:
        return {
            "since": self.since,
            "until": self.until,
            "source": self.source,
            "editor": self.editor,
            "channel": self.channel,
            "paper_date": self.paper_date,
            "paper_page": self.paper_page,
        }

    def any(self) -> bool:
        return any(self.as_kwargs().values())


def filter_options(f: Callable) -> Callable:
    """--since/--until/--source/--editor/--channel, collected into a `filters` argument."""
    opts = [
        click.option(
            "--since",
            callback=_date_bound,
            help="Published on or after (YYYY-MM-DD, or YYYY-MM / YYYY: from its first day).",
        ),
        click.option(
            "--until",
            callback=_date_bound,
            help="Published on or before (YYYY-MM-DD, or YYYY-MM / YYYY: to its last day).",
        ),
        click.option("--source", type=TEXT, help="来源 name contains this (e.g. 人民日报)."),
        click.option(
            "--editor", type=TEXT, help="Edited by this person (exact name, e.g. 王珂园)."
        ),
        click.option("--channel", type=TEXT, help="Channel id from the URL (e.g. 64094)."),
        click.option(
            "--paper-date", callback=_iso_date, help="In 人民日报 of this date (YYYY-MM-DD)."
        ),
        click.option(
            "--paper-page", type=click.IntRange(1, 999), help="On this page of the paper (e.g. 4)."
        ),
    ]

    @functools.wraps(f)  # keeps the options already declared on `f`
    def wrapper(*args, since, until, source, editor, channel, paper_date, paper_page, **kwargs):
        page = str(paper_page) if paper_page is not None else None
        kwargs["filters"] = Filters(since, until, source, editor, channel, paper_date, page)
        return f(*args, **kwargs)

    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper


class ArchiveMissing(click.ClickException):
    exit_code = 1


@contextlib.contextmanager
def open_db(
    path: Path, *, create: bool = False, busy_timeout: float | None = None
) -> Iterator[Database]:
    """The archive at `path` for the duration of a command, closed afterwards; errors while
    opening or using it become one-line messages (ClickException) instead of tracebacks.

    Without `create` the file must already be an archive (crawler.archive.db.
    open_existing_archive): only crawl, ingest, import-warc and demo create one, and never
    inside another program's SQLite file (open_or_create_archive). Read commands
    wait READ_BUSY_TIMEOUT for a lock; writers pass the archive's own timeout.
    """
    from crawler.archive.db import (
        NotAnArchiveError,
        open_existing_archive,
        open_or_create_archive,
    )

    timeout = READ_BUSY_TIMEOUT if busy_timeout is None else busy_timeout
    with archive_errors(path):
        try:
            opener = open_or_create_archive if create else open_existing_archive
            db = opener(path, busy_timeout=timeout)
        except FileNotFoundError:
            raise ArchiveMissing(
                f"no archive at {path}: crawl or import into it first "
                "(`cpc-archive import-warc --db ...`), or point --db at an existing archive"
            ) from None
        except NotAnArchiveError as e:
            raise ArchiveMissing(
                f"{e}: it holds no archive (empty, or another program's file); "
                "it was left untouched"
            ) from None
        try:
            yield db
        finally:
            db.conn.close()


def bad_query(query: str, error: Exception) -> click.UsageError:
    """The usage error for a query the search refuses, quoting at most its first 80
    characters: a query refused for its length would otherwise fill the terminal."""
    shown = query if len(query) <= 80 else query[:80] + "..."
    return click.UsageError(f"bad query {shown!r}: {error}")


@contextlib.contextmanager
def archive_errors(path: Path | str) -> Iterator[None]:
    """SQLite and archive errors as one-line messages instead of tracebacks."""
    from crawler.archive.compress import BodyCorrupt
    from crawler.archive.current import DamagedRow
    from crawler.archive.db import ArchiveBusyError
    from crawler.archive.outputs import OutputPathError

    try:
        yield
    except OutputPathError as e:  # an output that could not be written after all
        raise click.ClickException(str(e)) from e
    except DamagedRow as e:
        raise click.ClickException(f"{path}: a stored record is damaged: {e}") from e
    except ArchiveBusyError as e:
        raise click.ClickException(f"{path}: {e}") from e
    except BodyCorrupt as e:
        raise click.ClickException(f"{path}: a stored page is damaged: {e}") from e
    except sqlite3.DatabaseError as e:
        text = str(e)
        if "locked" in text or "busy" in text:
            text = f"the archive is locked by another process ({text}); try again when it finishes"
        elif "not a database" in text or "malformed" in text:
            text = f"not a cpc-archive database, or a damaged one ({text})"
        raise click.ClickException(f"{path}: {text}") from e


def print_json(data: Any, *, err: bool = False) -> None:
    """JSON on stdout (stderr with `err`), UTF-8 and unescaped so Chinese stays readable."""
    stream = sys.stderr if err else sys.stdout
    stream.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def table(title: str | None, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    return t


def progress() -> Progress:
    """A progress bar on stderr, so stdout stays clean for JSON and pipes."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


def output_target(
    name: str, *, force: bool, archive: Path | None = None, suffix: str = "", option: str = "--out"
) -> Path | None:
    """The file to write for an output option (None: standard output), by the one policy of
    crawler.archive.outputs; a refusal becomes a one-line error."""
    from crawler.archive.outputs import OutputPathError, OutputRefused
    from crawler.archive.outputs import output_target as target

    try:
        return target(name, force=force, archive=archive, suffix=suffix)
    except OutputRefused as e:
        raise click.ClickException(str(e)) from None
    except OutputPathError as e:
        raise click.BadParameter(str(e), param_hint=option) from None
