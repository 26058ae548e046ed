"""Ranking a window of matches by bm25, counted in the stored text instead of in the index.

FTS5's bm25 first runs every phrase of the query over the whole index to count the articles
holding it (its IDF): a pass over every match of the word, and of every filter token, however
few articles it then ranks; at a million articles that pass took longer than counting the
total. Here the score is the same formula (k1 1.2, b 0.75, a title match weighing 4x the
body) over the window's articles only, so its cost does not grow with the archive: a term's
frequency is how often the searched word occurs in the article's own title and body_text
(a phrase is its characters in sequence, as the index matched it; a Latin word its folded
letters), the document length is the text's length against the window's average, and a
term's IDF comes from the exact total the search counts anyway (one word) or from one count
per word (several).

The text is read as UTF-8 bytes: a needle's bytes occur in the text's bytes exactly where
the needle occurs in the text, and decoding 2,000 bodies cost more than the rest of a search.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.archive.search.bigrams import normalize

K1 = 1.2
B = 0.75
WEIGHTS = {"body": 1.0, "title": 4.0}
# FTS5's floor for the IDF of a word in more than half the articles (scores stay negative).
MIN_IDF = 1e-6

# UTF-8 of the characters the index folds into others: full-width letters and digits
# (ＣＨＩＮＡ -> china), and compatibility ideographs and half-width kana (豈 -> 豈).
_FOLDS_LATIN = re.compile(rb"\xef\xbc[\x90-\x99\xa1-\xba]|\xef\xbd[\x81-\x9a]")
_FOLDS_CJK = re.compile(rb"\xef[\xa4-\xab]|\xef\xbd[\xa5-\xbf]|\xef\xbe|\xf0\xaf[\xa0-\xa8]")


@dataclass
class ScoredTerm:
    """A word of the query that counts toward the score (excluded words do not)."""

    needles: list[str]  # the word in normalised text: all of them make one match
    column: str | None  # "title" or "body" for a field prefix, None for both
    expr: str  # its FTS5 expression, to count the articles holding it


def idf(articles: int, holding: int) -> float:
    value = math.log((articles - holding + 0.5) / (holding + 0.5))
    return value if value > 0 else MIN_IDF


def _folded(data: bytes) -> bytes:
    return normalize(data.decode("utf-8", "replace")).encode()


def _count(data: bytes, words: Sequence[bytes]) -> int:
    """Occurrences of the needles `words` in `data` as the index matches them."""
    found = 0
    latin = folded = None  # the text folded as the index folds it, made once per call
    for word in words:
        if word.isascii():  # a Latin word or a number: matched case- and width-folded
            if latin is None:
                latin = _folded(data) if _FOLDS_LATIN.search(data) else data.lower()
            found += latin.count(word)
            continue
        n = data.count(word)
        if not n and _FOLDS_CJK.search(data):
            if folded is None:
                folded = _folded(data)
            n = folded.count(word)
        found += n
    return found


def score_window(
    texts: Sequence[tuple[int, bytes, bytes]], terms: Sequence[ScoredTerm], idfs: Sequence[float]
) -> dict[int, float]:
    """bm25 of each (doc_id, title, body as UTF-8) against `terms`: lower is better, as
    FTS5's."""
    if not texts:
        return {}
    prepared = [
        (
            [n.encode() for n in t.needles],
            t.column in (None, "title"),
            t.column in (None, "body"),
            weight,
        )
        for t, weight in zip(terms, idfs, strict=True)
    ]
    average = max(1.0, sum(len(title) + len(body) for _, title, body in texts) / len(texts))
    title_weight, body_weight = WEIGHTS["title"], WEIGHTS["body"]
    scores = {}
    for doc, title, body in texts:
        norm = K1 * (1 - B + B * (len(title) + len(body)) / average)
        score = 0.0
        for words, in_title, in_body, weight in prepared:
            freq = 0.0
            if in_title:
                freq += title_weight * _count(title, words)
            if in_body:
                freq += body_weight * _count(body, words)
            score += weight * freq * (K1 + 1) / (freq + norm)
        scores[doc] = -score
    return scores
