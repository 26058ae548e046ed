"""The article filters as SQL: one meaning for search, export, export-warc and stats.

since/until compare the publication date, given as YYYY, YYYY-MM or YYYY-MM-DD, inclusive:
until=2024-08 takes all of August, since=2024 starts on 1 January. source is part of the 来源
name, editor one editor exactly, channel the channel id.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class FilterError(ValueError):
    """A filter value that cannot mean anything (a date that is not one, text that is not text)."""


def date_bound(value: str) -> str:
    """`value` checked as a year, a month or a day (2024, 2024-08, 2024-08-07)."""
    m = _DATE.fullmatch(value.strip())
    try:
        if m is None:
            raise ValueError
        year, month, day = m.groups()
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise FilterError(
            f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2024-08-07, 2024-08)"
        ) from None
    return m.group(0)


def filter_text(value: str, name: str = "") -> str:
    """Filter text that SQLite can compare: a stray byte that is not UTF-8 (read from the
    command line as a lone surrogate) is refused instead of failing deep in the driver."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        what = f"{name} " if name else ""
        raise FilterError(
            f"{what}'{shown}' is not valid UTF-8 text (check the terminal's encoding)"
        ) from None
    return value


def filter_sql(
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    editor: str | None = None,
    channel: str | None = None,
    alias: str = "a",
    paper_date: str | None = None,
    paper_page: str | int | None = None,
) -> tuple[str, list[Any]]:
    """A WHERE clause over `articles` (as `alias`) for the filters, and its parameters.

    paper_date/paper_page: the print edition's date (YYYY-MM-DD) and page number ("4" and
    "04" are one page), as print articles and web articles' print line carry them.
    Raises FilterError for a value that is not a date or not text.
    """
    where, params = [], []
    for value, op in ((since, ">="), (until, "<=")):
        if value:
            bound = date_bound(value)
            # compare as many characters as given: until=2024-08 takes all of August
            where.append(f"substr({alias}.published_at, 1, {len(bound)}) {op} ?")
            params.append(bound)
    if source:
        where.append(f"instr({alias}.source, ?) > 0")
        params.append(filter_text(source, "source"))
    if editor:
        where.append(f"EXISTS (SELECT 1 FROM json_each({alias}.editors) j WHERE j.value = ?)")
        params.append(filter_text(editor, "editor"))
    if channel:
        where.append(f"{alias}.channel_id = ?")
        params.append(filter_text(str(channel), "channel"))
    if paper_date:
        where.append(f"json_extract({alias}.print_edition, '$.date') = ?")
        params.append(date_bound(paper_date))
    if paper_page not in (None, ""):
        where.append(f"CAST(json_extract({alias}.print_edition, '$.page') AS INTEGER) = ?")
        params.append(int(paper_page))
    return (" AND ".join(where) or "1"), params
