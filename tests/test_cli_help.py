"""Every cpc-archive command documents itself with an example (help text is part of the code).

Walks every command registered on the `cpc-archive` group, whichever module added it.
"""

from __future__ import annotations

import click
import pytest

from crawler.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


COMMANDS = list(_commands(main))


def _help(path: tuple[str, ...], command: click.Command) -> str:
    ctx = click.Context(command, info_name=" ".join(("cpc-archive", *path)))
    return command.get_help(ctx)


def test_there_are_commands_to_check():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"search", "show", "stats", "runs", "export", "export-warc", "import-warc"} <= names


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_help_has_a_summary_and_an_example(path, command):
    text = _help(path, command)
    assert (command.help or "").strip(), f"`cpc-archive {' '.join(path)}` has no help text"
    lines = [line.strip() for line in text.splitlines()]
    assert any(line.startswith(("Example", "$ cpc-archive")) for line in lines), (
        f"`cpc-archive {' '.join(path)} --help` shows no example "
        "(add a line 'Example:' followed by '$ cpc-archive ...')"
    )
    invocation = "cpc-archive " + " ".join(path)
    start = next(i for i, line in enumerate(lines) if line.startswith(("Example", "$ cpc-archive")))
    assert any(invocation in line for line in lines[start:]), (
        f"the example in `{invocation} --help` does not show `{invocation}` itself"
    )


def test_every_command_reading_or_writing_the_archive_has_the_one_db_option():
    """One `--db` (crawler.cli.options.db_option): the same default, type and help everywhere.
    `demo` makes its own archive (data/demo.db)."""
    shapes = {
        " ".join(path): (p.default, p.type.type, p.type.dir_okay, p.help)
        for path, command in COMMANDS
        for p in command.params
        if "--db" in p.opts and path != ("demo",)
    }
    assert {"ingest", "reparse", "compact", "search", "export", "archiver"} <= set(shapes)
    assert len(set(shapes.values())) == 1, shapes
