"""Archive figures, each printed as a ratio against a baseline measured in the same run.

    python bench/archive.py                      # all three, default sizes (a few minutes)
    python bench/archive.py --pages 300 --search-sizes 2000,10000    # a quick look
    python bench/archive.py --skip-store --search-sizes 200000,1000000 --runs 20   # at a million

(a) storage: the whole archive file after `compact` (dictionary, merged index, VACUUM), per
    component (snapshots: bodies + dictionaries + snapshot rows; articles: text and fields in
    articles + versions; index: the full-text index; the rest), against the raw bytes, gzip -9
    of each body on its own, and a .warc.gz of the same fetches written by warcio (request +
    response record per fetch, each record gzipped: what a crawler's WARC holds); then what the
    index would take with other FTS5 options (detail=column, detail=none, columnsize=0);
(b) ingest: pages/s through store_fetches (parse + snapshot + article + index, one transaction
    per page, on disk), against parse_article alone on the same pages;
(c) search: p50/p95 latency of a 2-character and a 4-character word, unfiltered and filtered by
    source, channel, a date range and all three, exact totals included, at growing archive
    sizes, beside a LIKE scan of the same text and, for the 4-character word, the exact total an
    index without positions would need (its bigrams, then a check of every such article's
    text); then how each query's p50 grew from the first size to the last against how the
    archive grew.

Only five real article pages exist in shared/fixtures/people/raw, so the pages measured here are
generated from them: each page keeps one real page's bytes around its article body (templates,
navigation, scripts) and gets a new body, title, content id and date. Bodies are made of real
paragraphs in two ways, which bound the truth from both sides:
  - "shuffled": real paragraphs from all pages drawn and reordered. A site's pages share words
    and phrases but rarely whole paragraphs, so this flatters a dictionary (optimistic);
  - "scrambled": the same, then every CJK character of the page's body mapped through a random
    permutation of its own: the text keeps its statistics but shares nothing with any other page
    (pessimistic: real pages do share words with the dictionary, and with each other, which is
    what keeps a full-text index small).
The search archive (c) is written in bulk (one transaction, rows straight into articles and the
index, no parsing): the index is the one store_fetches keeps, built in minutes, not hours.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.archive import compress  # noqa: E402
from crawler.archive.db import open_archive, write_transaction  # noqa: E402
from crawler.archive.runs import start_run  # noqa: E402
from crawler.archive.search import fts as fts_module  # noqa: E402
from crawler.archive.search.bigrams import segment  # noqa: E402
from crawler.archive.search.facets import FACET_LIMIT, Filters, facet_counts  # noqa: E402
from crawler.archive.search.fts import (  # noqa: E402
    QueryError,
    match_count,
    matching,
    search_results,
)
from crawler.archive.search.tags import source_tokens, tags  # noqa: E402
from crawler.archive.store import store_fetches  # noqa: E402
from crawler.pages.article import parse_article  # noqa: E402
from crawler.records import Fetch  # noqa: E402

RAW = ROOT.parent / "shared" / "fixtures" / "people" / "raw"
if not RAW.exists():
    RAW = Path("/work/shared/fixtures/people/raw")
SEED_TEXT = RAW.parent / "seed-cpc-2024-0807-text.txt"
FIXTURES = ROOT / "tests" / "fixtures"

CJK = re.compile(r"[\u4e00-\u9fff]")
P_RE = re.compile(r"(<p[^>]*>)(.*?)(</p>)", re.S | re.I)
URL_RE = re.compile(r"/n(\d?)/(\d{4})/(\d{4})/c(\d+)-(\d+)\.html")


# --- pages ---


def real_pages() -> list[tuple[str, str, str]]:
    """(url, text, charset) of every real article page in tests/fixtures."""
    pages = []
    for meta_path in sorted(FIXTURES.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text("utf-8"))
        if meta.get("origin") != "real":
            continue
        body = (meta_path.parent / "page.bin").read_bytes()
        try:
            text, charset = body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, charset = body.decode("gb18030"), "gb18030"
        pages.append((meta["url"], text, charset))
    return pages


def paragraph_pool() -> list[str]:
    pool = []
    for meta_path in sorted(FIXTURES.glob("*/expected.json")):
        record = json.loads(meta_path.read_text("utf-8")).get("record") or {}
        pool += [p for p in record.get("paragraphs", []) if len(CJK.findall(p)) > 20]
    if SEED_TEXT.exists():
        pool += [
            line.strip()
            for line in SEED_TEXT.read_text("utf-8").splitlines()
            if len(CJK.findall(line)) > 20
        ]
    return sorted(set(pool))


def scramble(text: str, rng: random.Random) -> str:
    chars = sorted(set(CJK.findall(text)))
    shuffled = chars[:]
    rng.shuffle(shuffled)
    table = dict(zip(chars, shuffled, strict=True))
    return CJK.sub(lambda m: table[m.group()], text)


def make_page(
    template: tuple[str, str, str], pool: list[str], n: int, rng: random.Random, mode: str
) -> Fetch:
    url, text, charset = template
    m = URL_RE.search(url)
    old_id = m.group(5)
    new_id = str(50000000 + n)
    day = f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    year = str(rng.randint(2012, 2024))
    new_url = URL_RE.sub(
        lambda u: f"/n{u.group(1)}/{year}/{day}/c{u.group(4)}-{new_id}.html", url, count=1
    )
    paras = rng.sample(pool, min(len(pool), rng.randint(4, 14)))
    if mode == "scrambled":
        joined = scramble("\x00".join(paras), rng)
        paras = joined.split("\x00")
    body_paras = iter(paras)

    def new_p(pm: re.Match) -> str:
        if len(CJK.findall(pm.group(2))) < 20:
            return pm.group(0)
        return pm.group(1) + next(body_paras, "") + pm.group(3)

    out = P_RE.sub(new_p, text)
    title = paras[0][: rng.randint(12, 30)]
    out = re.sub(
        r"(<h1[^>]*>)(.*?)(</h1>)", lambda h: h.group(1) + title + h.group(3), out, count=1
    )
    out = re.sub(
        r"(<title>)(.*?)(</title>)", lambda h: h.group(1) + title + h.group(3), out, count=1
    )
    out = out.replace(old_id, new_id)
    out = re.sub(r"20\d\d(-|年)\d\d(-|月)\d\d", f"{year}\\g<1>{day[:2]}\\g<2>{day[2:]}", out)
    return Fetch(
        url=new_url,
        body=out.encode(charset, errors="xmlcharrefreplace"),
        headers={"Content-Type": "text/html; charset=GB2312"},
        fetched_at=f"2024-09-01T00:{n // 60 % 60:02d}:{n % 60:02d}Z",
    )


def make_pages(count: int, mode: str, seed: int = 1) -> list[Fetch]:
    rng = random.Random(seed)
    templates, pool = real_pages(), paragraph_pool()
    return [make_page(templates[n % len(templates)], pool, n, rng, mode) for n in range(count)]


# --- (a) storage and (b) ingest ---

# Components of the archive file, by the table (or index) each b-tree belongs to.
COMPONENTS = (
    ("index", ("articles_fts",)),
    ("snapshots", ("bodies", "dictionaries", "snapshots")),
    ("articles", ("articles", "versions")),
)


def components(db, file_bytes: int) -> dict[str, int]:
    """Bytes of the file per component (dbstat pages, indexes counted with their table)."""
    tables = {
        r[0]: r[1]
        for r in db.execute("SELECT name, coalesce(tbl_name, name) FROM sqlite_schema").fetchall()
    }
    out = {name: 0 for name, _ in COMPONENTS}
    for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        table = tables.get(name, name)
        for component, prefixes in COMPONENTS:
            if any(table == p or table.startswith(p + "_") for p in prefixes):
                out[component] += size
                break
    out["rest"] = file_bytes - sum(out.values())
    return out


# What the index would take without positions (no phrase queries: a phrase would have to be
# confirmed in the text of every article holding its bigrams) or without column sizes.
INDEX_VARIANTS = {
    "detail=full (as kept)": "detail=full",
    "detail=full columnsize=0": "detail=full, columnsize=0",
    "detail=column": "detail=column",
    "detail=none": "detail=none",
}


def index_variants(db, path: Path) -> dict[str, int]:
    """Bytes of the archive's index rebuilt, merged and vacuumed with other FTS5 options."""
    from crawler.archive.search.fts import INDEXED, _index_values

    rows = [_index_values(row) for row in db.execute(f"SELECT {INDEXED} FROM articles")]
    out = {}
    for name, options in INDEX_VARIANTS.items():
        path.unlink(missing_ok=True)
        other = sqlite3.connect(path)
        other.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(body, title, source, tags, "
            f"content='', tokenize='ascii', {options})"
        )
        other.executemany(
            "INSERT INTO articles_fts (rowid, title, body, source, tags) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        other.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
        other.commit()
        other.execute("VACUUM")
        out[name] = other.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'"
        ).fetchone()[0]
        other.close()
    path.unlink(missing_ok=True)
    return out


