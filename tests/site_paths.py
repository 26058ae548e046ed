"""Where the recorded site lives, and its manifest entries."""

import json
from functools import cache
from pathlib import Path

SITE = Path(__file__).resolve().parent / "site"


@cache
def manifest() -> dict:
    return json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))


def manifest_entry(url: str) -> dict:
    return manifest()["pages"][url]
