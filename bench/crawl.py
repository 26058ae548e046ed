"""Crawl throughput and memory against `scrapy bench`, measured in the same run.

    python -m bench.crawl [--articles 5000] [--memory-articles 20000]

1. Throughput: a generated recorded site of N articles (bench/sitegen.py) served by the replay
   proxy; the real `scrapy crawl cpc` with the full pipeline (parse, snapshot, SQLite writes),
   politeness switched off for loopback. Pages per second from Scrapy's own stats
   (responses received / elapsed seconds), next to `scrapy bench` run right before it
   (same stats, in an empty directory so no project settings apply). Target: >= 0.8x.
2. Memory: a 20,000-article site crawled the same way; the crawl process's RSS sampled every
   half second. Prints the peak and the curve. Target: <= 250 MB and flat.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.sitegen import large_site
from crawler.cli.demo import ROOT, crawl_env
from crawler.replay import ReplayServer

# Loopback: no delays, no AutoThrottle, Scrapy's default concurrency. robots.txt still obeyed.
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS=16",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s", "LOG_LEVEL=INFO",
    "-s", "LOGSTATS_INTERVAL=5",
]  # fmt: skip


def stats_of(log: str) -> dict:
    """The 'Dumping Scrapy stats' dict at the end of a Scrapy log."""
    m = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", log, re.S)
    if not m:
        raise RuntimeError("no stats in the log:\n" + log[-3000:])
    text = re.sub(r"datetime\.datetime\([^)]*\)", "None", m[1])
    return ast.literal_eval(text)


def rate(stats: dict) -> tuple[int, float, float]:
    pages = stats.get("response_received_count", 0)
    elapsed = stats["elapsed_time_seconds"]
    return pages, elapsed, pages / elapsed


def scrapy_bench() -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory() as empty:
        out = subprocess.run(
            [sys.executable, "-m", "scrapy", "bench", "-s", "LOG_LEVEL=INFO"],
            cwd=empty,
            capture_output=True,
            text=True,
            check=True,
        )
    return rate(stats_of(out.stderr))


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def our_crawl(site: Path, db: Path) -> tuple[dict, list[tuple[float, float]]]:
    """Crawl `site` into `db`; Scrapy's stats and (seconds, RSS MB) samples of the crawler."""
    with ReplayServer(site) as server:
        cmd = [
            sys.executable, "-m", "scrapy", "crawl", "cpc",
            "-s", f"ARCHIVE_DB={db}", *FAST,
        ]  # fmt: skip
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=crawl_env(server.url), stderr=subprocess.PIPE, text=True
        )
        samples: list[tuple[float, float]] = []
        start = time.monotonic()
        log_lines: list[str] = []
        reader = threading.Thread(target=lambda: log_lines.extend(proc.stderr), daemon=True)
        reader.start()
        while proc.poll() is None:
            mb = rss_mb(proc.pid)
            if mb is not None:
                samples.append((time.monotonic() - start, mb))
            time.sleep(0.5)
        reader.join()
    if proc.returncode != 0:
        raise RuntimeError("crawl failed:\n" + "".join(log_lines[-50:]))
    return stats_of("".join(log_lines)), samples


def complete(stats: dict, manifest: dict) -> None:
    """A crawl that broke early looks fast: no figure unless every page was stored."""
    stored = stats.get("item_scraped_count", 0)
    expected = len(manifest["pages"]) - 1  # robots.txt is fetched but not stored
    if stored < expected:
        raise RuntimeError(f"the crawl stored {stored} of {expected} pages: no figure")


def curve(samples: list[tuple[float, float]], points: int = 10) -> str:
    if not samples:
        return "(no samples)"
    step = max(1, len(samples) // points)
    return "  ".join(f"{t:.0f}s:{mb:.0f}" for t, mb in samples[::step])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--memory-articles", type=int, default=20000)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"Generating a site of {args.articles} articles ...", flush=True)
        manifest = large_site(tmp / "site", args.articles)
        print(f"  {len(manifest['pages'])} URLs", flush=True)

        b_pages, b_elapsed, b_rate = scrapy_bench()
        print(f"scrapy bench:      {b_pages} pages in {b_elapsed:.1f}s = {b_rate:.1f} pages/s")

        stats, samples = our_crawl(tmp / "site", tmp / "bench.db")
        complete(stats, manifest)
        pages, elapsed, our_rate = rate(stats)
        items = stats.get("item_scraped_count", 0)
        print(
            f"scrapy crawl cpc:  {pages} pages in {elapsed:.1f}s = {our_rate:.1f} pages/s "
            f"({items} pages stored, finish reason {stats.get('finish_reason')})"
        )
        print(f"ratio: {our_rate / b_rate:.2f}x scrapy bench (target >= 0.8x)")
        peak = max(mb for _, mb in samples) if samples else 0
        print(f"RSS during the {pages}-page crawl (MB): peak {peak:.0f}; {curve(samples)}")

        if args.skip_memory:
            return
        print(f"\nGenerating a site of {args.memory_articles} articles ...", flush=True)
        manifest = large_site(tmp / "big", args.memory_articles)
        print(f"  {len(manifest['pages'])} URLs", flush=True)
        stats, samples = our_crawl(tmp / "big", tmp / "big.db")
        complete(stats, manifest)
        pages, elapsed, big_rate = rate(stats)
        peak = max(mb for _, mb in samples)
        quarter = [mb for t, mb in samples if t >= elapsed / 4]
        early = quarter[0] if quarter else peak
        print(f"scrapy crawl cpc:  {pages} pages in {elapsed:.1f}s = {big_rate:.1f} pages/s")
        print(f"peak RSS {peak:.0f} MB (target <= 250 MB)")
        print(
            f"flatness: RSS at 1/4 of the crawl {early:.0f} MB, at the end {samples[-1][1]:.0f} MB "
            f"(ratio {samples[-1][1] / early:.2f})"
        )
        print(f"RSS curve (s:MB): {curve(samples, 20)}")


if __name__ == "__main__":
    main()
