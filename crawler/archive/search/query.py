"""Search queries as FTS5 expressions over the bigram index (see crawler.archive.search.fts).

The query language is small and every part of it is either understood or refused with a
reason, never searched as a word by accident:

    words and "quoted phrases"     all required (AND between them may be written out)
    a OR b                         either
    -word, NOT word                excluded
    title:word, body:"a phrase"    only in that field

Lower-case and/or/not, parentheses, NEAR(...) and unknown field prefixes raise QueryError
with what to write instead. Queries are bounded (MAX_TERMS, MAX_CHARS): FTS5 evaluates a huge
OR in time that grows faster than its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.archive.search.bigrams import CJK_RUN, TOKEN, normalize, phrase_tokens
from crawler.archive.search.rank import ScoredTerm

FIELDS = {"title": "title", "body": "body"}
# Longest query accepted, in words (each side of an OR counts) and in characters.
MAX_TERMS = 64
MAX_CHARS = 1000


class QueryError(ValueError):
    """A search query that cannot be run, with the reason in words."""


_QUERY_TOKEN = re.compile(r'\s*(-?)(?:([A-Za-z_]+):)?(?:"([^"]*)"|(\S+))')
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass
class _Term:
    phrases: list[str]  # FTS5 expressions, all required
    needles: list[str]  # literal strings to highlight
    columns: str | None = None  # a field prefix's column; None: title and body
    negated: bool = False
    tokens: list[list[str]] = field(default_factory=list)  # index tokens of each phrase

    def expr(self) -> str:
        # No column filter for plain words: filter tokens share no word with the text
        # (crawler.archive.search.tags), and a filter makes FTS5 read every position list.
        if self.columns is None:
            return (
                self.phrases[0]
                if len(self.phrases) == 1
                else "(" + " AND ".join(self.phrases) + ")"
            )
        return f"{self.columns} : (" + " AND ".join(self.phrases) + ")"


@dataclass
class Parsed:
    expr: str  # the FTS5 MATCH expression
    needles: list[str]
    phrase: list[str] | None  # the tokens, when the query is one phrase of 2+ tokens
    terms: list[ScoredTerm] = field(default_factory=list)  # the words that count in ranking


def fts_phrase(tokens: list[str]) -> str:
    return '"' + " ".join(tokens) + '"'


def _parse_term(text: str, negated: bool, columns: str | None) -> _Term | None:
    phrases, needles = [], []
    token_lists = phrase_tokens(text)
    for tokens in token_lists:
        if len(tokens) == 1 and CJK_RUN.fullmatch(tokens[0]) and len(tokens[0]) == 1:
            phrases.append(f'"{tokens[0]}"*')  # one character: any token starting with it
        else:
            phrases.append(fts_phrase(tokens))
    for m in TOKEN.finditer(normalize(text)):
        needles.append(m.group())
    if not phrases:
        return None
    return _Term(phrases, needles, columns, negated, token_lists)


def _refuse_bare(text: str) -> None:
    """Things users type expecting an operator: refused, never searched as words."""
    if text.upper() in _OPERATORS and text not in _OPERATORS:
        raise QueryError(
            f"{text!r} is not an operator: write {text.upper()} in capitals, "
            f'or "{text}" in quotes to search the word'
        )
    if text.upper().startswith("NEAR(") or text == "NEAR":
        raise QueryError('NEAR is not supported: give the words (all must occur) or a "phrase"')
    if "(" in text or ")" in text:
        raise QueryError(
            "parentheses are not supported: words are ANDed, OR joins the words beside it, "
            '-word excludes; put ( ) in "quotes" to search text holding them'
        )


def parse(query: str) -> Parsed:
    if query is None or not query.strip():
        raise QueryError("empty query: give one or more words to search for")
    if len(query) > MAX_CHARS:
        raise QueryError(f"query too long: {len(query)} characters, at most {MAX_CHARS}")
    if query.count('"') % 2:
        raise QueryError('unbalanced quotes in query: every " needs a closing "')
    groups: list[list[_Term]] = []  # OR-groups, ANDed together
    negatives: list[_Term] = []
    pending = None  # an operator waiting for the word after it: "OR", "AND" or "NOT"
    count = 0
    pos = 0
    while pos < len(query):
        m = _QUERY_TOKEN.match(query, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        neg, prefix, quoted, bare = m.group(1), m.group(2), m.group(3), m.group(4)
        text = quoted if quoted is not None else bare
        if quoted is None and prefix is None and not neg and text in _OPERATORS:
            if pending or (text != "NOT" and not groups):
                raise QueryError(f"{text} needs a word on each side")
            pending = text
            continue
        columns = None
        if prefix is not None:
            if prefix.lower() not in FIELDS:
                raise QueryError(
                    f"unknown field {prefix + ':'!r}: use title: or body:, "
                    f'or put "{prefix}:{text}" in quotes to search the text'
                )
            columns = FIELDS[prefix.lower()]
        if quoted is None:
            _refuse_bare(text)
        negated = bool(neg) or pending == "NOT"
        if neg and pending == "NOT":
            raise QueryError("NOT -word excludes twice: write one of them")
        term = _parse_term(text, negated, columns)
        if term is None:
            if quoted is not None or neg or prefix is not None or pending:
                raise QueryError(f"nothing searchable in {text!r}: use letters, digits or Chinese")
            continue  # bare punctuation between words: ignore
        count += 1
        if count > MAX_TERMS:
            raise QueryError(f"query too long: more than {MAX_TERMS} words")
        if term.negated:
            if pending == "OR":
                raise QueryError("OR cannot join an excluded (-) word")
            negatives.append(term)
        elif pending == "OR":
            groups[-1].append(term)
        else:
            groups.append([term])
        pending = None
    if pending:
        raise QueryError(f"{pending} needs a word on each side")
    if not groups:
        if negatives:
            raise QueryError("a query needs at least one word to find, not only excluded ones")
        raise QueryError("nothing searchable in the query: use letters, digits or Chinese")

    parts = []
    for group in groups:
        exprs = [t.expr() for t in group]
        parts.append(exprs[0] if len(exprs) == 1 else "(" + " OR ".join(exprs) + ")")
    expr = " AND ".join(parts)
    if negatives:
        expr = f"({expr}) NOT (" + " OR ".join(t.expr() for t in negatives) + ")"
    needles = [n for g in groups for t in g for n in t.needles]
    phrase = None
    if len(groups) == 1 and len(groups[0]) == 1 and not negatives:
        lists = groups[0][0].tokens
        if len(lists) == 1 and len(lists[0]) > 1:
            phrase = lists[0]
    terms = [ScoredTerm(t.needles, t.columns, t.expr()) for g in groups for t in g]
    return Parsed(expr, needles, phrase, terms)
