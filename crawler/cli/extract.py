"""`cpc-archive extract`: read one saved page and print its article record."""

from __future__ import annotations

import json
import sys

import click

from crawler.cli import main
from crawler.cli.options import TEXT
from crawler.pages.article import parse_article
from crawler.records import NotArticle


@main.command()
@click.argument("file", type=click.File("rb"))
@click.option(
    "--url",
    default="",
    type=TEXT,
    help="The URL the page was fetched from (gives ids, absolute links).",
)
@click.option(
    "--content-type",
    default=None,
    help='The Content-Type header it was served with, e.g. "text/html; charset=GB2312".',
)
def extract(file, url: str, content_type: str | None) -> None:
    """Print the article record of a saved page FILE as JSON.

    Exits 0 with the record on stdout; for a page that is not an article (a not-found page,
    a list page, the home page, an empty or unreadable file) exits 1 with
    "not an article: <reason>" on stderr. FILE may be "-" for standard input.

    \b
    Example:
      cpc-archive extract page.html \\
        --url http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html
    """
    headers = {"Content-Type": content_type} if content_type else None
    result = parse_article(file.read(), url, headers)
    if isinstance(result, NotArticle):
        click.echo(f"not an article: {result.reason}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
