"""Every saved page's parse, as JSON: to check that a change to the parsers changes no record.

    python -m tests.parse_dump /tmp/before     # before the change
    python -m tests.parse_dump /tmp/after      # after it
    diff -r /tmp/before /tmp/after             # nothing: every parse is byte for byte the same
    python -m tests.parse_dump --digests       # a deliberate change: store the new digests

tests/test_parse_dump.py compares the SHA-256 of each page's JSON with tests/parse_digests.json,
so a change that alters any parse fails there until it is deliberate (PARSER_VERSION bumped,
digests rewritten).

Each saved page (tests/fixtures/*/ page.bin and continuation pages, every page of the recorded
site in crawler/demo_site/) is read by parse_article with URL and headers, without headers and
without URL, and by parse_listing with URL (with and without headers); the pages of a multi-page
fixture are merged as the crawl merges them. The links of every page are resolved against a few page
URLs and folded, as the parsers resolve and fold them. One JSON file per page.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

from crawler.pages.article import merge_pages, parse_article
from crawler.pages.body import absolute
from crawler.pages.decode import decode_html
from crawler.pages.listing import ListingError, parse_listing
from crawler.records import ArticleRecord
from crawler.urls import article_key, canonical_url, parse_article_url
from tests.fixture_archive import FIXTURES, fixture_fetches
from tests.site_paths import SITE, manifest

DIGESTS = Path(__file__).parent / "parse_digests.json"

# Page URLs links are resolved against: a page, a list, a provincial https page with a query,
# a host with a port and upper case, a host alone, other schemes.
BASES = (
    "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html",
    "https://js.people.com.cn/n2/2022/0213/c360307-35131671.html?from=share#top",
    "http://cpc.people.com.cn/GB/64093/64387/index.html",
    "http://CPC.People.com.cn:8080/a/b/",
    "HTTP://cpc.people.com.cn",
    "ftp://example.org/pub/",
)


def _json(value: object) -> object:
    if dataclasses.is_dataclass(value):
        # The record as stored (to_dict), which is what must not change.
        data = value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
        return {"type": type(value).__name__, **data}
    return value


def _article(body: bytes, url: str, headers: dict | None) -> object:
    return _json(parse_article(body, url, headers))


def _listing(body: bytes, url: str, headers: dict | None) -> object:
    try:
        return _json(parse_listing(body, url, headers))
    except ListingError as exc:
        return {"type": "ListingError", "message": str(exc)}


def _links(body: bytes) -> list[list]:
    """Every href and src of the page, resolved against BASES, folded and read as articles."""
    from parsel import Selector

    text = decode_html(body).text
    hrefs = sorted(set(Selector(text=text).xpath("//@href | //@src").getall())) if text else []
    out = []
    for href in hrefs:
        for base in BASES:
            target = absolute(base, href)
            parsed = parse_article_url(target) if target else None
            out.append(
                [
                    base,
                    href,
                    target,
                    canonical_url(target) if target else "",
                    _json(parsed),
                    article_key(target) if target else "",
                ]
            )
    return out


def _page(body: bytes, url: str, headers: dict) -> dict:
    return {
        "url": url,
        "article": _article(body, url, headers),
        "article_no_headers": _article(body, url, None),
        "article_no_url": _article(body, "", headers),
        "listing": _listing(body, url, headers),
        "listing_no_headers": _listing(body, url, None),
        "links": _links(body),
    }


def parses() -> dict[str, str]:
    """Name -> JSON text of every saved page's parses (and of each merged multi-page record)."""
    out: dict[str, str] = {}

    def add(name: str, data: object) -> None:
        out[name] = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"

    for meta_path in sorted(FIXTURES.glob("*/meta.json")):
        case = meta_path.parent.name
        fetches = fixture_fetches(case, at="")
        for i, fetch in enumerate(fetches):
            add(f"fixture__{case}__{i}", _page(fetch.body, fetch.url, fetch.headers))
        if len(fetches) > 1:
            records = [parse_article(f.body, f.url, f.headers) for f in fetches]
            if all(isinstance(r, ArticleRecord) for r in records):
                add(f"fixture__{case}__merged", _json(merge_pages(records[0], records[1:])))
    for url, entry in sorted(manifest()["pages"].items()):
        body = (SITE / entry["file"]).read_bytes()
        add(
            "site__" + entry["file"].replace("/", "__"),
            _page(body, url, entry.get("headers") or {}),
        )
    return out


def digests() -> dict[str, str]:
    """Name -> SHA-256 of the JSON text: what tests/parse_digests.json stores."""
    return {name: hashlib.sha256(text.encode()).hexdigest() for name, text in parses().items()}


def main(args: list[str]) -> int:
    if args == ["--digests"]:
        DIGESTS.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n", "utf-8")
        print(f"digests written to {DIGESTS}")
        return 0
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    texts = parses()
    for name, text in texts.items():
        (out / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"{len(texts)} files written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
