"""bench/print.py on a tiny generated edition: what it counts, and both figures printed."""

from __future__ import annotations

import subprocess
import sys

from crawler.cli.demo import ROOT


def test_bench_print_counts_requests_by_kind_and_prints_both_figures():
    out = subprocess.run(
        [sys.executable, "-m", "bench.print", "--days", "2", "--pages", "3", "--articles", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    # 2 issues of 3 pages, 2 articles a page but the last (empty): 8 articles, 6 pages.
    assert "archived: 8 print articles, 6 pages; 0 failures" in text
    assert "requests for pages: 6 (0.750 per article)" in text
    assert "requests for pdf: 6 " in text
    assert "page indexes + articles: 1.750" in text
    assert "with the PDFs: 2.500" in text
    # The day after: its 3 pages and 4 articles, nothing else.
    assert "that day: 3 pages + 4 articles = 7 (baseline)" in text
    assert "ratio to the baseline: 1.000" in text
