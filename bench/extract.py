"""Extraction speed: parse_article against trafilatura's bare_extraction, same pages, same run.

    pip install -e '.[bench]'
    python bench/extract.py [--repeats N] [--rounds N]

The pages are every saved page under tests/fixtures/ (page.bin and continuation pages) that
parse_article reads as an article: list pages and not-found pages, which it turns away in a
fraction of the time, would flatter it. In each repeat each contender parses every page
`rounds` times, one contender after the other; the figure is the median over the repeats of
the CPU time of this process (time.process_time_ns) per page, so other processes on the
machine do not count directly. One untimed pass first warms imports and caches.

Contenders, all given the page bytes and URL:

- parse_article: the whole record (fields, body, images, pages of a multi-page article).
- trafilatura: `bare_extraction(body, url=url, with_metadata=True)`, the well-known
  general extractor, asked for the metadata parse_article also reads (title, date, author):
  the same job, and the target's baseline.
- trafilatura, defaults: `bare_extraction(body, url=url)`, main text only; reported too.
- whole-page lxml: `lxml.html.fromstring(body, parser=HTMLParser(encoding=<charset>))` with
  the charset decode_html chose (decided before timing): the tree of every element, which
  any extraction has to build first.

Target: parse_article at least 20x faster than trafilatura. The ratio to the lxml parse is
reported, not targeted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.pages.article import parse_article
from crawler.pages.decode import decode_html
from crawler.records import ArticleRecord

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
TARGET = 20.0

Page = tuple[bytes, str, dict]


def article_pages() -> list[Page]:
    """(bytes, url, headers) of every saved page parse_article reads as an article."""
    out = []
    for meta_path in sorted(FIXTURES.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text("utf-8"))
        headers = meta.get("headers") or {}
        files = {"page.bin": meta["url"], **(meta.get("pages") or {})}
        for name, url in files.items():
            body = (meta_path.parent / name).read_bytes()
            if isinstance(parse_article(body, url, headers), ArticleRecord):
                out.append((body, url, headers))
    return out


def ms_per_page(parse: Callable[[Page], object], pages: list[Page], rounds: int) -> float:
    """CPU milliseconds per page of `rounds` passes over the pages."""
    start = time.process_time_ns()
    for _ in range(rounds):
        for page in pages:
            parse(page)
    return (time.process_time_ns() - start) / 1e6 / (rounds * len(pages))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        from trafilatura import bare_extraction
    except ImportError:
        print("trafilatura is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2

    pages = article_pages()
    charset = {url: decode_html(body, headers).encoding for body, url, headers in pages}
    lxml_parsers = {enc: lxml.html.HTMLParser(encoding=enc) for enc in set(charset.values())}
    contenders: dict[str, Callable[[Page], object]] = {
        "parse_article": lambda page: parse_article(*page),
        "trafilatura": lambda page: bare_extraction(page[0], url=page[1], with_metadata=True),
        "trafilatura, defaults": lambda page: bare_extraction(page[0], url=page[1]),
        "whole-page lxml": lambda page: lxml.html.fromstring(
            page[0], parser=lxml_parsers[charset[page[1]]]
        ),
    }
    for parse in contenders.values():  # untimed: imports, compiled expressions, caches
        ms_per_page(parse, pages, 1)
    runs = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, parse in contenders.items():
            runs[name].append(ms_per_page(parse, pages, args.rounds))
    ms = {name: statistics.median(times) for name, times in runs.items()}

    size = sum(len(body) for body, _, _ in pages) / 1024
    print(f"pages: {len(pages)} articles ({size:.0f} KiB), {args.repeats} repeats of", end=" ")
    print(f"{args.rounds} rounds, median CPU time per page")
    for name, value in ms.items():
        print(f"{name + ':':<24}{value:8.3f} ms/page")
    speedup = ms["trafilatura"] / ms["parse_article"]
    verdict = "OK" if speedup >= TARGET else "UNDER TARGET"
    print(
        f"parse_article vs trafilatura: {speedup:.1f}x faster (target >= {TARGET:.0f}x) {verdict}"
    )
    defaults = ms["trafilatura, defaults"] / ms["parse_article"]
    print(f"parse_article vs trafilatura, defaults: {defaults:.1f}x faster")
    lxml_ratio = ms["parse_article"] / ms["whole-page lxml"]
    print(f"parse_article vs whole-page lxml: {lxml_ratio:.1f}x its time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
