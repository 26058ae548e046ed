"""The current state of an article is stored once: in its `articles` row.

Every state an article had is a `versions` row, but the current one is also the `articles` row
(what search, Datasette and plain sqlite3 read). Its `versions.fields` therefore keeps only
what that row has no column for, and the paragraphs only when `body_text` cannot give them
back exactly (a paragraph holding a newline). `article_record` puts the two back together.
When a newer state replaces it, the old state is written out whole into its version first
(`materialize`), so an earlier version never depends on a row that has moved on.
"""

from __future__ import annotations

import json
from dataclasses import fields as dataclass_fields

from sqlite_utils import Database

from crawler.archive.schema import ARTICLE_JSON_COLUMNS
from crawler.records import ArticleRecord

RECORD_FIELDS = tuple(f.name for f in dataclass_fields(ArticleRecord))


def paragraphs_of(body_text: str) -> list[str]:
    """The paragraphs "\\n".join made `body_text` from, when no paragraph held a newline."""
    return body_text.split("\n") if body_text else []


def full_fields(data: dict) -> str:
    """A version's `fields`: the whole record, body_text left out when it is the paragraphs
    joined (the reader joins them again)."""
    if data.get("body_text") == "\n".join(data.get("paragraphs") or []):
        data = {k: v for k, v in data.items() if k != "body_text"}
    return json.dumps(data, ensure_ascii=False)


def current_fields(data: dict, row: dict) -> str:
    """The current version's `fields`: only what its articles row (`row`, as row_fields gives
    it) does not hold with the same value."""
    kept = {}
    for name, value in data.items():
        if name in row and row[name] == value:
            continue
        if name == "paragraphs" and paragraphs_of(row.get("body_text") or "") == value:
            continue
        kept[name] = value
    return json.dumps(kept, ensure_ascii=False)


class DamagedRow(ValueError):
    """A stored row whose JSON column cannot be read: named, instead of a JSONDecodeError."""


def decode_json(text: str, what: str) -> object:
    """A stored JSON value; DamagedRow naming `what` when it cannot be read."""
    try:
        return json.loads(text)
    except ValueError as e:
        raise DamagedRow(f"{what} holds malformed JSON ({e})") from e


def record_dict(db: Database, key: str, version: int | None = None) -> dict:
    """The record of an article's current (or given) version, as a dict; KeyError if none."""
    row = db.execute(
        "SELECT version FROM articles WHERE key = ?",
        [key],
    ).fetchone()
    current = row[0] if row else None
    version = current if version is None else version
    found = db.execute(
        "SELECT fields FROM versions WHERE article_key = ? AND version = ?", [key, version]
    ).fetchone()
    if found is None:
        raise KeyError(f"no article {key}" + (f" version {version}" if version else ""))
    stored = decode_json(found[0], f"article {key}: the fields of its version {version}")
    if version != current:
        data = stored
    else:
        data = row_fields(db, key)
        data.update(stored)
        if "paragraphs" not in data:
            data["paragraphs"] = paragraphs_of(data.get("body_text") or "")
    data.setdefault("body_text", "\n".join(data.get("paragraphs") or []))
    return data


def row_fields(db: Database, key: str) -> dict:
    """The record fields the articles row of `key` holds, JSON columns decoded."""
    cur = db.execute("SELECT * FROM articles WHERE key = ?", [key])
    row = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    data = {}
    for name in RECORD_FIELDS:
        if name not in row:
            continue
        value = row[name]
        if name in ARTICLE_JSON_COLUMNS and value is not None:
            value = decode_json(value, f"article {key}: its {name} column")
        data[name] = value
    return data


def materialize(db: Database, key: str, version: int) -> None:
    """Write version `version` of `key` out whole, before its articles row moves on."""
    data = record_dict(db, key, version)
    db.execute(
        "UPDATE versions SET fields = ? WHERE article_key = ? AND version = ?",
        [full_fields(data), key, version],
    )


def article_record(db: Database, key: str, version: int | None = None) -> ArticleRecord:
    """The ArticleRecord of an article's current (or given) version.

    The current version is the one `articles.version` names: not always the highest number, as
    an earlier state found later (an import of old captures) is numbered after it.
    """
    return ArticleRecord.from_dict(record_dict(db, key, version))
