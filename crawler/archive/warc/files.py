"""WARC files into and out of the archive: what `import-warc` and `export-warc` do.

Import feeds every exchange `read_warc` yields through `store_fetches`, like any other source,
with what a WARC file needs on top: continuation pages gathered with their page 1, and records
that are damaged or orphaned kept as `failures` instead of becoming articles, and an article
with pages missing from the file stored flagged incomplete, as every source stores one.
Export writes stored snapshots back out with `WarcOut`, in the order they were stored.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from crawler.archive.compress import BodyCorrupt, sha256
from crawler.archive.db import write_transaction
from crawler.archive.instants import stored_instant, utc_now
from crawler.archive.runs import add_counts, finish_run, start_run
from crawler.archive.snapshots import insert_snapshot, snapshot_fetch
from crawler.archive.store import record_failure, store_fetches
from crawler.archive.verdict import NOT_REJUDGEABLE
from crawler.archive.warc.records import (
    FetchError,
    JudgedFetch,
    WarcOut,
    WarcRecordError,
    WriteCounts,
    check_warc,
    read_warc,
)
from crawler.records import Fetch, NotArticle
from crawler.urls import canonical_url, parse_article_url

# How many records a multi-page article's first page waits for its continuation pages.
PAGE_WINDOW = 64


@dataclass
class PageGroup:
    """Page 1 of a page and the continuation pages found for it, in page order; or one
    continuation page whose first page is not in the file (`orphan` says so)."""

    fetches: list[Fetch]
    orphan: str = ""


def group_pages(
    items: Iterable[Fetch | FetchError | WarcRecordError], window: int = PAGE_WINDOW
) -> Iterator[PageGroup | FetchError | WarcRecordError]:
    """Gather continuation pages (-2.html, -3.html, ...) with their page 1, as the archive
    stores a multi-page article in one call.

    Everything comes out in the order it was read (a group where its first page was), so an
    import stores what an export wrote in the same order, and successive captures of one
    article oldest first. A group waits at most `window` records for more pages.
    """
    pending: list[_Pending] = []  # in the order read
    open_by_key: dict[str, _Pending] = {}

    def flush(upto: int | None) -> Iterator[PageGroup | FetchError | WarcRecordError]:
        while pending and (upto is None or pending[0].closed or pending[0].start < upto):
            done = pending.pop(0)
            if done.key is not None and open_by_key.get(done.key) is done:
                del open_by_key[done.key]
            if isinstance(done.item, PageGroup):
                done.item.fetches.sort(key=_page_number)
            yield done.item

    for index, item in enumerate(items):
        if isinstance(item, FetchError) and (p := parse_article_url(item.url)) and p.page > 1:
            # A continuation page that got no answer belongs with its article, as stored.
            item = Fetch(item.url, b"", 0, {}, "", item.fetched_at)
        if isinstance(item, WarcRecordError | FetchError | JudgedFetch):
            pending.append(_Pending(index, None, item, closed=True))
            yield from flush(index - window)
            continue
        parsed = parse_article_url(item.final_url or item.url)
        key = canonical_url(parsed.first_page_url) if parsed else None
        if parsed is not None and parsed.page > 1:
            owner = open_by_key.get(key)
            if owner is None or parsed.page in {_page_number(f) for f in owner.item.fetches}:
                orphan = (
                    f"continuation page {parsed.page} without its first page "
                    f"{parsed.first_page_url} shortly before it in the file"
                )
                pending.append(_Pending(index, None, PageGroup([item], orphan), closed=True))
            else:
                owner.item.fetches.append(item)
        else:
            started = _Pending(index, key, PageGroup([item]), closed=key is None)
            if key is not None:
                if key in open_by_key:
                    open_by_key[key].closed = True  # a later capture of the same article
                open_by_key[key] = started
            pending.append(started)
        yield from flush(index - window)
    yield from flush(None)


@dataclass
class _Pending:
    start: int  # index of the record among those read
    key: str | None  # canonical URL of page 1 while more pages can join, else None
    item: PageGroup | FetchError | WarcRecordError
    closed: bool = False  # nothing more can join it


def _page_number(fetch: Fetch) -> int:

    parsed = parse_article_url(fetch.final_url or fetch.url)
    return parsed.page if parsed else 1


@dataclass
class ImportReport:
    run_id: int
    counts: dict[str, int] = field(default_factory=dict)  # outcome status -> number of pages
    errors: list[WarcRecordError] = field(default_factory=list)


def import_warc(db, path: str | Path, on_record=None) -> ImportReport:
    """Store every page response of a WARC file through store_fetches, in one run.

    Damaged records become `failures` rows (with a snapshot of the bytes when the record's
    headers could be read); a continuation page without its first page, and an article with
    pages missing, are quarantined the same way instead of being taken for articles; fetch
    errors are stored as the crawl stores them. `on_record(item)` is called for every item
    read (for a progress bar).

    Idempotent: a capture already in the archive (same URL, date and body digest) is skipped
    as a duplicate, so importing a file twice stores it once, and a rerun of an import that
    was killed resumes it (the killed run is closed `interrupted`). A file that is not a WARC
    is refused (NotAWarc) before anything is recorded.
    """
    path = Path(path)
    check_warc(path)
    close_killed_imports(db, path)
    run_id = start_run(db, "import-warc", {"file": str(path)})
    report = ImportReport(run_id)
    reason = "finished"
    try:
        for item in group_pages(_reporting(read_warc(path), on_record)):
            if _already_imported(db, item, path):
                status = "duplicate"
            elif isinstance(item, WarcRecordError):
                report.errors.append(item)
                status = _quarantine(db, run_id, item)
            elif isinstance(item, JudgedFetch):
                # the failure its source recorded, not a judgement of the bytes again
                result = NotArticle(item.fetch.url, kind=item.kind, reason=item.reason)
                status = store_fetches(db, run_id, [item.fetch], result).status
            elif isinstance(item, FetchError):
                # as the crawl stores a request that got no answer: status 0, the reason given
                fetch = Fetch(item.url, b"", 0, {}, "", item.fetched_at)
                result = NotArticle(item.url, kind=item.kind, reason=item.reason)
                status = store_fetches(db, run_id, [fetch], result).status
            elif item.orphan:
                fetch = item.fetches[0]
                result = NotArticle(fetch.url, kind="orphan_page", reason=item.orphan)
                status = store_fetches(db, run_id, item.fetches, result).status
            else:
                # Parsed by the archive: pages missing or failed make the article flagged.
                status = store_fetches(db, run_id, item.fetches).status
            report.counts[status] = report.counts.get(status, 0) + 1
    except BaseException as e:
        reason = "interrupted" if isinstance(e, KeyboardInterrupt) else f"error: {e}"
        raise
    finally:
        finish_run(db, run_id, reason)
    return report


def close_killed_imports(db, path: Path) -> list[int]:
    """Close the runs of earlier imports of this file that never finished (killed):
    `interrupted`. Their rerun resumes them, skipping what they stored."""
    rows = db.execute(
        "SELECT id FROM runs WHERE kind = 'import-warc' AND finished_at IS NULL "
        "AND json_extract(args, '$.file') = ?",
        [str(path)],
    ).fetchall()
    for (run_id,) in rows:
        finish_run(db, run_id, "interrupted")
    return [r[0] for r in rows]


def _already_imported(db, item, path: Path) -> bool:
    """The same capture (URL, date, body digest, status) is in the archive already."""
    if isinstance(item, FetchError):
        # No bytes arrived, so no snapshot was stored: known by its failures row.
        at = stored_instant(item.fetched_at) if item.fetched_at else None
        return (
            db.execute(
                "SELECT 1 FROM failures WHERE url = ? AND kind = ? AND reason = ? "
                "AND snapshot_id IS NULL AND (? IS NULL OR at = ?) LIMIT 1",
                [item.url, item.kind, item.reason, at, at],
            ).fetchone()
            is not None
        )
    if isinstance(item, JudgedFetch):
        fetch = item.fetch
    elif isinstance(item, WarcRecordError):
        if item.fetch is None:  # nothing readable: known by the failure recorded for it
            url = item.url or f"{path.name}#offset={item.offset}"
            return (
                db.execute(
                    "SELECT 1 FROM failures WHERE url = ? AND reason = ? AND snapshot_id IS NULL",
                    [url, str(item)],
                ).fetchone()
                is not None
            )
        fetch = item.fetch
    else:
        fetch = item.fetches[0]
    return (
        db.execute(
            "SELECT 1 FROM snapshots WHERE url = ? AND fetched_at = ? AND body_sha256 = ? "
            "AND status = ? LIMIT 1",
            [fetch.url, fetch.fetched_at, sha256(fetch.body), fetch.status],
        ).fetchone()
        is not None
    )


def _reporting(items: Iterable, on_record) -> Iterator:
    for item in items:
        if on_record is not None:
            on_record(item)
        yield item


def _quarantine(db, run_id: int, error: WarcRecordError) -> str:
    """A damaged record as a `failures` row, with its bytes as a snapshot when there are any.

    Not passed to store_fetches: the bytes of a damaged record must not move an article (a
    damaged 404 would otherwise mark a live article removed).
    """
    url = error.url or f"{Path(error.path).name}#offset={error.offset}"
    with write_transaction(db):
        snapshot_id = None
        if error.fetch is not None:
            fetched_at = error.fetch.fetched_at or utc_now()
            snapshot_id = insert_snapshot(db, run_id, error.fetch, fetched_at=fetched_at)
            add_counts(db, run_id, fetched=1)
        record_failure(db, url, snapshot_id, error.kind, str(error), run_id, utc_now())
        add_counts(db, run_id, failed=1)
    return "failed"


def export_snapshot_ids(db, keys: Iterable[str] | None = None) -> list[int | FetchError]:
    """What to export, in the order it was stored (so an import makes the same decisions in
    the same order): snapshot ids, and in their place in time the requests that got no
    response (a failures row without a snapshot, as FetchError). All of them, or those of the
    given articles with their continuation pages."""
    if keys is None:
        ids = [r[0] for r in db.execute("SELECT id FROM snapshots ORDER BY id")]
        return _with_fetch_errors(db, ids, None)
    keys = list(keys)
    wanted: set[int] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        wanted.update(
            r[0]
            for r in db.execute(
                f"SELECT s.id FROM snapshots s WHERE s.article_key IN ({marks}) OR s.group_id IN "
                f"(SELECT g.id FROM snapshots g WHERE g.article_key IN ({marks}))",
                [*chunk, *chunk],
            )
        )
    order = {
        r[0]: i
        for i, r in enumerate(db.execute("SELECT id FROM snapshots ORDER BY fetched_at, id"))
    }
    return _with_fetch_errors(db, sorted(wanted, key=order.__getitem__), set(keys))


# The failures kind of a request that got no response: stored without a snapshot.
NO_RESPONSE_KIND = "fetch_error"


def _with_fetch_errors(db, ids: list[int], keys: set[str] | None) -> list[int | FetchError]:
    """`ids` with the snapshot-less fetch errors (of `keys`' articles, or all) merged in by
    time; a fetch error goes before a snapshot of the same instant (it was asked first)."""
    errors = [
        FetchError(url, at, kind, reason)
        for url, at, kind, reason, key in db.execute(
            "SELECT url, at, kind, reason, article_key FROM failures "
            "WHERE snapshot_id IS NULL AND kind = ? ORDER BY id",
            [NO_RESPONSE_KIND],
        )
        if keys is None or key in keys
    ]
    if not errors:
        return list(ids)
    when = dict(db.execute("SELECT id, fetched_at FROM snapshots").fetchall()) if ids else {}
    return list(
        heapq.merge(
            errors, ids, key=lambda i: i.fetched_at if isinstance(i, FetchError) else when[i]
        )
    )


def _fetch_error(db, snapshot_id: int, fetch: Fetch) -> FetchError:
    row = db.execute(
        "SELECT kind, reason FROM failures WHERE snapshot_id = ? ORDER BY id LIMIT 1",
        [snapshot_id],
    ).fetchone()
    kind, reason = row if row else ("fetch_error", "no response")
    return FetchError(fetch.url, fetch.fetched_at, kind, reason)


def _judged_failure(db, snapshot_id: int) -> tuple[str, str] | None:
    """The failure recorded for a snapshot that its bytes cannot tell again, if any."""
    marks = ",".join("?" * len(NOT_REJUDGEABLE))
    row = db.execute(
        f"SELECT kind, reason FROM failures WHERE snapshot_id = ? AND kind IN ({marks}) "
        "ORDER BY id LIMIT 1",
        [snapshot_id, *NOT_REJUDGEABLE],
    ).fetchone()
    return (row[0], row[1]) if row else None


def export_warc(
    db,
    out: BinaryIO,
    snapshot_ids: Iterable[int | FetchError],
    *,
    gzip: bool = True,
    filename: str = "",
    info=None,
    on_record=None,
) -> WriteCounts:
    """Write the given snapshots (in that order) as WARC/1.1 with their original bytes; a
    FetchError among them (a request without a response) as its request + metadata records.

    A snapshot whose stored body is damaged is left out and listed in `counts.damaged`.
    """
    warc = WarcOut(out, gzip=gzip, filename=filename, info=info)
    for sid in snapshot_ids:
        if isinstance(sid, FetchError):
            warc.write_error(sid)
            if on_record is not None:
                on_record(sid)
            continue
        try:
            fetch = snapshot_fetch(db, sid)
        except (BodyCorrupt, KeyError) as e:
            # One damaged body costs its own record, listed in the counts; the rest is written.
            url = db.execute("SELECT url FROM snapshots WHERE id = ?", [sid]).fetchone()
            warc.counts.damaged.append(f"snapshot {sid} ({url[0] if url else '?'}): {e}")
            continue
        if fetch.status == 0:  # no response was received: say so, never write one
            warc.write_error(_fetch_error(db, sid, fetch))
        else:
            warc.write(fetch, _judged_failure(db, sid))
        if on_record is not None:
            on_record(sid)
    return warc.counts
