"""Saved pages as fetches (what `ingest` stores): the fields a user types are checked first.

A saved file has no HTTP exchange around it, so the URL, status and time come from the user;
typed wrong they would be stored as if the site had said so. Each is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from crawler.archive.instants import InstantError, utc_instant
from crawler.records import Fetch


class SavedPageError(ValueError):
    """A field of a saved page that cannot be true: `field` names the option it came from."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, or SavedPageError."""
    try:
        parts = urlsplit(url.strip())
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError as e:
        raise SavedPageError("url", f"{url!r} is not a URL ({e})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise SavedPageError(
            "url",
            f"{url!r} is not an absolute http(s) URL "
            "(e.g. http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html)",
        )
    return url.strip()


def check_status(status: int) -> int:
    """An HTTP status code (100-599), or SavedPageError."""
    if not 100 <= int(status) <= 599:
        raise SavedPageError("status", f"{status} is not an HTTP status (100-599)")
    return int(status)


def saved_page_fetches(
    url: str,
    files: Sequence[str | Path],
    headers: Mapping[str, str] | None = None,
    status: int = 200,
    fetched_at: str | None = None,
) -> list[Fetch]:
    """Page 1 and its continuation pages (-2.html, -3.html, ... derived from `url`) as fetches.

    `fetched_at`: ISO 8601 with a time zone; default each file's modification time.
    Raises SavedPageError naming the field that is wrong.
    """
    url = check_url(url)
    status = check_status(status)
    if fetched_at is not None:
        try:
            fetched_at = utc_instant(fetched_at)
        except InstantError as e:
            raise SavedPageError("fetched_at", str(e)) from None
    fetches = []
    for i, path in enumerate(files, 1):
        path = Path(path)
        when = fetched_at or utc_instant(
            datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
        )
        fetches.append(
            Fetch(
                url=url if i == 1 else url.replace(".html", f"-{i}.html"),
                body=path.read_bytes(),
                status=status,
                headers=dict(headers or {}),
                fetched_at=when,
            )
        )
    return fetches
