"""Peak memory against compression bombs, each a ratio against a baseline in the same run.

    python bench/hostile.py [--bomb-mb N]

- import-warc: peak RSS of `cpc-archive import-warc` of a WARC holding one real article page
  (the baseline) against one holding a gzip bomb of N MB (a few hundred KB on disk).
- crawl: peak RSS of `scrapy crawl cpc` of that article through the replay proxy (the
  baseline) against the same article served as a gzip bomb of N MB.

Each figure is the ru_maxrss of the child process alone (os.wait4).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.cli.demo import ROOT, crawl_command, crawl_env
from crawler.replay import ReplayServer, bomb
from tests.site_paths import SITE, manifest_entry

ARTICLE = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"
FAST = ["-s", "DOWNLOAD_TIMEOUT=10", "-s", "LOG_LEVEL=WARNING"]


def peak_rss(cmd: list[str], env=None) -> int:
    """Run `cmd`; its peak RSS in bytes (it must exit 0)."""
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[:4]} failed:\n{out.decode('utf-8', 'replace')[-2000:]}")
    return usage.ru_maxrss * 1024


def warc_of(url: str, headers: dict[str, str], payload: bytes) -> bytes:
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    http = StatusAndHeaders("200 OK", list(headers.items()), protocol="HTTP/1.1")
    w.write_record(
        w.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(payload),
            length=len(payload),
            http_headers=http,
            warc_headers_dict={"WARC-Date": "2024-08-07T01:00:00Z"},
        )
    )
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=512)
    size = parser.parse_args().bomb_mb << 20
    entry = manifest_entry(ARTICLE)
    page = (SITE / entry["file"]).read_bytes()
    packed = bomb(size)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plain = tmp / "plain.warc.gz"
        plain.write_bytes(warc_of(ARTICLE, entry["headers"], page))
        bombed = tmp / "bomb.warc.gz"
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        bombed.write_bytes(warc_of(ARTICLE, headers, packed))

        def imported(path: Path, name: str) -> int:
            cli = [sys.executable, "-m", "crawler.cli", "import-warc"]
            return peak_rss([*cli, "--db", str(tmp / f"{name}.db"), str(path)])

        base_import = imported(plain, "plain")
        bomb_import = imported(bombed, "bomb")

        def crawled(faults, name: str) -> int:
            with ReplayServer(SITE, faults=faults) as server:
                cmd = [*crawl_command(tmp / f"crawl-{name}.db", FAST)]
                cmd += ["-a", f"start_urls={ARTICLE}"]
                return peak_rss(cmd, env=crawl_env(server.url))

        base_crawl = crawled({}, "plain")
        bomb_crawl = crawled({ARTICLE: {"kind": "bomb", "size": size}}, "bomb")

    mb = 1 << 20
    print(f"bomb: {size // mb} MB of zeros, {len(packed) / 1024:.0f} KB gzipped")
    print(
        f"import-warc peak RSS: {bomb_import / mb:.0f} MB with the bomb, "
        f"{base_import / mb:.0f} MB with one real page: ratio {bomb_import / base_import:.2f}"
    )
    print(
        f"crawl peak RSS:       {bomb_crawl / mb:.0f} MB with the bomb, "
        f"{base_crawl / mb:.0f} MB with one real page: ratio {bomb_crawl / base_crawl:.2f}"
    )


if __name__ == "__main__":
    main()
