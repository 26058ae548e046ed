"""Full-text search over article titles and bodies, for 2-character Chinese words and up.

The index (`articles_fts`, FTS5, contentless: it holds no copy of the text) keeps the
bigram-segmented title and body of each article (see crawler.archive.search.bigrams), the 来源 name
segmented the same way, and a few filter tokens (crawler.archive.search.tags); rowid =
articles.doc_id. Queries are rewritten the same way (crawler.archive.search.query):

    改革             the 2-character word, anywhere in title or body
    改革开放         the 4 characters in sequence (a phrase of bigrams 改革 革开 开放)
    妇联 改革        both words (AND; `妇联 AND 改革` says the same)
    "全面深化 改革"  quotes group words; each quoted word is still matched as a phrase
    妇联 OR 工会     either word
    改革 -开放       the first word, without the second (`改革 NOT 开放` says the same)
    title:改革       the word in the title only (body: in the body only)
    党               one character: matched wherever it stands (prefix search of its bigrams)

The filters (dates, channel, source, editor, the print edition's date and page) are tokens of
the same index, so a filtered query is one FTS5 query and its total is counted by the index
alone, exactly. Results are ranked by bm25 (title matches weigh 4x). A very common word can
match most of the archive; ranking every match would cost time in proportion, so when a query
matches more than `RANK_WINDOW` articles only the most recently archived `RANK_WINDOW` of them
are ranked. A common phrase of several tokens is ranked by its rarest token over that window
(see _rank_within): bm25 of the phrase itself would first check positions in every article
that holds it. Filters apply before the window: the window is the newest RANK_WINDOW matches
that pass them.
bm25 in the index first reads every match of every word and filter token of the query (to
weigh them), however small the window: when that is more than TEXT_RANK_RATIO times the
window, the window is ranked by the same formula counted in its own stored text instead
(crawler.archive.search.rank), a cost that does not grow with the archive.
Snippets are cut from the stored text itself, never from the segmented index.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from crawler.archive.filters import FilterError, date_bound, filter_text
from crawler.archive.search.bigrams import normalize, segment
from crawler.archive.search.query import Parsed, QueryError, fts_phrase, parse
from crawler.archive.search.rank import ScoredTerm, idf, score_window
from crawler.archive.search.tags import (
    TAG,
    channel_token,
    date_cover,
    editor_token,
    paper_date_token,
    paper_page_token,
    source_query,
    source_tokens,
    tags,
    whole_source_token,
)

__all__ = [
    "Hit",
    "Match",
    "QueryError",
    "Results",
    "match_count",
    "matching",
    "newest_matches",
    "parse_query",
    "search",
    "search_results",
]

RANK_WINDOW = 2000
# FTS5's bm25 reads every match of every word of the query before it ranks anything (to
# weigh the words); reading the window's own text instead costs roughly what bm25 spends on
# this many matches per article of the window (docs/archive.md, "Ranking"). Past it the
# window is ranked from its text (crawler.archive.search.rank).
TEXT_RANK_RATIO = 200
# When the window reaches far enough back that the query should match fewer than this many
# times RANK_WINDOW articles, the read goes on past it and counts them: a filtered query whose
# few matches are spread over the whole archive is then read once, not twice.
READ_AHEAD = 5
SNIPPET_CHARS = 80
# A query is stopped after this many seconds of work, with a QueryError saying so.
QUERY_SECONDS = 10.0
# SQLite VM steps between two looks at the clock.
PROGRESS_STEPS = 20000


@dataclass
class Hit:
    key: str
    title: str
    url: str
    published_at: str | None
    source: str
    channel_id: str | None
    score: float | None  # bm25: lower is better; None: matched, beyond the ranking window
    snippet: str  # plain text around the first match
    spans: list[tuple[int, int]] = field(default_factory=list)  # matches inside `snippet`

    def highlighted(self, open: str = "[", close: str = "]") -> str:
        """The snippet with every match wrapped in `open` ... `close`."""
        out, pos = [], 0
        for start, end in self.spans:
            out += [self.snippet[pos:start], open, self.snippet[start:end], close]
            pos = end
        out.append(self.snippet[pos:])
        return "".join(out)


@dataclass
class Results:
    """The best `limit` hits of a search and how many articles match in all (exact)."""

    total: int
    hits: list[Hit]

    @property
    def more(self) -> bool:
        return self.total > len(self.hits)


# --- keeping the index in sync (called by crawler.archive.store inside its transaction) ---

# The articles columns an article's index entry is made from, in the order index_article and
# unindex_article take them: a contentless index forgets its text, so taking an entry out
# means replaying the row it was made from.
INDEXED = "doc_id, title, body_text, source, published_at, channel_id, editors, print_edition"


def indexed_row(db: Database, key: str) -> tuple | None:
    """The INDEXED columns of article `key`, None when there is no such article."""
    return db.execute(f"SELECT {INDEXED} FROM articles WHERE key = ?", [key]).fetchone()


def _index_values(row: Sequence) -> list:
    doc_id, title, body, source, published_at, channel_id, editors, print_edition = row
    names = json.loads(editors) if editors else []  # JSON as the articles row holds them
    paper = json.loads(print_edition) if print_edition else {}
    return [
        doc_id,
        segment(title or ""),
        segment(body or ""),
        source_tokens(source),
        tags(published_at, channel_id, source, names, paper.get("date"), paper.get("page")),
    ]


def index_article(db: Database, row: Sequence) -> None:
    """Index an article from its INDEXED columns."""
    db.execute(
        "INSERT INTO articles_fts (rowid, title, body, source, tags) VALUES (?, ?, ?, ?, ?)",
        _index_values(row),
    )


def unindex_article(db: Database, row: Sequence) -> None:
    """Take out the entry index_article made from these INDEXED columns."""
    db.execute(
        "INSERT INTO articles_fts (articles_fts, rowid, title, body, source, tags) "
        "VALUES ('delete', ?, ?, ?, ?, ?)",
        _index_values(row),
    )


def parse_query(query: str) -> tuple[str, list[str]]:
    """The FTS5 MATCH expression for `query` and the literal strings to highlight."""
    parsed = parse(query)
    return parsed.expr, parsed.needles


# --- running queries ---


def search(db: Database, query: str, **options) -> list[Hit]:
    """The best hits of `query` (see search_results, which also gives the total)."""
    return search_results(db, query, **options).hits


def search_results(db: Database, query: str, *, limit: int = 20, **filters) -> Results:
    """Articles matching `query`, best first, with a snippet around the first match, and the
    exact number of articles that match.

    `filters`: those of `matching`. Raises QueryError for a query that cannot be run.
    """
    if limit < 1:
        raise QueryError("limit must be at least 1")
    match = matching(db, query, **filters)
    expr, where, params = match.expr, match.where, match.params
    with _bounded(db), _query_errors():
        ids = _window(db, expr, where, params, RANK_WINDOW)
        total = _total(db, expr, where, params, ids)
        rows = _ranked(db, match.parsed, expr, ids, total, limit, where) if ids else []
    hits = []
    for key, title, url, published_at, src, channel_id, body, score in rows:
        snippet, spans = make_snippet(title or "", body or "", match.parsed.needles)
        hits.append(Hit(key, title, url, published_at, src, channel_id, score, snippet, spans))
    return Results(total, hits)


@dataclass(frozen=True)
class Match:
    """The articles a query and its filters select: an FTS5 expression (the filters the index
    answers exactly among its terms) and SQL conditions over `articles a` for the others."""

    parsed: Parsed
    expr: str
    where: list[str]
    params: list


def matching(
    db: Database,
    query: str,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    whole_source: bool = False,
    editor: str | None = None,
    channel: str | None = None,
    paper_date: str | None = None,
    paper_page: str | int | None = None,
) -> Match:
    """What `query` under the filters matches, for search_results, match_count and
    newest_matches.

    since/until: publication dates (YYYY-MM-DD, YYYY-MM or YYYY, inclusive); source: part of
    the 来源 name, or the whole name with `whole_source` (a facet's value); editor: one of the
    editors, exactly; channel: the channel id; paper_date and paper_page: the print edition's
    date and page (crawler.archive.filters). Raises QueryError for a query that cannot be run
    or a filter value that is not one.
    """
    parsed = parse(query)
    try:  # one meaning of every filter value (crawler.archive.filters), checked the same way
        since, until = (date_bound(v) if v else v for v in (since, until))
        source, editor, channel = (
            filter_text(str(v), name) if v else v
            for v, name in ((source, "source"), (editor, "editor"), (channel, "channel"))
        )
        paper_date = date_bound(paper_date) if paper_date else None
    except FilterError as e:
        raise QueryError(str(e)) from None
    if paper_page not in (None, "") and paper_page_token(paper_page) is None:
        raise QueryError(f"paper page {paper_page!r} is not a page number")
    expr, where, params = _filtered(
        db,
        parsed.expr,
        since,
        until,
        source,
        editor,
        channel,
        whole_source=whole_source,
        paper_date=paper_date,
        paper_page=paper_page,
    )
    return Match(parsed, expr, where, params)


def match_count(db: Database, match: Match) -> int:
    """The exact number of articles `match` selects."""
    with _bounded(db), _query_errors():
        return _count(db, match.expr, match.where, match.params)


def newest_matches(db: Database, match: Match, columns: str, limit: int) -> list[tuple]:
    """`columns` (SQL over `articles a`) of the `limit` most recently archived articles
    `match` selects, newest first: a pass in index order, no ranking."""
    where = "".join(f" AND {w}" for w in match.where)
    with _bounded(db), _query_errors():
        return db.execute(
            f"SELECT {columns} FROM articles_fts JOIN articles a ON a.doc_id = articles_fts.rowid "
            f"WHERE articles_fts MATCH ?{where} ORDER BY articles_fts.rowid DESC LIMIT ?",
            [match.expr, *match.params, limit],
        ).fetchall()


_CJK_ONLY = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_COLUMNS = "a.key, a.title, a.url, a.published_at, a.source, a.channel_id, a.body_text"


def _filtered(
    db: Database,
    expr: str,
    since: str | None,
    until: str | None,
    source: str | None,
    editor: str | None,
    channel: str | None,
    *,
    whole_source: bool = False,
    paper_date: str | None = None,
    paper_page: str | int | None = None,
) -> tuple[str, list[str], list]:
    """The query's expression with the filters the index answers ANDed in, and the SQL
    conditions (over `articles a`) for the ones it cannot answer exactly."""
    parts, where, params = [expr], [], []
    if since or until:
        # two statements: min and max together would scan the index instead of seeking it
        lo = db.execute(
            "SELECT min(published_at) FROM articles WHERE published_at >= '0000'"
        ).fetchone()[0]
        hi = db.execute(
            "SELECT max(published_at) FROM articles WHERE published_at <= '9999~'"
        ).fetchone()[0]
        tokens = date_cover(since, until, lo, hi)
        parts.append(" OR ".join(f'"{t}"' for t in tokens) if tokens else _NOTHING)
    if source and whole_source:
        parts.append(f'"{whole_source_token(source)}"')
    elif source:
        if _CJK_ONLY.fullmatch(source):
            # a run of Chinese characters is a phrase of its bigrams: an exact substring test
            parts.append(source_query(source))
        else:
            where.append("instr(a.source, ?) > 0")
            params.append(source)
    if editor:
        parts.append(f'"{editor_token(editor)}"')
    if paper_date:
        parts.append(f'"{paper_date_token(paper_date)}"')
    if paper_page not in (None, ""):
        parts.append(f'"{paper_page_token(paper_page)}"')
    if channel:
        token = channel_token(str(channel))
        if token:
            parts.append(f'"{token}"')
        else:
            where.append("a.channel_id = ?")
            params.append(str(channel))
    return " AND ".join(f"({p})" for p in parts) if len(parts) > 1 else expr, where, params


# A token the index never holds (tags are y/m/d/ch words): a filter no article passes.
_NOTHING = f'"{TAG}nodate"'


@contextlib.contextmanager
def _bounded(db: Database, seconds: float | None = None) -> Iterator[None]:
    """Stop a runaway query (SQLite's progress handler) after QUERY_SECONDS."""
    deadline = time.monotonic() + (QUERY_SECONDS if seconds is None else seconds)
    db.conn.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
    try:
        yield
    finally:
        db.conn.set_progress_handler(None, 0)


@contextlib.contextmanager
def _query_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as e:
        if "interrupted" in str(e):
            raise QueryError(
                f"query stopped after {QUERY_SECONDS:g}s: make it narrower (fewer OR terms, "
                "a filter, or rarer words)"
            ) from e
        if "fts5" in str(e) or "syntax" in str(e):
            raise QueryError(f"query cannot be run: {e}") from e
        raise


def _window(
    db: Database,
    expr: str,
    where: Sequence[str],
    params: Sequence,
    limit: int,
    before: int | None = None,
) -> list[int]:
    """The newest `limit` matches (passing the filters; older than `before`), newest first: a
    pass in index order, no ranking."""
    older = "" if before is None else f"AND articles_fts.rowid < {int(before)} "
    if where:
        sql = (
            "SELECT articles_fts.rowid FROM articles_fts "
            "JOIN articles a ON a.doc_id = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? {older}AND {' AND '.join(where)} "
            "ORDER BY articles_fts.rowid DESC LIMIT ?"
        )
        return [r[0] for r in db.execute(sql, [expr, *params, limit])]
    return [
        r[0]
        for r in db.execute(
            f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? {older}"
            "ORDER BY rowid DESC LIMIT ?",
            [expr, limit],
        )
    ]


def _total(db: Database, expr: str, where: Sequence[str], params: Sequence, ids: list[int]) -> int:
    """The exact number of matches, the window `ids` being the newest of them."""
    if len(ids) < RANK_WINDOW:
        return len(ids)  # the window holds every match: no second pass to count them
    top = db.execute("SELECT max(doc_id) FROM articles").fetchone()[0] or 0
    if RANK_WINDOW * top < RANK_WINDOW * READ_AHEAD * (top - ids[-1] + 1):
        # sparse matches (the window reaches far back): read on past it rather than count
        # them all again from the start
        rest = RANK_WINDOW * (READ_AHEAD - 1)
        more = _window(db, expr, where, params, rest, before=ids[-1])
        if len(more) < rest:
            return len(ids) + len(more)
    return _count(db, expr, where, params)


def _count(db: Database, expr: str, where: Sequence[str], params: Sequence) -> int:
    if where:
        return db.execute(
            "SELECT count(*) FROM articles_fts "
            "JOIN articles a ON a.doc_id = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? AND {' AND '.join(where)}",
            [expr, *params],
        ).fetchone()[0]
    return db.execute(
        "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [expr]
    ).fetchone()[0]


def _ranked(
    db: Database,
    parsed: Parsed,
    expr: str,
    ids: list[int],
    total: int,
    limit: int,
    where: Sequence[str],
) -> list[tuple]:
    """The best `limit` of the window `ids` (newest first), ranked by bm25 in the index or
    from the text, whichever reads less, as article rows."""
    holding = _holding(db, parsed.terms, expr, ids, total, where)
    if sum(holding) > TEXT_RANK_RATIO * len(ids):
        return _ranked_by_text(db, parsed.terms, ids, holding, limit)
    return _ranked_by_index(db, expr, parsed.phrase, ids, limit, where)


def _holding(
    db: Database,
    terms: Sequence[ScoredTerm],
    expr: str,
    ids: list[int],
    total: int,
    where: Sequence[str],
) -> list[int]:
    """How many articles hold each word of the query, exact or estimated from how far back
    its newest RANK_WINDOW matches reach (what bm25 in the index would read for it)."""
    if len(terms) == 1 and terms[0].expr == expr and not where:
        return [total]  # the query is the word alone: its total is the count
    top = db.execute("SELECT max(doc_id) FROM articles").fetchone()[0] or 0
    holding = []
    for term in terms:
        row = db.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            [term.expr, RANK_WINDOW - 1],
        ).fetchone()
        if row is None:  # fewer than RANK_WINDOW: counted exactly, cheaply
            holding.append(
                db.execute(
                    "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [term.expr]
                ).fetchone()[0]
            )
        else:
            holding.append(RANK_WINDOW * top // max(1, top - row[0] + 1))
    return holding


def _ranked_by_text(
    db: Database, terms: Sequence[ScoredTerm], ids: list[int], holding: list[int], limit: int
) -> list[tuple]:
    placeholders = ",".join("?" * len(ids))
    texts = db.execute(
        "SELECT doc_id, CAST(coalesce(title, '') AS BLOB), CAST(coalesce(body_text, '') AS BLOB) "
        f"FROM articles WHERE doc_id IN ({placeholders})",
        ids,
    ).fetchall()
    articles = db.execute("SELECT max(doc_id) FROM articles").fetchone()[0] or 0
    scores = score_window(texts, terms, [idf(max(articles, n), n) for n in holding])
    newest = {doc: i for i, doc in enumerate(ids)}
    best = sorted(scores, key=lambda doc: (scores[doc], newest[doc]))[:limit]
    return _article_rows(db, [(doc, scores[doc]) for doc in best])


def _ranked_by_index(
    db: Database,
    expr: str,
    phrase: list[str] | None,
    ids: list[int],
    limit: int,
    where: Sequence[str] = (),
) -> list[tuple]:
    """The best `limit` of the window `ids`, ranked, as article rows."""
    if not where and (phrase is None or len(ids) < RANK_WINDOW):
        # bm25 of the whole expression over the window's rowid range: every match in that
        # range is a window member (filters included), so nothing beyond it is scored
        ranked = db.execute(
            "SELECT rowid, rank FROM articles_fts WHERE articles_fts MATCH ? AND rowid >= ? "
            "ORDER BY rank LIMIT ?",
            [expr, ids[-1], limit],
        ).fetchall()
    else:
        ranked = _rank_within(db, expr, phrase, ids, limit)
    return _article_rows(db, ranked)


def _rank_within(
    db: Database, expr: str, phrase: list[str] | None, ids: list[int], limit: int
) -> list:
    """Rank the articles `ids` (newest first) without ranking anything much beyond them.

    FTS5 cannot rank a given set of rows (each would be a query of its own), only a rowid
    range: rank the range the ids span and keep the ids. A common phrase of several tokens is
    ranked by its rarest token, over that token's newest RANK_WINDOW articles at most: bm25 of
    the phrase itself first checks positions in every article of the archive that holds it.
    Ids the ranked range does not reach follow unranked, newest first.
    """
    rank_expr, start = expr, ids[-1]
    if phrase is not None and len(ids) == RANK_WINDOW:
        cutoffs = []
        for token in phrase:
            row = db.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
                "ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                [fts_phrase([token]), RANK_WINDOW - 1],
            ).fetchone()
            cutoffs.append((row[0] if row else 0, token))
        cutoff, token = min(cutoffs)  # reaching furthest back for its window: the rarest
        rank_expr, start = fts_phrase([token]), max(cutoff, start)
    keep = set(ids)
    ranked = []
    for rowid, rank in db.execute(
        "SELECT rowid, rank FROM articles_fts WHERE articles_fts MATCH ? AND rowid >= ? "
        "ORDER BY rank",
        [rank_expr, start],
    ):
        if rowid in keep:
            ranked.append((rowid, rank))
            if len(ranked) == limit:
                return ranked
    seen = {r for r, _ in ranked}
    return ranked + [(r, None) for r in ids if r not in seen][: limit - len(ranked)]


def _article_rows(db: Database, ranked: list[tuple]) -> list[tuple]:
    if not ranked:
        return []
    placeholders = ",".join("?" * len(ranked))
    by_doc = {
        r[0]: r[1:]
        for r in db.execute(
            f"SELECT a.doc_id, {_COLUMNS} FROM articles a WHERE a.doc_id IN ({placeholders})",
            [doc for doc, _ in ranked],
        )
    }
    return [(*by_doc[doc], rank) for doc, rank in ranked if doc in by_doc]


# --- snippets from the real text ---


def _folded(text: str) -> tuple[str, list[int]] | tuple[str, range]:
    """`text` normalised like the index, with each folded char's index in the original."""
    folded = normalize(text)
    if len(folded) == len(text):
        # The usual case (full-width letters fold one to one): positions are unchanged.
        return folded, range(len(text))
    out, where = [], []
    for i, ch in enumerate(text):
        for c in normalize(ch):
            out.append(c)
            where.append(i)
    return "".join(out), where


def _original_index(text: str, folded_pos: int) -> int:
    """The index in `text` of the character that became `normalize(text)[folded_pos]`.

    Binary search over prefix lengths: normalising a prefix is a C call, walking the text
    character by character in Python cost more than the rest of a search."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(normalize(text[:mid])) <= folded_pos:
            lo = mid
        else:
            hi = mid - 1
    return lo


def make_snippet(title: str, body: str, needles: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """A window of the body (or the title) around the first match, and the matches in it."""
    for text in (body, title):
        # Most needles (Chinese words) stand in the text as they are: no folding needed to
        # place the window; spans inside it are always found on the folded window.
        found = [i for i in (text.find(n) for n in needles if n) if i >= 0]
        if found:
            first = min(found)
        else:
            folded = normalize(text)
            found = [i for i in (folded.find(n) for n in needles if n) if i >= 0]
            if not found:
                continue
            first = min(found)
            if len(folded) != len(text):
                first = _original_index(text, first)
        start = max(0, first - SNIPPET_CHARS // 3)
        end = min(len(text), start + SNIPPET_CHARS)
        snippet = text[start:end].replace("\n", " ")
        spans = []
        fs, fwhere = _folded(snippet)
        for n in needles:
            pos = fs.find(n)
            while n and pos >= 0:
                spans.append((fwhere[pos], fwhere[pos + len(n) - 1] + 1))
                pos = fs.find(n, pos + len(n))
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        spans = _merge([(s + len(prefix), e + len(prefix)) for s, e in spans])
        return prefix + snippet + suffix, spans
    return (body[:SNIPPET_CHARS].replace("\n", " ") or title), []


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
