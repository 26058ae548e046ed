"""The filter tokens of the search index: publication date, channel, source, editors and print
edition as index words.

A filter the index answers is one more term of the same FTS5 query, so a filtered search and
its exact total cost what the words cost, whatever the archive's size; a filter checked row by
row in `articles` costs a lookup per match. Each article carries `y2024 m202408 d20240807` for
its publication date and `ch1001` for its channel; a date range becomes the fewest such tokens
that cover it (whole years, then whole months, then days at its ends). The 来源 name is its
bigrams, each marked as a source token, and the whole name one token more. Each editor is a
token, and so are the print edition's date and page number (`pp4`). Names and dates are
written as the hex of their UTF-8 (`ed` + hex), which the tokenizer keeps whole and which
equals another's only when the two are equal.

Every such token starts with a private-use character (TAG, SOURCE) that segmented text never
holds and a query never produces: words are then found with no column filter (which makes
FTS5 read every position list to check its column) and never match a filter token.

Changing what this module emits changes the index: it needs a migration that re-indexes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta

from crawler.archive.search.bigrams import segment

TAG = "\ue000"  # date and channel tokens
SOURCE = "\ue001"  # source-name tokens
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CHANNEL = re.compile(r"[0-9a-z]+")


def channel_token(channel_id: str | None) -> str | None:
    """The index word for a channel id, None for one the tokenizer would split."""
    return f"{TAG}ch{channel_id}" if channel_id and _CHANNEL.fullmatch(channel_id) else None


def editor_token(name: str) -> str:
    """The index word for one editor's name, exactly."""
    return f"{TAG}ed{name.encode('utf-8').hex()}"


def whole_source_token(source: str) -> str:
    """The index word for a 来源 name as a whole (a facet's value), exactly."""
    return f"{TAG}sw{source.encode('utf-8').hex()}"


def paper_date_token(day: str) -> str:
    """The index word for a print edition's date as written (YYYY-MM-DD), exactly."""
    return f"{TAG}pd{day.encode('utf-8').hex()}"


def paper_page_token(page: str | int) -> str | None:
    """The index word for a print page number ("4" and "04" are one page); None for a value
    that is not a number."""
    try:
        return f"{TAG}pp{int(page)}"
    except (TypeError, ValueError):
        return None


def tags(
    published_at: str | None,
    channel_id: str | None,
    source: str | None = None,
    editors: Sequence[str] = (),
    paper_date: str | None = None,
    paper_page: str | int | None = None,
) -> str:
    """An article's filter tokens, from the values of its articles row."""
    out = []
    m = _ISO_DAY.match(published_at or "")
    if m:
        y, mo, d = m.groups()
        out += [f"{TAG}y{y}", f"{TAG}m{y}{mo}", f"{TAG}d{y}{mo}{d}"]
    token = channel_token(channel_id)
    if token:
        out.append(token)
    if source:
        out.append(whole_source_token(source))
    out += [editor_token(name) for name in dict.fromkeys(editors) if name]
    if paper_date:
        out.append(paper_date_token(paper_date))
    page = paper_page_token(paper_page)  # None for no page
    if page:
        out.append(page)
    return " ".join(out)


def source_tokens(source: str | None) -> str:
    """The 来源 name as index words: its bigrams (and last character), marked."""
    return " ".join(SOURCE + t for t in segment(source or "").split())


def source_query(source: str) -> str:
    """The FTS5 expression finding `source` (Chinese characters only) inside the name."""
    words = [SOURCE + t for t in segment(source).split()]
    if len(words) == 1:
        return f'"{words[0]}"*'  # one character: any token starting with it
    return '"' + " ".join(words[:-1]) + '"'  # the bigrams in sequence


def _bound(value: str, end: bool) -> date:
    """The first (or, with `end`, the last) day a YYYY, YYYY-MM or YYYY-MM-DD value covers."""
    parts = [int(p) for p in value.split("-")]
    y = parts[0]
    mo = min(max(parts[1], 1), 12) if len(parts) > 1 else (12 if end else 1)
    last = calendar.monthrange(y, mo)[1]
    d = min(max(parts[2], 1), last) if len(parts) > 2 else (last if end else 1)
    return date(y, mo, d)


def date_cover(
    since: str | None, until: str | None, oldest: str | None, newest: str | None
) -> list[str]:
    """The fewest y/m/d tokens covering since..until (inclusive), within oldest..newest (the
    archive's own range, which bounds an open end). [] when nothing can match."""
    if not oldest or not newest or not _ISO_DAY.match(oldest) or not _ISO_DAY.match(newest):
        return []
    lo = _bound(since, False) if since else _bound(oldest[:10], False)
    hi = _bound(until, True) if until else _bound(newest[:10], True)
    lo = max(lo, _bound(oldest[:4], False))
    hi = min(hi, _bound(newest[:4], True))
    out: list[str] = []
    day = lo
    while day <= hi:
        year_end = date(day.year, 12, 31)
        month_end = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        if day.month == 1 and day.day == 1 and year_end <= hi:
            out.append(f"{TAG}y{day.year}")
            day = year_end + timedelta(days=1)
        elif day.day == 1 and month_end <= hi:
            out.append(f"{TAG}m{day.year}{day.month:02d}")
            day = month_end + timedelta(days=1)
        else:
            out.append(f"{TAG}d{day.year}{day.month:02d}{day.day:02d}")
            day += timedelta(days=1)
    return out
