"""The parsers leave no reference cycles: a page's tree is freed when its parse returns.

A cycle that reaches an lxml element keeps the whole document alive until the next garbage
collection; a crawl then holds many parsed pages at once and pays for collecting them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable

import pytest

from crawler.pages.article import parse_article
from crawler.pages.listing import ListingError, parse_listing
from tests.fixture_archive import FIXTURES, fixture_fetches
from tests.site_paths import SITE, manifest


def _saved_pages() -> list[tuple[str, bytes, str, dict]]:
    pages = [
        (fetch.url, fetch.body, fetch.url, fetch.headers)
        for meta_path in sorted(FIXTURES.glob("*/meta.json"))
        for fetch in fixture_fetches(meta_path.parent.name, at="")
    ]
    for url, entry in manifest()["pages"].items():
        body = (SITE / entry["file"]).read_bytes()
        pages.append((entry["file"], body, url, entry.get("headers") or {}))
    return pages


PAGES = _saved_pages()


# What a parse makes. Other tests' threads may drop cycles of their own during a parse; those
# are not counted.
_PARSER_MODULES = ("lxml", "crawler.pages", "crawler.records")


def _cyclic_garbage(parse: Callable[[], object]) -> list[str]:
    """Parser objects `parse` left in reference cycles (run once before, to warm caches)."""
    parse()
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what the collector finds, to name it
    try:
        parse()
        gc.collect()
        return sorted(
            {
                f"{kind.__module__}.{kind.__qualname__}"
                for kind in map(type, gc.garbage)
                if kind.__module__.startswith(_PARSER_MODULES)
            }
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def _listing(body: bytes, url: str, headers: dict) -> None:
    # An article page is not a list page; what its parse leaves behind still counts.
    with contextlib.suppress(ListingError):
        parse_listing(body, url, headers)


@pytest.mark.parametrize(("name", "body", "url", "headers"), PAGES, ids=[p[0] for p in PAGES])
def test_parse_article_leaves_no_cycles(name: str, body: bytes, url: str, headers: dict) -> None:
    assert _cyclic_garbage(lambda: parse_article(body, url, headers)) == []


@pytest.mark.parametrize(("name", "body", "url", "headers"), PAGES, ids=[p[0] for p in PAGES])
def test_parse_listing_leaves_no_cycles(name: str, body: bytes, url: str, headers: dict) -> None:
    assert _cyclic_garbage(lambda: _listing(body, url, headers)) == []
