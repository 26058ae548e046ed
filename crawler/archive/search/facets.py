"""How many articles a search matches, in total and by facet (year, month, channel, source, editor,
paper date, paper page), for the reading room's search page.

The query is translated by crawler.archive.search.fts.parse_query and the filters mean what they
mean to crawler.archive.search.fts.search (dates: the first characters of published_at; source: part
of the 来源 name; editor: one name exactly; channel: the id), plus the print edition's date and
page, which search() does not filter on, and a source named whole (a facet's value).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from crawler.archive.search.fts import Hit, QueryError, make_snippet, parse_query

# The articles the search index matches (rowid = articles.doc_id).
MATCH_CLAUSE = "a.doc_id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
# How many values of one facet are listed, most frequent first.
FACET_SIZE = 30

# facet name -> (SQL of its value over `a`, extra FROM for list columns)
FACETS = {
    "year": ("substr(a.published_at, 1, 4)", ""),
    "month": ("substr(a.published_at, 1, 7)", ""),
    "channel": ("a.channel_id", ""),
    "source": ("a.source", ""),
    "editor": ("e.value", ", json_each(a.editors) e"),
    "paper_date": ("json_extract(a.print_edition, '$.date')", ""),
    "paper_page": ("json_extract(a.print_edition, '$.page')", ""),
}


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
        """The filters search() itself applies."""
        names = ("since", "until", "source", "editor", "channel")
        return {n: getattr(self, n) for n in names if getattr(self, n)}

    def narrows_search(self) -> bool:
        """Whether these filters keep fewer articles than search() given search_kwargs()."""
        return bool(self.paper_date or self.paper_page or (self.source and self.exact_source))


@dataclass
class FacetCounts:
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def _where(query: str, filters: Filters) -> tuple[str, list]:
    expr, _ = parse_query(query)
    where, params = [MATCH_CLAUSE], [expr]
    for value, op in ((filters.since, ">="), (filters.until, "<=")):
        if value:
            where.append(f"substr(a.published_at, 1, {len(value)}) {op} ?")
            params.append(value)
    if filters.source:
        where.append("a.source = ?" if filters.exact_source else "instr(a.source, ?) > 0")
        params.append(filters.source)
    if filters.editor:
        where.append("EXISTS (SELECT 1 FROM json_each(a.editors) WHERE json_each.value = ?)")
        params.append(filters.editor)
    if filters.channel:
        where.append("a.channel_id = ?")
        params.append(str(filters.channel))
    if filters.paper_date:
        where.append("json_extract(a.print_edition, '$.date') = ?")
        params.append(filters.paper_date)
    if filters.paper_page:
        where.append("json_extract(a.print_edition, '$.page') = ?")
        params.append(filters.paper_page)
    return " AND ".join(where), params


def facet_counts(db: Database, query: str, filters: Filters | None = None) -> FacetCounts:
    """The number of articles matching `query` under `filters`, and their facets.

    Raises QueryError for a query that cannot be run.
    """
    where, params = _where(query, filters or Filters())
    (total,) = db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()
    counts = FacetCounts(total)
    for name, (value, extra) in FACETS.items():
        rows = db.execute(
            f"SELECT {value} AS v, count(*) AS n FROM articles a{extra} "
            f"WHERE {where} AND v IS NOT NULL AND v != '' "
            "GROUP BY v ORDER BY n DESC, v DESC LIMIT ?",
            [*params, FACET_SIZE],
        ).fetchall()
        counts.facets[name] = [(str(v), n) for v, n in rows]
    return counts


def matching_keys(db: Database, query: str, filters: Filters) -> set[str]:
    """Keys of every article matching `query` under `filters` (for the filters search() does
    not apply: print edition, exact source)."""
    where, params = _where(query, filters)
    return {r[0] for r in db.execute(f"SELECT a.key FROM articles a WHERE {where}", params)}


def newest_matches(
    db: Database, query: str, filters: Filters, exclude: set[str], limit: int
) -> list[Hit]:
    """Up to `limit` articles matching `query` under `filters`, other than `exclude`, newest
    first, unranked, with snippets made as search() makes them: what follows search()'s ranked
    hits when filters it does not apply left too few of them."""
    where, params = _where(query, filters)
    _, needles = parse_query(query)
    hits = []
    rows = db.execute(
        "SELECT a.key, a.title, a.url, a.published_at, a.source, a.channel_id, a.body_text "
        f"FROM articles a WHERE {where} ORDER BY a.published_at DESC, a.doc_id DESC",
        params,
    )
    for key, title, url, published_at, source, channel_id, body in rows:
        if key in exclude:
            continue
        snippet, spans = make_snippet(title or "", body or "", needles)
        hits.append(Hit(key, title, url, published_at, source, channel_id, None, snippet, spans))
        if len(hits) == limit:
            break
    return hits


__all__ = [
    "FacetCounts",
    "Filters",
    "QueryError",
    "facet_counts",
    "matching_keys",
    "newest_matches",
]
