"""The docs cannot drift from the code: every command, option, spider and setting they show exists,
and the column lists they give are the code's.

Reads README.md and docs/*.md. A command line is any line of a code block, or any `inline code`,
that starts with `cpc-archive`, `.venv/bin/cpc-archive`, `scrapy crawl` or `.venv/bin/scrapy crawl`.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import re
import shlex
from pathlib import Path

import click
import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from crawler.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```.*?$(.*?)^```", re.S | re.M)
_INLINE = re.compile(r"`([^`\n]+)`")
_PREFIX = re.compile(r"^(?:\.venv/bin/)?(cpc-archive|scrapy crawl)(?=\s|$)")


def _command_lines(text: str) -> list[str]:
    lines = []
    for block in _FENCE.findall(text):
        for line in block.splitlines():
            line = line.strip()
            # Shell prompts and continuation lines as people paste them.
            line = line.removeprefix("$ ")
            lines.append(line)
    lines.extend(_INLINE.findall(_FENCE.sub("", text)))
    out = []
    for line in lines:
        line = re.sub(r"^(?:\w+=\S+\s+)+", "", line)  # env assignments: http_proxy=... scrapy ...
        line = line.split("  #", 1)[0].split(" # ", 1)[0].strip()
        if _PREFIX.match(line):
            out.append(line)
    return out


def _documented() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        for line in _command_lines(path.read_text(encoding="utf-8")):
            found.append((path.name, line))
    return found


DOCUMENTED = _documented()


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:  # an unclosed quote in prose; the command part is still checkable
        return line.split()


def _resolve(words: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """The click command a `cpc-archive ...` line names, its path, and the words after it."""
    command: click.Command = main
    path: list[str] = []
    rest = words[1:]
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        if rest[0].isupper():  # a placeholder: `cpc-archive COMMAND --help`
            return command, path, []
        sub = command.commands.get(rest[0])
        assert sub is not None, f"`cpc-archive {' '.join([*path, rest[0]])}` is not a command"
        command, path, rest = sub, [*path, rest[0]], rest[1:]
    return command, path, rest


def _options(command: click.Command) -> set[str]:
    names = {"--help", "-h"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def test_the_docs_show_commands_to_check():
    lines = [line for _, line in DOCUMENTED]
    assert any(line.startswith("cpc-archive search") for line in lines)
    assert any(line.startswith(("scrapy crawl", ".venv/bin/scrapy crawl")) for line in lines)


CPC_LINES = [(f, line) for f, line in DOCUMENTED if "cpc-archive" in line.split()[0]]
SCRAPY_LINES = [(f, line) for f, line in DOCUMENTED if "scrapy" in line.split()[0]]


@pytest.mark.parametrize("doc,line", CPC_LINES, ids=[f"{f}:{line}" for f, line in CPC_LINES])
def test_documented_cpc_archive_command_and_options_exist(doc, line):
    words = _words(line)
    command, path, rest = _resolve(words)
    if not path:  # `cpc-archive` alone, or `cpc-archive --help`
        return
    known = _options(command)
    for word in rest:
        if word == "--":
            break
        if word.startswith("--"):
            option = word.split("=", 1)[0]
            assert option in known, (
                f"{doc}: `cpc-archive {' '.join(path)}` has no option {option} ({line})"
            )


@functools.cache
def _spiders() -> set[str]:
    return set(SpiderLoader.from_settings(get_project_settings()).list())


# Packages whose components read settings Scrapy does not define (Spidermon's SMTP settings,
# scrapy-redis's REDIS_URL...): a setting they read is a setting, where their source names it.
SETTING_PACKAGES = ("spidermon", "scrapy_redis")


def _package_setting_names() -> set[str]:
    names: set[str] = set()
    for package in SETTING_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for root in spec.submodule_search_locations:
            for source in Path(root).rglob("*.py"):
                text = source.read_text(encoding="utf-8", errors="replace")
                names.update(re.findall(r"[\"']([A-Z][A-Z0-9]*_[A-Z0-9_]+)[\"']", text))
    return names


@functools.cache
def _known_settings() -> set[str]:
    project = get_project_settings()
    defaults = Settings()
    return set(project.copy_to_dict()) | set(defaults.copy_to_dict()) | _package_setting_names()


@pytest.mark.parametrize("doc,line", SCRAPY_LINES, ids=[f"{f}:{line}" for f, line in SCRAPY_LINES])
def test_documented_crawl_names_a_spider_and_real_settings(doc, line):
    words = _words(line)
    if len(words) < 3:  # `scrapy crawl` named in prose, no spider
        return
    spiders, settings = _spiders(), _known_settings()
    assert words[2] in spiders, f"{doc}: no spider named {words[2]!r} ({line})"
    for flag, value in itertools.pairwise(words):
        if flag == "-s":
            name = value.split("=", 1)[0]
            assert name in settings, f"{doc}: no setting {name} ({line})"


def test_documented_settings_exist():
    """Every ARCHIVE_* name the docs mention is a setting the code defines."""
    settings = _known_settings()
    for path in DOCS:
        for name in set(re.findall(r"\bARCHIVE_[A-Z0-9_]+\b", path.read_text(encoding="utf-8"))):
            if name.startswith("ARCHIVE_TEST_"):  # test-only environment variables
                continue
            assert name in settings, f"{path.name} mentions {name}, which is not a setting"


def _backticked_list(text: str, marker: str) -> list[str]:
    """The `names` of the list that follows `marker` in text, up to the next semicolon or the
    end of the paragraph."""
    start = text.index(marker) + len(marker)
    ends = [i for i in (text.find(";", start), text.find("\n\n", start)) if i != -1]
    end = min(ends, default=len(text))
    return re.findall(r"`([a-z_0-9]+)`", text[start:end])


def test_documented_export_columns_are_the_code_columns():
    from crawler.archive.selection import ARTICLE_COLUMNS, VERSION_COLUMNS

    text = (ROOT / "docs" / "using.md").read_text(encoding="utf-8")
    assert _backticked_list(text, "`ARTICLE_COLUMNS`):") == list(ARTICLE_COLUMNS)
    assert _backticked_list(text, "`VERSION_COLUMNS`):") == list(VERSION_COLUMNS)


def test_documented_tables_and_columns_are_the_schema(tmp_path):
    """docs/archive.md lists every table of a new archive with exactly its columns."""
    from crawler.archive.db import open_or_create_archive

    text = (ROOT / "docs" / "archive.md").read_text(encoding="utf-8")
    section = text[text.index("## Tables") :]
    section = section[: section.index("\n## ", 1)]
    documented = {}
    for item in re.findall(r"^- `(\w+)` \([^)]*\): (.*?)(?=^- |^\n|\Z)", section, re.S | re.M):
        table, columns = item
        documented[table] = re.findall(r"`(\w+)`", columns)
    db = open_or_create_archive(tmp_path / "a.db")
    actual = {
        t: list(db[t].columns_dict)
        for t in db.table_names()
        if not t.startswith(("articles_fts", "_", "sqlite_"))
    }
    db.close()
    assert documented == actual
