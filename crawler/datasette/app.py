"""A Datasette instance for one archive file, with the project's metadata and search plugin."""

from __future__ import annotations

from pathlib import Path

import yaml  # PyYAML: a dependency of Datasette itself
from datasette.app import Datasette
from datasette.plugins import pm

import crawler.datasette.plugin as search_plugin

METADATA = Path(__file__).with_name("metadata.yml")
PLUGIN_NAME = "cpc_archive_search"


def load_metadata(database: str = "archive") -> dict:
    """metadata.yml with its database section keyed by `database` (the file's stem)."""
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    section = metadata["databases"].pop("archive")
    metadata["databases"][database] = section
    # the links to the canned queries name the database
    metadata["description_html"] = metadata["description_html"].replace(
        "/archive/", f"/{database}/"
    )
    return metadata


def make_datasette(db_path: str | Path) -> Datasette:
    """Datasette over the archive at `db_path` (read-write, so a running crawl stays visible)."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(search_plugin, name=PLUGIN_NAME)
    db_path = Path(db_path)
    return Datasette([str(db_path)], metadata=load_metadata(db_path.stem))
