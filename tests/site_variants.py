"""Variants of the recorded site, built in a temporary folder from crawler/demo_site by the tests
that need them (never kept in git): a channel's article template "redesigned", a list page that
stopped linking its articles."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.site_paths import SITE

# A redesign of the cpc article template: the same page, every class the parser knows it by
# renamed, so the page falls to the fallback template.
REDESIGN = {
    b'class="text_c"': b'class="art-main"',
    b'class="show_text"': b'class="art-body"',
    b'class="sou"': b'class="art-meta"',
    b'class="edit clearfix"': b'class="art-credit clearfix"',
    b'class="edit"': b'class="art-credit"',
    b'class="pre"': b'class="art-kicker"',
    b'class="sub"': b'class="art-deck"',
}


def variant_site(dest: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of the recorded site in `dest`, each page's bytes passed through change(url, body)."""
    shutil.copytree(SITE, dest)
    manifest = json.loads((dest / "manifest.json").read_text("utf-8"))
    done: set[str] = set()
    for url, entry in manifest["pages"].items():
        path = dest / entry["file"]
        if entry["file"] in done:
            continue
        body = path.read_bytes()
        changed = change(url, body)
        if changed != body:
            path.write_bytes(changed)
            done.add(entry["file"])
    return dest


def redesigned_channel(dest: Path, channel: str) -> Path:
    """The site with channel `channel`'s article pages (…/c{channel}-….html) redesigned."""
    marker = f"/c{channel}-"

    def change(url: str, body: bytes) -> bytes:
        if marker not in url:
            return body
        for old, new in REDESIGN.items():
            body = body.replace(old, new)
        return body

    return variant_site(dest, change)


# Article links (/n/…, /n1/…, /n2/… pages): what a list page lists.
ARTICLE_HREF = re.compile(rb'href="[^"]*/n\d?/\d{4}/\d{4}/c[^"]*\.html"')


def unlinked_body(body: bytes) -> bytes:
    """A list page's bytes with every article link pointing nowhere."""
    return ARTICLE_HREF.sub(b'href="#"', body)


def unlinked_list_page(dest: Path, list_url: str) -> Path:
    """The site with the list page at `list_url` linking no article any more (moved channel)."""
    return variant_site(dest, lambda url, body: unlinked_body(body) if url == list_url else body)
