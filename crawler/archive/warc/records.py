"""WARC in and out: others' captures become `Fetch`es, stored snapshots become WARC/1.1 records.

Reading (`read_warc`) yields one `Fetch` per HTML `response` record and resolves `revisit`
records to the payload they point at, so every source of pages hands the archive the same
object. A record that cannot be read (garbled header, broken gzip member, truncated or
digest-failing payload) becomes a `WarcRecordError` and reading resumes at the next record
boundary: one bad record never costs the rest of the file.

Writing (`write_fetches`) turns exchanges into `request` + `response` pairs with the original
headers and bytes, and a `revisit` (identical-payload-digest profile) for any later exchange
whose payload was already written.

Bodies in the archive are stored as the application saw them: de-chunked and decompressed.
Headers that would make a WARC reader transform that payload again (Content-Encoding,
Transfer-Encoding, a Content-Length that no longer matches) are written as
`X-Archive-Orig-<name>`, the convention of pywb and other replay tools, and restored on read.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
from warcio.warcwriter import WARCWriter

from crawler.archive.warc.readers import QuietArchiveIterator, content_stream
from crawler.records import Fetch
from crawler.settings import DOWNLOAD_MAXSIZE
from crawler.urls import is_asset_url

# Headers describing a transformation of the payload on the wire that the stored body no
# longer carries (Scrapy and warcio both hand over the decoded entity).
TRANSFER_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
ORIG_PREFIX = "X-Archive-Orig-"
# Our extension field for a redirected fetch: WARC-Target-URI is where the bytes came from
# (the final URL), this is the URL that was asked for. Not "WARC-" (reserved by the standard).
REQUESTED_URI_FIELD = "Cpc-Requested-URI"
# Our extension field for fetched_at when the archive wrote the instant another way than
# WARC-Date does (2024-08-07T01:00:00.5+00:00 vs 2024-08-07T01:00:00.500000Z): the same
# instant, kept as written so an import gives back the same text.
FETCHED_AT_FIELD = "Cpc-Fetched-At"
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Our extension fields on a response whose failure its source judged from what only it knew
# (too_large, redirect_loop, ...: crawler.archive.verdict.NOT_REJUDGEABLE): an import records
# the same failure instead of judging the bytes again.
FAILURE_KIND_FIELD = "Cpc-Failure-Kind"
FAILURE_REASON_FIELD = "Cpc-Failure-Reason"
# Our metadata records for a request that got no response.
FETCH_ERROR_PROFILE = "https://cpc-archive/warc/fetch-error"
GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
SCAN_BLOCK = 1 << 16


@dataclass(frozen=True)
class WarcRecordError:
    """A WARC record that could not be read as an exchange, and why.

    `fetch` holds what could be recovered (headers and the bytes present) when the record's
    headers were readable, so the caller can quarantine those bytes instead of dropping them.
    """

    path: str
    offset: int  # byte offset in the file where the bad record starts
    reason: str
    url: str = ""  # WARC-Target-URI, when the record header could be read
    record_type: str = ""
    record_id: str = ""
    fetch: Fetch | None = field(default=None, compare=False, repr=False)
    kind: str = "warc_record"  # the failures row's kind: warc_record, or too_large

    def __str__(self) -> str:
        where = f"{self.path} @ {self.offset}"
        what = f" {self.record_type} {self.url}".rstrip() if self.url else ""
        return f"{where}{what}: {self.reason}"


@dataclass(frozen=True)
class FetchError:
    """A request that got no HTTP response (timeout, connection lost): what the archive keeps
    as a status-0 snapshot with the reason in `failures`. In a WARC file it is a `request`
    record and a `metadata` record (FETCH_ERROR_PROFILE) saying why, never a response."""

    url: str
    fetched_at: str
    kind: str  # "fetch_error", as the failures row says
    reason: str


@dataclass(frozen=True)
class JudgedFetch:
    """A response written with our failure fields: the fetch and the failure its source
    recorded for it."""

    fetch: Fetch
    kind: str
    reason: str


class _BadRecord(Exception):
    """A record whose header parsed but whose payload did not: yielded as an error."""

    def __init__(self, reason: str, fetch: Fetch | None = None, kind: str = "warc_record"):
        super().__init__(reason)
        self.reason = reason
        self.fetch = fetch
        self.kind = kind


class NotAWarc(ValueError):
    """A file with no WARC record header at its start (plain or gzipped)."""


def check_warc(path: str | Path) -> None:
    """Raise NotAWarc unless the file's first block holds a WARC record header.

    A WARC whose first record is damaged still passes (read_warc reports that record and
    reads on); an HTML page, an empty file or a gzipped something else does not.
    """
    with open(path, "rb") as fh:
        head = fh.read(SCAN_BLOCK)
    text = head
    if head.startswith(GZIP_MAGIC):
        try:
            text = zlib.decompressobj(31).decompress(head, SCAN_BLOCK)
        except zlib.error:
            text = b""
    if not (text.startswith(WARC_MAGIC) or b"\nWARC/1." in text or b"\nWARC-Type:" in text):
        shown = _first_line(text[:40].decode("latin-1")) or "nothing readable"
        raise NotAWarc(
            f"{path} is not a WARC file (no WARC record header; it starts with {shown!r})"
        )


# --- reading -------------------------------------------------------------------------------


def is_html(headers: dict[str, str]) -> bool:
    """An HTML response, or one without a Content-Type (the archive decides what it is)."""
    ctype = _get(headers, "content-type")
    if ctype is None:
        return True
    return ctype.split(";", 1)[0].strip().lower() in HTML_TYPES


def is_page(url: str, status: int, headers: dict[str, str]) -> bool:
    """What import-warc stores: HTML answers, and any non-2xx answer for a non-asset URL."""
    if is_asset_url(url):
        return False
    return is_html(headers) or not 200 <= status < 300


def read_warc(
    path: str | Path, max_size: int = DOWNLOAD_MAXSIZE
) -> Iterator[Fetch | JudgedFetch | FetchError | WarcRecordError]:
    """Every page response (and resolved revisit) of a WARC file, in file order.

    A page response is an HTML one (or one without a Content-Type), or any non-2xx answer for a
    URL that is not an image, script or stylesheet: a 404 or a redirect says something about
    the page whatever its body. Other responses, requests, warcinfo and foreign metadata
    records are skipped silently; our fetch-error metadata records come back as `FetchError`;
    records that cannot be read yield a `WarcRecordError` and reading goes on after them.
    A payload past `max_size` (the crawl's DOWNLOAD_MAXSIZE) is read no further: its first
    `max_size` bytes come back in a `WarcRecordError` of kind too_large.
    """
    path = Path(path)
    index = _PayloadIndex()
    with open(path, "rb") as fh, open(path, "rb") as lookup:
        gzipped = fh.read(3) == GZIP_MAGIC
        size = path.stat().st_size
        start = 0
        suspect = None  # start of the last record whose payload failed its digest
        while start is not None:
            fh.seek(start)
            resume_at = None
            it = QuietArchiveIterator(fh, check_digests=True)
            records = iter(it)
            try:
                while True:
                    offset = it.offset  # where the next record starts
                    try:
                        record = next(records)
                    except StopIteration:
                        if it.offset < size:
                            reason = (
                                f"{size - it.offset} bytes at the end of the file are not"
                                " a complete record (truncated or damaged)"
                            )
                            yield WarcRecordError(str(path), it.offset, reason)
                        break
                    except Exception as e:  # warcio fails on damaged bytes with many types
                        reason = _first_line(it.problem())
                        if isinstance(e, ArchiveLoadFailed | StatusAndHeadersParserException):
                            reason = _first_line(str(e)) or reason
                        reason = reason or f"damaged record header ({type(e).__name__})"
                        # A Content-Length longer than the payload swallowed the start of the
                        # next record: it begins between the suspect record and here.
                        back = (
                            _next_boundary(fh, suspect + 1, gzipped)
                            if suspect is not None
                            else None
                        )
                        if back is not None and back < offset:
                            resume_at, suspect = back, None
                            break
                        yield WarcRecordError(str(path), offset, f"unreadable record: {reason}")
                        resume_at = _next_boundary(fh, offset + 1, gzipped)
                        break
                    suspect = None
                    try:
                        item = _record_to_item(record, lookup, index, offset, max_size)
                        kind = record.rec_headers.get_header(FAILURE_KIND_FIELD)
                        if kind and isinstance(item, Fetch):
                            reason = record.rec_headers.get_header(FAILURE_REASON_FIELD) or ""
                            item = JudgedFetch(item, kind, reason)
                    except _BadRecord as bad:
                        item = _error(path, offset, record, bad.reason, bad.fetch, bad.kind)
                        if bad.reason.startswith("digest mismatch"):
                            suspect = offset
                    finally:
                        it.read_to_end()
                        it.problem()  # damage after a record read whole is the next one's
                    if item is not None:
                        yield item
            finally:
                it.close()
            start = resume_at


def _record_to_item(
    record: ArcWarcRecord, lookup: BinaryIO, index: _PayloadIndex, offset: int, max_size: int
) -> Fetch | FetchError | None:
    rec_type = record.rec_type
    if not rec_type or record.length is None:
        raise _BadRecord("incomplete record header: no WARC-Type or Content-Length (truncated?)")
    if rec_type == "metadata" and record.rec_headers.get_header("WARC-Profile") == (
        FETCH_ERROR_PROFILE
    ):
        return _fetch_error(record)
    if rec_type not in ("response", "revisit"):
        _drain(record)
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    if not uri.startswith(("http:", "https:")):
        _drain(record)
        return None
    http = record.http_headers
    # warcio reads any first line as a status line: insist on "HTTP/x.y NNN"
    has_http = (
        http is not None
        and (http.protocol or "").upper().startswith("HTTP/")
        and 100 <= _status(http) <= 599
    )
    if not has_http and (rec_type == "response" or (http is not None and http.statusline)):
        first = f"{http.protocol} {http.statusline}".strip() if http is not None else ""
        raise _BadRecord(f"no HTTP status line in the record (first line: {first[:80]!r})")
    status = _status(record.http_headers) if has_http else 0
    headers = _restore_headers(record.http_headers.headers) if has_http else {}
    fetched_at = _fetched_at(record)
    requested = record.rec_headers.get_header(REQUESTED_URI_FIELD) or ""
    url, final_url = (requested, uri) if requested and requested != uri else (uri, "")

    if rec_type == "revisit":
        _drain(record)
        if _get(headers, "content-type") is not None and not is_page(uri, status, headers):
            return None  # an image or script seen again: not fetched back from the file
        original = index.resolve(record, lookup, max_size)
        if original is None:
            raise _BadRecord(
                "revisit refers to a record not found (or damaged) earlier in this file"
            )
        if not has_http:  # a revisit may carry no HTTP headers of its own: the original's
            status, headers = original.status, original.headers
        if not is_page(uri, status, headers):
            return None
        fetch = Fetch(url, original.body, status, headers, final_url, fetched_at)
        if len(original.body) > max_size:
            raise _too_large(fetch, max_size)
        return fetch

    if not is_page(uri, status, headers):
        # Not read: its offset is enough for a header-less revisit, which is skipped anyway.
        index.add(record, offset)
        _drain(record)
        return None
    body, problem = _read_payload(record, max_size)
    if not problem:  # a revisit must never resolve to damaged bytes
        index.add(record, offset)
    fetch = Fetch(url, body, status, headers, final_url, fetched_at)
    if len(body) > max_size:
        raise _too_large(fetch, max_size)
    if problem:
        raise _BadRecord(problem, fetch)
    cut = record.rec_headers.get_header("WARC-Truncated")
    if cut:  # the crawler that wrote the file kept only part of the body
        raise _BadRecord(f"the capture is incomplete (WARC-Truncated: {cut})", fetch)
    return fetch


def _fetched_at(record: ArcWarcRecord) -> str:
    """WARC-Date, or our Cpc-Fetched-At when it names the same instant."""
    date = record.rec_headers.get_header("WARC-Date") or ""
    written = record.rec_headers.get_header(FETCHED_AT_FIELD)
    if written:
        try:
            if warc_date(written) == warc_date(date):
                return written
        except ValueError:
            pass
    return date


def _fetch_error(record: ArcWarcRecord) -> FetchError:
    """Our metadata record for a request that got no response, back as a FetchError."""
    fields: dict[str, str] = {}
    for line in record.content_stream().read().decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    h = record.rec_headers
    return FetchError(
        url=h.get_header("WARC-Target-URI") or "",
        fetched_at=_fetched_at(record),
        kind=fields.get("fetch-error-kind", "fetch_error"),
        reason=fields.get("fetch-error", "no response"),
    )


def _too_large(fetch: Fetch, max_size: int) -> _BadRecord:
    capped = dataclasses.replace(fetch, body=fetch.body[:max_size])
    reason = f"the payload passes the size cap ({max_size} B); the first {max_size} B are kept"
    return _BadRecord(reason, capped, kind="too_large")


def _read_capped(stream, max_size: int) -> bytes:
    """At most max_size + 1 bytes of a (possibly inflating) stream, read in blocks: a bomb is
    never inflated past the cap."""
    parts, have = [], 0
    while have <= max_size:
        block = stream.read(min(SCAN_BLOCK, max_size + 1 - have))
        if not block:
            break
        parts.append(block)
        have += len(block)
    return b"".join(parts)


def _read_payload(record: ArcWarcRecord, max_size: int) -> tuple[bytes, str]:
    """The decoded payload (max_size + 1 bytes at most), and a problem ("" when none):
    truncation or a digest mismatch."""
    stream = content_stream(record)
    body = _read_capped(stream, max_size)
    if len(body) > max_size:
        return body, ""  # not read to the end: the caller records it too_large
    _drain(record)
    raw = record.raw_stream
    if getattr(raw, "limit", 0) > 0:
        return body, f"truncated record: {raw.limit} bytes of the declared length are missing"
    checker = record.digest_checker
    if checker is not None and checker.passed is False:
        return body, "digest mismatch: " + "; ".join(checker.problems)
    decode_error = getattr(stream, "decode_error", "")
    if decode_error:
        return body, "payload could not be decoded: " + _first_line(decode_error)
    return body, ""


def _drain(record: ArcWarcRecord) -> None:
    while record.raw_stream.read(SCAN_BLOCK):
        pass


class _PayloadIndex:
    """Where each response payload sits in the file, so a revisit can be resolved on demand
    without keeping every body in memory."""

    def __init__(self) -> None:
        self.by_digest: dict[str, int] = {}
        self.by_id: dict[str, int] = {}
        self.by_uri_date: dict[tuple[str, str], int] = {}

    def add(self, record: ArcWarcRecord, offset: int) -> None:
        h = record.rec_headers
        digest = _norm_digest(h.get_header("WARC-Payload-Digest"))
        if digest:
            self.by_digest.setdefault(digest, offset)
        if h.get_header("WARC-Record-ID"):
            self.by_id[h.get_header("WARC-Record-ID")] = offset
        key = (h.get_header("WARC-Target-URI") or "", h.get_header("WARC-Date") or "")
        self.by_uri_date.setdefault(key, offset)

    def resolve(self, record: ArcWarcRecord, lookup: BinaryIO, max_size: int) -> Fetch | None:
        h = record.rec_headers
        offset = self.by_id.get(h.get_header("WARC-Refers-To") or "")
        if offset is None:
            offset = self.by_digest.get(_norm_digest(h.get_header("WARC-Payload-Digest")))
        if offset is None:
            key = (
                h.get_header("WARC-Refers-To-Target-URI") or "",
                h.get_header("WARC-Refers-To-Date") or "",
            )
            offset = self.by_uri_date.get(key)
        if offset is None:
            return None
        lookup.seek(offset)
        it = QuietArchiveIterator(lookup)
        try:
            original = next(iter(it))
            body = _read_capped(content_stream(original), max_size)
        except Exception:  # the original is damaged after all: the revisit is reported instead
            return None
        finally:
            it.close()
        headers = _restore_headers(original.http_headers.headers if original.http_headers else [])
        uri = original.rec_headers.get_header("WARC-Target-URI") or ""
        return Fetch(uri, body, _status(original.http_headers), headers)


def _next_boundary(fh: BinaryIO, start: int, gzipped: bool) -> int | None:
    """The offset of the next plausible record start at or after `start`, None at EOF."""
    magic = GZIP_MAGIC if gzipped else b"\n" + WARC_MAGIC
    skip = 0 if gzipped else 1  # the match starts at the newline before "WARC/1."
    pos = start
    tail = b""
    while True:
        fh.seek(pos)
        block = fh.read(SCAN_BLOCK)
        if not block:
            return None
        data = tail + block
        found = data.find(magic)
        if found >= 0:
            return pos - len(tail) + found + skip
        tail = data[-(len(magic) - 1) :]
        pos += len(block)


def _error(
    path: Path,
    offset: int,
    record: ArcWarcRecord,
    reason: str,
    fetch: Fetch | None,
    kind: str = "warc_record",
) -> WarcRecordError:
    h = record.rec_headers
    return WarcRecordError(
        str(path),
        offset,
        reason,
        url=h.get_header("WARC-Target-URI") or "",
        record_type=record.rec_type or "",
        record_id=h.get_header("WARC-Record-ID") or "",
        fetch=fetch,
        kind=kind,
    )


def _first_line(text: str, limit: int = 100) -> str:
    """The first non-blank line, shortened, control bytes shown as "?" (it may be binary)."""
    for line in text.splitlines():
        if line.strip():
            line = "".join(c if c.isprintable() else "?" for c in line.strip())
            return line if len(line) <= limit else line[:limit] + "…"
    return ""


def _status(http_headers: StatusAndHeaders | None) -> int:
    try:
        return int(http_headers.get_statuscode()) if http_headers else 0
    except (TypeError, ValueError):
        return 0


def _get(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _restore_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict in their order, repeated names joined by ", ", and each
    X-Archive-Orig-<name> restored as <name> where it stands (replacing a <name> header the
    writer made for the decoded payload)."""
    pairs = list(pairs)
    prefix = ORIG_PREFIX.lower()
    restored = {n[len(prefix) :].lower() for n, _ in pairs if n.lower().startswith(prefix)}
    out: dict[str, str] = {}
    for name, value in pairs:
        if name.lower().startswith(prefix):
            name = name[len(prefix) :]
        elif name.lower() in restored:
            continue
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _norm_digest(value: str | None) -> str:
    """'sha1:ABC…' in upper case; other spellings (lower case, base16) left comparable."""
    if not value:
        return ""
    algo, _, digest = value.partition(":")
    return f"{algo.strip().lower()}:{digest.strip().upper()}"


# --- writing -------------------------------------------------------------------------------


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest of a body: sha1, base32, as warcio and Heritrix write it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(fetched_at: str) -> str:
    """An ISO 8601 instant as a WARC-Date: UTC, "Z", microseconds only when present."""
    value = fetched_at.strip()
    if not value:
        raise ValueError("a fetch without fetched_at has no WARC-Date")
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if dt.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return dt.strftime(fmt)


@dataclass
class WriteCounts:
    responses: int = 0
    revisits: int = 0
    errors: int = 0  # requests that got no response (metadata records)
    bytes_in: int = 0  # payload bytes of the exchanges written
    # snapshots left out because their stored body is damaged: "snapshot N (url): why"
    damaged: list[str] = field(default_factory=list)


class WarcOut:
    """A WARC/1.1 file being written: warcinfo first, then one request + response (or
    revisit) pair per exchange."""

    def __init__(self, fh: BinaryIO, *, gzip: bool = True, filename: str = "", info=None):
        self.writer = WARCWriter(fh, gzip=gzip, warc_version="1.1")
        self.first: dict[str, tuple[str, str]] = {}  # payload digest -> (uri, warc date)
        self.counts = WriteCounts()
        fields = {"software": "cpc-archive", "format": "WARC File Format 1.1"}
        fields.update(info or {})
        self.writer.write_record(self.writer.create_warcinfo_record(filename, fields))

    def write_error(self, error: FetchError) -> None:
        """A request that got no response: the request record, and a metadata record (our
        profile) with the reason. No response record: there was none."""
        date = warc_date(error.fetched_at)
        req = self.writer.create_warc_record(
            error.url,
            "request",
            http_headers=_request_headers(error.url),
            warc_headers_dict={"WARC-Date": date},
        )
        self.writer.write_record(req)
        block = _fields_block({"fetch-error-kind": error.kind, "fetch-error": error.reason})
        meta = self.writer.create_warc_record(
            error.url,
            "metadata",
            payload=io.BytesIO(block),
            length=len(block),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Date": date,
                **_fetched_at_field(error.fetched_at, date),
                "WARC-Profile": FETCH_ERROR_PROFILE,
                "WARC-Concurrent-To": req.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        self.writer.write_record(meta)
        self.counts.errors += 1

    def write(self, fetch: Fetch, failure: tuple[str, str] | None = None) -> None:
        """One exchange; `failure`: (kind, reason) its source recorded, when the bytes alone
        cannot tell it again (written as our Cpc-Failure-* fields)."""
        uri = fetch.final_url or fetch.url
        date = warc_date(fetch.fetched_at)
        digest = payload_digest(fetch.body)
        warc_headers = {"WARC-Date": date, **_fetched_at_field(fetch.fetched_at, date)}
        if failure is not None:
            warc_headers[FAILURE_KIND_FIELD] = failure[0]
            warc_headers[FAILURE_REASON_FIELD] = " ".join(failure[1].split())
        if fetch.final_url and fetch.final_url != fetch.url:
            warc_headers[REQUESTED_URI_FIELD] = fetch.url
        http_headers = StatusAndHeaders(
            _status_line(fetch.status), _headers_for_payload(fetch), protocol="HTTP/1.1"
        )
        if digest in self.first:
            ref_uri, ref_date = self.first[digest]
            resp = self.writer.create_revisit_record(
                uri,
                digest,
                ref_uri,
                ref_date,
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
            self.counts.revisits += 1
        else:
            warc_headers["WARC-Payload-Digest"] = digest
            resp = self.writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(fetch.body),
                length=len(fetch.body),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
            self.first[digest] = (uri, date)
            self.counts.responses += 1
        self.counts.bytes_in += len(fetch.body)
        req = self.writer.create_warc_record(
            uri,
            "request",
            http_headers=_request_headers(uri),
            warc_headers_dict={"WARC-Date": date},
        )
        self.writer.write_request_response_pair(req, resp)


def _fetched_at_field(fetched_at: str, date: str) -> dict[str, str]:
    return {FETCHED_AT_FIELD: fetched_at} if fetched_at != date else {}


def _fields_block(fields: dict[str, str]) -> bytes:
    return "".join(f"{k}: {' '.join(v.split())}\r\n" for k, v in fields.items()).encode()


def write_fetches(
    fh: BinaryIO, fetches: Iterable[Fetch], *, gzip: bool = True, filename: str = "", info=None
) -> WriteCounts:
    """Write exchanges (in the order given: oldest first) as a WARC/1.1 file."""
    out = WarcOut(fh, gzip=gzip, filename=filename, info=info)
    for fetch in fetches:
        out.write(fetch)
    return out.counts


def _status_line(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"{status} {phrase}".strip()


def _headers_for_payload(fetch: Fetch) -> list[tuple[str, str]]:
    """The received headers, with those that no longer describe the stored payload renamed."""
    out = []
    for name, value in fetch.headers.items():
        lower = name.lower()
        stale = lower in TRANSFER_HEADERS and not (
            lower == "content-length" and value.strip() == str(len(fetch.body))
        )
        out.append((ORIG_PREFIX + name if stale else name, value))
    return out


def _request_headers(uri: str) -> StatusAndHeaders:
    """What is known of the request: a GET of that URL. Nothing else is claimed."""
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return StatusAndHeaders(
        f"GET {target} HTTP/1.1", [("Host", parts.netloc)], is_http_request=True
    )
