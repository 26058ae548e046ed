"""Fixtures shared across test modules: the fixture archive on disk, an empty one in memory."""

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


@pytest.fixture
def db():
    """An empty archive in memory, for the tests of one rule (modules with seeded rows define
    their own `db`)."""
    archive = open_archive(":memory:")
    yield archive
    archive.close()
