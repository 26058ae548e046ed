"""The replay proxy: serve recorded responses by full URL, so a crawl runs offline.

`http_proxy=http://127.0.0.1:N scrapy crawl cpc` then crawls a recorded copy of the site with
its real URLs. Sources:
  - a site folder (crawler/demo_site layout): `manifest.json` mapping URL -> file, status, headers,
    and optionally a fault to inject;
  - a WARC file (.warc / .warc.gz): its response records;
  - an archive database: the latest snapshot of each URL (the archive replays itself).
Unknown URLs answer 404. The server binds 127.0.0.1 only.

Faults (per URL in the manifest, or passed in for tests), by "kind":
  status     answer `status` (e.g. 500, 503, 429) with optional `retry_after`; with `times`,
             only the first N requests fail, then the recorded response is served
  timeout    hold the connection `seconds` without answering
  truncated  promise the full Content-Length, send half the body, close
  empty      200 with an empty body
  charset    serve the recorded bytes under a wrong `content_type` header
  huge       pad the recorded page to `size` bytes (default 10 MB) with a comment before </body>
  malformed  strip closing </div> and </p> tags and open a stray <table> in the recorded page
  redirect   answer `status` (default 302) to `location` (default the site's home page)
  bomb       200 with a small body that inflates to `size` zero bytes (default 64 MB) under
             Content-Encoding `encoding` (gzip, the default, or deflate)
  loop       302 to the URL itself: a redirect loop
  base       the recorded page with a `<base href>` of `href` (default an unclosed IPv6 host)
  pager      the recorded article page with a pager naming `count` pages (default 5000)
  slow       the recorded response, after waiting `seconds` (default 3)
  trickle    the recorded status and headers at once, then the body in `chunks` pieces
             (default 10) spread over `seconds` (default 3): a body slower than a timeout
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

logger = logging.getLogger(__name__)

HOME = "http://cpc.people.com.cn/"
HUGE_SIZE = 10 * 1024 * 1024
MANIFEST = "manifest.json"


@dataclass
class Recorded:
    """One recorded response."""

    status: int
    headers: dict[str, str]
    body: bytes
    fault: dict | None = None


class SiteSource:
    """A site folder: manifest.json + the files it names (bytes served as stored)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        path = self.root / MANIFEST
        if not path.is_file():
            raise ValueError(
                f"{self.root} is a folder without {MANIFEST}: not a recorded site "
                "(a site folder maps each URL to its file in manifest.json, as "
                "crawler/demo_site does)"
            )
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            self.pages: dict[str, dict] = manifest["pages"]
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path} is not a site manifest ({e!r})") from None

    def urls(self) -> Iterator[str]:
        return iter(self.pages)

    def get(self, url: str) -> Recorded | None:
        entry = self.pages.get(url)
        if entry is None:
            return None
        body = (self.root / entry["file"]).read_bytes() if entry.get("file") else b""
        return Recorded(
            entry.get("status", 200), dict(entry.get("headers", {})), body, entry.get("fault")
        )


class WarcSource:
    """Response records of a WARC file, read once into an index of offsets."""

    def __init__(self, path: Path):
        from crawler.archive.warc.records import JudgedFetch, read_warc
        from crawler.records import Fetch

        # Corrupt records come back as errors: they are skipped here (import-warc reports them).
        # A response written with the failure its source recorded is served as it came.
        items = (f.fetch if isinstance(f, JudgedFetch) else f for f in read_warc(path))
        self.fetches = {f.url: f for f in items if isinstance(f, Fetch)}

    def urls(self) -> Iterator[str]:
        return iter(self.fetches)

    def get(self, url: str) -> Recorded | None:
        fetch = self.fetches.get(url)
        return None if fetch is None else recorded_from(fetch)


class ArchiveSource:
    """The latest snapshot of each URL in an archive database."""

    def __init__(self, path: Path):
        from crawler.archive.db import open_existing_archive

        self.path = str(path)
        self.local = threading.local()
        # Fail now, not at the first request, if unreadable; never turn another file into one.
        open_existing_archive(self.path).close()

    def db(self):
        # One connection per server thread: sqlite3 connections are not shared across threads.
        from crawler.archive.db import open_archive

        if not hasattr(self.local, "db"):
            self.local.db = open_archive(self.path)
        return self.local.db

    def urls(self) -> Iterator[str]:
        return (row[0] for row in self.db().execute("SELECT DISTINCT url FROM snapshots"))

    def get(self, url: str) -> Recorded | None:
        from crawler.archive.snapshots import snapshot_fetch

        # The latest response that was one: status 0 marks a request that got no answer.
        row = (
            self.db()
            .execute(
                "SELECT id FROM snapshots WHERE url = ? AND status > 0 ORDER BY id DESC LIMIT 1",
                [url],
            )
            .fetchone()
        )
        return None if row is None else recorded_from(snapshot_fetch(self.db(), row[0]))


