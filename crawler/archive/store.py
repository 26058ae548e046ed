"""Storing fetches: snapshot, parse, dedupe, version, quarantine, in one transaction per call.

Every source of pages (the spider's pipeline, `ingest`, `import-warc`, `reparse`) stores them
through `store_fetches`, so one set of rules decides what an archive holds:

- every fetch becomes a `snapshots` row; its body is stored once per distinct sha256;
- an article is keyed by crawler.urls.article_key (the content id across hosts, else the
  canonical URL); every URL it was seen under goes to `article_urls`;
- a state of an article is identified by the hash of its edit-relevant fields (EDIT_FIELDS);
  a re-fetch with the same state only moves last_seen, a different state adds a `versions` row;
- the same body text under two keys is a reprint: the later article gets `reprint_of`;
- a 404/410, a not-found page or a redirect to the home page for a known article sets
  `removed_at` and keeps everything; for an unknown URL it is a failure;
- a page that cannot become an article goes to `failures` with its reason and snapshot.

What a fetch is (article, removal, failure, page) is judged in crawler.archive.verdict before
the transaction opens; the read-side helpers the crawl and the commands use live in
crawler.archive.lookup and are re-exported here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from crawler.archive.compress import maybe_train, sha256
from crawler.archive.current import current_fields, full_fields, materialize
from crawler.archive.db import ArchiveBusyError, write_transaction
from crawler.archive.instants import stored_instant, utc_now
from crawler.archive.runs import add_counts
from crawler.archive.same_as import link_same_as
from crawler.archive.schema import ARTICLE_JSON_COLUMNS
from crawler.archive.search.fts import index_article, indexed_row, unindex_article
from crawler.archive.snapshots import insert_snapshot
from crawler.archive.verdict import (
    ArticleParser,
    Verdict,
    continuation_pages_whole,
    judge,
    parse_fetches,
)
from crawler.pages import article
from crawler.records import ArticleRecord, Fetch, NotArticle
from crawler.urls import canonical_url

__all__ = [
    "EDIT_FIELDS",
    "StoreOutcome",
    "no_response",
    "record_failure",
    "store_fetches",
]

# What an edit changes. Fields outside this list (the URL it was fetched under, template,
# encoding, keywords, images...) can differ between hosts or parser versions without the
# article having changed.
EDIT_FIELDS = (
    "title",
    "pretitle",
    "subtitle",
    "original_title",
    "published_at",
    "source",
    "authors",
    "editors",
    "print_edition",
    "paragraphs",
)


@dataclass
class StoreOutcome:
    """What store_fetches did with one fetch (and its continuation pages).

    status: "new", "changed", "unchanged", "removed", "failed", or "skipped" (a list page or
    home page: snapshotted, nothing else to do).
    """

    status: str
    article_key: str | None
    snapshot_ids: list[int] = field(default_factory=list)
    reason: str = ""  # why it failed or was skipped
    version: int | None = None  # the article's current version number


def store_fetches(
    db: Database,
    run_id: int,
    fetches: list[Fetch],
    result: ArticleRecord | NotArticle | None = None,
    *,
    snapshot_ids: Sequence[int] | None = None,
    max_pages: int | None = None,
    parser: ArticleParser = article,
) -> StoreOutcome:
    """Store page 1 of a page and its continuation pages (in order) in one transaction.

    `result`: the parse of these fetches when the caller has it; parsed here when None.
    `snapshot_ids`: the fetches are already stored as these snapshots (reparse); they are
    re-judged, not stored again.
    `max_pages`: the page limit of a multi-page article (ARCHIVE_MAX_PAGES by default).
    `parser`: what parses the fetches when they need parsing here (crawler.pages.article).

    A multi-page article some of whose pages did not come in whole is stored with the pages
    that did, flagged with the missing ones (ArticleRecord.missing_pages): parsed here from
    the fetches whenever the caller's result cannot know that.
    """
    if not fetches:
        raise ValueError("store_fetches needs at least one fetch")
    if snapshot_ids is not None and len(snapshot_ids) != len(fetches):
        raise ValueError("snapshot_ids must name one snapshot per fetch")
    charsets = [result.encoding] * len(fetches) if result is not None else []
    partial = isinstance(result, ArticleRecord) and not continuation_pages_whole(fetches)
    if (result is None or partial) and fetches[0].body and 200 <= fetches[0].status < 300:
        result, charsets = parse_fetches(fetches, max_pages, parser=parser)
    decision = judge(fetches, result)
    at = stored_instant(fetches[0].fetched_at) if fetches[0].fetched_at else utc_now()
    with write_transaction(db):
        if snapshot_ids is None and no_response(fetches):
            # Nothing arrived, so there are no bytes to keep: the failures row is the record.
            ids = []
        elif snapshot_ids is None:
            ids: list[int] = []
            for i, f in enumerate(fetches):
                ids.append(
                    insert_snapshot(
                        db,
                        run_id,
                        f,
                        fetched_at=f.fetched_at or at,
                        charset=charsets[i] if i < len(charsets) else "",
                        group_id=ids[0] if ids else None,
                        page=i + 1,
                        article_key=decision.key,
                    )
                )
            add_counts(db, run_id, fetched=len(fetches))
        else:
            ids = list(snapshot_ids)
            db.execute(
                f"UPDATE snapshots SET article_key = ? WHERE id IN ({','.join('?' * len(ids))})",
                [decision.key, *ids],
            )
            for sid, cs in zip(ids, charsets, strict=False):
                db.execute("UPDATE snapshots SET charset = ? WHERE id = ?", [cs, sid])
        outcome = _apply(db, run_id, fetches, ids, decision, at)
        if outcome.status in ("new", "changed") and outcome.article_key:
            link_same_as(db, outcome.article_key)
        if outcome.status != "skipped":
            add_counts(db, run_id, **{outcome.status: 1})
    if snapshot_ids is None:
        # After the commit: the first dictionary's training takes the write lock only in short
        # transactions of its own (compress.maybe_train), not inside this page's. A busy
        # archive only postpones it to a later store: the page is stored, never to be redone.
        with contextlib.suppress(ArchiveBusyError):
            maybe_train(db)
    return outcome


def no_response(fetches: Sequence[Fetch]) -> bool:
    """A request that got no response at all (status 0, no bytes): a failure, not a snapshot."""
    return len(fetches) == 1 and fetches[0].status == 0 and not fetches[0].body


def _apply(
    db: Database, run_id: int, fetches: Sequence[Fetch], ids: list[int], d: Verdict, at: str
) -> StoreOutcome:
    if d.status == "skip":
        return StoreOutcome("skipped", None, ids, reason=d.reason)
    if d.status == "gone":
        row = db.execute(
            "SELECT removed_at, last_seen FROM articles WHERE key = ?", [d.key]
        ).fetchone()
        if row is not None:
            if at < row[1]:
                reason = f"gone in a fetch older than its last sighting: {d.reason}"
                return StoreOutcome("unchanged", d.key, ids, reason=reason)
            if row[0] is None:
                db.execute("UPDATE articles SET removed_at = ? WHERE key = ?", [at, d.key])
                return StoreOutcome("removed", d.key, ids, reason=d.reason)
            return StoreOutcome("unchanged", d.key, ids, reason=f"still removed: {d.reason}")
        d = Verdict("failure", key=d.key, kind=d.kind, reason=d.reason)
    if d.status == "failure":
        sid = ids[0] if ids else None
        record_failure(db, fetches[0].url, sid, d.kind, d.reason, run_id, at, key=d.key)
        return StoreOutcome("failed", d.key, ids, reason=f"{d.kind}: {d.reason}")
    assert d.record is not None and d.key is not None
    outcome = _save_article(db, d.key, d.record, fetches[0], ids[0], at)
    outcome.snapshot_ids = ids
    return outcome


def record_failure(
    db: Database,
    url: str,
    snapshot_id: int | None,
    kind: str,
    reason: str,
    run_id: int,
    at: str,
    key: str | None = None,
) -> None:
    """A `failures` row: what could not become an article, why, and the bytes it came from."""
    db.execute(
        "INSERT INTO failures (url, snapshot_id, kind, reason, article_key, run_id, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [url, snapshot_id, kind, reason, key, run_id, at],
    )


def _content_hash(data: dict) -> str:
    edit = {k: data.get(k) for k in EDIT_FIELDS}
    return sha256(json.dumps(edit, ensure_ascii=False, sort_keys=True).encode())


def _article_values(data: dict) -> dict:
    values = {}
    for name, value in data.items():
        if name in ARTICLE_JSON_COLUMNS:
            value = json.dumps(value, ensure_ascii=False) if value is not None else None
        values[name] = value
    return values


def _reprint_of(db: Database, key: str, text_sha: str, body_text: str) -> str | None:
    if not body_text.strip():
        return None
    row = db.execute(
        "SELECT coalesce(reprint_of, key) FROM articles WHERE text_sha256 = ? AND key != ? "
        "ORDER BY first_seen, doc_id LIMIT 1",
        [text_sha, key],
    ).fetchone()
    return row[0] if row else None


def _save_article(
    db: Database, key: str, record: ArticleRecord, first: Fetch, snapshot_id: int, at: str
) -> StoreOutcome:
    outcome = _save_record(db, key, record, first, snapshot_id, at)
    db.execute(
        "INSERT INTO article_urls (url, article_key, first_seen, last_seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(url) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)",
        [canonical_url(first.url), key, at, at],
    )
    return outcome


def _save_record(
    db: Database, key: str, record: ArticleRecord, first: Fetch, snapshot_id: int, at: str
) -> StoreOutcome:
    data = record.to_dict()
    content_sha = _content_hash(data)
    text_sha = sha256(record.body_text.encode())
    body_sha = sha256(first.body)
    row = db.execute(
        "SELECT content_sha256, version, removed_at, last_seen FROM articles WHERE key = ?",
        [key],
    ).fetchone()
    # Record fields the schema has no column for yet (a parser newer than the archive) stay
    # in the version's JSON fields; the articles row takes the columns it has.
    columns = db["articles"].columns_dict
    values = {k: v for k, v in _article_values(data).items() if k in columns}
    values.update(
        key=key,
        snapshot_id=snapshot_id,
        last_snapshot_id=snapshot_id,
        body_sha256=body_sha,
        text_sha256=text_sha,
        content_sha256=content_sha,
        last_seen=at,
        removed_at=None,
        reprint_of=_reprint_of(db, key, text_sha, record.body_text),
    )
    if row is None:
        doc_id = db.execute("SELECT coalesce(max(doc_id), 0) + 1 FROM articles").fetchone()[0]
        values.update(doc_id=doc_id, first_seen=at, version=1)
        db["articles"].insert(values)
        fields = current_fields(data, {k: data[k] for k in data if k in columns})
        _add_version(db, key, 1, content_sha, body_sha, fields, snapshot_id, record, at)
        index_article(db, indexed_row(db, key))
        return StoreOutcome("new", key, [snapshot_id], version=1)
    old_sha, version, removed_at, last_seen = row
    if at < last_seen:
        return _save_earlier(db, key, data, record, content_sha, body_sha, snapshot_id, at, version)
    if old_sha == content_sha:
        db.execute(
            "UPDATE articles SET last_seen = max(last_seen, ?), last_snapshot_id = ?, "
            "removed_at = NULL WHERE key = ?",
            [at, snapshot_id, key],
        )
        if "missing_pages" in values:  # the same text; why pages are missing may differ
            db.execute(
                "UPDATE articles SET missing_pages = ? WHERE key = ?",
                [values["missing_pages"], key],
            )
        db.execute(
            "UPDATE versions SET seen_to = max(coalesce(seen_to, seen_from), ?) "
            "WHERE article_key = ? AND version = ?",
            [at, key, version],
        )
        reason = "seen again after its removal" if removed_at else ""
        return StoreOutcome("unchanged", key, [snapshot_id], reason=reason, version=version)
    # the state being replaced lives in the articles row: write it out whole first
    materialize(db, key, version)
    version += 1
    values.update(version=version)
    unindex_article(db, indexed_row(db, key))  # what the index holds: the row before the change
    db["articles"].update(key, values)
    fields = current_fields(data, {k: data[k] for k in data if k in columns})
    _add_version(db, key, version, content_sha, body_sha, fields, snapshot_id, record, at)
    index_article(db, indexed_row(db, key))
    return StoreOutcome("changed", key, [snapshot_id], version=version)


def _save_earlier(
    db: Database,
    key: str,
    data: dict,
    record: ArticleRecord,
    content_sha: str,
    body_sha: str,
    snapshot_id: int,
    at: str,
    current: int,
) -> StoreOutcome:
    """A fetch older than the article's last sighting (an import of earlier captures).

    The current state stays the latest one seen; the earlier state widens the version it
    matches, or is recorded as a version of its own (numbered in order of discovery).
    """
    db.execute("UPDATE articles SET first_seen = min(first_seen, ?) WHERE key = ?", [at, key])
    match = db.execute(
        "SELECT version FROM versions WHERE article_key = ? AND content_sha256 = ? "
        "ORDER BY version LIMIT 1",
        [key, content_sha],
    ).fetchone()
    if match:
        db.execute(
            "UPDATE versions SET seen_from = min(seen_from, ?), seen_to = max(seen_to, ?) "
            "WHERE article_key = ? AND version = ?",
            [at, at, key, match[0]],
        )
        return StoreOutcome(
            "unchanged", key, [snapshot_id], reason="an earlier sighting", version=current
        )
    number = db.execute(
        "SELECT max(version) + 1 FROM versions WHERE article_key = ?", [key]
    ).fetchone()[0]
    fields = full_fields(data)  # not the current state: kept whole
    _add_version(db, key, number, content_sha, body_sha, fields, snapshot_id, record, at)
    return StoreOutcome(
        "changed",
        key,
        [snapshot_id],
        reason=f"an earlier state, fetched before the current one: kept as version {number}",
        version=current,
    )


def _add_version(
    db: Database,
    key: str,
    version: int,
    content_sha: str,
    body_sha: str,
    fields: str,
    snapshot_id: int,
    record: ArticleRecord,
    at: str,
) -> None:
    db.execute(
        "INSERT INTO versions (article_key, version, content_sha256, body_sha256, fields, "
        "snapshot_id, parser_version, seen_from, seen_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            key,
            version,
            content_sha,
            body_sha,
            fields,
            snapshot_id,
            record.parser_version,
            at,
            at,
        ],
    )
