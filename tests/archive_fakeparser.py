"""A stand-in parser for archive tests that must not depend on the real extraction rules.

It reads pages built by tests.archive_helpers.page(): the <title> is the title, the body text
split on "|" gives the paragraphs; a title "nodate" has no date. Passed as `parser=` to
store_fetches and reparse. The real parser is exercised on real pages in the integration tests.
"""

from __future__ import annotations

import re
import types

from crawler.records import ArticleRecord, NotArticle
from crawler.urls import canonical_url, parse_article_url


def make_parser(version: str = "fake-1", title_suffix: str = "") -> types.SimpleNamespace:
    """An object with parse_article and merge_pages, as crawler.pages.article has them."""

    def parse_article(body: bytes, url: str, headers=None):
        text = body.decode("utf-8", "replace")
        title = re.search(r"<title>(.*?)</title>", text)
        content = re.search(r"<body>(.*?)</body>", text, re.S)
        if not title or not content:
            return NotArticle(url, "unreadable", "no title or body", "utf-8", version)
        if title.group(1) == "页面没有找到":
            return NotArticle(url, "not_found", "页面没有找到", "utf-8", version)
        parsed = parse_article_url(url)
        paragraphs = content.group(1).split("|")
        return ArticleRecord(
            url=url,
            canonical_url=canonical_url(url),
            content_id=parsed.content_id if parsed else None,
            channel_id=parsed.channel_id if parsed else None,
            title=title.group(1) + title_suffix,
            published_at=None if title.group(1) == "nodate" else "2024-08-07T08:02:00+08:00",
            paragraphs=paragraphs,
            body_text="\n".join(paragraphs),
            encoding="utf-8",
            parser_version=version,
        )

    def merge_pages(first, rest):
        merged = ArticleRecord.from_dict(first.to_dict())
        for r in rest:
            merged.paragraphs += r.paragraphs
        merged.body_text = "\n".join(merged.paragraphs)
        merged.page_count = 1 + len(rest)
        return merged

    return types.SimpleNamespace(parse_article=parse_article, merge_pages=merge_pages)