def recorded_from(fetch) -> Recorded:
    """A stored Fetch as a response; one that was redirected answers with the redirect."""
    if fetch.final_url and fetch.final_url != fetch.url:
        return Recorded(302, {"Location": fetch.final_url}, b"")
    return Recorded(fetch.status, dict(fetch.headers), fetch.body)


def open_source(path: str | Path):
    """A site folder, a WARC file or an archive database, by what the path is."""
    path = Path(path)
    if path.is_dir():
        return SiteSource(path)
    if not path.exists():
        raise FileNotFoundError(f"no such source: {path}")
    if path.name.endswith((".warc", ".warc.gz")):
        return WarcSource(path)
    with path.open("rb") as f:
        if f.read(16) == b"SQLite format 3\x00":
            return ArchiveSource(path)
    raise ValueError(f"{path} is not a site folder, a WARC file or an archive database")


def pad_page(body: bytes, size: int) -> bytes:
    """The page grown to `size` bytes by a comment before </body>: big, but whole."""
    at = body.lower().rfind(b"</body")
    at = len(body) if at < 0 else at
    pad = max(0, size - len(body) - 7)
    return body[:at] + b"<!--" + b" " * pad + b"-->" + body[at:]


@functools.lru_cache(maxsize=4)
def bomb(size: int, encoding: str = "gzip") -> bytes:
    """`size` zero bytes compressed as `encoding` (gzip or deflate): a few KB per 10 MB."""
    wbits = {"gzip": 31, "deflate": 15}[encoding]
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = bytes(1 << 20)
    out = [packer.compress(chunk) for _ in range(size >> 20)]
    out.append(packer.compress(bytes(size & ((1 << 20) - 1))))
    return b"".join([*out, packer.flush()])


def with_base(body: bytes, href: str) -> bytes:
    """The page with a <base href> as its head's first element."""
    tag = b'<base href="' + href.encode() + b'">'
    at = body.lower().find(b"<head")
    at = body.index(b">", at) + 1 if at >= 0 else 0
    return body[:at] + tag + body[at:]


def with_pager(body: bytes, url: str, count: int) -> bytes:
    """The article page with its pager (div.zdfy) linking pages 2..count of its URL; a pager
    of its own before </body> when it has none."""
    stem = url[: -len(".html")]
    links = "".join(f'<a href="{stem}-{n}.html">{n}</a>' for n in range(2, count + 1)).encode()
    own = body.find(b'<div class="zdfy')
    if own >= 0:
        at = body.index(b">", own) + 1
        return body[:at] + links + body[at:]
    at = body.lower().rfind(b"</body")
    at = len(body) if at < 0 else at
    return body[:at] + b'<div class="zdfy clearfix">' + links + b"</div>" + body[at:]


def malform(body: bytes) -> bytes:
    """Damage the markup the way broken CMS output does, keeping every text byte."""
    body = re.sub(rb"</(?:div|p)\s*>", b"", body, flags=re.IGNORECASE)
    return body.replace(b"<body>", b"<body><table><tr><td>", 1)


@dataclass
class Hit:
    """One request the proxy answered: what tests and benches count."""

    url: str
    status: int
    at: float  # when the proxy answered (time.monotonic), after its delay
    user_agent: str = ""
    arrived: float = 0.0  # when the request came in: it was at the proxy from then to `at`


@dataclass
class Replay:
    """What to serve: a source, plus fault overrides by URL ("*" = every URL but robots.txt)."""

    source: object
    faults: Mapping[str, dict | None] = field(default_factory=dict)
    delay: float = 0.0  # seconds before each answer: a slower site, for tests that interrupt
    # Called before each answer, before the delay: a test holds the site until what it
    # arranges (e.g. a fleet of workers each holding work) is in place.
    hold: Callable[[], object] | None = None
    hits: list[Hit] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault_for(self, url: str, recorded: Recorded | None) -> dict | None:
        if url in self.faults:
            return self.faults[url]
        if "*" in self.faults and not url.endswith("/robots.txt"):
            return self.faults["*"]
        return recorded.fault if recorded else None

    def count(self, url: str) -> int:
        with self.lock:
            self.counts[url] = self.counts.get(url, 0) + 1
            return self.counts[url]

    def record(self, url: str, status: int, agent: str, arrived: float) -> None:
        with self.lock:
            self.hits.append(Hit(url, status, time.monotonic(), agent, arrived))


