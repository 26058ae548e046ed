"""crawler.archive.outputs: the one policy every output option follows."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from crawler.archive.outputs import (
    OutputPathError,
    OutputRefused,
    open_output,
    output_target,
    page_paths,
)


@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_dash_and_dev_stdout_mean_standard_output(name):
    assert output_target(name) is None


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_refused(name):
    with pytest.raises(OutputPathError, match="empty output path"):
        output_target(name)


@pytest.mark.parametrize("name", ["../x.jsonl", "a/../../x.jsonl"])
def test_dotdot_is_refused(name):
    with pytest.raises(OutputPathError, match=r"'\.\.' is not allowed"):
        output_target(name)


@pytest.mark.parametrize("companion", ["", "-wal", "-shm"])
def test_the_archive_and_its_companions_are_refused_even_with_force(tmp_path, companion):
    archive = tmp_path / "a.db"
    for c in ("", "-wal", "-shm"):
        (tmp_path / f"a.db{c}").write_bytes(b"x")
    with pytest.raises(OutputRefused, match="archive being read"):
        output_target(f"{archive}{companion}", force=True, archive=archive)


def test_a_hard_link_to_the_archive_is_refused(tmp_path):
    archive = tmp_path / "a.db"
    archive.write_bytes(b"x")
    os.link(archive, tmp_path / "alias.db")
    with pytest.raises(OutputRefused):
        output_target(str(tmp_path / "alias.db"), force=True, archive=archive)


def test_an_existing_file_needs_force(tmp_path):
    (tmp_path / "a.csv").write_text("keep")
    with pytest.raises(OutputRefused, match="--force"):
        output_target(str(tmp_path / "a.csv"))
    assert output_target(str(tmp_path / "a.csv"), force=True) == tmp_path / "a.csv"


def test_the_suffix_is_added_to_a_name_without_one(tmp_path):
    assert output_target(str(tmp_path / "may"), suffix=".jsonl") == tmp_path / "may.jsonl"


def test_a_missing_folder_outside_the_current_directory_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "..")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(OutputPathError, match="does not exist"):
        output_target(str(tmp_path / "new" / "x.html"))
    assert not (tmp_path / "new").exists()


def test_a_missing_folder_inside_the_current_directory_is_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = output_target("exports/may.csv")
    with open_output(out) as fh:
        fh.write("x")
    assert (tmp_path / "exports" / "may.csv").read_text() == "x"


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_a_written_file_has_the_umask_permissions(tmp_path, umask):
    old = os.umask(umask)
    try:
        with open_output(tmp_path / "a.jsonl") as fh:
            fh.write("{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.jsonl").stat().st_mode) == 0o666 & ~umask


def test_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), open_output(tmp_path / "a.jsonl") as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_dev_null_is_written_into_never_replaced():
    out = output_target("/dev/null")
    assert out is not None
    with open_output(out) as fh:
        fh.write("discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not [p for p in os.listdir("/dev") if p.startswith(".null.")]


def test_a_device_or_pipe_gets_no_extension_added(tmp_path):
    assert output_target("/dev/null", suffix=".jsonl") == Path("/dev/null")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert output_target(str(fifo), suffix=".csv") == fifo
    assert output_target(str(tmp_path / "plain"), suffix=".csv") == tmp_path / "plain.csv"


def test_a_named_pipe_receives_the_output(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    with open_output(output_target(str(fifo))) as fh:
        fh.write("row\n")
    reader.join(timeout=10)
    assert got == ["row\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_device_or_pipe_takes_one_page_of_a_multipage_article(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert page_paths(fifo, [1]) == [fifo]
    with pytest.raises(OutputPathError, match="takes one page"):
        page_paths(fifo, [1, 2, 3])
    with pytest.raises(OutputPathError, match="takes one page"):
        page_paths(Path("/dev/null"), [1, 2])
    assert page_paths(tmp_path / "p.html", [1, 2]) == [tmp_path / "p.html", tmp_path / "p-2.html"]


def test_a_file_where_a_folder_must_be_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(OutputPathError, match="is a file, not a folder"):
        output_target(str(tmp_path / "notes.txt" / "sub" / "x"), suffix=".jsonl")


def test_a_name_the_system_cannot_take_is_refused(tmp_path):
    with pytest.raises(OutputPathError, match="too long"):
        output_target(str(tmp_path / ("a" * 300)), suffix=".csv")


def test_a_file_that_cannot_be_made_is_an_output_error_and_leaves_nothing(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    target = tmp_path / "notes.txt" / "x.csv"
    with pytest.raises(OutputPathError, match="cannot write"), open_output(target) as fh:
        fh.write("row")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
