"""Pages the archive could not take yet, kept on disk until it can.

When another writer holds the archive's lock (the pipeline does not wait for it while the
crawl runs), the page (its fetches and their parse) is written here instead of being dropped,
and stored later: by the pipeline's retry loop, at the end of the run, or first thing by the
next run. One pickle file per page, written under a temporary name and renamed, named in
arrival order and by its frontier URL (so a resumed crawl does not fetch again a page that
waits here).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from pathlib import Path

from crawler.items import CrawledPage, PrintPageItem


def spool_dir(db_path: str | Path) -> Path:
    """The spool of an archive: a folder beside it (archive.db -> archive.db.spool)."""
    return Path(f"{db_path}.spool")


def put(folder: Path, item: CrawledPage | PrintPageItem) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}-{_url_tag(item.frontier_url)}.page"
    tmp = folder / f".{name}.tmp"
    with tmp.open("wb") as fh:
        pickle.dump(item, fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.flush()
        os.fsync(fh.fileno())
    target = folder / name
    os.replace(tmp, target)
    return target


def _url_tag(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def waiting(folder: Path) -> set[str]:
    """The frontier URLs' tags of the pages waiting in the spool (see `holds`)."""
    return {path.stem.rsplit("-", 1)[-1] for path in pending(folder)}


def holds(tags: set[str], url: str) -> bool:
    """Whether a page fetched for frontier entry `url` is among the spooled `tags`.

    The spool is listed once (`waiting`) for a whole resumed frontier, not once per URL."""
    return _url_tag(url) in tags


def pending(folder: Path) -> list[Path]:
    """Spooled pages, oldest first."""
    return sorted(folder.glob("*.page")) if folder.is_dir() else []


def load(path: Path) -> CrawledPage | PrintPageItem:
    # Our own files, written by put() beside the archive: as trusted as the archive itself.
    with path.open("rb") as fh:
        return pickle.load(fh)
