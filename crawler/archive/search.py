"""Full-text search over article titles and bodies, for 2-character Chinese words and up.

The index (`articles_fts`, FTS5, contentless) holds the bigram-segmented text of each article
(see crawler.archive.bigrams); rowid = articles.doc_id. Queries are rewritten the same way:

    改革             the 2-character word, anywhere in title or body
    改革开放         the 4 characters in sequence (a phrase of bigrams 改革 革开 开放)
    妇联 改革        both words (AND)
    "全面深化 改革"  quotes group words; each quoted word is still matched as a phrase
    妇联 OR 工会     either word
    改革 -开放       the first word, without the second
    党               one character: matched wherever it stands (prefix search of its bigrams)

Results are ranked by bm25 (title matches weigh 4x). A very common word can match most of the
archive; ranking every match would cost time in proportion, so when a query matches more than
`RANK_WINDOW` articles only the most recently archived `RANK_WINDOW` of them are ranked. A
common phrase of several tokens is ranked by its rarest token over that window (see
_rank_within): bm25 of the phrase itself would first check positions in every article that
holds it. Filters (dates, source, editor, channel) apply before the window: the window is the
newest RANK_WINDOW matches that pass them.
Snippets are cut from the stored text itself, never from the segmented index.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from crawler.archive.bigrams import CJK_RUN, TOKEN, normalize, phrase_tokens, segment
from crawler.archive.filters import FilterError, filter_sql

RANK_WINDOW = 2000
SNIPPET_CHARS = 80


class QueryError(ValueError):
    """A search query that cannot be run, with the reason in words."""


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


# --- keeping the index in sync (called by crawler.archive.store inside its transaction) ---


def index_article(db: Database, doc_id: int, title: str, body: str) -> None:
    db.execute(
        "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
        [doc_id, segment(title), segment(body)],
    )


def unindex_article(db: Database, doc_id: int, title: str, body: str) -> None:
    # A contentless table forgets its text: deleting a row means replaying the exact tokens.
    db.execute(
        "INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
        [doc_id, segment(title), segment(body)],
    )


# --- parsing queries ---

_QUERY_TOKEN = re.compile(r'\s*(-?)(?:"([^"]*)"|(\S+))')


@dataclass
class _Term:
    phrases: list[str]  # FTS5 expressions, all required
    needles: list[str]  # literal strings to highlight
    negated: bool = False
    tokens: list[list[str]] = field(default_factory=list)  # index tokens of each phrase


@dataclass
class _Parsed:
    expr: str  # the FTS5 MATCH expression
    needles: list[str]
    phrase: list[str] | None  # the tokens, when the query is one phrase of 2+ tokens


def _fts_phrase(tokens: list[str]) -> str:
    return '"' + " ".join(tokens) + '"'


def _parse_term(text: str, negated: bool) -> _Term | None:
    phrases, needles = [], []
    token_lists = phrase_tokens(text)
    for tokens in token_lists:
        if len(tokens) == 1 and CJK_RUN.fullmatch(tokens[0]) and len(tokens[0]) == 1:
            phrases.append(f'"{tokens[0]}"*')  # one character: any token starting with it
        else:
            phrases.append(_fts_phrase(tokens))
    for m in TOKEN.finditer(normalize(text)):
        needles.append(m.group())
    if not phrases:
        return None
    return _Term(phrases, needles, negated, token_lists)


def parse_query(query: str) -> tuple[str, list[str]]:
    """The FTS5 MATCH expression for `query` and the literal strings to highlight."""
    parsed = _parse(query)
    return parsed.expr, parsed.needles


def _parse(query: str) -> _Parsed:
    if query is None or not query.strip():
        raise QueryError("empty query: give one or more words to search for")
    if query.count('"') % 2:
        raise QueryError('unbalanced quotes in query: every " needs a closing "')
    groups: list[list[_Term]] = []  # OR-groups, ANDed together
    negatives: list[_Term] = []
    pending_or = False
    pos = 0
    while pos < len(query):
        m = _QUERY_TOKEN.match(query, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        neg, quoted, bare = m.group(1), m.group(2), m.group(3)
        text = quoted if quoted is not None else bare
        if quoted is None and text == "OR" and not neg:
            if not groups or pending_or:
                raise QueryError("OR needs a word on each side")
            pending_or = True
            continue
        term = _parse_term(text, bool(neg))
        if term is None:
            if quoted is not None or neg:
                raise QueryError(f"nothing searchable in {text!r}: use letters, digits or Chinese")
            continue  # bare punctuation between words: ignore
        if term.negated:
            if pending_or:
                raise QueryError("OR cannot join an excluded (-) word")
            negatives.append(term)
        elif pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    if pending_or:
        raise QueryError("OR needs a word on each side")
    if not groups:
        if negatives:
            raise QueryError("a query needs at least one word to find, not only excluded ones")
        raise QueryError("nothing searchable in the query: use letters, digits or Chinese")

    def term_expr(t: _Term) -> str:
        return t.phrases[0] if len(t.phrases) == 1 else "(" + " AND ".join(t.phrases) + ")"

    parts = []
    for group in groups:
        exprs = [term_expr(t) for t in group]
        parts.append(exprs[0] if len(exprs) == 1 else "(" + " OR ".join(exprs) + ")")
    expr = " AND ".join(parts)
    if negatives:
        expr = f"({expr}) NOT (" + " OR ".join(term_expr(t) for t in negatives) + ")"
    needles = [n for g in groups for t in g for n in t.needles]
    phrase = None
    if len(groups) == 1 and len(groups[0]) == 1 and not negatives:
        lists = groups[0][0].tokens
        if len(lists) == 1 and len(lists[0]) > 1:
            phrase = lists[0]
    return _Parsed(expr, needles, phrase)


# --- running queries ---


def search(
    db: Database,
    query: str,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    editor: str | None = None,
    channel: str | None = None,
    limit: int = 20,
    paper_date: str | None = None,
    paper_page: str | int | None = None,
) -> list[Hit]:
    """Articles matching `query`, best first, with a snippet around the first match.

    since/until: publication dates (YYYY-MM-DD, YYYY-MM or YYYY, inclusive); source: part of
    the 来源 name;
    editor: one of the editors, exactly; channel: the channel id. Raises QueryError for a
    query that cannot be run.
    """
    parsed = _parse(query)
    expr, needles = parsed.expr, parsed.needles
    if limit < 1:
        raise QueryError("limit must be at least 1")
    try:
        clause, params = filter_sql(
            since, until, source, editor, channel, paper_date=paper_date, paper_page=paper_page
        )
    except FilterError as e:
        raise QueryError(str(e)) from None
    where = [] if clause == "1" else [clause]
    try:
        rows = _ranked(db, expr, parsed.phrase, limit, where, params)
    except sqlite3.OperationalError as e:
        if "fts5" in str(e) or "syntax" in str(e):
            raise QueryError(f"query cannot be run: {e}") from e
        raise
    hits = []
    for key, title, url, published_at, src, channel_id, body, score in rows:
        snippet, spans = make_snippet(title or "", body or "", needles)
        hits.append(Hit(key, title, url, published_at, src, channel_id, score, snippet, spans))
    return hits


_COLUMNS = "a.key, a.title, a.url, a.published_at, a.source, a.channel_id, a.body_text"


def _ranked(
    db: Database,
    expr: str,
    phrase: list[str] | None,
    limit: int,
    where: Sequence[str] = (),
    params: Sequence = (),
) -> list[tuple]:
    # Cheap pass in index order (no ranking): the newest RANK_WINDOW matches (passing filters).
    if where:
        sql = (
            "SELECT articles_fts.rowid FROM articles_fts "
            "JOIN articles a ON a.doc_id = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? AND {' AND '.join(where)} "
            "ORDER BY articles_fts.rowid DESC LIMIT ?"
        )
        ids = [r[0] for r in db.execute(sql, [expr, *params, RANK_WINDOW])]
    else:
        ids = [
            r[0]
            for r in db.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
                "ORDER BY rowid DESC LIMIT ?",
                [expr, RANK_WINDOW],
            )
        ]
    if not ids:
        return []
    if not where and (phrase is None or len(ids) < RANK_WINDOW):
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
                [_fts_phrase([token]), RANK_WINDOW - 1],
            ).fetchone()
            cutoffs.append((row[0] if row else 0, token))
        cutoff, token = min(cutoffs)  # reaching furthest back for its window: the rarest
        rank_expr, start = _fts_phrase([token]), max(cutoff, start)
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


def make_snippet(title: str, body: str, needles: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """A window of the body (or the title) around the first match, and the matches in it."""
    for text in (body, title):
        folded, where = _folded(text)
        found = [(folded.find(n), n) for n in needles if n]
        found = [(i, n) for i, n in found if i >= 0]
        if not found:
            continue
        first = min(i for i, _ in found)
        start = max(0, where[first] - SNIPPET_CHARS // 3)
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
