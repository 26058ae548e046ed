"""Text, dates, names and print-edition lines as the site prints them, in one normal form.

Pure functions of strings: no clock, no locale, no network.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from crawler.records import PrintEdition

# --- text ----------------------------------------------------------------------------------

# Spaces a page pads text with: ASCII, no-break, ideographic (full-width), the en/em family,
# zero-width and BOM. Trimmed at both ends of every text; inside a text they are kept as
# printed, except runs of ASCII whitespace (source-code line breaks), which collapse to one
# space as a browser shows them, and no-break spaces, which are spaces.
EDGE_SPACES = " \t\r\n\f\v\xa0\u3000\u202f\u205f\ufeff" + "".join(map(chr, range(0x2000, 0x200C)))
_ASCII_SPACE_RUN_RE = re.compile(r"[ \t\r\n\f\v]+")


def clean_text(value: str | None) -> str:
    """NFC, no-break spaces as spaces, source line breaks folded, padding trimmed.

    Chinese punctuation stays as printed (no NFKC: "，" must not become ",").
    """
    if not value:
        return ""
    value = unicodedata.normalize("NFC", value).replace("\xa0", " ").strip(EDGE_SPACES)
    return _ASCII_SPACE_RUN_RE.sub(" ", value)


# --- dates ---------------------------------------------------------------------------------

CHINA_OFFSET = "+08:00"  # the site prints Beijing time

# 2024年08月07日08:02, 2009年11月09日 00:00, 2024年8月7日
CJK_DATETIME_RE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"(?:\s*(?:星期|周)[一二三四五六日天])?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2})(?:\s*[:：]\s*(?P<S>\d{2}))?)?"
)
# 2024-04-24 (the publishdate meta), 2024-04-24 08:02, 2024-04-24T08:02:33, 2024/04/24
ISO_DATETIME_RE = re.compile(
    r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_HAS_TIME_RE = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*[时點点]")
# dateparser is only a fallback, and never for relative dates ("3小时前"), which need a clock.
_RELATIVE_RE = re.compile(r"前|昨|今|明天|后天|刚刚|ago|yesterday|today", re.IGNORECASE)


def _iso(m: re.Match[str]) -> str | None:
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None
    if m["H"] is None:
        return day.isoformat()
    hour, minute, second = int(m["H"]), int(m["M"]), int(m["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}{CHINA_OFFSET}"


def parse_date(text: str | None, *, fallback: bool = True) -> str | None:
    """The first date in `text` as ISO 8601.

    With a time of day: "2024-08-07T08:02:00+08:00" (Beijing time, as printed). Only a day
    printed: "2024-05-10" (no time is invented). None when there is no date.
    The site's formats are matched strictly first; dateparser (languages=['zh'], absolute
    dates only) is the fallback.
    """
    text = clean_text(text)
    if not text:
        return None
    seen_site_format = False
    for pattern in (CJK_DATETIME_RE, ISO_DATETIME_RE):
        for m in pattern.finditer(text):
            iso = _iso(m)
            if iso:
                return iso
            seen_site_format = True
    # A date in the site's format that is impossible (2024年13月07日) is not guessed at.
    if seen_site_format or not fallback:
        return None
    return _dateparser_fallback(text)


def _dateparser_fallback(text: str) -> str | None:
    if _RELATIVE_RE.search(text) or not re.search(r"\d", text):
        return None
    import dateparser  # slow to import; only pages in no known format need it

    parsed = dateparser.parse(
        text[:200],
        languages=["zh"],
        settings={
            "PARSERS": ["custom-formats", "absolute-time"],
            "REQUIRE_PARTS": ["day", "month", "year"],
            "RETURN_AS_TIMEZONE_AWARE": False,
            "RELATIVE_BASE": datetime(1900, 1, 1),  # never today's date for missing parts
        },
    )
    if parsed is None or parsed.year < 1990:
        return None
    if not _HAS_TIME_RE.search(text):
        return parsed.date().isoformat()
    return parsed.strftime("%Y-%m-%dT%H:%M:%S") + CHINA_OFFSET


# --- names ---------------------------------------------------------------------------------

# Separators between names in editor and credit lines.
_NAME_SEP_RE = re.compile(r"[、，,；;/|｜]+")
_SPACES_RE = re.compile(r"[\s\u3000\xa0]+")
# Roles in bylines and credit lines ("本报记者", "中国妇女报全媒体记者", "统稿", "采写", …):
# a token ending with one of these is a role, not a name. Only words of two characters or
# more: names end in 文 or 图 often enough.
ROLE_WORDS = (
    "记者",
    "通讯员",
    "实习生",
    "评论员",
    "编辑",
    "责编",
    "统稿",
    "采写",
    "撰稿",
    "撰文",
    "作者",
    "摄影",
    "摄像",
    "整理",
    "供稿",
    "编译",
    "翻译",
    "校对",
    "制图",
    "策划",
    "监制",
    "执笔",
    "主编",
)
_ROLE_SUFFIX_RE = re.compile("(?:" + "|".join(ROLE_WORDS) + ")$")
# A role glued to the name it introduces: "记者叶婉", "本报记者王乐文".
_ROLE_PREFIX_RE = re.compile(
    r"^(?:本报|本网|新华社|人民日报|人民网|特约|见习|实习)?"
    r"(?:记者|通讯员|实习生|评论员|责任编辑|责编|编辑|统稿|采写|撰稿|作者|摄影)"
)
# A person's name: 2-4 Han characters, or a transliterated name joined by "・"/"·".
_NAME_RE = re.compile(r"^(?:[\u3400-\u9fff]{2,4}|[\u3400-\u9fff]+(?:[・·•][\u3400-\u9fff]+)+)$")
_HAN_RE = re.compile(r"^[\u3400-\u9fff]$")
_DECORATION = "□■●◎◆▲△·•-—－()（）[]【】<>《》\"'“”"


def _merge_single_chars(tokens: list[str]) -> list[str]:
    """Two-character names are padded to the width of three: "方 敏" is one name, 方敏."""
    out: list[str] = []
    pending = ""
    for tok in tokens:
        if _HAN_RE.match(tok):
            pending += tok
            if len(pending) == 2:
                out.append(pending)
                pending = ""
            continue
        if pending:
            out.append(pending)
            pending = ""
        out.append(tok)
    if pending:
        out.append(pending)
    return out


def _dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _as_name(token: str) -> str | None:
    token = token.strip(_DECORATION)
    if not token:
        return None
    stripped = _ROLE_PREFIX_RE.sub("", token)
    if stripped != token:
        token = stripped  # no name starts with a role word, so the role is a prefix
    if _NAME_RE.match(token) and not _ROLE_SUFFIX_RE.search(token):
        return token
    return None


def split_names(value: str | None) -> list[str]:
    """Names from a line of names: "王子锋、王珂园", "王乐文  方  敏" -> in order, deduplicated.

    Role words are dropped, and so are tokens that do not look like a person's name.
    """
    value = clean_text(value)
    if not value:
        return []
    names: list[str] = []
    for part in _NAME_SEP_RE.split(value):
        tokens = [t for t in _SPACES_RE.split(part) if t]
        for token in _merge_single_chars(tokens):
            name = _as_name(token)
            if name:
                names.append(name)
    return _dedupe(names)


_LABEL_SPLIT_RE = re.compile(r"[：:]")


def byline_names(line: str | None) -> list[str]:
    """Names from a byline or credit line.

    "本报记者  王乐文  方  敏" -> ["王乐文", "方敏"];
    "（中国妇女报全媒体记者 统稿：姜军旗 采写：林志文 姜军旗 …）" -> ["姜军旗", "林志文", …].
    """
    line = clean_text(line)
    if not line:
        return []
    line = line.strip("（）()[]【】")
    # "统稿：姜军旗 采写：林志文" — the labels are roles; split them off as separators.
    return split_names(_LABEL_SPLIT_RE.sub(" ", line))


# Editor lines: "(责编：王子锋、王珂园)", "（责任编辑：张三）".
EDITOR_LINE_RE = re.compile(
    r"^[（(\[【]?\s*(?:责任编辑|责编|编辑)\s*[：:]\s*(?P<names>[^）)\]】]*?)\s*[）)\]】]?$"
)


# The label of an editor line anywhere in a text, and where its names end.
_EDITOR_LABEL_RE = re.compile(r"(?:责任编辑|责编|编辑)\s*[：:]\s*")
_EDITOR_NAMES_END_RE = re.compile(r"[）)\]】|｜]")
# A bare list of names (no label) is at most this long: a few names, never a page's footer.
BARE_NAMES_MAX_CHARS = 30


def editor_names(line: str | None) -> list[str]:
    """Names from an editor line; a short bare list of names is accepted too.

    When the markup never closed the editor block (a malformed page), its text runs on into
    the page's footer: then only what follows the label up to its closing bracket is read, and
    a long text without a label gives no names. Page chrome is never a person.
    """
    line = clean_text(line)
    m = EDITOR_LINE_RE.match(line)
    if m:
        return split_names(m["names"])
    label = _EDITOR_LABEL_RE.search(line)
    if label:
        rest = line[label.end() :]
        end = _EDITOR_NAMES_END_RE.search(rest)
        return split_names(rest[: end.start()] if end else rest[:BARE_NAMES_MAX_CHARS])
    if len(line) > BARE_NAMES_MAX_CHARS:
        return []
    return split_names(line)


# --- print edition -------------------------------------------------------------------------

# 《 人民日报 》（ 2024年05月10日   04 版）, 《人民日报海外版》（2023年01月01日 第03版）
PRINT_EDITION_RE = re.compile(
    r"《\s*(?P<paper>[^《》]+?)\s*》\s*[（(]\s*(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月"
    r"\s*(?P<d>\d{1,2})\s*日\s*第?\s*(?P<page>\d{1,3})\s*版\s*[）)]"
)


def parse_print_edition(line: str | None) -> PrintEdition | None:
    """PrintEdition("人民日报", "2024-05-10", "04") from a print-edition line, else None."""
    m = PRINT_EDITION_RE.search(clean_text(line))
    if not m:
        return None
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None
    return PrintEdition(m["paper"], day.isoformat(), m["page"])


# --- source line -----------------------------------------------------------------------------

SOURCE_RE = re.compile(r"来源\s*[：:]\s*(?P<source>[^|｜\n]*)")


def source_name(line: str | None) -> str:
    """The 来源 name in "2024年04月24日23:52 | 来源：新华网" or the `source` meta "来源：新华网"."""
    m = SOURCE_RE.search(clean_text(line))
    return clean_text(m["source"]) if m else ""


# --- credit lines inside the text ----------------------------------------------------------

_CREDIT_LINE_MAX = 200  # a whole-line credit is never longer
_CREDIT_ROLES = r"(?:记者|通讯员|实习生|统稿|采写|撰稿|撰文|执笔|作者)"
_CREDIT_ROLE_RE = re.compile(_CREDIT_ROLES)
# A whole paragraph of credits: "（…全媒体记者 统稿：姜军旗 采写：…）", "□ 本报记者 葛灵丹".
CREDIT_LINE_RE = re.compile(
    r"^[（(](?P<credit>[^（）()]*" + _CREDIT_ROLES + r"[^（）()]*)[）)]$"
    r"|^[□■◎●\s]*(?P<bare>(?:本报|本网|新华社|人民日报|人民网)?"
    + _CREDIT_ROLES
    + r"[^。！？；]{1,40})$"
)
# Credits opening a report: "本报讯（记者叶婉）近日…", "新华社北京4月24日电（记者 张三 李四）…".
LEAD_CREDIT_RE = re.compile(
    r"^[^。！？（）()]{0,40}?(?:电|讯)\s*[（(](?P<credit>[^（）()]*?"
    + _CREDIT_ROLES
    + r"[^（）()]*)[）)]"
)
# Credits closing a paragraph: "…造福全人类。（记者宋晨、田中全）".
TRAILING_CREDIT_RE = re.compile(
    r"[（(](?P<credit>\s*(?:[^（）()]{0,20}?)" + _CREDIT_ROLES + r"[^（）()]*)[）)]$"
)


def credit_names(paragraph: str) -> list[str]:
    """Names credited inside a paragraph of text; the paragraph itself stays as printed."""
    # Every credit pattern needs a role word: most paragraphs have none, and one search is
    # cheaper than the three patterns.
    if not _CREDIT_ROLE_RE.search(paragraph):
        return []
    names: list[str] = []
    if len(paragraph) <= _CREDIT_LINE_MAX:
        m = CREDIT_LINE_RE.match(paragraph)
        if m:
            return byline_names(m["credit"] or m["bare"])
    m = LEAD_CREDIT_RE.match(paragraph)
    if m:
        names += byline_names(m["credit"])
    # Cheap test first: the pattern only matches a paragraph that ends with a bracket.
    if paragraph.endswith(("）", ")")):
        m = TRAILING_CREDIT_RE.search(paragraph)
        if m:
            names += byline_names(m["credit"])
    return _dedupe(names)
