"""`cpc-archive extract`, run through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crawler.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
FINANCE = FIXTURES / "finance_2020wbc_2024_c1004-40232587" / "page.bin"
FINANCE_URL = "http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html"


def test_extract_prints_the_record_as_utf8_json() -> None:
    result = CliRunner().invoke(main, ["extract", str(FINANCE), "--url", FINANCE_URL])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["title"] == "在新时代中部地区崛起中争先出彩（推动高质量发展·权威发布）"
    assert record["content_id"] == "40232587"
    assert record["print_edition"] == {"paper": "人民日报", "date": "2024-05-10", "page": "04"}
    assert "在新时代中部地区崛起" in result.stdout  # not \\u-escaped


def test_extract_without_url_reads_ids_from_meta() -> None:
    result = CliRunner().invoke(main, ["extract", str(FINANCE)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["content_id"] == "40232587"


def test_extract_reads_stdin() -> None:
    result = CliRunner().invoke(main, ["extract", "-"], input=FINANCE.read_bytes())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["template"] == "2020wbc"


def test_extract_not_an_article_exits_1_with_reason(tmp_path: Path) -> None:
    page = tmp_path / "404.html"
    page.write_bytes("<html><head><title>页面没有找到</title></head><body></body></html>".encode())
    result = CliRunner().invoke(main, ["extract", str(page)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("not an article: not-found page")


def test_extract_empty_file(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_bytes(b"")
    result = CliRunner().invoke(main, ["extract", str(page)])
    assert result.exit_code == 1
    assert result.stderr == "not an article: empty body\n"


def test_extract_content_type_option(tmp_path: Path) -> None:
    page = tmp_path / "gbk.html"
    body = "<html><body><div class='text_c'><h1>标题在这里</h1><div class='show_text'>"
    body += "<p>正文第一段，李喆。</p></div></div></body></html>"
    page.write_bytes(body.encode("gbk"))
    result = CliRunner().invoke(
        main, ["extract", str(page), "--content-type", "text/html; charset=GB2312"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["paragraphs"] == ["正文第一段，李喆。"]


def test_extract_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["extract", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "cpc-archive extract page.html" in result.output


def test_extract_of_the_home_page_without_url_exits_1() -> None:
    home = FIXTURES / "cpc_home" / "page.bin"
    result = CliRunner().invoke(main, ["extract", str(home)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("not an article: home page")


def test_extract_url_with_a_byte_that_is_not_utf8_is_a_usage_error() -> None:
    page = str(FIXTURES / "cpc_article_2024_c64094-40294513" / "page.bin")
    result = CliRunner().invoke(main, ["extract", page, "--url", "http://cpc.people.com.cn/\udcff"])
    assert result.exit_code == 2, result.output
    assert "is not valid UTF-8 text" in result.output
