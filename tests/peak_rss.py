"""A command's exit code, output and peak resident memory, measured from a small parent.

Linux keeps the memory high-water mark of a process across fork and exec, so a command started
straight from the test run would be charged the test run's own memory (hundreds of MB after a
few hundred tests). `python -m tests.peak_rss FILE CMD...` starts CMD from a fresh interpreter
and writes CMD's peak RSS in bytes to FILE.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def run_measured(cmd: list[str], **popen) -> tuple[int, str, int]:
    """Run `cmd` (stdout and stderr together); its exit code, output and peak RSS in bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "peak"
        proc = subprocess.run(
            [sys.executable, "-m", "tests.peak_rss", str(report), *cmd],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **popen,
        )
        return proc.returncode, proc.stdout.decode("utf-8", "replace"), int(report.read_text())


def main() -> None:
    report, *cmd = sys.argv[1:]
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    Path(report).write_text(str(usage.ru_maxrss * 1024))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
