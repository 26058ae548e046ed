"""Paragraph-level differences between two versions of an article."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def paragraph_diff(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, str]]:
    """The paragraphs of both versions in reading order, each tagged:

    "=" unchanged, "-" only in the old version, "+" only in the new one. A rewritten paragraph
    shows as "-" old text followed by "+" new text.
    """
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += [("=", p) for p in old[i1:i2]]
        else:
            out += [("-", p) for p in old[i1:i2]]
            out += [("+", p) for p in new[j1:j2]]
    return out
