"""What one run measured, read from the archive: plain functions over a sqlite-utils Database.

Every function takes the run id and returns {key: number}, the shape `run_metrics` keeps, so
the same numbers judge this run now and the runs after it later. They read only what the run
stored (its snapshots, the article versions and failures they produced), never the spider.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlite_utils import Database

from crawler.archive.current import record_dict
from crawler.archive.snapshots import snapshot_body
from crawler.pages.listing import ListingError, parse_listing
from crawler.urls import LISTING_RE, is_listing_url, parse_article_url

# The fields whose presence `coverage` measures, and how each counts as present:
# published_time is a publication date with its time of day (a page read by the fallback
# often keeps only the date of its meta tags); body is body text of at least min_body.
COVERED_FIELDS = (
    "published_at",
    "published_time",
    "source",
    "source_url",
    "editors",
    "authors",
    "body",
)
FALLBACK = "fallback"  # crawler.pages.selectors.FALLBACK.name
UNKNOWN = "unknown"  # the failures kind of a page no template or fallback could read


def _present(record: dict, field: str, min_body: int) -> bool:
    if field == "body":
        return len((record.get("body_text") or "").strip()) >= min_body
    if field == "published_time":
        return "T" in (record.get("published_at") or "")
    return bool(record.get(field))


def written_records(db: Database, run_id: int) -> list[dict]:
    """The article records the run wrote: a new article or a new version of a known one."""
    rows = db.execute(
        "SELECT v.article_key, v.version FROM versions v JOIN snapshots s ON s.id = v.snapshot_id "
        "WHERE s.run_id = ? ORDER BY v.id",
        [run_id],
    ).fetchall()
    records = []
    for key, version in rows:
        # A version's stored fields hold only what its articles row does not: read it whole.
        record = record_dict(db, key, version)
        record["_key"] = key
        records.append(record)
    return records


def coverage(db: Database, run_id: int, min_body: int) -> dict[str, float]:
    """Per template: "T:_count" records, and "T:FIELD" the share of them holding FIELD."""
    by_template: dict[str, list[dict]] = {}
    for record in written_records(db, run_id):
        by_template.setdefault(record.get("template") or "", []).append(record)
    out: dict[str, float] = {}
    for template, records in sorted(by_template.items()):
        out[f"{template}:_count"] = len(records)
        for field in COVERED_FIELDS:
            have = sum(_present(r, field, min_body) for r in records)
            out[f"{template}:{field}"] = have / len(records)
    return out


def fallback(db: Database, run_id: int) -> dict[str, float]:
    """How many pages the run read, how many fell to the fallback template or to "unknown";
    "channel:C" counts those by the channel id in their URL, "template:T" the rest."""
    out: dict[str, float] = {"pages": 0, FALLBACK: 0, UNKNOWN: 0}
    for record in written_records(db, run_id):
        out["pages"] += 1
        template = record.get("template") or ""
        if template == FALLBACK:
            out[FALLBACK] += 1
            channel = record.get("channel_id") or ""
            out[f"channel:{channel}"] = out.get(f"channel:{channel}", 0) + 1
    for (url,) in db.execute(
        "SELECT url FROM failures WHERE run_id = ? AND kind = ?", [run_id, UNKNOWN]
    ).fetchall():
        out["pages"] += 1
        out[UNKNOWN] += 1
        parsed = parse_article_url(url)
        channel = (parsed.channel_id or "") if parsed else ""
        out[f"channel:{channel}"] = out.get(f"channel:{channel}", 0) + 1
    return out


def failures(db: Database, run_id: int) -> dict[str, float]:
    """Failures of the run by kind, and "_fetched": the fetches it made."""
    out: dict[str, float] = dict(
        db.execute(
            "SELECT kind, count(*) FROM failures WHERE run_id = ? GROUP BY kind", [run_id]
        ).fetchall()
    )
    row = db.execute("SELECT fetched FROM runs WHERE id = ?", [run_id]).fetchone()
    out["_fetched"] = row[0] if row else 0
    return out


def listing_links(db: Database, run_id: int) -> dict[str, float]:
    """Every list page the run fetched (status 200): how many article links its list holds."""
    out: dict[str, float] = {}
    rows = db.execute(
        "SELECT url, final_url, body_sha256, headers FROM snapshots "
        "WHERE run_id = ? AND status = 200 ORDER BY id",
        [run_id],
    ).fetchall()
    for url, final_url, digest, headers in rows:
        if not is_listing_url(url):
            continue
        try:
            listing = parse_listing(
                snapshot_body(db, digest), final_url or url, json.loads(headers or "{}")
            )
        except ListingError:
            out[url] = 0
            continue
        out[url] = sum(1 for e in listing.entries if parse_article_url(e.url) is not None)
    return out


def listing_channel(url: str) -> str:
    """The channel id a list page lists: the last number of its path (GB/64093/64387/ -> 64387),
    the channel id article URLs carry (c64387-…)."""
    m = LISTING_RE.match(urlsplit(url).path)
    return m["path"].rsplit("/", 1)[-1] if m else ""


def channel_ages(db: Database, run_id: int, now: datetime) -> dict[str, float]:
    """Days since each channel this run listed last gave the archive a new article.

    A channel the archive never had an article from counts from the first run that crawled
    anything: its age is how long the archive has been watching it in vain.
    """
    channels = sorted({c for u in listing_links(db, run_id) if (c := listing_channel(u))})
    first_run = db.execute("SELECT min(started_at) FROM runs WHERE kind = 'crawl'").fetchone()[0]
    out: dict[str, float] = {}
    for channel in channels:
        last = db.execute(
            "SELECT max(first_seen) FROM articles WHERE channel_id = ?", [channel]
        ).fetchone()[0]
        since = _instant(last or first_run)
        out[channel] = max(0.0, (now - since).total_seconds() / 86400) if since else 0.0
    return out


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def new_articles(db: Database, run_id: int) -> dict[str, float]:
    row = db.execute("SELECT new FROM runs WHERE id = ?", [run_id]).fetchone()
    return {"": row[0] if row else 0}


# The Scrapy stats a print-edition spider sets: counts for the run.
PRINT_STATS = ("print/issues", "print/pages", "print/articles")


def print_edition(stats) -> dict[str, float] | None:
    """Pages and articles per issue from the spider's print/* stats; None when it has none."""
    if stats.get("print/issues") is None:
        return None
    issues = int(stats.get("print/issues") or 0)
    pages = int(stats.get("print/pages") or 0)
    articles = int(stats.get("print/articles") or 0)
    out = {"issues": issues, "pages": pages, "articles": articles}
    if issues:
        out["pages_per_issue"] = pages / issues
        out["articles_per_issue"] = articles / issues
    return out
