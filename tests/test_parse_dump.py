"""Every saved page parses to the JSON it parsed to when tests/parse_digests.json was written.

A parser change that alters any record fails here. If the change is deliberate: bump
PARSER_VERSION, look at what changed (python -m tests.parse_dump before/after, diff -r), then
store the new digests with `python -m tests.parse_dump --digests`.
"""

from __future__ import annotations

import json

from tests.parse_dump import DIGESTS, digests


def test_every_saved_page_parses_as_recorded() -> None:
    stored = json.loads(DIGESTS.read_text("utf-8"))
    now = digests()
    assert sorted(now) == sorted(stored), "pages added or removed: rewrite the digests"
    changed = sorted(name for name in now if now[name] != stored[name])
    assert changed == [], f"parses changed for: {changed}"
