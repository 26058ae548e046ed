"""Chinese text as overlapping character bigrams, the tokens of the full-text index.

SQLite's tokenizers see a run of Chinese characters as one token (unicode61) or index 3-grams
(trigram), so neither finds a 2-character word inside a sentence. Writing each run of CJK
characters as its overlapping bigrams (改革开放 -> 改革 革开 开放) makes every 2-character word a
token and every longer word a phrase of consecutive tokens. The last character of each run is
also written alone, so a single character can be found as a prefix (`党*`) wherever it stands.
Latin letters and digits become lower-cased words.

Changing what this module emits changes the index: it needs a migration that re-indexes.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\U00020000-\U0002ffff\U00030000-\U0003134f"
)
CJK_RUN = re.compile(f"[{_CJK}]+")
TOKEN = re.compile(f"[{_CJK}]+|[0-9a-z]+")


def normalize(text: str) -> str:
    # NFKC folds full-width Latin letters and digits (ＡＢＣ１２) to ASCII.
    return unicodedata.normalize("NFKC", text).lower()


def run_tokens(run: str) -> list[str]:
    """Tokens of one CJK run: its bigrams, then its last character alone."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def segment(text: str) -> str:
    """`text` as space-separated index tokens."""
    out: list[str] = []
    for m in TOKEN.finditer(normalize(text or "")):
        word = m.group()
        if CJK_RUN.fullmatch(word):
            out.extend(run_tokens(word))
        else:
            out.append(word)
    return " ".join(out)


def phrase_tokens(term: str) -> list[list[str]]:
    """The token sequences a query term must match as phrases, one per run of the term.

    A CJK run of 2+ characters is matched by its bigrams in order (without the trailing single
    character, which in the text sits at the end of a run, not inside a word). A single CJK
    character has no bigram; the caller searches it as a prefix.
    """
    phrases: list[list[str]] = []
    for m in TOKEN.finditer(normalize(term)):
        word = m.group()
        if CJK_RUN.fullmatch(word) and len(word) > 1:
            phrases.append([word[i : i + 2] for i in range(len(word) - 1)])
        else:
            phrases.append([word])
    return phrases
