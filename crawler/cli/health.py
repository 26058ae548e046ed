"""`cpc-archive health`: did the last crawl's monitors pass? For cron and service monitors."""

from __future__ import annotations

import click
from rich.markup import escape

from crawler.archive.checks import last_checked_run, run_checks
from crawler.archive.runs import run_ending
from crawler.cli import main
from crawler.cli.options import console, db_option, json_option, open_db, print_json

# Exit statuses a service monitor can tell apart.
FAILED, NOT_JUDGED = 1, 2


@main.command()
@click.option("--spider", help="Only the runs of this spider (cpc, rmrb); default: any.")
@db_option
@json_option
def health(spider, db_path, as_json):
    """The verdict of the monitors on the last judged crawl; exit 1 if any failed.

    Exits 0 when every monitor passed, 1 when one failed (each failure and its reason is
    printed), 2 when no crawl has been judged yet.

    \b
    Example:
      $ cpc-archive health --db data/archive.db || mail -s 'crawl unhealthy' ops@example.org
    """
    with open_db(db_path) as db:
        run_id = last_checked_run(db, spider)
        checks = run_checks(db, run_id) if run_id is not None else []
        row = run_ending(db, run_id) if run_id is not None else None
    failed = [c for c in checks if not c.passed]
    if as_json:
        print_json({"run_id": run_id, "healthy": bool(checks) and not failed,
                    "checks": [vars(c) for c in checks]})  # fmt: skip
    elif run_id is None:
        console.print("No crawl has been judged by the monitors yet.")
    else:
        started, reason = row or ("?", None)
        console.print(f"Run {run_id} (started {started}, ended {reason or 'unfinished'}):")
        for c in checks:
            mark = "[green]ok[/green]    " if c.passed else "[red]FAILED[/red]"
            console.print(f"  {mark} {escape(c.monitor)}: {escape(c.message)}")
    if run_id is None:
        raise SystemExit(NOT_JUDGED)
    if failed:
        raise SystemExit(FAILED)
