"""An archived article as a test fixture in the project's format (tests/fixtures/<name>/):
page.bin (and page-N.bin) the exact bytes of the snapshots its current version came from,
meta.json their fetch metadata, expected.json what the parser reads from them today.

expected.json is the current parse, for a person to correct: when a monitor says a template
broke, the corrected expectation is a failing test until the selectors are fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from crawler.archive.snapshots import snapshot_fetch
from crawler.archive.verdict import parse_fetches
from crawler.records import ArticleRecord

# Fields of the record the fixture test does not pin: they change with every parser release.
UNPINNED = ("parser_version",)


class FixtureExists(FileExistsError):
    """The fixture folder is already there (pass overwrite=True to replace it)."""


def article_snapshot_ids(db: Database, key: str) -> list[int]:
    """The snapshots (page 1, then continuation pages) of the article's current version."""
    row = db.execute("SELECT snapshot_id FROM articles WHERE key = ?", [key]).fetchone()
    if row is None or row[0] is None:
        raise KeyError(f"no archived article {key}")
    group = db.execute(
        "SELECT coalesce(group_id, id) FROM snapshots WHERE id = ?", [row[0]]
    ).fetchone()[0]
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM snapshots WHERE coalesce(group_id, id) = ? ORDER BY page, id", [group]
        ).fetchall()
    ]


def expected_of(result) -> dict:
    if isinstance(result, ArticleRecord):
        record = {k: v for k, v in result.to_dict().items() if k not in UNPINNED}
        return {"record": record}
    return {"not_article": {"kind": result.kind}}


def write_fixture(db: Database, key: str, dest: Path, *, overwrite: bool = False) -> Path:
    """Write article `key` as the fixture folder `dest`; returns it."""
    ids = article_snapshot_ids(db, key)
    fetches = [snapshot_fetch(db, i) for i in ids]
    if dest.exists() and not overwrite:
        raise FixtureExists(f"{dest} exists")
    dest.mkdir(parents=True, exist_ok=True)
    first = fetches[0]
    names = ["page.bin", *(f"page-{n}.bin" for n in range(2, len(fetches) + 1))]
    for name, fetch in zip(names, fetches, strict=True):
        (dest / name).write_bytes(fetch.body)
    result, _charsets = parse_fetches(fetches)
    run = db.execute("SELECT run_id FROM snapshots WHERE id = ?", [ids[0]]).fetchone()[0]
    meta = {
        "url": first.final_url or first.url,
        "status": first.status,
        "headers": first.headers,
        **(
            {
                "pages": {
                    n: f.final_url or f.url for n, f in zip(names[1:], fetches[1:], strict=True)
                }
            }
            if len(fetches) > 1
            else {}
        ),
        "origin": "real",
        "source": (
            f"archived snapshot {ids[0]} of {key}, fetched {first.fetched_at} (run {run}), "
            "written by `cpc-archive fixture`"
        ),
        "notes": (
            "expected.json is what the parser read from these bytes when the fixture was "
            "written: correct every field to what the page says before relying on it."
        ),
    }
    if first.final_url and first.final_url != first.url:
        meta["requested_url"] = first.url
    (dest / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (dest / "expected.json").write_text(
        json.dumps(expected_of(result), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return dest
