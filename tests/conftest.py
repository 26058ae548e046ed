"""Fixtures shared by the tests of the commands that read an archive."""

from __future__ import annotations

import pytest

from crawler.archive.db import open_archive
from tests.fixture_archive import build_fixture_archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A file archive holding the fixture archive's two runs; one per test module, read-only."""
    path = tmp_path_factory.mktemp("archive") / "archive.db"
    db = open_archive(path)
    build_fixture_archive(db)
    db.conn.close()
    return path
