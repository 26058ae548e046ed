"""`cpc-archive fixture`: an archived article as a test fixture, from alarm to failing test."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from crawler.archive.fixture import FixtureExists, write_fixture
from crawler.archive.lookup import resolve_key
from crawler.cli import main
from crawler.cli.options import console, db_option, open_db

FIXTURES_DIR = Path("tests") / "fixtures"


@main.command()
@click.argument("article")
@click.option(
    "--name", required=True, help="The fixture's folder name (e.g. cpc_2024_c64387-40296001)."
)
@click.option(
    "--dir",
    "folder",
    default=str(FIXTURES_DIR),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where fixture folders live.",
)
@click.option("--force", is_flag=True, help="Replace an existing fixture of that name.")
@db_option
def fixture(article, name, folder, force, db_path):
    """Write an archived article (KEY or URL) as a test fixture.

    The folder gets page.bin (page-2.bin, …) with the exact bytes archived, meta.json with
    the fetch metadata, and expected.json with what the parser reads today: correct
    expected.json to what the page says, and tests/test_extract_fixtures.py fails until the
    selectors in crawler/pages/selectors.py read it right.

    \b
    Example:
      $ cpc-archive fixture people:40296001 --name cpc_2024_c64387-40296001
      $ cpc-archive fixture http://cpc.people.com.cn/n1/2024/0820/c64387-40296001.html \\
          --name redesign_2024 --dir /tmp/fixtures
    """
    if "/" in name or name in ("", ".", ".."):
        raise click.BadParameter("a folder name, not a path", param_hint="--name")
    with open_db(db_path) as db:
        key = resolve_key(db, article)
        if key is None:
            raise click.ClickException(f"no archived article {article!r}")
        try:
            dest = write_fixture(db, key, folder / name, overwrite=force)
        except FixtureExists as e:
            raise click.ClickException(f"{e}; pass --force to replace it") from e
    files = ", ".join(sorted(p.name for p in dest.iterdir()))
    console.print(f"Wrote {escape(str(dest))} ({files}) from {key}.")
    console.print("Correct expected.json to what the page says, then run:")
    console.print("  .venv/bin/pytest tests/test_extract_fixtures.py -q")
