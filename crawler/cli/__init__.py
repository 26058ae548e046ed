"""The `cpc-archive` command line: each command a few lines over crawler.pages / crawler.archive.

Command modules register themselves on `main` when imported below.
"""

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cpc-archive")
def main() -> None:
    """Archive, query and export People's Daily Party-news pages."""


# Each module adds its commands to `main`; keep one import per line (sorted).
from crawler.cli import maintenance  # noqa: E402, F401, I001
from crawler.cli import browse  # noqa: E402, F401
from crawler.cli import demo  # noqa: E402, F401
from crawler.cli import distributed  # noqa: E402, F401
from crawler.cli import export  # noqa: E402, F401
from crawler.cli import extract  # noqa: E402, F401
from crawler.cli import fixture  # noqa: E402, F401
from crawler.cli import health  # noqa: E402, F401
from crawler.cli import paper  # noqa: E402, F401
from crawler.cli import query  # noqa: E402, F401
from crawler.cli import warc  # noqa: E402, F401
