"""Crawl commands: `replay-proxy` (serve a recorded site) and `demo` (crawl it end to end)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from crawler.cli import main

# The source checkout when running from one (tests start crawls there); an installed package
# has none, and its crawls find the project through SCRAPY_SETTINGS_MODULE (crawl_env).
ROOT = Path(__file__).resolve().parents[2]
# The recorded copy of the site, shipped inside the package so `demo` works after any install.
RECORDED_SITE = Path(__file__).resolve().parents[1] / "demo_site"


@main.command("replay-proxy")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="A site folder (manifest.json), a WARC file or an archive database.",
)
@click.option(
    "--port",
    default=8640,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: any free).",
)
def replay_proxy(source: Path, port: int) -> None:
    """Serve recorded responses by full URL as an HTTP proxy on 127.0.0.1.

    Crawl the recording with its real URLs (unknown URLs answer 404):

    \b
        http_proxy=http://127.0.0.1:PORT scrapy crawl cpc

    Example:

    \b
        $ cpc-archive replay-proxy --from crawler/demo_site --port 8640
        $ cpc-archive replay-proxy --from data/archive.db --port 8641
    """
    import sqlite3

    from crawler.replay import ReplayServer

    try:
        server = ReplayServer(source, port=port)
    except (ValueError, sqlite3.Error) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # the port is taken, or a file cannot be read
        where = exc.filename or f"port {port}"
        raise click.ClickException(f"{exc.strerror or exc}: {where}") from exc
    click.echo(f"Replaying {source} on http://127.0.0.1:{server.port} (Ctrl-C to stop)")
    click.echo(f"  http_proxy=http://127.0.0.1:{server.port} scrapy crawl cpc")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@main.command()
@click.option(
    "--db",
    default="data/demo.db",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to create (an existing file is only replaced with --force).",
)
@click.option(
    "--site",
    default=str(RECORDED_SITE),
    show_default=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The recorded site to crawl.",
)
@click.option("--force", is_flag=True, help="Replace --db if it exists (its data is lost).")
def demo(db: Path, site: Path, force: bool) -> None:
    """Crawl the recorded site (crawler/demo_site) through the replay proxy into a fresh archive.

    Runs the real `scrapy crawl cpc`, with politeness relaxed for loopback, then prints what
    the archive holds and what to try next. Ctrl-C stops the crawl: its run is closed
    'interrupted' and the command exits 130.

    Example:

    \b
        $ cpc-archive demo --db data/demo.db
    """
    from crawler.replay import ReplayServer

    if db.exists() and not force:
        raise click.ClickException(
            f"{db} exists: the demo starts from an empty archive and would replace it; "
            "pass --force to replace it, or choose another --db"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    with ReplayServer(site) as server:
        click.echo(f"Replay proxy for {site} on {server.url}; crawling into {db} ...")
        click.echo(
            "The recorded site injects faults (500, 503/429, a timeout, cut-off and empty "
            "bodies, redirects), so the errors logged below are expected: each one ends as "
            "a failures row."
        )
        crawl = subprocess.Popen(
            crawl_command(db, ["-s", "LOG_LEVEL=WARNING"]), env=crawl_env(server.url)
        )
        try:
            code = crawl.wait()
        except KeyboardInterrupt:
            _interrupted(db, crawl)
        click.echo(f"The proxy answered {len(server.hits)} requests.")
    if code != 0:
        raise click.ClickException(f"scrapy crawl cpc exited with status {code}")
    summarize(db)


# Seconds a Ctrl-C'd crawl gets to close its run before it is killed.
SHUTDOWN_GRACE = 10.0


def _interrupted(db: Path, crawl: subprocess.Popen) -> None:
    """Ctrl-C: the crawl got it too (same process group) and shuts down; wait for that, then
    close whatever run it left open as 'interrupted' and exit 130 (128 + SIGINT)."""
    from crawler.archive.db import open_existing_archive
    from crawler.archive.runs import close_unfinished_runs

    click.echo("Interrupted: stopping the crawl ...", err=True)
    try:
        crawl.wait(timeout=SHUTDOWN_GRACE)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        crawl.kill()
        crawl.wait()
    closed = []
    if db.exists():
        archive = open_existing_archive(db)
        try:
            closed = close_unfinished_runs(archive, "interrupted")
        finally:
            archive.close()
    if closed:
        click.echo(f"Crawl interrupted: run {', '.join(map(str, closed))} closed 'interrupted'.")
    else:
        click.echo("Crawl interrupted: it closed its run itself (see `cpc-archive runs`).")
    sys.exit(130)


def run_crawl(db: Path, proxy: str, extra: list[str] | None = None, **popen) -> int:
    """`scrapy crawl cpc` into `db` through the replay proxy at `proxy`, loopback-fast."""
    return subprocess.call(crawl_command(db, extra), env=crawl_env(proxy), **popen)


def crawl_command(db: Path, extra: list[str] | None = None) -> list[str]:
    return [
        sys.executable, "-m", "scrapy", "crawl", "cpc",
        "-s", f"ARCHIVE_DB={Path(db).resolve()}",
        # Loopback: no need to spare the server; robots.txt is still obeyed.
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "DOWNLOAD_TIMEOUT=2",
        "-s", "RETRY_TIMES=1",
        "-s", "ARCHIVE_RETRY_BACKOFF=0.1",
        *(extra or []),
    ]  # fmt: skip


def crawl_env(proxy: str) -> dict[str, str]:
    env = {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy}
    env.pop("https_proxy", None)
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # The project's settings wherever the crawl starts (no scrapy.cfg beside an install).
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    return env


def summarize(db: Path) -> None:
    from crawler.archive.db import open_archive
    from crawler.archive.runs import last_run_summary

    archive = open_archive(db)
    run = last_run_summary(archive)
    archive.close()
    click.echo(
        f"Run {run['id']} ended '{run['finish_reason']}': {run['fetched']} fetches, "
        f"{run['new']} new articles, {run['failed']} failures; "
        f"the archive holds {run['articles']} articles."
    )
    failures = run["failures_by_kind"]
    if failures:
        click.echo("Failures by kind: " + ", ".join(f"{k} {n}" for k, n in failures.items()))
    click.echo(
        "\nWhat next:\n"
        f"  sqlite3 {db} 'SELECT published_at, title FROM articles ORDER BY published_at DESC'\n"
        f"  sqlite3 {db} 'SELECT url, kind, reason FROM failures'\n"
        f"  cpc-archive search --db {db} 改革\n"
        f"  cpc-archive show --db {db} people:40293310   # the merged three-page article\n"
        f"  cpc-archive runs --db {db}\n"
        f"  cpc-archive browse --db {db}   # Datasette on 127.0.0.1\n"
        f"  cpc-archive replay-proxy --from {db} --port 8640   # the archive replays itself\n"
        f"  cpc-archive demo --db {db}   # crawl again from scratch"
    )
