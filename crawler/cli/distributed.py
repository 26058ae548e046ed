"""`archiver`: the one writer of a distributed crawl (docs/distributed.md)."""

from __future__ import annotations

import logging
import signal

import click

from crawler.cli import main
from crawler.cli.options import db_option


@main.command()
@click.option("--redis", "redis_url", required=True, help="The fleet's Redis, redis://host:6379/0.")
@db_option
@click.option("--prefix", default="cpc-archive", show_default=True, help="ARCHIVE_REDIS_PREFIX.")
@click.option("--spider", default="cpc", show_default=True, help="The crawl's spider.")
@click.option("--name", default="archiver", show_default=True, help="Consumer name in the group.")
@click.option(
    "--claim-idle",
    default=60.0,
    show_default=True,
    help="Seconds after which another writer's unacknowledged entries are taken over.",
)
@click.option("--until-finished", is_flag=True, help="Exit once a crawl's end is stored.")
def archiver(redis_url, db_path, prefix, spider, name, claim_idle, until_finished):
    """Store the pages a fleet of workers sends through Redis, as the archive's one writer.

    Workers are `scrapy crawl cpc -s ARCHIVE_REDIS_URL=...` on any number of machines; they
    wait until this command has published what the archive holds. SIGTERM or Ctrl-C stop it
    after the entry in hand; what it has not acknowledged stays in Redis for the next start.

    \b
    Example:
        $ cpc-archive archiver --redis redis://10.0.0.5:6379/0 --db data/archive.db
    """
    from crawler.archive.db import open_archive
    from crawler.archive.lockfile import ArchiveLocked
    from crawler.distributed.archiver import Archiver

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s"
    )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = open_archive(db_path)
    writer = Archiver(db, redis_url, f"{prefix}:{spider}", consumer=name, claim_idle=claim_idle)

    def stop(signum, frame):
        writer.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        writer.open()
    except ArchiveLocked as exc:
        raise click.ClickException(f"archive {db_path} is locked: {exc}") from exc
    try:
        writer.run(until_finished=until_finished)
    finally:
        writer.close()
        db.close()
