"""A plain `pip install .` (not editable) into a fresh venv runs `cpc-archive demo` from any folder:
the recorded site and the replay proxy ship inside the package, and the crawl finds the
project's settings without the source checkout."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e


def test_demo_runs_from_a_plain_install_in_a_fresh_venv(tmp_path):
    # Installed from a copy of the tracked files: setuptools keeps a build/ folder beside the
    # source and packs whatever it holds, so a checkout's build/ from an earlier layout would
    # ship modules that no longer exist (and the test would leave one behind).
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    source = tmp_path / "source"
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(source)],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr
    elsewhere = tmp_path / "elsewhere"  # no scrapy.cfg, no checkout on the path
    elsewhere.mkdir()
    demo = subprocess.run(
        [str(venv / "bin" / "cpc-archive"), "demo", "--db", "demo.db"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    # The package's own copy of the site was served, not the checkout's.
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import crawler; print(crawler.__file__)"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
    ).stdout
    assert str(venv) in installed
    # Exactly the tracked modules were installed: nothing from an earlier build.
    package = Path(installed.strip()).parent
    shipped = {f"crawler/{p.relative_to(package)}" for p in package.rglob("*.py")}
    assert shipped == {
        n for n in tracked.split("\0") if n.startswith("crawler/") and n.endswith(".py")
    }
    db = sqlite3.connect(elsewhere / "demo.db")
    articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    reason = db.execute("SELECT finish_reason FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    db.close()
    assert reason == "finished"
    assert articles > 20
