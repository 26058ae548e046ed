"""The archive a crawl writes to, opened as its settings say (ARCHIVE_DB, ARCHIVE_BUSY_TIMEOUT)."""

from __future__ import annotations

from sqlite_utils import Database

from crawler.archive.db import open_archive


def open_crawl_archive(settings) -> Database:
    return open_archive(settings.get("ARCHIVE_DB"), settings.getfloat("ARCHIVE_BUSY_TIMEOUT"))
