"""Exporting articles as JSON Lines or CSV: `export`.

Columns, in this order, are crawler.archive.selection.ARTICLE_COLUMNS (one row per article) or
VERSION_COLUMNS (--versions: one row per version). JSON Lines writes lists and objects as JSON;
CSV writes them as JSON text in the cell, starts with a UTF-8 byte-order mark so spreadsheet
programs read the Chinese correctly, and ends lines with CRLF as RFC 4180 says.
"""

from __future__ import annotations

import csv
import json

import click

from crawler.archive.outputs import open_output
from crawler.archive.selection import (
    ARTICLE_COLUMNS,
    LIST_COLUMNS,
    OBJECT_COLUMNS,
    VERSION_COLUMNS,
    article_keys,
    article_row,
    version_rows,
)
from crawler.cli import main
from crawler.cli.options import (
    TEXT,
    bad_query,
    console,
    db_option,
    err_console,
    filter_options,
    json_option,
    open_db,
    output_target,
    print_json,
    progress,
)


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    required=True,
    help="JSON Lines (one object per line) or CSV (UTF-8 with BOM).",
)
@click.option(
    "--out",
    required=True,
    metavar="PATH",
    help="File to write ('-': standard output); .jsonl or .csv is added when the name has no "
    "extension.",
)
@click.option("--versions", is_flag=True, help="One row per version instead of per article.")
@click.option("--query", type=TEXT, help="Only articles matching this search query (all of them).")
@filter_options
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@db_option
@json_option
def export(fmt, out, versions, query, filters, force, db_path, as_json):
    """Export articles or versions as JSON Lines or CSV.

    Columns come in a fixed, documented order (README, "Using the archive"); CSV cells holding
    lists (authors, editors, ...) contain JSON. Articles come oldest publication first.

    \b
    Example:
      $ cpc-archive export --format csv --since 2024-08-01 --out exports/august
      $ cpc-archive export --format jsonl --versions --query 妇联 --out exports/fulian.jsonl
      $ cpc-archive export --format jsonl --since 2024-08 --out - | jq .title
    """
    from crawler.archive.search.fts import QueryError

    out = output_target(out, force=force, archive=db_path, suffix="." + fmt)
    columns = VERSION_COLUMNS if versions else ARTICLE_COLUMNS
    with open_db(db_path) as db:
        try:
            keys = article_keys(db, query, **filters.as_kwargs())
        except QueryError as e:
            raise bad_query(query, e) from e
        rows_written = 0
        # newline="" lets csv write its own CRLF; utf-8-sig puts the BOM first.
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with (
            open_output(out, encoding=encoding, newline="") as fh,
            progress() as bar,
        ):
            task = bar.add_task(f"exporting {out.name if out else 'to stdout'}", total=len(keys))
            write_row = _csv_writer(fh, columns) if fmt == "csv" else _jsonl_writer(fh)
            for key in keys:
                rows = version_rows(db, key) if versions else [article_row(db, key)]
                for row in rows:
                    write_row(row)
                    rows_written += 1
                bar.advance(task)
    summary = {
        "file": str(out) if out else "-",
        "format": fmt,
        "rows": rows_written,
        "articles": len(keys),
    }
    # With the rows on stdout, the summary goes to stderr so a pipe gets only rows.
    if as_json:
        print_json(summary, err=out is None)
    else:
        where = out if out else "standard output"
        # Versions are rows of their own; plain rows are the articles themselves.
        what = f"versions of {len(keys)} articles" if versions else "articles"
        (err_console if out is None else console).print(f"Wrote {rows_written} {what} to {where}")


def _jsonl_writer(fh):
    def write(row: dict) -> None:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    return write


def _csv_writer(fh, columns):
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow(columns)

    def write(row: dict) -> None:
        writer.writerow([_cell(c, row[c]) for c in columns])

    return write


def _cell(column: str, value) -> str:
    if column in LIST_COLUMNS or column in OBJECT_COLUMNS:
        return "" if value is None else json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)
