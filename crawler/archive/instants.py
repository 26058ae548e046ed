"""Instants as the archive stores them: ISO 8601 in UTC, written with "Z".

Every instant column (fetched_at, first_seen, seen_from, failures.at, runs, ...) uses this one
form, whatever the source wrote (Scrapy's +00:00, a WARC-Date, a user's --fetched-at with its
own offset), so the text sorts and compares as time does.
"""

from __future__ import annotations

from datetime import UTC, datetime


class InstantError(ValueError):
    """Text that is not an ISO 8601 instant with a time zone."""


def utc_instant(text: str) -> str:
    """`text` (ISO 8601 with a time zone) as the archive's form: UTC, ending in "Z".

    Text already in that form is kept as written (its fraction digits included); "+00:00"
    becomes "Z"; another offset is converted to UTC. Raises InstantError for anything else,
    including a time without a zone (it could be any of 24 instants).
    """
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InstantError(
            f"{text!r} is not an ISO 8601 time (e.g. 2024-08-07T09:30:00+08:00 or "
            "2024-08-07T01:30:00Z)"
        ) from None
    if parsed.tzinfo is None or "T" not in value:
        raise InstantError(
            f"{text!r} has no time zone: add one (Z for UTC, +08:00 for Beijing time)"
        )
    if value.endswith("Z"):
        return value
    if value.endswith("+00:00"):
        return value[: -len("+00:00")] + "Z"
    utc = parsed.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def stored_instant(text: str) -> str:
    """`text` in the archive's form when it is an instant; as given otherwise (a malformed
    WARC-Date is kept, not dropped: nothing recorded is thrown away)."""
    try:
        return utc_instant(text)
    except InstantError:
        return text


def utc_now() -> str:
    """Now, to the second, in the archive's form."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
