"""bench/extract.py: the timing protocol it documents, and a run that prints its figures.

Nothing here times anything: the figures are for people to read, not for tests to assert.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.extract import in_turn, interleaved

ROOT = Path(__file__).resolve().parents[1]


def _recorders(log: list[tuple[str, str]]):
    return tuple(lambda item, name=name: log.append((name, item)) for name in ("a", "b", "c"))


def test_interleaved_takes_turns_page_by_page_with_one_untimed_call_first() -> None:
    log: list[tuple[str, str]] = []
    times = interleaved(_recorders(log), ["p1", "p2"], rounds=3)
    assert len(times) == 3
    # Per page: each contender's calls in a row (one untimed, then 3 timed), a before b before c.
    expected = [(name, page) for page in ("p1", "p2") for name in "abc" for _ in range(4)]
    assert log == expected


def test_in_turn_runs_each_contender_over_all_pages_before_the_next() -> None:
    log: list[tuple[str, str]] = []
    in_turn(_recorders(log), ["p1", "p2"], rounds=2)
    expected = [(name, page) for name in "abc" for _ in range(2) for page in ("p1", "p2")]
    assert log == expected


def test_bench_prints_both_ratios() -> None:
    out = subprocess.run(
        [sys.executable, "bench/extract.py", "--rounds", "1", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("pages: ")
    assert "pages cut short" in out
    for name in ("bare", "whole-page"):
        assert f"ratio vs {name}: " in out