class ProxyHandler(BaseHTTPRequestHandler):
    server_version = "cpc-archive-replay"
    protocol_version = "HTTP/1.1"
    replay: Replay  # set on the subclass made per server

    def log_message(self, format, *args):
        logger.debug("%s - %s", self.address_string(), format % args)

    def requested_url(self) -> str:
        if self.path.startswith(("http://", "https://")):
            return self.path
        return f"http://{self.headers.get('Host', 'localhost')}{self.path}"

    def do_CONNECT(self):
        # HTTPS through the proxy would need a certificate; the site is recorded on http.
        self.send_error(405, "the replay proxy serves http:// URLs only")

    def do_HEAD(self):
        self.serve(head=True)

    def do_GET(self):
        self.serve(head=False)

    def serve(self, head: bool) -> None:
        arrived = time.monotonic()
        url = self.requested_url()
        replay = self.replay
        if replay.hold is not None:
            replay.hold()
        if replay.delay:
            time.sleep(replay.delay)
        recorded = replay.source.get(url)
        fault = replay.fault_for(url, recorded)
        agent = self.headers.get("User-Agent", "")
        n = replay.count(url)
        if fault and fault.get("times") and n > fault["times"]:
            fault = None
        if recorded is None and (fault is None or fault.get("kind") != "status"):
            replay.record(url, 404, agent, arrived)
            self.respond(404, {"Content-Type": "text/plain"}, b"not recorded\n", head)
            return
        status = fault.get("status", 200) if fault else recorded.status
        replay.record(url, status if not fault or fault["kind"] != "timeout" else 0, agent, arrived)
        if not fault:
            self.respond(recorded.status, recorded.headers, recorded.body, head)
            return
        self.inject(fault, recorded, head)

    def inject(self, fault: dict, recorded: Recorded | None, head: bool) -> None:
        kind = fault["kind"]
        if kind == "status":
            headers = {"Content-Type": "text/html"}
            if "retry_after" in fault:
                headers["Retry-After"] = str(fault["retry_after"])
            self.respond(fault["status"], headers, b"<html><body>error</body></html>", head)
        elif kind == "timeout":
            time.sleep(fault.get("seconds", 60))
            self.close_connection = True
        elif kind == "truncated":
            body = recorded.body
            self.send_response(recorded.status)
            self.send_headers(recorded.headers, len(body))
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif kind == "empty":
            self.respond(200, recorded.headers, b"", head)
        elif kind == "charset":
            headers = {**recorded.headers, "Content-Type": fault["content_type"]}
            self.respond(recorded.status, headers, recorded.body, head)
        elif kind == "huge":
            body = pad_page(recorded.body, fault.get("size", HUGE_SIZE))
            self.respond(recorded.status, recorded.headers, body, head)
        elif kind == "malformed":
            self.respond(recorded.status, recorded.headers, malform(recorded.body), head)
        elif kind == "redirect":
            location = fault.get("location", HOME)
            self.respond(fault.get("status", 302), {"Location": location}, b"", head)
        elif kind == "loop":
            self.respond(302, {"Location": self.requested_url()}, b"", head)
        elif kind == "bomb":
            encoding = fault.get("encoding", "gzip")
            body = bomb(fault.get("size", 64 << 20), encoding)
            self.send_response(200)
            self.send_header("Content-Encoding", encoding)
            self.send_headers({"Content-Type": "text/html"}, len(body))
            if not head:
                self.wfile.write(body)
        elif kind == "slow":
            time.sleep(fault.get("seconds", 3))
            self.respond(recorded.status, recorded.headers, recorded.body, head)
        elif kind == "trickle":
            self.send_response(recorded.status)
            self.send_headers(recorded.headers, len(recorded.body))
            chunks = fault.get("chunks", 10)
            step = -(-len(recorded.body) // chunks)
            try:
                for start in range(0, 0 if head else len(recorded.body), step):
                    self.wfile.write(recorded.body[start : start + step])
                    self.wfile.flush()
                    time.sleep(fault.get("seconds", 3) / chunks)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as it should
        elif kind == "pager":
            body = with_pager(recorded.body, self.requested_url(), fault.get("count", 5000))
            self.respond(recorded.status, recorded.headers, body, head)
        elif kind == "base":
            body = with_base(recorded.body, fault.get("href", "http://[::1/"))
            self.respond(recorded.status, recorded.headers, body, head)
        else:
            raise ValueError(f"unknown fault kind {kind!r}")

    def send_headers(self, headers: Mapping[str, str], length: int) -> None:
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "content-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def respond(self, status: int, headers: Mapping[str, str], body: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_headers(headers, len(body))
        if not head:
            self.wfile.write(body)


class ReplayHTTPServer(ThreadingHTTPServer):
    # socketserver's default backlog of 5 refuses connections when a crawl opens a burst of
    # them at once; a refused connection would look like a fault the recording does not have.
    request_queue_size = 128


class ReplayServer:
    """The proxy on 127.0.0.1, served from a thread; `port=0` picks a free port."""

    def __init__(
        self,
        source,
        port: int = 0,
        faults: Mapping[str, dict | None] | None = None,
        delay: float = 0.0,
        hold: Callable[[], object] | None = None,
    ):
        """`faults` override the manifest's by URL (None: no fault); "*" applies to all.
        `hold` is called before each answer (see Replay.hold)."""
        if isinstance(source, str | Path):
            source = open_source(source)
        self.replay = Replay(source, dict(faults or {}), delay, hold=hold)
        handler = type("Handler", (ProxyHandler,), {"replay": self.replay})
        self.httpd = ReplayHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hits(self) -> list[Hit]:
        return self.replay.hits

    def start(self) -> ReplayServer:
        # A short poll keeps stop() quick: shutdown waits for the loop's next poll.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
