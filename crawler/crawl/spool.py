"""Pages the archive could not take yet, kept on disk until it can.

When another writer holds the archive's lock past the pipeline's short wait, the page (its
fetches and their parse) is written here instead of being dropped, and stored later: by the
pipeline's retry loop, at the end of the run, or first thing by the next run. One pickle file
per page, written under a temporary name and renamed, named in arrival order.
"""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

from crawler.crawl.item import CrawledPage


def spool_dir(db_path: str | Path) -> Path:
    """The spool of an archive: a folder beside it (archive.db -> archive.db.spool)."""
    return Path(f"{db_path}.spool")


def put(folder: Path, item: CrawledPage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}.page"
    tmp = folder / f".{name}.tmp"
    with tmp.open("wb") as fh:
        pickle.dump(item, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.flush()
        os.fsync(fh.fileno())
    target = folder / name
    os.replace(tmp, target)
    return target


def pending(folder: Path) -> list[Path]:
    """Spooled pages, oldest first."""
    return sorted(folder.glob("*.page")) if folder.is_dir() else []


def load(path: Path) -> CrawledPage:
    # Our own files, written by put() beside the archive: as trusted as the archive itself.
    with path.open("rb") as fh:
        return pickle.load(fh)
