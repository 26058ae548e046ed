"""The print edition: `issue` prints a day's 人民日报 page by page."""

from __future__ import annotations

import click

from crawler.cli import main
from crawler.cli.options import _iso_date, console, db_option, json_option, open_db, print_json


@main.command()
@click.argument("day", callback=_iso_date)
@db_option
@json_option
def issue(day, db_path, as_json):
    """Print the table of contents of the 人民日报 of DAY (YYYY-MM-DD), page by page.

    Each page (版面) with its name and PDF, then its articles in page order with their
    archive keys and the web copies of the same piece (same_as). Crawl the day first with
    `scrapy crawl rmrb -a date=DAY`.

    \b
    Example:
      $ cpc-archive issue 2024-08-07 --db data/archive.db
      $ cpc-archive issue 2024-08-07 --json
    """
    from crawler.archive.paper import issue_contents, no_issue_recorded

    with open_db(db_path) as db:
        pages = issue_contents(db, day)
        missing = None if pages else no_issue_recorded(db, day)
    if as_json:
        print_json({"date": day, "pages": pages, "no_issue": missing})
        return
    if not pages:
        what = f"no paper that day ({missing})" if missing else "not archived"
        raise click.ClickException(f"人民日报 {day}: {what}")
    console.print(f"[bold]人民日报 {day}[/bold]: {len(pages)} pages")
    for page in pages:
        pdf = "PDF kept" if page["pdf_snapshot_id"] else "no PDF"
        console.print(f"\n[bold]{page['name'] or page['number']}[/bold]  ({pdf})")
        if not page["articles"]:
            console.print("  (no articles)")
        for a in page["articles"]:
            title = " ".join(filter(None, [a["pretitle"], a["title"], a["subtitle"]]))
            extra = "" if a["archived"] else "  [not archived]"
            web = f"  = {', '.join(a['same_as'])}" if a["same_as"] else ""
            console.print(f"  {a['position']:>2}. {title}{extra}", markup=False)
            console.print(f"      {a['key']}{web}", markup=False, style="dim")
