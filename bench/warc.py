"""WARC figures, each a ratio against a baseline measured in the same run.

    python bench/warc.py [--copies N]

The pages: every article fixture under tests/fixtures/ (page 1 and continuation pages),
`copies` times over with a distinct content id in the URL and a distinct trailing comment in
the body (made in memory; the fixture files are not touched), all fetched at one instant.

- read: records per second read by `read_warc` (digests checked, revisits indexed, Fetches
  built) against bare warcio (`ArchiveIterator` reading each payload) on the same file.
- import: pages per second through `import_warc` (read + group pages + store_fetches) against
  store_fetches on the same fetches handed over directly: the cost of coming from a WARC.
  The archive's one-off dictionary training (at 200 stored bodies, seconds of CPU) is
  switched off for both, so it does not swamp the comparison.
- size: bytes of the exported .warc.gz against the raw bodies, and against gzip -9 of each
  body on its own (the floor for a WARC compressed record by record).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warcio.archiveiterator import ArchiveIterator

import crawler.archive.compress as compress
from crawler.archive.db import open_archive
from crawler.archive.runs import finish_run, start_run
from crawler.archive.store import store_fetches
from crawler.archive.warc.files import export_snapshot_ids, export_warc, group_pages, import_warc
from crawler.archive.warc.records import read_warc, write_fetches
from crawler.records import Fetch

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
AT = "2024-08-07T01:00:00Z"
ID_IN_URL = re.compile(r"(c\d+-|/)(\d{6,})(-\d+)?\.html$")


def fixture_groups() -> list[list[Fetch]]:
    groups = []
    for meta_path in sorted(FIXTURES.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text("utf-8"))
        if not ID_IN_URL.search(meta["url"]):
            continue  # home and list pages: one copy would be all there is
        headers = meta.get("headers") or {}
        files = {"page.bin": meta["url"], **(meta.get("pages") or {})}
        groups.append(
            [
                Fetch(url, (meta_path.parent / name).read_bytes(), 200, headers, "", AT)
                for name, url in files.items()
            ]
        )
    return groups


def copies(groups: list[list[Fetch]], n: int) -> list[list[Fetch]]:
    out = []
    for i in range(n):  # the first copy keeps the fixture's own URLs
        for group in groups:
            out.append(
                [
                    Fetch(
                        ID_IN_URL.sub(
                            lambda m, i=i: f"{m[1]}{int(m[2]) + i * 7919}{m[3] or ''}.html", f.url
                        ),
                        f.body + f"\n<!-- copy {i} -->\n".encode(),
                        f.status,
                        f.headers,
                        "",
                        f.fetched_at,
                    )
                    for f in group
                ]
            )
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=20)
    args = ap.parse_args()
    compress.AUTO_TRAIN_AT = 10**12
    groups = copies(fixture_groups(), args.copies)
    fetches = [f for g in groups for f in g]
    raw = sum(len(f.body) for f in fetches)
    gzip9 = sum(len(gzip.compress(f.body, 9)) for f in fetches)

    with tempfile.TemporaryDirectory() as tmp:
        warc_path = Path(tmp) / "pages.warc.gz"
        with open(warc_path, "wb") as fh:
            write_fetches(fh, fetches)

        def bare():
            with open(warc_path, "rb") as fh:
                for record in ArchiveIterator(fh):
                    record.content_stream().read()

        def ours():
            for _ in read_warc(warc_path):
                pass

        bare_s, ours_s = min(timed(bare) for _ in range(3)), min(timed(ours) for _ in range(3))

        def direct(db):
            run = start_run(db, "bench")
            for group in groups:
                store_fetches(db, run, group)
            finish_run(db, run, "finished")

        # best of 3, each into a fresh archive
        direct_s = import_s = float("inf")
        for i in range(3):
            direct_db = open_archive(Path(tmp) / f"direct{i}.db")
            direct_s = min(direct_s, timed(lambda db=direct_db: direct(db)))
            imported_db = open_archive(Path(tmp) / f"imported{i}.db")
            import_s = min(import_s, timed(lambda db=imported_db: import_warc(db, warc_path)))
        stored = imported_db.execute("SELECT count(*) FROM articles").fetchone()[0]
        direct_stored = direct_db.execute("SELECT count(*) FROM articles").fetchone()[0]
        kinds = dict(imported_db.execute("SELECT kind, count(*) FROM failures GROUP BY kind"))
        assert len(list(group_pages(fetches))) == len(groups)

        export_buf = io.BytesIO()
        export_warc(imported_db, export_buf, export_snapshot_ids(imported_db))
        imported_db.conn.close()
        warc_size = len(export_buf.getvalue())

    n = len(fetches)
    print(f"{n} pages, {len(groups)} articles, {raw} raw body bytes")
    print(f"stored: {stored} by import (failures {kinds}), {direct_stored} direct")
    print(
        f"read:   read_warc {n / ours_s:8.0f} records/s, bare warcio {n / bare_s:8.0f}/s  "
        f"-> ratio {ours_s / bare_s:.2f}x the bare read time"
    )
    print(
        f"import: import_warc {n / import_s:8.1f} pages/s, store_fetches direct "
        f"{n / direct_s:8.1f}/s  -> ratio {import_s / direct_s:.2f}x the direct time"
    )
    print(
        f"size:   export .warc.gz {warc_size} bytes = {warc_size / raw:.3f} of raw, "
        f"{warc_size / gzip9:.2f}x gzip-9 per body ({gzip9} bytes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
