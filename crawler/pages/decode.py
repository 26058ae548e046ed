"""Bytes to text, with the charset decision recorded.

The site declares GB2312 but writes characters outside it (names, "・"), and pages saved by
browsers declare GB2312 over UTF-8 bytes. So the rules are, in order:

1. a byte-order mark wins;
2. bytes that are valid UTF-8 are UTF-8, whatever the page declares;
3. the declared charset (header first, then the page's own meta), with GB2312/GBK read as
   GB18030, its superset; a page that declares nothing is read as GB18030, the site's charset;
4. bytes valid in no candidate are decoded with replacement by the candidate that needs the
   fewest replacements, and `Decoded.errors` says how many were needed.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    to_unicode,
)

# The site's own charset: what a page with no declaration is read as.
SITE_ENCODING = "gb18030"

# The label as written ("GB2312"), for the record only; decisions use w3lib's resolved names.
_LABEL_RE = re.compile(rb"""charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)
_REPLACEMENT = "\ufffd"
# Declarations read as Chinese: GB2312, GBK and GB18030 all resolve to gb18030 in w3lib.
_CHINESE_CODECS = frozenset({"gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950"})


@dataclass(frozen=True)
class Decoded:
    """The text of a page and how it was obtained."""

    text: str
    encoding: str  # codec used: "utf-8", "gb18030", ...
    declared: str | None  # charset label the headers or the page declared ("gb2312"), if any
    declared_by: str = ""  # "bom", "header", "meta" or "" when nothing was declared
    errors: int = 0  # replacement characters the decoder had to insert (0: decoded cleanly)

    @property
    def replaced(self) -> bool:
        """True when some bytes were invalid in every candidate charset."""
        return self.errors > 0

    @property
    def body_is_utf8(self) -> bool:
        """True when the bytes are already the UTF-8 of `text`: read as UTF-8 as they are, with
        no byte-order mark taken off and nothing replaced."""
        return self.encoding == "utf-8" and self.declared_by != "bom" and not self.errors


def _text(value: object) -> str:
    """A header name or value as text: Scrapy gives bytes, and lists of values."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def content_type(headers: Mapping | None) -> str | None:
    """The Content-Type header, whatever the case of its name (str or bytes, as Scrapy has it)."""
    for name, value in (headers or {}).items():
        if _text(name).lower() == "content-type":
            return _text(value)
    return None


def _label(raw: bytes) -> str | None:
    m = _LABEL_RE.search(raw)
    return m.group(1).decode("ascii").lower() if m else None


def _header_declaration(ctype: str | None) -> tuple[str | None, str | None]:
    """(resolved codec, label as written) of a Content-Type header's charset."""
    resolved = http_content_type_encoding(ctype)
    return resolved, _label(ctype.encode("latin-1", "replace")) if ctype else None


def _declaration(body: bytes, ctype: str | None) -> tuple[str | None, str | None, str]:
    """(resolved codec, label as written, where) of the declared charset."""
    resolved, header_label = _header_declaration(ctype)
    if resolved:
        return resolved, header_label, "header"
    resolved = html_body_declared_encoding(body)
    if resolved:
        return resolved, _label(body[:4096]), "meta"
    if header_label:  # a charset no codec knows: recorded, then ignored
        return None, header_label, "header"
    return None, None, ""


def _codec(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def _is_chinese(encoding: str | None) -> bool:
    return bool(encoding) and _codec(encoding) in _CHINESE_CODECS


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _encoded_replacements(body: bytes, encoding: str) -> int:
    """U+FFFD characters the bytes themselves carry (saved pages may hold some already)."""
    try:
        return body.count(_REPLACEMENT.encode(encoding))
    except (UnicodeEncodeError, LookupError):
        return 0


def decode_html(body: bytes, headers: Mapping | None = None) -> Decoded:
    """Decode page bytes by the rules above. Never raises."""
    ctype = content_type(headers)
    bom_encoding, _bom = read_bom(body)
    if bom_encoding:
        encoding, text = html_to_unicode(ctype, body)
        return Decoded(text, encoding, bom_encoding, "bom", 0)

    resolved, label, where = _declaration(body, ctype)
    declared = label or resolved

    try:
        return Decoded(body.decode("utf-8"), "utf-8", declared, where)
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            # UTF-8 cut inside the last character: a truncated page, not another charset.
            return Decoded(body.decode("utf-8", "replace"), "utf-8", declared, where, 1)

    # A Chinese declaration is tried first; any other declaration on this Chinese site is
    # less likely than the site's own charset, so it comes after GB18030.
    order = (resolved, SITE_ENCODING) if _is_chinese(resolved) else (SITE_ENCODING, resolved)
    candidates: list[str] = []
    for enc in order:
        if enc and _codec(enc) and _codec(enc) not in {_codec(c) for c in candidates}:
            candidates.append(enc)
    for enc in candidates:
        text = _strict(body, enc)
        if text is not None:
            return Decoded(text, _codec(enc) or enc, declared, where)

    # Nothing decodes cleanly (a truncated page, a damaged file, not text at all): take the
    # reading that needs the fewest replacements, and say how many it needed.
    best: Decoded | None = None
    for enc in [*candidates, "utf-8"]:
        text = to_unicode(body, enc)
        errors = text.count(_REPLACEMENT) - _encoded_replacements(body, enc)
        if best is None or errors < best.errors:
            best = Decoded(text, _codec(enc) or enc, declared, where, max(errors, 1))
    assert best is not None
    return best
