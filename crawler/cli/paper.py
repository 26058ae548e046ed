"""The print edition: `issue` prints a day's 人民日报 page by page."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli import main
from crawler.cli.options import (
    _iso_date,
    console,
    db_option,
    json_option,
    open_db,
    output_target,
    print_json,
)


@main.command()
@click.argument("day", callback=_iso_date)
@click.option(
    "--pdf-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each page's kept PDF (the bytes fetched) here as DAY_NN.pdf.",
)
@click.option("--force", is_flag=True, help="Overwrite PDFs already in --pdf-dir.")
@db_option
@json_option
def issue(day, pdf_dir, force, db_path, as_json):
    """Print the table of contents of the 人民日报 of DAY (YYYY-MM-DD), page by page.

    Each page (版面) with its name and PDF, then its articles in page order with their
    archive keys and the web copies of the same piece (same_as). Crawl the day first with
    `scrapy crawl rmrb -a date=DAY`.

    \b
    Example:
      $ cpc-archive issue 2024-08-07 --db data/archive.db
      $ cpc-archive issue 2024-08-07 --json
      $ cpc-archive issue 2024-08-07 --pdf-dir exports/2024-08-07
    """
    from crawler.archive.paper import issue_contents, no_issue_recorded

    with open_db(db_path) as db:
        pages = issue_contents(db, day)
        missing = None if pages else no_issue_recorded(db, day)
        if pdf_dir is not None:
            for page in pages:
                page["pdf_file"] = _write_pdf(db, day, page, pdf_dir, force, db_path)
    if as_json:
        print_json({"date": day, "pages": pages, "no_issue": missing})
        return
    if not pages:
        what = f"no paper that day ({missing})" if missing else "not archived"
        raise click.ClickException(f"人民日报 {day}: {what}")
    console.print(f"[bold]人民日报 {day}[/bold]: {len(pages)} pages")
    for page in pages:
        pdf = page.get("pdf_file") or ("PDF kept" if page["pdf_snapshot_id"] else "no PDF")
        console.print(f"\n[bold]{page['name'] or page['number']}[/bold]  ({pdf})")
        if not page["articles"]:
            console.print("  (no articles)")
        for a in page["articles"]:
            title = " ".join(filter(None, [a["pretitle"], a["title"], a["subtitle"]]))
            extra = "" if a["archived"] else "  [not archived]"
            web = f"  = {', '.join(a['same_as'])}" if a["same_as"] else ""
            console.print(f"  {a['position']:>2}. {title}{extra}", markup=False)
            console.print(f"      {a['key']}{web}", markup=False, style="dim")


def _write_pdf(db, day: str, page: dict, pdf_dir: Path, force: bool, archive: Path) -> str | None:
    """The page's kept PDF written byte for byte; its path, None when none was kept.

    The file goes through the one output policy (crawler.archive.outputs) like every output."""
    from crawler.archive.outputs import open_output
    from crawler.archive.snapshots import snapshot_fetch

    if not page["pdf_snapshot_id"]:
        return None
    try:  # the folder the user named is made; missing folders above it are not
        pdf_dir.mkdir(exist_ok=True)
    except OSError as e:
        raise click.BadParameter(f"{pdf_dir}: {e.strerror}", param_hint="--pdf-dir") from None
    name = str(pdf_dir / f"{day}_{page['number']}.pdf")
    out = output_target(name, force=force, archive=archive, option="--pdf-dir")
    if out is None:
        raise click.BadParameter("name a folder, not standard output", param_hint="--pdf-dir")
    with open_output(out, binary=True) as fh:
        fh.write(snapshot_fetch(db, page["pdf_snapshot_id"]).body)
    return str(out)
