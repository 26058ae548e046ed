"""Archive figures, each printed as a ratio against a baseline measured in the same run.

    python bench/archive.py                      # all three, default sizes (a few minutes)
    python bench/archive.py --pages 300 --search-sizes 2000,10000    # a quick look

(a) storage: bytes on disk per stored snapshot, against the raw bytes and against gzip -9 of
    each body (what a WARC.gz holds);
(b) ingest: pages/s through store_fetches (parse + snapshot + article + index, one transaction
    per page, on disk), against parse_article alone on the same pages;
(c) search: p50/p95 latency of a 2-character and a 4-character query at growing archive sizes,
    against a LIKE scan of the same text.

Only five real article pages exist in shared/fixtures/people/raw, so the pages measured here are
generated from them: each page keeps one real page's bytes around its article body (templates,
navigation, scripts) and gets a new body, title, content id and date. Bodies are made of real
paragraphs in two ways, which bound the truth from both sides:
  - "shuffled": real paragraphs from all pages drawn and reordered. A site's pages share words
    and phrases but rarely whole paragraphs, so this flatters a dictionary (optimistic);
  - "scrambled": the same, then every CJK character of the page's body mapped through a random
    permutation of its own: the text keeps its statistics but shares nothing with any other page
    (pessimistic: real pages do share words with the dictionary).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.archive import compress  # noqa: E402
from crawler.archive.db import open_archive, write_transaction  # noqa: E402
from crawler.archive.search import index_article, search  # noqa: E402
from crawler.archive.store import start_run, store_fetches  # noqa: E402
from crawler.items import Fetch  # noqa: E402
from crawler.pages.article import parse_article  # noqa: E402

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


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def bench_store(pages: list[Fetch], mode: str, workdir: Path) -> None:
    raw = sum(len(p.body) for p in pages)
    gz = sum(len(gzip.compress(p.body, 9)) for p in pages)

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
    empty = open_archive(workdir / "empty.db")
    empty.vacuum()
    empty.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    empty.close()
    base = db_bytes(workdir / "empty.db")

    def on_disk() -> tuple[int, int]:
        db.vacuum()  # in WAL mode VACUUM writes through the WAL: checkpoint after it
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        bodies = db.execute(
            "SELECT (SELECT coalesce(sum(stored_size), 0) FROM bodies) + "
            "(SELECT coalesce(sum(size), 0) FROM dictionaries)"
        ).fetchone()[0]
        return db_bytes(path) - base, bodies

    # what the whole archive costs (articles, index, ...) vs the body store alone
    total_auto, bodies_auto = on_disk()
    with write_transaction(db):
        dict_id = compress.train_dictionary(db)
        compress.recompress(db, dict_id)
        compress.drop_unused_dictionaries(db)
    total, bodies = on_disk()
    db.close()
    n = len(pages)
    print(f"\n(a) snapshot storage, {n} generated pages ({mode} bodies)")
    print(f"    {articles} parsed as articles")
    print(f"    stored as: {statuses[0]} new articles, {statuses[1]} failures")
    print(f"    raw bytes per page                  {raw / n:9.0f}  = 1.000 of raw")
    print(f"    gzip -9 per body (WARC.gz baseline) {gz / n:9.0f}  = {gz / raw:.3f} of raw")
    for label, b, t in (
        ("first dictionary (auto, at 200)", bodies_auto, total_auto),
        ("after compact (dict on all)", bodies, total),
    ):
        print(
            f"    {label:33s} body store {b / n:7.0f} B/snapshot = {b / raw:.3f} of raw, "
            f"{b / gz:.3f} of gzip; whole file {t / n:7.0f} B/page = {t / raw:.3f} of raw"
        )
    print(
        f"(b) ingest: {n / t_store:6.1f} pages/s through store_fetches vs {n / t_parse:6.1f} "
        f"pages/s parse_article alone = {t_parse / t_store:.2f}x of extraction speed"
    )


# --- (c) search ---


def bench_search(sizes: list[int], workdir: Path, runs: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    pool = paragraph_pool()
    titles = [p[:20] for p in pool]
    path = workdir / "search.db"
    for p in workdir.glob("search.db*"):
        p.unlink()
    db = open_archive(path)
    queries = {"2-char": "改革", "4-char": "全面深化"}
    print(f"\n(c) search latency over generated articles (real paragraphs, {runs} runs each)")
    print("    bodies: 4-14 real paragraphs drawn at random; the LIKE scan is the baseline")
    have = 0
    for size in sizes:
        t0 = time.perf_counter()
        with write_transaction(db):
            rows = []
            for doc_id in range(have + 1, size + 1):
                paras = rng.sample(pool, rng.randint(4, 14))
                body = "\n".join(paras)
                title = rng.choice(titles)
                rows.append((doc_id, title, body))
                if len(rows) == 5000 or doc_id == size:
                    _insert_articles(db, rows, rng)
                    rows = []
        have = size
        build = time.perf_counter() - t0
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"    {size:>7} articles (built in {build:5.1f}s)")
        for label, q in queries.items():
            hits = db.execute(
                "SELECT count(*) FROM articles WHERE instr(title || body_text, ?) > 0", [q]
            ).fetchone()[0]
            fts = _latencies(lambda q=q: search(db, q, limit=20), runs)
            like_runs = max(3, runs // 10)
            like = _latencies(
                lambda q=q: (
                    db.execute(
                        "SELECT key FROM articles WHERE title LIKE ? OR body_text LIKE ? LIMIT 20",
                        [f"%{q}%", f"%{q}%"],
                    ).fetchall()
                    and db.execute(
                        "SELECT count(*) FROM articles WHERE body_text LIKE ?", [f"%{q}%"]
                    ).fetchone()
                ),
                like_runs,
            )
            print(
                f"      {label} {q}: {hits:>7} matching; search p50 {fts[0]:6.1f} ms "
                f"p95 {fts[1]:6.1f} ms | LIKE scan p50 {like[0]:7.1f} ms -> "
                f"search p95 = {fts[1] / like[0]:.3f} of LIKE"
            )
    db.close()


def _insert_articles(db, rows, rng) -> None:
    db.conn.executemany(
        "INSERT INTO articles (key, doc_id, url, title, published_at, body_text, first_seen, "
        "last_seen, source, editors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]')",
        [
            (
                f"people:{60000000 + d}",
                d,
                f"http://cpc.people.com.cn/n1/2024/0101/c64094-{60000000 + d}.html",
                t,
                f"20{rng.randint(12, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:00:00+08:00",
                b,
                "2024-09-01T00:00:00Z",
                "2024-09-01T00:00:00Z",
                rng.choice(["人民日报", "新华社", "中国妇女报", "人民网"]),
            )
            for d, t, b in rows
        ],
    )
    for d, t, b in rows:
        index_article(db, d, t, b)


def _latencies(fn, runs: int) -> tuple[float, float]:
    fn()  # warm the page cache once
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=1500, help="generated pages for (a) and (b)")
    ap.add_argument("--search-sizes", default="10000,100000,200000")
    ap.add_argument("--runs", type=int, default=40, help="timed runs per query")
    ap.add_argument("--skip-store", action="store_true")
    ap.add_argument("--skip-search", action="store_true")
    ap.add_argument("--workdir", help="where the bench archives go (default: a temp dir)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        workdir = Path(tmp)
        print("Pages are generated from the 5 real article pages (see the module doc).")
        if not args.skip_store:
            for mode in ("shuffled", "scrambled"):
                bench_store(make_pages(args.pages, mode), mode, workdir)
        if not args.skip_search:
            sizes = sorted(int(s) for s in args.search_sizes.split(","))
            bench_search(sizes, workdir, args.runs)


if __name__ == "__main__":
    main()
