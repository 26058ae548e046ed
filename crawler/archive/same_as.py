"""Print and web copies of one piece, linked both ways (`same_as`).

Web articles carry the print line "《人民日报》（2024年05月10日 04 版）"; a print article
(paper.people.com.cn) with that date and page and the same title or text is the same piece:
a `same_as` row, not a duplicate. `link_same_as` runs inside the transaction that stores an
article, so the link is made whichever copy is archived second.
"""

from __future__ import annotations

import json
import re

from sqlite_utils import Database

from crawler.archive.instants import utc_now
from crawler.paper_urls import is_paper_article_url

_SPACE_RE = re.compile(r"\s+")


def _title(value: str | None) -> str:
    return _SPACE_RE.sub("", value or "")


def link_same_as(db: Database, key: str) -> list[str]:
    """Link the article `key` to its copies in the other edition; the keys linked.

    Called inside the transaction storing the article. A match needs the same paper, date
    and page number (as numbers: "4" and "04" are one page) and the same title (spaces
    ignored) or the same text.
    """
    row = db.execute(
        "SELECT url, print_edition, title, text_sha256 FROM articles WHERE key = ?", [key]
    ).fetchone()
    if row is None or not row[1]:
        return []
    url, edition, title, text_sha = row
    edition = json.loads(edition)
    if not edition.get("date") or not str(edition.get("page") or "").isdigit():
        return []
    is_print = is_paper_article_url(url)
    candidates = db.execute(
        "SELECT key, url, title, text_sha256, json_extract(print_edition, '$.page') "
        "FROM articles WHERE json_extract(print_edition, '$.date') = ? AND key != ?",
        [edition["date"], key],
    ).fetchall()
    linked = []
    for other, other_url, other_title, other_sha, page in candidates:
        if is_paper_article_url(other_url) == is_print or not str(page or "").isdigit():
            continue
        if int(page) != int(edition["page"]):
            continue
        on = "title" if _title(other_title) == _title(title) and _title(title) else ""
        on = on or ("text" if other_sha and other_sha == text_sha else "")
        if not on:
            continue
        pair = (key, other) if is_print else (other, key)
        db.execute(
            "INSERT OR IGNORE INTO same_as (print_key, web_key, matched_on, at) "
            "VALUES (?, ?, ?, ?)",
            [*pair, on, utc_now()],
        )
        linked.append(other)
    return linked


def same_as(db: Database, key: str) -> list[str]:
    """The keys of the other edition's copies of article `key`, both ways."""
    rows = db.execute(
        "SELECT web_key FROM same_as WHERE print_key = ? "
        "UNION SELECT print_key FROM same_as WHERE web_key = ? ORDER BY 1",
        [key, key],
    ).fetchall()
    return [r[0] for r in rows]
