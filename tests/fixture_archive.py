"""A small archive built by storing the fixture pages the way a crawl would, for the tests of
the commands that read an archive (search, show, export, WARC, Datasette).

Two runs: the first archives seven articles (one of three pages) and a not-found page at an
unknown URL; the second, three days later, sees the seed article again with its second
paragraph edited (a derived copy of the fixture bytes, made here, never saved), the special
report unchanged, and the 2013 article gone (the site's not-found page at its URL).
"""

from __future__ import annotations

import json
from pathlib import Path

from crawler.archive.runs import finish_run, start_run
from crawler.archive.store import store_fetches
from crawler.pages.article import parse_article
from crawler.records import ArticleRecord, Fetch

FIXTURES = Path(__file__).parent / "fixtures"

SEED = "cpc_article_2024_c64094-40294513"  # 妇联, 改革; edited in run 2
SEED_KEY = "people:40294513"
MULTIPAGE = "cpc_multipage_2024_c64387-40293310"
SPECIAL = "cpc_special_2024_c117005-40281455"  # unchanged in run 2
OLD = "cpc_pera_2013_c64094-21063812"  # removed in run 2
OLD_KEY = "people:21063812"
FIRST_RUN = (
    SEED,
    MULTIPAGE,
    SPECIAL,
    OLD,
    "cpc_gb_zoom_2009_64094-10341172",
    "js_n2_2020wbc_2022_c360307-35131671",
    "politics_2020wbc_2024_c1001-40223222",
)
ADDED = "（本文发布后有修改）"  # appended to the seed's second paragraph in run 2

T1 = "2024-08-07T01:00:00Z"
T2 = "2024-08-10T01:00:00Z"


def fixture_fetches(case: str, at: str) -> list[Fetch]:
    """page.bin and its continuation pages as fetches, bytes untouched."""
    folder = FIXTURES / case
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    headers = meta.get("headers") or {}
    fetches = [Fetch(meta["url"], (folder / "page.bin").read_bytes(), 200, headers, "", at)]
    for name, url in (meta.get("pages") or {}).items():
        fetches.append(Fetch(url, (folder / name).read_bytes(), 200, headers, "", at))
    return fetches


def edited_seed(at: str) -> Fetch:
    """The seed page with ADDED after its second paragraph: an edit the site could make."""
    (fetch,) = fixture_fetches(SEED, at)
    record = parse_article(fetch.body, fetch.url, fetch.headers)
    assert isinstance(record, ArticleRecord)
    para = record.paragraphs[1].encode("gbk")
    assert fetch.body.count(para) == 1, "the paragraph must appear once, verbatim"
    body = fetch.body.replace(para, para + ADDED.encode("gbk"))
    return Fetch(fetch.url, body, fetch.status, fetch.headers, "", at)


def removed_old(at: str) -> Fetch:
    (notfound,) = fixture_fetches("cpc_notfound_200", at)
    (old,) = fixture_fetches(OLD, at)
    return Fetch(old.url, notfound.body, 200, notfound.headers, "", at)


def build_fixture_archive(db) -> dict[str, int]:
    """Store the two runs into `db`; the run ids."""
    run1 = start_run(db, "crawl", {"fixture": "run 1"})
    for case in FIRST_RUN:
        store_fetches(db, run1, fixture_fetches(case, T1))
    store_fetches(db, run1, fixture_fetches("cpc_notfound_200", T1))
    finish_run(db, run1, "finished")
    run2 = start_run(db, "crawl", {"fixture": "run 2"})
    assert store_fetches(db, run2, [edited_seed(T2)]).status == "changed"
    assert store_fetches(db, run2, fixture_fetches(SPECIAL, T2)).status == "unchanged"
    assert store_fetches(db, run2, [removed_old(T2)]).status == "removed"
    finish_run(db, run2, "finished")
    return {"run1": run1, "run2": run2}
