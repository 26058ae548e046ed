"""How many articles a search matches, in total and by facet (year, month, channel, source, editor,
paper date, paper page), for the reading room's search page.

The query and its filters mean what they mean to crawler.archive.search.fts.search_results
(`matching`): the total is the search's own exact count. The facets count the matches too,
but at most the FACET_LIMIT most recently archived of them: counting a word found in most of
a million articles by facet means reading each of those articles, seconds of work on every
search page, where the FACET_LIMIT newest take a tenth of a second. `FacetCounts.counted`
says how many matches the facets count, so a page can say when they are not all of them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from sqlite_utils import Database

from crawler.archive.search.fts import QueryError, match_count, matching, newest_matches

# How many values of one facet are listed, most frequent first.
FACET_SIZE = 30
# The most matches the facets count, the most recently archived first.
FACET_LIMIT = 10_000
FACETS = ("year", "month", "channel", "source", "editor", "paper_date", "paper_page")
# What each match is counted by: its publication date, channel, source, editors and print line.
_FACET_COLUMNS = (
    "a.published_at, a.channel_id, a.source, a.editors, "
    "json_extract(a.print_edition, '$.date'), json_extract(a.print_edition, '$.page')"
)


@dataclass
class Filters:
    since: str | None = None
    until: str | None = None
    source: str | None = None
    editor: str | None = None
    channel: str | None = None
    paper_date: str | None = None
    paper_page: str | None = None
    # source names the whole 来源 (a facet value), not a part of it as search() takes it
    exact_source: bool = False

    def search_kwargs(self) -> dict:
        """These filters as the keyword arguments of search_results (and `matching`)."""
        names = ("since", "until", "source", "editor", "channel", "paper_date", "paper_page")
        kwargs = {n: getattr(self, n) for n in names if getattr(self, n)}
        if self.source and self.exact_source:
            kwargs["whole_source"] = True
        return kwargs


@dataclass
class FacetCounts:
    total: int  # every match, exactly
    counted: int  # the matches the facets count: all, or the FACET_LIMIT newest archived
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def _values(row: tuple) -> dict[str, list]:
    """The facet values of one match (empty ones are not values)."""
    published, channel, source, editors, paper_date, paper_page = row
    names = json.loads(editors) if editors and editors != "[]" else []
    return {
        "year": [published[:4]] if published else [],
        "month": [published[:7]] if published else [],
        "channel": [channel],
        "source": [source],
        "editor": names if isinstance(names, list) else [],
        "paper_date": [paper_date],
        "paper_page": [paper_page],
    }


def facet_counts(
    db: Database,
    query: str,
    filters: Filters | None = None,
    *,
    total: int | None = None,
    limit: int | None = None,
) -> FacetCounts:
    """The number of articles matching `query` under `filters`, and the facets of (at most)
    the `limit` (FACET_LIMIT) most recently archived of them. `total`: the search's own
    count, when the caller has it already.

    Raises QueryError for a query that cannot be run.
    """
    limit = FACET_LIMIT if limit is None else limit
    match = matching(db, query, **(filters or Filters()).search_kwargs())
    rows = newest_matches(db, match, _FACET_COLUMNS, limit)
    if total is None:
        total = len(rows) if len(rows) < limit else match_count(db, match)
    counters: dict[str, Counter] = {name: Counter() for name in FACETS}
    for row in rows:
        for name, values in _values(row).items():
            counters[name].update(str(v) for v in values if v is not None and v != "")
    facets = {
        # most frequent first; among equals, the greater value first
        name: sorted(counter.items(), key=lambda vn: (vn[1], vn[0]), reverse=True)[:FACET_SIZE]
        for name, counter in counters.items()
    }
    return FacetCounts(total, len(rows), facets)


__all__ = ["FACET_LIMIT", "FacetCounts", "Filters", "QueryError", "facet_counts"]
