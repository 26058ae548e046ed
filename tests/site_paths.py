"""Where the recorded site lives, and its manifest entries."""

import json
from functools import cache

from crawler.cli.demo import RECORDED_SITE as SITE


@cache
def manifest() -> dict:
    return json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))


def manifest_entry(url: str) -> dict:
    return manifest()["pages"][url]
