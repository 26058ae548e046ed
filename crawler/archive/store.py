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
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlite_utils import Database

from crawler.archive.compress import maybe_train, sha256
from crawler.archive.db import write_transaction
from crawler.archive.diff import paragraph_diff
from crawler.archive.runs import add_counts, finish_run, start_run, unfinished_runs, utcnow
from crawler.archive.schema import ARTICLE_JSON_COLUMNS
from crawler.archive.search import index_article, unindex_article
from crawler.archive.snapshots import insert_snapshot
from crawler.items import ArticleRecord, Fetch, NotArticle
from crawler.urls import (
    article_key,
    canonical_url,
    is_article_url,
    is_site_host,
    parse_article_url,
)

__all__ = [
    "EDIT_FIELDS",
    "StoreOutcome",
    "article_record",
    "articles_first_seen_since",
    "fetched_urls",
    "finish_run",
    "known_article",
    "known_urls",
    "paragraph_diff",
    "parse_fetches",
    "start_run",
    "store_fetches",
    "unfinished_runs",
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
GONE_STATUSES = (404, 410)
HOME_PATHS = ("", "/", "/index.html", "/index.htm", "/gb/index.html")
# NotArticle kinds that are pages in their own right, not failed articles.
NOT_ARTICLE_PAGES = ("listing", "home")


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


@dataclass
class _Decision:
    status: str  # article, gone, failure, skip
    record: ArticleRecord | None = None
    key: str | None = None
    kind: str = ""
    reason: str = ""


def parse_fetches(fetches: Sequence[Fetch]) -> tuple[ArticleRecord | NotArticle, list[str]]:
    """Parse page 1 and any continuation pages into one result; also each page's charset."""
    from crawler.pages.article import merge_pages, parse_article

    pages = [parse_article(f.body, f.final_url or f.url, f.headers) for f in fetches]
    charsets = [p.encoding for p in pages]
    first = pages[0]
    if not isinstance(first, ArticleRecord) or len(pages) == 1:
        return first, charsets
    for f, page in zip(fetches[1:], pages[1:], strict=True):
        if not isinstance(page, ArticleRecord):
            return NotArticle(
                url=first.url,
                kind="incomplete",
                reason=f"continuation page {f.url} is not readable ({page.kind}: {page.reason})",
                encoding=first.encoding,
                parser_version=first.parser_version,
            ), charsets
    return merge_pages(first, pages[1:]), charsets


def _url_key(url: str) -> str | None:
    return article_key(url) if is_article_url(url) else None


def _redirected_home(fetch: Fetch) -> bool:
    if not fetch.final_url or canonical_url(fetch.final_url) == canonical_url(fetch.url):
        return False
    parts = urlsplit(fetch.final_url)
    return is_site_host(parts.netloc) and parts.path.lower() in HOME_PATHS


def _truncated(fetch: Fetch) -> str:
    # Every page of the site ends with </body></html> (browser-saved copies at least with
    # </body>); a body cut off in transit does not, and the record parsed from it could
    # silently miss the end of the article.
    tail = fetch.body[-4096:].lower()
    if b"</html" not in tail and b"</body" not in tail:
        return f"the page ends before </body> ({len(fetch.body)} bytes): truncated in transit?"
    return ""


def _decide(fetches: Sequence[Fetch], result: ArticleRecord | NotArticle | None) -> _Decision:
    first = fetches[0]
    url_key = _url_key(first.url)
    parsed_url = parse_article_url(first.url)
    if parsed_url and parsed_url.page > 1:
        # Page N alone is not the article: stored with page 1 it is merged into it.
        return _Decision(
            "skip",
            kind="continuation",
            reason=f"continuation page {parsed_url.page} stored without its page 1; "
            "store it together with page 1 to merge it into the article",
        )
    if first.status in GONE_STATUSES:
        return _Decision(
            "gone",
            key=url_key,
            kind=f"http_{first.status}",
            reason=f"the server answered {first.status}",
        )
    if _redirected_home(first) and url_key:
        return _Decision(
            "gone",
            key=url_key,
            kind="redirect_home",
            reason=f"redirected to the home page {first.final_url}",
        )
    if first.status == 0 and isinstance(result, NotArticle):
        # No response at all (timeout, connection lost): the source says why.
        return _Decision("failure", key=url_key, kind=result.kind, reason=result.reason)
    if not 200 <= first.status < 300:
        return _Decision(
            "failure",
            key=url_key,
            kind=f"http_{first.status}",
            reason=f"the server answered {first.status}",
        )
    for f in fetches:
        if not f.body:
            return _Decision(
                "failure", key=url_key, kind="empty", reason=f"empty body (0 bytes) for {f.url}"
            )
    assert result is not None
    if isinstance(result, NotArticle):
        if result.kind == "not_found":
            return _Decision("gone", key=url_key, kind="not_found", reason=result.reason)
        if result.kind == "home" and url_key:
            return _Decision("gone", key=url_key, kind="redirect_home", reason=result.reason)
        if result.kind in NOT_ARTICLE_PAGES:
            return _Decision("skip", key=None, kind=result.kind, reason=result.reason)
        return _Decision(
            "failure", key=url_key, kind=result.kind or "not_article", reason=result.reason
        )
    key = article_key(result.url or first.url, result.content_id)
    for f in fetches:
        if reason := _truncated(f):
            return _Decision("failure", key=key, kind="truncated", reason=reason)
    if not result.published_at:
        return _Decision(
            "failure", key=key, kind="no_date", reason="no publication date found on the page"
        )
    return _Decision("article", record=result, key=key)


def store_fetches(
    db: Database,
    run_id: int,
    fetches: list[Fetch],
    result: ArticleRecord | NotArticle | None = None,
    *,
    snapshot_ids: Sequence[int] | None = None,
) -> StoreOutcome:
    """Store page 1 of a page and its continuation pages (in order) in one transaction.

    `result`: the parse of these fetches when the caller has it; parsed here when None.
    `snapshot_ids`: the fetches are already stored as these snapshots (reparse); they are
    re-judged, not stored again.
    """
    if not fetches:
        raise ValueError("store_fetches needs at least one fetch")
    if snapshot_ids is not None and len(snapshot_ids) != len(fetches):
        raise ValueError("snapshot_ids must name one snapshot per fetch")
    charsets = [result.encoding] * len(fetches) if result is not None else []
    if result is None and all(f.body for f in fetches) and 200 <= fetches[0].status < 300:
        result, charsets = parse_fetches(fetches)
    decision = _decide(fetches, result)
    at = fetches[0].fetched_at or utcnow()
    with write_transaction(db):
        if snapshot_ids is None:
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
        if outcome.status != "skipped":
            add_counts(db, run_id, **{outcome.status: 1})
        if snapshot_ids is None:
            maybe_train(db)
    return outcome


def _apply(
    db: Database, run_id: int, fetches: Sequence[Fetch], ids: list[int], d: _Decision, at: str
) -> StoreOutcome:
    if d.status == "skip":
        return StoreOutcome("skipped", None, ids, reason=d.reason)
    if d.status == "gone":
        row = db.execute("SELECT removed_at FROM articles WHERE key = ?", [d.key]).fetchone()
        if row is not None:
            if row[0] is None:
                db.execute("UPDATE articles SET removed_at = ? WHERE key = ?", [at, d.key])
                return StoreOutcome("removed", d.key, ids, reason=d.reason)
            return StoreOutcome("unchanged", d.key, ids, reason=f"still removed: {d.reason}")
        d = _Decision("failure", key=d.key, kind=d.kind, reason=d.reason)
    if d.status == "failure":
        db.execute(
            "INSERT INTO failures (url, snapshot_id, kind, reason, article_key, run_id, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [fetches[0].url, ids[0], d.kind, d.reason, d.key, run_id, at],
        )
        return StoreOutcome("failed", d.key, ids, reason=f"{d.kind}: {d.reason}")
    assert d.record is not None and d.key is not None
    outcome = _save_article(db, d.key, d.record, fetches[0], ids[0], at)
    outcome.snapshot_ids = ids
    return outcome


def _content_hash(data: dict) -> str:
    edit = {k: data.get(k) for k in EDIT_FIELDS}
    return sha256(json.dumps(edit, ensure_ascii=False, sort_keys=True).encode())


def _version_fields(data: dict) -> str:
    # body_text is "\n".join(paragraphs): kept out of each version when it is exactly that
    # (article_record puts it back), which saves a full copy of the text per version.
    if data.get("body_text") == "\n".join(data.get("paragraphs") or []):
        data = {k: v for k, v in data.items() if k != "body_text"}
    return json.dumps(data, ensure_ascii=False)


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
        "SELECT doc_id, content_sha256, version, title, body_text, removed_at "
        "FROM articles WHERE key = ?",
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
        _add_version(db, key, 1, content_sha, body_sha, data, snapshot_id, record, at)
        index_article(db, doc_id, record.title, record.body_text)
        return StoreOutcome("new", key, [snapshot_id], version=1)
    doc_id, old_sha, version, old_title, old_body, removed_at = row
    if old_sha == content_sha:
        db.execute(
            "UPDATE articles SET last_seen = max(last_seen, ?), last_snapshot_id = ?, "
            "removed_at = NULL WHERE key = ?",
            [at, snapshot_id, key],
        )
        db.execute(
            "UPDATE versions SET seen_to = max(coalesce(seen_to, seen_from), ?) "
            "WHERE article_key = ? AND version = ?",
            [at, key, version],
        )
        reason = "seen again after its removal" if removed_at else ""
        return StoreOutcome("unchanged", key, [snapshot_id], reason=reason, version=version)
    version += 1
    values.update(version=version)
    db["articles"].update(key, values)
    _add_version(db, key, version, content_sha, body_sha, data, snapshot_id, record, at)
    unindex_article(db, doc_id, old_title or "", old_body or "")
    index_article(db, doc_id, record.title, record.body_text)
    return StoreOutcome("changed", key, [snapshot_id], version=version)


def _add_version(
    db: Database,
    key: str,
    version: int,
    content_sha: str,
    body_sha: str,
    data: dict,
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
            _version_fields(data),
            snapshot_id,
            record.parser_version,
            at,
            at,
        ],
    )


