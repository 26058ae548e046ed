"""Every fixture page under tests/fixtures/, read by parse_article and checked field by field.

A fixture is `page.bin` (raw bytes) + `meta.json` (url, headers, origin, continuation pages)
+ `expected.json` (the record's fields, sentences the body must and must not hold, or the
not-article verdict). One test per (fixture, field), so a failure names what went wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.pages.article import PARSER_VERSION, merge_pages, parse_article
from crawler.records import ArticleRecord, NotArticle

FIXTURES = Path(__file__).parent / "fixtures"
REPLACEMENT_IN_BYTES = ("\ufffd".encode(), "\ufffd".encode("gb18030"))


def _cases() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if (p / "expected.json").is_file())


def _load(case: Path) -> tuple[dict, dict]:
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    expected = json.loads((case / "expected.json").read_text("utf-8"))
    return meta, expected


_RESULTS: dict[Path, ArticleRecord | NotArticle] = {}


def _result(case: Path) -> ArticleRecord | NotArticle:
    """parse_article over page.bin (merged with its continuation pages), parsed once per case."""
    if case not in _RESULTS:
        meta, _ = _load(case)
        headers = meta.get("headers") or {}
        first = parse_article((case / "page.bin").read_bytes(), meta["url"], headers)
        rest = [
            parse_article((case / name).read_bytes(), url, headers)
            for name, url in (meta.get("pages") or {}).items()
        ]
        if rest and isinstance(first, ArticleRecord):
            assert all(isinstance(r, ArticleRecord) for r in rest), rest
            first = merge_pages(first, rest)
        _RESULTS[case] = first
    return _RESULTS[case]


def _params(kind: str) -> list:
    out = []
    for case in _cases():
        _meta, expected = _load(case)
        if kind == "field":
            for name in expected.get("record") or {}:
                out.append(pytest.param(case, name, id=f"{case.name}:{name}"))
        elif kind in {"must_contain", "must_not_contain"}:
            for i, sentence in enumerate(expected.get(kind) or []):
                out.append(pytest.param(case, sentence, id=f"{case.name}:{kind}[{i}]"))
        elif kind == "extra":
            for name in ("paragraph_count", "first_paragraph", "last_paragraph"):
                if name in expected:
                    out.append(pytest.param(case, name, id=f"{case.name}:{name}"))
        elif kind == "any" or {"article": "record", "not_article": "not_article"}[kind] in expected:
            out.append(pytest.param(case, id=case.name))
    return out


def test_fixtures_exist() -> None:
    assert len(_cases()) >= 5


@pytest.mark.parametrize("case", _params("any"))
def test_meta_is_complete(case: Path) -> None:
    meta, expected = _load(case)
    assert meta["origin"] in {"real", "reconstructed"}
    assert meta["url"].startswith("http")
    assert "record" in expected or "not_article" in expected
    for name in meta.get("pages") or {}:
        assert (case / name).is_file(), name


@pytest.mark.parametrize(("case", "name"), _params("field"))
def test_field(case: Path, name: str) -> None:
    _, expected = _load(case)
    result = _result(case)
    assert isinstance(result, ArticleRecord), result
    assert result.to_dict()[name] == expected["record"][name]


@pytest.mark.parametrize(("case", "name"), _params("extra"))
def test_body_shape(case: Path, name: str) -> None:
    _, expected = _load(case)
    result = _result(case)
    assert isinstance(result, ArticleRecord), result
    actual = {
        "paragraph_count": len(result.paragraphs),
        "first_paragraph": result.paragraphs[0] if result.paragraphs else None,
        "last_paragraph": result.paragraphs[-1] if result.paragraphs else None,
    }[name]
    assert actual == expected[name]


@pytest.mark.parametrize(("case", "sentence"), _params("must_contain"))
def test_body_contains(case: Path, sentence: str) -> None:
    result = _result(case)
    assert isinstance(result, ArticleRecord), result
    assert sentence in result.body_text


@pytest.mark.parametrize(("case", "sentence"), _params("must_not_contain"))
def test_body_does_not_contain(case: Path, sentence: str) -> None:
    result = _result(case)
    assert isinstance(result, ArticleRecord), result
    assert sentence not in result.body_text


@pytest.mark.parametrize("case", _params("article"))
def test_record_invariants(case: Path) -> None:
    result = _result(case)
    assert isinstance(result, ArticleRecord), result
    assert result.body_text == "\n".join(result.paragraphs)
    assert result.parser_version == PARSER_VERSION
    assert all(p == p.strip(" \u3000\xa0\t\n") and p for p in result.paragraphs)
    assert result.page_count == max(len(result.page_urls), 1)


@pytest.mark.parametrize("case", _params("article"))
def test_no_replacement_characters_unless_in_bytes(case: Path) -> None:
    meta, _ = _load(case)
    raw = b"".join((case / n).read_bytes() for n in ["page.bin", *(meta.get("pages") or {})])
    result = _result(case)
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    if not any(marker in raw for marker in REPLACEMENT_IN_BYTES):
        assert "\ufffd" not in text


@pytest.mark.parametrize("case", _params("not_article"))
def test_not_article(case: Path) -> None:
    _, expected = _load(case)
    result = _result(case)
    assert isinstance(result, NotArticle), result
    assert result.kind == expected["not_article"]["kind"]
    assert expected["not_article"].get("reason_contains", "") in result.reason
