"""A Datasette instance for one archive file: the reading room, metadata, search and guard."""

from __future__ import annotations

from pathlib import Path

import yaml  # PyYAML: a dependency of Datasette itself
from datasette.app import Datasette
from datasette.plugins import pm

import crawler.datasette.guard as guard_plugin
import crawler.datasette.plugin as search_plugin
import crawler.datasette.room as room_plugin

METADATA = Path(__file__).with_name("metadata.yml")
TEMPLATES = Path(__file__).with_name("templates")
# The longest one SQL statement of a page may run (Datasette stops it with "SQL Interrupted").
SQL_TIME_LIMIT_MS = 5000
PLUGINS = {
    "cpc_archive_search": search_plugin,
    "cpc_archive_guard": guard_plugin,
    "cpc_archive_room": room_plugin,
}


def load_metadata(database: str = "archive", *, sql: bool = False) -> dict:
    """metadata.yml with its database section keyed by `database` (the file's stem).

    Internal tables are hidden and refused (guard.HIDDEN_TABLES); arbitrary SQL is allowed
    only when `sql` is true (canned queries run either way).
    """
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    section = metadata["databases"].pop("archive")
    metadata["databases"][database] = section
    tables = section.setdefault("tables", {})
    for name in guard_plugin.HIDDEN_TABLES:
        tables[name] = {"hidden": True, "allow": False}
    metadata["allow_sql"] = bool(sql)
    # the links to the canned queries name the database
    metadata["description_html"] = metadata["description_html"].replace(
        "/archive/", f"/{database}/"
    )
    return metadata


def being_written(db_path: str | Path) -> bool:
    """Whether another process (a crawl) has commits in the archive's WAL, not yet checkpointed
    into the file: such a file will change under its readers, so it must not be opened
    immutable. A quiet archive has no WAL file, or an empty one, once its last writer closed."""
    wal = Path(f"{db_path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def make_datasette(db_path: str | Path, *, sql: bool = False, live: bool = False) -> Datasette:
    """Datasette over the archive at `db_path`, read-only.

    Immutable by default: SQLite then takes no locks and Datasette may cache counts. `live`
    opens it read-only instead (mode=ro), for browsing while a crawl writes to it: an immutable
    file must not change under its readers. `sql` turns on arbitrary SQL queries.
    """
    for name, plugin in PLUGINS.items():
        if pm.get_plugin(name) is None:
            pm.register(plugin, name=name)
    db_path = Path(db_path)
    files = {"files": [str(db_path)]} if live else {"immutables": [str(db_path)]}
    return Datasette(
        **files,
        metadata=load_metadata(db_path.stem, sql=sql),
        template_dir=str(TEMPLATES),
        settings={
            # the whole file, hidden tables included, is not for download
            "allow_download": False,
            "default_allow_sql": sql,
            # A table page of a search matching most of a large archive reads each match
            # once, which can outlast Datasette's default (1 s, meant for public instances).
            "sql_time_limit_ms": SQL_TIME_LIMIT_MS,
            # The facets worth having are declared (metadata.yml); suggesting others tries
            # every column of the table on every page.
            "suggest_facets": False,
        },
    )
