"""Runs and failures told in words, for the reading room's runs and failures pages."""

from __future__ import annotations

import json
from datetime import datetime

# finish_reason -> what it means for the reader
FINISH_REASONS = {
    "finished": "ran to the end",
    "shutdown": "was stopped (Ctrl-C or a signal) before the end",
    "interrupted": "was interrupted before the end",
    "banned": "stopped because the site refused further requests",
    "locked": "did not start: another crawl held the archive",
    "closespider_timeout": "stopped at its time limit",
    "closespider_itemcount": "stopped at its article limit",
    "closespider_pagecount": "stopped at its page limit",
    "closespider_errorcount": "stopped after too many errors",
}
KIND_NAMES = {
    "crawl": "Crawl",
    "ingest": "Ingest of saved pages",
    "import-warc": "Import of a WARC file",
    "reparse": "Re-parse of stored snapshots",
    "demo": "Demo",
}
FAILURE_KINDS = {
    "not_found": "the site answered with its not-found page",
    "empty": "the page holds no article text",
    "no_date": "the page shows no publication date",
    "truncated": "the page arrived cut short",
    "unreadable": "the bytes could not be read as a page",
    "incomplete": "not every page of a multi-page article could be fetched",
    "fetch_error": "the fetch failed",
    "listing": "a list page, not an article",
    "home": "a home page, not an article",
    "redirect_home": "the site redirected it to its home page",
    "orphan_page": "a continuation page whose first page was not fetched",
    "continuation": "a continuation page of a multi-page article",
    "http_error": "the site answered with an HTTP error",
}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _duration(start: str | None, end: str | None) -> str | None:
    try:
        seconds = (
            datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))
        ).total_seconds()
    except (AttributeError, ValueError):
        return None
    if seconds < 1:
        return "less than a second"
    if seconds < 60:
        return _plural(int(seconds), "second")
    if seconds < 3600:
        return _plural(round(seconds / 60), "minute")
    return f"{seconds / 3600:.1f} hours"


def describe_run(run: dict) -> str:
    """One paragraph saying what run `run` (a `runs` row) did and how it ended."""
    kind = KIND_NAMES.get(run["kind"], run["kind"].capitalize())
    text = f"{kind} #{run['id']}, started {run['started_at']}"
    if run.get("finished_at"):
        reason = run.get("finish_reason") or ""
        how = FINISH_REASONS.get(reason, f"ended ({reason})")
        took = _duration(run["started_at"], run["finished_at"])
        text += f", {how}" + (f" after {took}" if took else "") + "."
    else:
        text += ", never finished: it is still running, or was killed."
    fetched = run.get("fetched") or 0
    parts = [
        _plural(run.get("new") or 0, "new article"),
        _plural(run.get("changed") or 0, "changed article"),
        _plural(run.get("unchanged") or 0, "unchanged article"),
        _plural(run.get("removed") or 0, "removed article"),
        _plural(
            run.get("failed") or 0,
            "page that could not become an article",
            "pages that could not become articles",
        ),
    ]
    text += f" It stored {_plural(fetched, 'fetch', 'fetches')}: " + ", ".join(parts) + "."
    try:
        args = json.loads(run.get("args") or "{}")
    except ValueError:
        args = {}
    if args:
        text += " Options: " + ", ".join(f"{k}={v}" for k, v in args.items()) + "."
    return text


def describe_failure(failure: dict) -> str:
    """One sentence saying why the page of `failure` (a `failures` row) is not an article."""
    meaning = FAILURE_KINDS.get(failure["kind"])
    reason = failure.get("reason") or ""
    if meaning:
        return f"Not an article: {meaning} ({reason})." if reason else f"Not an article: {meaning}."
    return f"Not an article ({failure['kind']}): {reason}."