def warc_gz_bytes(pages: list[Fetch]) -> int:
    """A .warc.gz of the fetches written by warcio itself, as a crawler would write it."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for p in pages:
        headers = StatusAndHeaders("200 OK", list(p.headers.items()), protocol="HTTP/1.1")
        resp = writer.create_warc_record(
            p.url,
            "response",
            payload=io.BytesIO(p.body),
            length=len(p.body),
            http_headers=headers,
        )
        req_headers = StatusAndHeaders("GET / HTTP/1.1", [("Host", "cpc.people.com.cn")])
        req = writer.create_warc_record(p.url, "request", http_headers=req_headers)
        writer.write_request_response_pair(req, resp)
    return len(out.getvalue())


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def bench_store(pages: list[Fetch], mode: str, workdir: Path) -> None:
    raw = sum(len(p.body) for p in pages)
    gz = sum(len(gzip.compress(p.body, 9)) for p in pages)
    warc = warc_gz_bytes(pages)

    t0 = time.perf_counter()
    parsed = [parse_article(p.body, p.url, p.headers) for p in pages]
    t_parse = time.perf_counter() - t0
    articles = sum(1 for r in parsed if hasattr(r, "paragraphs"))

    path = workdir / f"store-{mode}.db"
    db = open_archive(path)
    run = start_run(db, "bench")
    t0 = time.perf_counter()
    for p in pages:
        store_fetches(db, run, [p])
    t_store = time.perf_counter() - t0
    statuses = db.execute("SELECT new, failed FROM runs WHERE id = ?", [run]).fetchone()
    text = db.execute("SELECT sum(length(CAST(body_text AS BLOB))) FROM articles").fetchone()[0]

    # what `cpc-archive compact` does
    compress.compact_bodies(db)
    with write_transaction(db):
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    db.vacuum()  # in WAL mode VACUUM writes through the WAL: checkpoint after it
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = db_bytes(path)
    parts = components(db, total)
    variants = index_variants(db, workdir / f"variants-{mode}.db")
    db.close()
    n = len(pages)
    print(f"\n(a) archive file, {n} generated pages ({mode} bodies), after compact")
    print(f"    {articles} parsed as articles; stored: {statuses[0]} new, {statuses[1]} failures")
    print(f"    raw bytes per page                    {raw / n:8.0f} B = 1.000 of raw")
    print(f"    gzip -9 per body                      {gz / n:8.0f} B = {gz / raw:.3f} of raw")
    print(f"    .warc.gz by warcio (request+response) {warc / n:8.0f} B = {warc / raw:.3f} of raw")
    print(f"    article text (body_text, UTF-8)       {text / n:8.0f} B = {text / raw:.3f} of raw")
    for name, size in (*parts.items(), ("whole file", total)):
        print(
            f"    {name:37s} {size / n:8.0f} B = {size / raw:.3f} of raw = "
            f"{size / gz:.3f} of gzip = {size / warc:.3f} of the .warc.gz"
        )
    for name, size in variants.items():
        print(
            f"    index as FTS5 {name:23s} {size / n:8.0f} B = {size / raw:.3f} of raw "
            f"(whole file {(total - parts['index'] + size) / raw:.3f})"
        )
    print(
        f"(b) ingest: {n / t_store:6.1f} pages/s through store_fetches vs {n / t_parse:6.1f} "
        f"pages/s parse_article alone = {t_parse / t_store:.2f}x of extraction speed"
    )


# --- (c) search ---

SOURCES = [
    "人民日报",
    "新华社",
    "中国妇女报",
    "人民网",
    "光明日报",
    "经济日报",
    "求是",
    "中国青年报",
]
CHANNELS = ["1001", "1002", "1003", "64094", "64387", "117005", "164113", "1004"]
WORDS = {"2-char": "改革", "4-char": "全面深化"}
FILTERS = {
    "": {},
    "source": {"source": "新华社"},
    "channel": {"channel": "64094"},
    "dates": {"since": "2018-03-01", "until": "2020-06-30"},
    "all three": {
        "source": "新华社",
        "channel": "64094",
        "since": "2018-03-01",
        "until": "2020-06-30",
    },
}


def bench_search(
    sizes: list[int],
    workdir: Path,
    runs: int,
    seed: int = 2,
    keep: Path | None = None,
    like_up_to: int | None = None,
) -> None:
    """`keep`: a folder where each size's archive stays (search-<size>.db) and is reused by a
    later run: a million articles take tens of minutes to write on a busy machine.
    `like_up_to`: the LIKE baseline only at sizes up to this (a scan of a 7 GB file that does
    not fit the page cache reads it from disk every time)."""
    pool = paragraph_pool()
    segmented = [segment(p) for p in pool]  # "\n" splits runs: a body's tokens are its paragraphs'
    titles = [(p[:20], segment(p[:20])) for p in pool]
    folder = keep or workdir
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"\n(c) search latency over generated articles ({len(pool)} real paragraphs, {runs} runs)"
    )
    print("    bodies: 4-14 real paragraphs drawn at random, 8 sources, 8 channels, 2012-2024;")
    print("    each search counts every match (the exact total) and ranks the best 20")
    firsts, lasts, previous = {}, {}, None
    for size in sizes:
        path = folder / f"search-{size}.db"
        build = _build_search_archive(path, previous, size, seed, pool, segmented, titles)
        previous = path
        db = open_archive(path)
        print(f"    {size:>8} articles ({build}, file {db_bytes(path) / 2**30:5.2f} GiB)")
        for label, word in WORDS.items():
            like = None
            if like_up_to is None or size <= like_up_to:
                like = _latencies(lambda w=word, db=db: _like(db, w), max(2, runs // 10))
            for fname, filters in FILTERS.items():
                name = f"{label} {word}" + (f" + {fname}" if fname else "")
                try:
                    total = search_results(db, word, **filters).total
                except QueryError as e:  # the query time bound: say so, measure the rest
                    print(f"      {name:24s} {e}")
                    continue
                fts, index_only = _paired_latencies(
                    lambda w=word, f=filters, db=db: search_results(db, w, **f),
                    lambda w=word, f=filters, db=db: _ranked_in_index(db, w, f),
                    runs,
                )
                assert _total_alone(db, word, filters) == total, name
                counting = _latencies(lambda w=word, f=filters, db=db: _total_alone(db, w, f), runs)
                note = (
                    f" | the total alone: p50 {counting[0]:6.1f} ms"
                    f" | bm25 in the index only: p50 {index_only[0]:6.1f} ms p95 "
                    f"{index_only[1]:6.1f} ms, p50 x{fts[0] / index_only[0]:.2f}"
                )
                if not fname and like is not None:
                    ratio = fts[1] / like[0]
                    note += f" | LIKE scan p50 {like[0]:8.1f} ms: search p95 = {ratio:.4f} of LIKE"
                print(
                    f"      {name:24s} {total:>8} match; "
                    f"p50 {fts[0]:6.1f} ms p95 {fts[1]:6.1f} ms{note}"
                )
                room = _latencies(lambda w=word, f=filters, db=db: _room_page(db, w, f), runs)
                every = _latencies(
                    lambda w=word, f=filters, db=db, n=total: _room_page(db, w, f, n, bound=False),
                    2,
                )
                print(
                    f"      {'':24s} reading room (search + facets of the newest "
                    f"{FACET_LIMIT:,}): p50 {room[0]:6.1f} ms p95 {room[1]:6.1f} ms"
                    f" | facets of every match: p50 {every[0]:8.1f} ms"
                    f" = x{every[0] / room[0]:.1f}"
                )
                firsts.setdefault(name, (size, fts[0]))
                lasts[name] = (size, fts[0])
            if like is not None and len(word) > 2:
                # the same exact total from an index without positions (FTS5 detail=none or
                # column): every article holding the word's bigrams confirmed in its text
                checked = _latencies(lambda w=word, db=db: _checked_total(db, w), 2)
                print(
                    f"      {label + ' ' + word + ' total':24s} by bigrams + a check of the text "
                    f"(no positions): p50 {checked[0]:8.1f} ms"
                )
        db.close()
    if len(sizes) > 1:
        grew = sizes[-1] / sizes[0]
        print(f"    growth {sizes[0]} -> {sizes[-1]} articles = x{grew:.1f}; p50 grew:")
        for name, (n0, t0_) in firsts.items():
            n1, t1 = lasts[name]
            verdict = "sub-linear" if t1 / t0_ < n1 / n0 else "NOT sub-linear"
            print(f"      {name:24s} x{t1 / t0_:5.2f} ({verdict})")


def _build_search_archive(path, previous, size, seed, pool, segmented, titles) -> str:
    """Fill `path` with `size` articles (continuing a copy of the previous size's archive),
    in one transaction; say what it took. An archive already that size is used as it is."""
    if path.exists():
        db = open_archive(path)
        have = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        db.close()
        if have == size:
            return "kept from an earlier run"
        for p in path.parent.glob(path.name + "*"):
            p.unlink()
    have = 0
    if previous is not None:
        shutil.copyfile(previous, path)  # checkpointed: the WAL is empty
        have = int(previous.stem.split("-")[1])
    rng = random.Random(seed + have)
    db = open_archive(path)
    t0 = time.perf_counter()
    with write_transaction(db):
        # Bulk load: no merging while writing (one merge at the end does it once), and a
        # crisis merge only when a level holds 64 segments.
        db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 0)")
        db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('crisismerge', 64)")
        for start in range(have + 1, size + 1, 20000):
            _insert_articles(
                db, range(start, min(size, start + 19999) + 1), rng, pool, segmented, titles
            )
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    with write_transaction(db):
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
        db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 4)")
        db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('crisismerge', 16)")
    optimize = time.perf_counter() - t0
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return f"{size - have} written in {build:6.1f}s, index merged in {optimize:5.1f}s"


def _checked_total(db, word: str) -> int:
    bigrams = " AND ".join(f'"{word[i : i + 2]}"' for i in range(len(word) - 1))
    return db.execute(
        "SELECT count(*) FROM articles WHERE doc_id IN "
        "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?) "
        "AND (instr(body_text, ?) OR instr(title, ?))",
        [bigrams, word, word],
    ).fetchone()[0]


def _like(db, word: str) -> None:
    # the baseline: what the same question costs without an index (matches + total)
    db.execute(
        "SELECT key FROM articles WHERE title LIKE ? OR body_text LIKE ? LIMIT 20",
        [f"%{word}%", f"%{word}%"],
    ).fetchall()
    db.execute(
        "SELECT count(*) FROM articles WHERE title LIKE ? OR body_text LIKE ?",
        [f"%{word}%", f"%{word}%"],
    ).fetchone()


def _insert_articles(db, doc_ids, rng, pool, segmented, titles) -> None:
    rows, index = [], []
    for d in doc_ids:
        picks = rng.sample(range(len(pool)), rng.randint(4, 14))
        title, title_tokens = rng.choice(titles)
        year, month, day = rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28)
        published = f"{year}-{month:02d}-{day:02d}T08:00:00+08:00"
        source, channel = rng.choice(SOURCES), rng.choice(CHANNELS)
        key = 60000000 + d
        rows.append(
            (
                f"people:{key}",
                d,
                f"http://cpc.people.com.cn/n1/2024/0101/c{channel}-{key}.html",
                title,
                published,
                "\n".join(pool[i] for i in picks),
                source,
                channel,
            )
        )
        index.append(
            (
                d,
                title_tokens,
                " ".join(segmented[i] for i in picks),
                source_tokens(source),
                tags(published, channel, source),
            )
        )
    db.conn.executemany(
        "INSERT INTO articles (key, doc_id, url, title, published_at, body_text, source, "
        "channel_id, first_seen, last_seen, editors) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2024-09-01T00:00:00Z', '2024-09-01T00:00:00Z', '[]')",
        rows,
    )
    db.conn.executemany(
        "INSERT INTO articles_fts (rowid, title, body, source, tags) VALUES (?, ?, ?, ?, ?)", index
    )


def _room_page(db, word: str, filters: dict, facet_limit: int = FACET_LIMIT, bound: bool = True):
    """What the reading room's search page reads: the ranked search, then its facets.
    `bound=False`: without the query time bound (facets of every match can take longer)."""
    found = search_results(db, word, **filters)
    saved = fts_module.QUERY_SECONDS
    fts_module.QUERY_SECONDS = saved if bound else math.inf
    try:
        return facet_counts(
            db, word, Filters(**filters), total=found.total, limit=max(1, facet_limit)
        )
    finally:
        fts_module.QUERY_SECONDS = saved


def _total_alone(db, word: str, filters: dict) -> int:
    """The statement that counts the search's exact total, on its own: the part of a search
    that no ranking can save."""
    return match_count(db, matching(db, word, **filters))


def _ranked_in_index(db, word: str, filters: dict):
    """The same search with every window ranked by FTS5's bm25 (the baseline)."""
    saved = fts_module.TEXT_RANK_RATIO
    fts_module.TEXT_RANK_RATIO = math.inf
    try:
        return search_results(db, word, **filters)
    finally:
        fts_module.TEXT_RANK_RATIO = saved


def _paired_latencies(fn, baseline, runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """p50/p95 of `fn` and of `baseline`, run in turn so both see the same machine."""
    fn(), baseline()  # warm the page cache once
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for f, out in ((fn, times[0]), (baseline, times[1])):
            t0 = time.perf_counter()
            f()
            out.append((time.perf_counter() - t0) * 1000)
    return _p50_p95(times[0]), _p50_p95(times[1])


def _p50_p95(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, math.ceil(len(times) * 0.95) - 1)]


def _latencies(fn, runs: int) -> tuple[float, float]:
    fn()  # warm the page cache once
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, math.ceil(len(times) * 0.95) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=1500, help="generated pages for (a) and (b)")
    ap.add_argument("--search-sizes", default="10000,100000,200000")
    ap.add_argument("--runs", type=int, default=40, help="timed runs per query")
    ap.add_argument("--skip-store", action="store_true")
    ap.add_argument("--skip-search", action="store_true")
    ap.add_argument("--workdir", help="where the bench archives go (default: a temp dir)")
    ap.add_argument(
        "--keep-search",
        type=Path,
        help="folder keeping (and reusing) the search archives, one per size",
    )
    ap.add_argument("--like-up-to", type=int, help="measure the LIKE baseline only up to this size")
    args = ap.parse_args()
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        workdir = Path(tmp)
        print("Pages are generated from the 5 real article pages (see the module doc).")
        if not args.skip_store:
            for mode in ("shuffled", "scrambled"):
                bench_store(make_pages(args.pages, mode), mode, workdir)
        if not args.skip_search:
            sizes = sorted(int(s) for s in args.search_sizes.split(","))
            bench_search(
                sizes, workdir, args.runs, keep=args.keep_search, like_up_to=args.like_up_to
            )


if __name__ == "__main__":
    main()