# --- what the crawl and the commands ask of the archive ---


def known_article(db: Database, key: str) -> bool:
    """Whether the archive holds an article under `key` (removed ones included)."""
    return db.execute("SELECT 1 FROM articles WHERE key = ?", [key]).fetchone() is not None


def known_urls(db: Database, urls: Sequence[str]) -> set[str]:
    """Those of `urls` whose article is already archived (by key, so any host counts)."""
    known = set()
    for u in urls:
        key = _url_key(u)
        by_key = bool(key) and known_article(db, key)
        if (
            by_key
            or db.execute("SELECT 1 FROM article_urls WHERE url = ?", [canonical_url(u)]).fetchone()
        ):
            known.add(u)
    return known


def fetched_urls(db: Database, run_id: int) -> set[str]:
    """URLs a run has already stored (fetched or failed): what a resumed run need not fetch."""
    return {r[0] for r in db.execute("SELECT url FROM snapshots WHERE run_id = ?", [run_id])}


def articles_first_seen_since(db: Database, date: str) -> list[tuple[str, str]]:
    """(key, url) of articles first archived on or after `date` (ISO date or instant) and not
    removed: what a recheck re-fetches to catch edits and removals."""
    return [
        (k, u)
        for k, u in db.execute(
            "SELECT key, url FROM articles WHERE first_seen >= ? AND removed_at IS NULL "
            "ORDER BY first_seen",
            [date],
        ).fetchall()
    ]


def article_record(db: Database, key: str, version: int | None = None) -> ArticleRecord:
    """The ArticleRecord of an article's current (or given) version."""
    sql = "SELECT fields FROM versions WHERE article_key = ?"
    params: list = [key]
    if version is not None:
        sql += " AND version = ?"
        params.append(version)
    row = db.execute(sql + " ORDER BY version DESC LIMIT 1", params).fetchone()
    if row is None:
        raise KeyError(f"no article {key}" + (f" version {version}" if version else ""))
    data = json.loads(row[0])
    data.setdefault("body_text", "\n".join(data.get("paragraphs") or []))
    return ArticleRecord.from_dict(data)
