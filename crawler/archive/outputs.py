"""Where a command may write what the user asked for: one policy for every output option.

export --out, export-warc --out and show --html all follow it:
  - "-" (and /dev/stdout) means standard output;
  - an empty name, a name with a ".." component and a folder are refused;
  - the archive itself and its -wal / -shm / -journal files are never written, even with --force;
  - an existing file is replaced only with --force; a device or a named pipe (/dev/null) is
    written into, never replaced;
  - missing folders are created only inside the current directory: anywhere else the folder
    must exist, so a typo cannot plant folders across the disk;
  - the file appears whole or not at all (written beside it, then renamed), with the
    permissions the user's umask gives any new file.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

# Names that mean "standard output" rather than a file.
STDOUT_NAMES = frozenset({"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})
# Files SQLite keeps beside an archive: writing over any of them damages it.
ARCHIVE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class OutputPathError(ValueError):
    """The output path is not one a file can be written to; the message says why."""


class OutputRefused(OutputPathError):
    """The path is fine but writing there would destroy something: an existing file without
    --force, or the archive itself."""


def output_target(
    name: str,
    *,
    force: bool = False,
    archive: str | Path | None = None,
    suffix: str = "",
) -> Path | None:
    """The file to write for the name the user gave, or None for standard output.

    `suffix` is appended when the name has no extension ("exports/may" -> ".jsonl");
    `archive` is the archive the command reads, which must not be overwritten.
    Raises OutputPathError.
    """
    if name is None or not str(name).strip():
        raise OutputPathError("an empty output path: name a file, or '-' for standard output")
    name = str(name)
    if name in STDOUT_NAMES:
        return None
    if "\x00" in name:
        raise OutputPathError(f"{name!r}: a path cannot contain a NUL character")
    out = Path(name)
    if any(part == ".." for part in out.parts):
        raise OutputPathError(f"{name}: '..' is not allowed in an output path")
    try:
        return _checked(out, force=force, archive=archive, suffix=suffix)
    except OutputPathError:
        raise
    except OSError as e:  # a name too long, a folder that is a file, ...
        raise OutputPathError(f"{name}: {e.strerror or e}") from None


def _checked(out: Path, *, force: bool, archive: str | Path | None, suffix: str) -> Path:
    if out.is_dir():  # before the suffix: "exports" naming a folder is a mistake, not a stem
        raise OutputPathError(f"{out} is a directory: name a file")
    # A device or a pipe is the destination as named: "/dev/null" must not become a new
    # file "/dev/null.jsonl" beside it.
    if suffix and not out.suffix and not _special(out):
        out = out.with_name(out.name + suffix)
    check_file(out, force=force, archive=archive)
    return out


def check_file(out: Path, *, force: bool, archive: str | Path | None = None) -> None:
    """The checks every file written goes through (also each page show --html derives)."""
    try:
        _check_file(out, force=force, archive=archive)
    except OutputPathError:
        raise
    except OSError as e:  # a name too long, ...
        raise OutputPathError(f"{out}: {e.strerror or e}") from None


def _check_file(out: Path, *, force: bool, archive: str | Path | None) -> None:
    for folder in out.parents:  # "notes.txt/x": a file where a folder would have to be
        if folder.exists():
            if not folder.is_dir():
                raise OutputPathError(f"{folder} is a file, not a folder: {out} cannot be made")
            break
    if out.is_dir():
        raise OutputPathError(f"{out} is a directory: name a file")
    if archive is not None and str(archive) != ":memory:" and _is_archive_file(out, archive):
        raise OutputRefused(
            f"{out} is the archive being read (or one of its -wal/-shm files): "
            "it is never overwritten, even with --force"
        )
    if _special(out):
        return  # /dev/null, a named pipe: written into, nothing is replaced
    if out.exists() and not force:
        raise OutputRefused(f"{out} exists: pass --force to overwrite it")
    if out.parent.is_dir():
        return
    if not _inside(out.parent, Path.cwd()):
        raise OutputPathError(
            f"folder {out.parent} does not exist: create it first "
            "(missing folders are only created inside the current directory)"
        )


def _special(out: Path) -> bool:
    """A device or a named pipe (/dev/null, a FIFO): something to write into, never to replace
    by renaming a file over it."""
    return out.exists() and not out.is_file() and not out.is_dir()


def _is_archive_file(out: Path, archive: str | Path) -> bool:
    target = out.resolve()
    for companion in ARCHIVE_COMPANIONS:
        protected = Path(f"{archive}{companion}")
        if target == protected.resolve():
            return True
        with contextlib.suppress(OSError):  # a hard link to the archive is the archive too
            if out.exists() and protected.exists() and os.path.samefile(out, protected):
                return True
    return False


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


@contextlib.contextmanager
def open_output(
    out: Path | None, *, binary: bool = False, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO]:
    """A file object for `out` (None: standard output, left open).

    A file is written under a temporary name beside `out` and renamed over it only when the
    block ends without error, so a failed or interrupted command leaves no half-written file.
    """
    if out is None:
        stream = sys.stdout.buffer
        if binary:
            yield stream
            stream.flush()
            return
        text = io.TextIOWrapper(stream, encoding=encoding, newline=newline, write_through=True)
        try:
            yield text
        finally:
            text.flush()
            text.detach()  # stdout stays open for whatever prints next
        return
    try:
        with _opened(out, binary, encoding, newline) as fh:
            yield fh
    except OSError as e:  # a folder that cannot be made, a full disk, no permission, ...
        raise OutputPathError(f"cannot write {out}: {e.strerror or e}") from None


@contextlib.contextmanager
def _opened(out: Path, binary: bool, encoding: str, newline: str | None) -> Iterator[IO]:
    if _special(out):
        mode = "wb" if binary else "w"
        kwargs = {} if binary else {"encoding": encoding, "newline": newline}
        with out.open(mode, **kwargs) as fh:
            yield fh
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_beside(out)
    try:
        if binary:
            with tmp.open("wb") as fh:
                yield fh
        else:
            with tmp.open("w", encoding=encoding, newline=newline) as fh:
                yield fh
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_beside(out: Path) -> Path:
    """A new empty file next to `out`, created with mode 0o666 so the umask decides (mkstemp
    would make it 0600: an export is a file to share, not a secret)."""
    for attempt in range(100):
        tmp = out.with_name(f".{out.name}.{os.getpid()}.{attempt}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise OutputPathError(f"cannot create a temporary file beside {out}")


def page_paths(out: Path, pages: Iterable[int]) -> list[Path]:
    """File names for the pages of a multi-page article: page.html, page-2.html, ...

    A device or a pipe takes one page: its pages 2, 3, ... would be new files planted beside
    it (/dev/null-2), so more than one page there raises OutputPathError.
    """
    pages = list(pages)
    if len(pages) > 1 and _special(out):
        raise OutputPathError(
            f"{out} is a device or a pipe and takes one page; this article has {len(pages)}: "
            "name a file (pages 2, 3, ... are written beside it as NAME-2.html, ...)"
        )
    return [out if p == 1 else out.with_name(f"{out.stem}-{p}{out.suffix}") for p in pages]
