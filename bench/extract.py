"""Extraction speed: ms per page, parse_article vs bare lxml.html.fromstring on the same bytes.

    python bench/extract.py [--rounds N] [--repeats N] [--in-turn]

Every page file under tests/fixtures/ (page.bin and continuation pages) is parsed `rounds`
times by each contender in each of `repeats` repeats; medians are reported. The contenders
take turns page by page (bare, whole-page, full on one page, then the next page), so a burst
of load from other processes lands on all three within a millisecond of each other instead
of on whichever happened to run during it; on each page a contender's first call is not
timed (see `interleaved`). Times are CPU time of this process (time.process_time_ns), so
other processes on the machine do not count directly.
--in-turn times each contender over all pages, one after the other in each repeat: load
from other processes that comes and goes then lands on one contender and not the others.
Two baselines, both measured in this run on the same bytes:

- bare: `lxml.html.fromstring(body)`, as asked. libxml2 then trusts the page's GB2312
  declaration and stops at the first byte that is not GB2312, so on the browser-saved UTF-8
  pages it builds a tree of a few elements: the script prints how many pages it cut short.
- whole-page: `lxml.html.fromstring(body, parser=HTMLParser(encoding=<charset>))` with the
  charset decode_html chose (decided before timing): the same parse that reads every element,
  i.e. the cost of the tree parse_article actually needs.

Target: full extraction at most 5x the baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.pages.article import parse_article
from crawler.pages.decode import decode_html

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
TARGET = 5.0


def pages() -> list[tuple[bytes, str, dict]]:
    out = []
    for meta_path in sorted(FIXTURES.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text("utf-8"))
        headers = meta.get("headers") or {}
        files = {"page.bin": meta["url"], **(meta.get("pages") or {})}
        for name, url in files.items():
            out.append(((meta_path.parent / name).read_bytes(), url, headers))
    return out


def interleaved(contenders, items, rounds: int) -> list[float]:
    """ms per page for each contender, taking turns on each page.

    On each page each contender makes one untimed call, then `rounds` timed calls in a row.
    A call leaves work for the next one (freed memory the allocator consolidates, caches it
    evicted): a bare parse right after a full extraction costs about a fifth more than one
    after another bare parse. The untimed call takes what the previous contender left, so
    each contender is timed in the state its own calls leave, as in a loop of its own.
    """
    clock = time.process_time_ns
    totals = [0] * len(contenders)
    for item in items:
        for i, fn in enumerate(contenders):
            fn(item)
            start = clock()
            for _ in range(rounds):
                fn(item)
            totals[i] += clock() - start
    return [total / 1e6 / (rounds * len(items)) for total in totals]


def in_turn(contenders, items, rounds: int) -> list[float]:
    """ms per page for each contender, each over all pages before the next starts."""
    out = []
    for fn in contenders:
        start = time.process_time_ns()
        for _ in range(rounds):
            for item in items:
                fn(item)
        out.append((time.process_time_ns() - start) / 1e6 / (rounds * len(items)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--in-turn", action="store_true", help="each contender over all pages in turn"
    )
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    items = pages()
    total = sum(len(body) for body, _, _ in items)
    parsers = {
        enc: lxml.html.HTMLParser(encoding=enc)
        for enc in {decode_html(body, headers).encoding for body, _, headers in items}
    }
    whole = [(body, parsers[decode_html(body, headers).encoding]) for body, _, headers in items]
    cut_short = sum(
        1
        for (body, _, _), (_, p) in zip(items, whole, strict=True)
        if len(list(lxml.html.fromstring(body).iter()))
        < len(list(lxml.html.fromstring(body, parser=p).iter()))
    )
    for item in items:  # warm caches (compiled selectors, imports) before timing
        parse_article(*item)

    contenders = (
        lambda pair: lxml.html.fromstring(pair[0][0]),
        lambda pair: lxml.html.fromstring(pair[1][0], parser=pair[1][1]),
        lambda pair: parse_article(*pair[0]),
    )
    pairs = list(zip(items, whole, strict=True))
    timing = in_turn if args.in_turn else interleaved
    runs = [tuple(timing(contenders, pairs, args.rounds)) for _ in range(args.repeats)]
    bare, fair, full = (statistics.median(col) for col in zip(*runs, strict=True))

    way = "each contender in turn" if args.in_turn else "contenders take turns page by page"
    print(f"pages: {len(items)} ({total / 1024:.0f} KiB), {args.repeats} repeats, medians; {way}")
    print(f"bare lxml.html.fromstring:        {bare:.3f} ms/page  ({cut_short} pages cut short)")
    print(f"whole-page lxml.html.fromstring:  {fair:.3f} ms/page")
    print(f"full parse_article:               {full:.3f} ms/page")
    for name, col in (("bare", 0), ("whole-page", 1)):
        ratio = statistics.median(run[2] / run[col] for run in runs)
        verdict = "OK" if ratio <= TARGET else "OVER"
        print(f"ratio vs {name}: {ratio:.2f}x (target <= {TARGET:.0f}x) {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
