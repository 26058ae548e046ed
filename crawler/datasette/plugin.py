"""Datasette plugin: SQL functions over the archive's Chinese full-text index.

The index (`articles_fts`) holds bigram-segmented text, so Datasette's own search box, which
passes the words typed to MATCH as they are, cannot find a 2-character word in it. These
functions translate a query the way `cpc-archive search` does, for the canned queries in
metadata.yml:

    cpc_fts(q)                 the FTS5 MATCH expression for q
    cpc_query_error(q)         why q cannot be run, NULL when it can
    cpc_snippet(title, body, q)  the text around the first match, matches in «…»

and it makes `?_search=QUERY` on the articles table and the article_list view filter by the
same search, so a search combines with the facets (source, editors, channel, month).
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.filters import FilterArguments

from crawler.archive.search.fts import QueryError, make_snippet, parse_query

# Tables and views with the article's `doc_id` (the index's rowid), searchable with ?_search=
SEARCHABLE = ("articles", "article_list")
# The index's rowids alone, no join: a common word matches most of the archive, and reading
# each match's key through a join took seconds at a million articles.
SEARCH_CLAUSE = (
    "doc_id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH cpc_fts(:cpc_search))"
)

# An expression no document matches: FTS5 has no "match nothing" and MATCH NULL is an error,
# so a query that cannot be run matches this token the index never holds (it keeps lower-case
# words and CJK bigrams; this one is an ASCII word no page contains).
NO_MATCH = '"cpcarchivenomatch0"'


def cpc_fts(query: str | None) -> str:
    try:
        return parse_query(query or "")[0]
    except QueryError:
        return NO_MATCH


def cpc_query_error(query: str | None) -> str | None:
    try:
        parse_query(query or "")
    except QueryError as e:
        return str(e)
    return None


def cpc_snippet(title: str | None, body: str | None, query: str | None) -> str:
    try:
        _, needles = parse_query(query or "")
    except QueryError:
        needles = []
    text, spans = make_snippet(title or "", body or "", needles)
    out, pos = [], 0
    for start, end in spans:
        out += [text[pos:start], "«", text[start:end], "»"]
        pos = end
    out.append(text[pos:])
    return "".join(out)


@hookimpl
def prepare_connection(conn):
    conn.create_function("cpc_fts", 1, cpc_fts, deterministic=True)
    conn.create_function("cpc_query_error", 1, cpc_query_error, deterministic=True)
    conn.create_function("cpc_snippet", 3, cpc_snippet, deterministic=True)


@hookimpl
def filters_from_request(request, database, table, datasette):
    query = request.args.get("_search")
    if table not in SEARCHABLE or not query:
        return None
    error = cpc_query_error(query)
    described = f"search: {error}" if error else f"matching the search {query!r}"
    return FilterArguments([SEARCH_CLAUSE], {"cpc_search": query}, [described])
