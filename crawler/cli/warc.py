"""WARC files in and out of the archive: `import-warc` and `export-warc`."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.archive.outputs import open_output
from crawler.archive.selection import article_keys
from crawler.archive.warc.files import export_snapshot_ids, export_warc, import_warc
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
    table,
)


@main.command("import-warc")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@db_option
@json_option
def import_warc_command(files, db_path, as_json):
    """Import the HTML pages of WARC files into the archive.

    Others' captures of the site are a source like a crawl. Each file is one run: its pages go
    through the same storage as a crawl (snapshots, articles, versions); revisit records are
    resolved to the bytes they point at; damaged records are kept in `failures` with the reason,
    and the rest of the file is still read.

    \b
    Example:
      $ cpc-archive import-warc --db data/archive.db captures/cpc-2024.warc.gz
    """
    from crawler.archive.db import DEFAULT_BUSY_TIMEOUT
    from crawler.archive.warc.records import NotAWarc, check_warc

    reports = []
    for path in files:  # every file checked before anything is recorded
        try:
            check_warc(path)
        except NotAWarc as e:
            raise click.ClickException(str(e)) from e

    # a writer: waits for a crawl's transaction as long as the crawl would wait for it
    with open_db(db_path, create=True, busy_timeout=DEFAULT_BUSY_TIMEOUT) as db:
        for path in files:
            with progress() as bar:
                task = bar.add_task(f"importing {path.name}", total=None)
                report = import_warc(db, path, on_record=lambda _item, t=task: bar.advance(t))
            reports.append((path, report))
    if as_json:
        print_json(
            [
                {
                    "file": str(path),
                    "run_id": r.run_id,
                    "counts": r.counts,
                    "errors": [
                        {"offset": e.offset, "url": e.url, "reason": e.reason} for e in r.errors
                    ],
                }
                for path, r in reports
            ]
        )
        return
    for path, r in reports:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(r.counts.items())) or "nothing"
        console.print(f"{path}: run {r.run_id}: {counts}")
        if r.errors:
            console.print(
                table(
                    f"{len(r.errors)} damaged records (kept in failures)",
                    ["offset", "url", "reason"],
                    [(e.offset, e.url, e.reason) for e in r.errors],
                )
            )


@main.command("export-warc")
@click.option(
    "--out",
    required=True,
    metavar="PATH",
    help="The WARC file to write (.warc.gz compressed per record, .warc plain; "
    "'-': standard output, compressed).",
)
@click.option("--query", type=TEXT, help="Only articles matching this search query.")
@filter_options
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@db_option
@json_option
def export_warc_command(out, query, filters, force, db_path, as_json):
    """Export stored snapshots as a WARC/1.1 file.

    The original headers and bytes of every fetch. Without filters every snapshot is written
    (article pages, list pages, failures); with filters, the snapshots of the matching articles
    and their continuation pages. A re-fetch of an unchanged body becomes a revisit record. The
    file imports back with import-warc.

    \b
    Example:
      $ cpc-archive export-warc --out exports/cpc-2024.warc.gz --since 2024-01-01
    """
    from crawler.archive.search.fts import QueryError

    out = output_target(out, force=force, archive=db_path)
    with open_db(db_path) as db:
        keys = None
        if query or filters.any():
            try:
                keys = article_keys(db, query, **filters.as_kwargs())
            except QueryError as e:
                raise bad_query(query, e) from e
        ids = export_snapshot_ids(db, keys)
        name = out.name if out else "cpc-archive.warc.gz"
        with open_output(out, binary=True) as fh, progress() as bar:
            task = bar.add_task(f"writing {name}", total=len(ids))
            counts = export_warc(
                db,
                fh,
                ids,
                gzip=out is None or out.suffix == ".gz",
                filename=name,
                info={"description": _describe(query, filters)},
                on_record=lambda _sid: bar.advance(task),
            )
    summary = {
        "file": str(out) if out else "-",
        "snapshots": counts.responses + counts.revisits,
        "responses": counts.responses,
        "revisits": counts.revisits,
        "no_response": counts.errors,
        "bytes": out.stat().st_size if out else None,
        "damaged": counts.damaged,
    }
    # With the WARC on stdout, the summary goes to stderr.
    if as_json:
        print_json(summary, err=out is None)
        return
    size = f" ({summary['bytes']} bytes)" if out else ""
    (err_console if out is None else console).print(
        f"Wrote {out or 'standard output'}: {counts.responses} responses, {counts.revisits} "
        f"revisits, {counts.errors} requests without a response{size}"
    )
    for line in counts.damaged:
        console.print(f"left out, its stored body is damaged: {line}")


def _describe(query: str | None, filters) -> str:
    parts = [f"query={query}"] if query else []
    parts += [f"{k}={v}" for k, v in filters.as_kwargs().items() if v]
    return "cpc-archive export" + (": " + ", ".join(parts) if parts else " of the whole archive")
