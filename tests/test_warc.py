"""crawler.archive.warc.records: reading others' WARC files and writing our own, byte for byte."""

from __future__ import annotations

import gzip
import io
import random
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive.warc.records import (
    ORIG_PREFIX,
    REQUESTED_URI_FIELD,
    FetchError,
    WarcOut,
    WarcRecordError,
    payload_digest,
    read_warc,
    warc_date,
    write_fetches,
)
from crawler.records import Fetch

ARTICLE = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html"
OTHER = "http://politics.people.com.cn/n1/2024/0510/c1001-40223222.html"
# GBK bytes on purpose: nothing on the way may decode and re-encode them.
GBK_PAGE = (
    "<html><head><title>妇联 改革</title></head><body><p>全国各级妇联</p></body></html>".encode(
        "gbk"
    )
)
UTF8_PAGE = "<html><body><p>深化改革</p></body></html>".encode()


# --- WARC inputs built with warcio itself, as other tools write them ------------------------


def _response(writer: WARCWriter, uri: str, body: bytes, headers, date: str, status="200 OK"):
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    return writer.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )


def _foreign_warc(gzip_records: bool) -> bytes:
    """A capture as another crawler writes it: gzip-encoded payload, an image, a revisit."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gzip_records, warc_version="1.0")
    w.write_record(w.create_warcinfo_record("x.warc", {"software": "other-crawler"}))
    w.write_record(
        _response(
            w,
            ARTICLE,
            gzip.compress(GBK_PAGE),
            [("Content-Type", "text/html; charset=GB2312"), ("Content-Encoding", "gzip")],
            "2024-08-07T00:10:00Z",
        )
    )
    w.write_record(
        _response(
            w,
            "http://cpc.people.com.cn/img/a.png",
            b"\x89PNG",
            [("Content-Type", "image/png")],
            "2024-08-07T00:10:01Z",
        )
    )
    w.write_record(
        _response(w, OTHER, UTF8_PAGE, [("Content-Type", "text/html")], "2024-08-07T00:10:02Z")
    )
    # A later unchanged fetch of the article, deduplicated by the writer.
    digest = payload_digest(gzip.compress(GBK_PAGE))
    revisit = w.create_revisit_record(
        ARTICLE,
        digest,
        ARTICLE,
        "2024-08-07T00:10:00Z",
        http_headers=StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=GB2312")], protocol="HTTP/1.1"
        ),
        warc_headers_dict={"WARC-Date": "2024-08-09T00:10:00Z"},
    )
    w.write_record(revisit)
    return buf.getvalue()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_read_foreign_warc_yields_html_responses_and_resolved_revisits(tmp_path, gz):
    path = _write(tmp_path, "f.warc.gz" if gz else "f.warc", _foreign_warc(gz))
    items = list(read_warc(path))
    assert [type(i) for i in items] == [Fetch, Fetch, Fetch]
    first, other, revisit = items
    assert first.url == ARTICLE
    assert first.body == GBK_PAGE  # the gzip content-encoding undone, bytes otherwise untouched
    assert first.status == 200
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.fetched_at == "2024-08-07T00:10:00Z"
    assert first.final_url == ""
    assert other.url == OTHER
    assert other.body == UTF8_PAGE
    assert revisit.url == ARTICLE
    assert revisit.body == GBK_PAGE
    assert revisit.fetched_at == "2024-08-09T00:10:00Z"
    assert revisit.headers == {"Content-Type": "text/html; charset=GB2312"}


def test_non_html_and_non_http_records_are_skipped(tmp_path):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    w.write_record(
        w.create_warc_record(
            "dns:cpc.people.com.cn",
            "resource",
            payload=io.BytesIO(b"1.2.3.4"),
            length=7,
            warc_content_type="text/dns",
        )
    )
    w.write_record(
        _response(
            w,
            "http://x.people.com.cn/a.css",
            b"p{}",
            [("Content-Type", "text/css")],
            "2024-01-01T00:00:00Z",
        )
    )
    assert list(read_warc(_write(tmp_path, "s.warc", buf.getvalue()))) == []


def test_revisit_without_http_headers_takes_the_originals(tmp_path):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(
        _response(w, ARTICLE, GBK_PAGE, [("Content-Type", "text/html")], "2024-01-01T00:00:00Z")
    )
    w.write_record(
        w.create_revisit_record(
            ARTICLE,
            payload_digest(GBK_PAGE),
            ARTICLE,
            "2024-01-01T00:00:00Z",
            warc_headers_dict={"WARC-Date": "2024-02-01T00:00:00Z"},
        )
    )
    _first, again = read_warc(_write(tmp_path, "r.warc.gz", buf.getvalue()))
    assert again.body == GBK_PAGE
    assert again.status == 200
    assert again.headers == {"Content-Type": "text/html"}
    assert again.fetched_at == "2024-02-01T00:00:00Z"


def test_revisit_of_an_image_is_skipped(tmp_path):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    png = [("Content-Type", "image/png")]
    w.write_record(
        _response(w, "http://x.people.com.cn/a.png", b"\x89PNG", png, "2024-01-01T00:00:00Z")
    )
    w.write_record(
        w.create_revisit_record(
            "http://x.people.com.cn/a.png",
            payload_digest(b"\x89PNG"),
            "http://x.people.com.cn/a.png",
            "2024-01-01T00:00:00Z",
            http_headers=StatusAndHeaders("200 OK", png, protocol="HTTP/1.1"),
        )
    )
    assert list(read_warc(_write(tmp_path, "i.warc", buf.getvalue()))) == []


def test_response_without_http_headers_is_an_error(tmp_path):
    block = b"just bytes, no status line"
    record = (
        b"WARC/1.0\r\nWARC-Type: response\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"WARC-Target-URI: " + ARTICLE.encode() + b"\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: " + str(len(block)).encode() + b"\r\n\r\n" + block + b"\r\n\r\n"
    )
    items = list(read_warc(_write(tmp_path, "h.warc", record)))
    assert len(items) == 1
    assert isinstance(items[0], WarcRecordError)
    assert "just bytes" in items[0].reason


def test_status_and_repeated_headers_are_kept(tmp_path):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(
        _response(
            w,
            ARTICLE,
            b"<html>not found</html>",
            [("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
            "2024-01-01T00:00:00Z",
            status="404 Not Found",
        )
    )
    (fetch,) = read_warc(_write(tmp_path, "n.warc.gz", buf.getvalue()))
    assert fetch.status == 404
    assert fetch.headers["Set-Cookie"] == "a=1, b=2"


# --- damaged input ----------------------------------------------------------------------------


def _offsets(data: bytes) -> list[tuple[int, str, str]]:
    """(offset, type, uri) of every record, as warcio indexes an undamaged file."""
    it = ArchiveIterator(io.BytesIO(data))
    out = []
    for record in it:
        record.content_stream().read()
        out.append(
            (
                it.get_record_offset(),
                record.rec_type,
                record.rec_headers.get_header("WARC-Target-URI") or "",
            )
        )
    return out


def _response_offset(data: bytes, uri: str) -> int:
    return next(o for o, t, u in _offsets(data) if t == "response" and u == uri)


def test_garbled_record_header_is_an_error_and_reading_goes_on(tmp_path):
    data = _foreign_warc(gzip_records=False)
    at = _response_offset(data, ARTICLE)
    assert data[at : at + 8] == b"WARC/1.0"
    damaged = data[:at] + b"WURC/9.9" + data[at + 8 :]
    items = list(read_warc(_write(tmp_path, "g.warc", damaged)))
    error = items[0]
    assert isinstance(error, WarcRecordError)
    assert error.offset == at
    assert "WURC/9.9" in error.reason
    # the next record is still read; the revisit of the lost record is reported, not invented
    assert isinstance(items[1], Fetch)
    assert items[1].url == OTHER
    assert isinstance(items[2], WarcRecordError)
    assert items[2].record_type == "revisit"
    assert "not found" in items[2].reason
    assert len(items) == 3


def test_broken_gzip_member_is_an_error_and_later_members_are_read(tmp_path):
    data = _foreign_warc(gzip_records=True)
    at = _response_offset(data, ARTICLE)
    damaged = bytearray(data)
    damaged[at + 20 : at + 60] = b"\x00" * 40  # inside the deflate stream of that member
    items = list(read_warc(_write(tmp_path, "b.warc.gz", bytes(damaged))))
    assert isinstance(items[0], WarcRecordError)
    assert items[0].offset == at
    assert "unreadable record" in items[0].reason
    assert [i.url for i in items if isinstance(i, Fetch)] == [OTHER]


def test_payload_that_fails_its_digest_is_an_error_carrying_the_bytes(tmp_path):
    data = _foreign_warc(gzip_records=False)
    i = data.index(UTF8_PAGE)
    damaged = bytearray(data)
    damaged[i + 10] ^= 0x01  # one flipped bit in the body of OTHER
    items = list(read_warc(_write(tmp_path, "d.warc", bytes(damaged))))
    error = next(x for x in items if isinstance(x, WarcRecordError))
    assert error.url == OTHER
    assert error.reason.startswith("digest mismatch")
    assert error.fetch is not None
    assert error.fetch.body != UTF8_PAGE
    assert len(error.fetch.body) == len(UTF8_PAGE)
    assert [x.url for x in items if isinstance(x, Fetch)] == [ARTICLE, ARTICLE]


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_truncated_file_reports_the_cut_record(tmp_path, gz):
    data = _foreign_warc(gz)
    at = _response_offset(data, OTHER)
    cut = data[: at + 40] if gz else data[: data.index(UTF8_PAGE) + 5]
    items = list(read_warc(_write(tmp_path, "t.warc.gz" if gz else "t.warc", cut)))
    assert isinstance(items[0], Fetch)
    assert items[0].url == ARTICLE
    assert isinstance(items[-1], WarcRecordError)
    assert items[-1].offset == at
    assert "truncated" in items[-1].reason
    assert len(items) == 2


def test_junk_after_the_last_record_is_reported(tmp_path):
    data = _foreign_warc(gzip_records=False) + b"garbage that is not a record\r\n"
    items = list(read_warc(_write(tmp_path, "j.warc", data)))
    assert [type(i) for i in items] == [Fetch, Fetch, Fetch, WarcRecordError]
    assert items[-1].offset == len(_foreign_warc(gzip_records=False))
    assert "garbage that is not a record" in items[-1].reason


def test_record_the_writer_truncated_is_an_error_carrying_the_bytes(tmp_path):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    record = _response(
        w, ARTICLE, GBK_PAGE[:40], [("Content-Type", "text/html")], "2024-01-01T00:00:00Z"
    )
    record.rec_headers.add_header("WARC-Truncated", "length")
    w.write_record(record)
    (error,) = read_warc(_write(tmp_path, "cut.warc.gz", buf.getvalue()))
    assert isinstance(error, WarcRecordError)
    assert error.reason == "the capture is incomplete (WARC-Truncated: length)"
    assert error.fetch.body == GBK_PAGE[:40]


def test_empty_file_yields_nothing(tmp_path):
    assert list(read_warc(_write(tmp_path, "e.warc", b""))) == []


# --- writing ----------------------------------------------------------------------------------


FETCHES = [
    Fetch(
        ARTICLE,
        GBK_PAGE,
        200,
        {
            "Content-Type": "text/html; charset=GB2312",
            "Content-Encoding": "gzip",
            "Content-Length": "77",
        },
        "",
        "2024-08-07T00:10:00+00:00",
    ),
    Fetch(OTHER, UTF8_PAGE, 200, {"Content-Type": "text/html"}, "", "2024-08-07T00:11:00.250Z"),
    Fetch(
        "http://cpc.people.com.cn/n1/2024/0807/c64094-40294554.html",
        b"<html>home</html>",
        200,
        {"Content-Type": "text/html"},
        "http://www.people.com.cn/",
        "2024-08-08T00:00:00Z",
    ),
    Fetch(ARTICLE, GBK_PAGE, 200, {"Content-Type": "text/html"}, "", "2024-08-09T00:10:00Z"),
]


def _export(fetches, gz=True) -> bytes:
    buf = io.BytesIO()
    write_fetches(buf, fetches, gzip=gz, filename="t.warc.gz")
    return buf.getvalue()


def test_written_warc_reads_cleanly_with_warcio_and_checks_every_digest():
    data = _export(FETCHES)
    it = ArchiveIterator(io.BytesIO(data), check_digests="raise")
    types = []
    for record in it:
        record.content_stream().read()
        types.append(record.rec_type)
        if record.rec_type != "warcinfo":
            assert record.rec_headers.protocol == "WARC/1.1"
    assert types == ["warcinfo"] + ["response", "request"] * 3 + ["revisit", "request"]


def test_response_records_carry_target_date_digest_and_original_bytes():
    records = []
    for record in ArchiveIterator(io.BytesIO(_export(FETCHES))):
        records.append((record.rec_headers, record.http_headers, record.content_stream().read()))
    rec, http, body = records[1]
    assert rec.get_header("WARC-Target-URI") == ARTICLE
    assert rec.get_header("WARC-Date") == "2024-08-07T00:10:00Z"
    assert rec.get_header("WARC-Payload-Digest") == payload_digest(GBK_PAGE)
    assert body == GBK_PAGE
    assert http.get_statuscode() == "200"
    assert http.get_header("Content-Type") == "text/html; charset=GB2312"
    # the stored body is decoded: the wire encoding is kept under the replay-tool prefix
    assert http.get_header("Content-Encoding") is None
    assert http.get_header(ORIG_PREFIX + "Content-Encoding") == "gzip"
    assert http.get_header(ORIG_PREFIX + "Content-Length") == "77"
    redirected = records[5][0]
    assert redirected.get_header("WARC-Target-URI") == "http://www.people.com.cn/"
    assert redirected.get_header(REQUESTED_URI_FIELD) == FETCHES[2].url


def test_unchanged_refetch_is_a_revisit_pointing_at_the_first_capture():
    records = list(ArchiveIterator(io.BytesIO(_export(FETCHES))))
    revisit = next(r for r in records if r.rec_type == "revisit").rec_headers
    assert revisit.get_header("WARC-Profile") == (
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    )
    assert revisit.get_header("WARC-Refers-To-Target-URI") == ARTICLE
    assert revisit.get_header("WARC-Refers-To-Date") == "2024-08-07T00:10:00Z"
    assert revisit.get_header("WARC-Date") == "2024-08-09T00:10:00Z"
    assert revisit.get_header("WARC-Payload-Digest") == payload_digest(GBK_PAGE)


@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_write_then_read_gives_back_the_same_fetches(tmp_path, gz):
    path = _write(tmp_path, "r.warc.gz" if gz else "r.warc", _export(FETCHES, gz))
    back = list(read_warc(path))
    assert len(back) == len(FETCHES)
    for original, read in zip(FETCHES, back, strict=True):
        assert read.url == original.url
        assert read.final_url == original.final_url
        assert read.body == original.body
        assert read.status == original.status
        assert read.headers == original.headers
        assert list(read.headers) == list(original.headers)  # order kept too
        assert read.fetched_at == original.fetched_at  # as written, via Cpc-Fetched-At


def test_warc_date_is_utc_with_z():
    assert warc_date("2024-08-07T08:10:00+08:00") == "2024-08-07T00:10:00Z"
    assert warc_date("2024-08-07T00:10:00.5Z") == "2024-08-07T00:10:00.500000Z"
    with pytest.raises(ValueError):
        warc_date("")


def test_fetch_error_is_written_as_request_and_metadata_never_a_response(tmp_path):
    error = FetchError(ARTICLE, "2024-08-07T01:00:00.25+00:00", "fetch_error", "timed out")
    buf = io.BytesIO()
    out = WarcOut(buf, gzip=True)
    out.write_error(error)
    records = [(r.rec_type, r.rec_headers) for r in ArchiveIterator(io.BytesIO(buf.getvalue()))]
    assert [t for t, _ in records] == ["warcinfo", "request", "metadata"]
    meta = records[2][1]
    assert meta.get_header("WARC-Target-URI") == ARTICLE
    assert meta.get_header("WARC-Date") == "2024-08-07T01:00:00.250000Z"
    assert meta.get_header("WARC-Concurrent-To") == records[1][1].get_header("WARC-Record-ID")
    (back,) = read_warc(_write(tmp_path, "e.warc.gz", buf.getvalue()))
    assert back == error  # the instant as the archive wrote it, the kind and the reason


def test_error_answers_for_pages_are_read_whatever_their_type_assets_are_not(tmp_path):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    text = [("Content-Type", "text/plain")]
    w.write_record(
        _response(w, ARTICLE, b"Not Found", text, "2024-01-01T00:00:00Z", "404 Not Found")
    )
    w.write_record(
        _response(
            w,
            "http://x.people.com.cn/a.jpg",
            b"gone",
            text,
            "2024-01-01T00:00:00Z",
            "404 Not Found",
        )
    )
    w.write_record(_response(w, OTHER, b"plain", text, "2024-01-01T00:00:00Z"))
    (page,) = read_warc(_write(tmp_path, "p.warc", buf.getvalue()))
    assert (page.url, page.status, page.body) == (ARTICLE, 404, b"Not Found")


def test_payload_whose_compression_breaks_part_way_names_the_decoder_error(tmp_path, capfd):
    # Incompressible bytes: the damage lands after warcio's first block has decoded.
    body = gzip.compress(random.Random(0).randbytes(60000))
    broken = body[:20000] + b"\xff" * 64 + body[20064:]
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    w.write_record(_response(w, ARTICLE, broken, headers, "2024-01-01T00:00:00Z"))
    (error,) = read_warc(_write(tmp_path, "z.warc", buf.getvalue()))
    assert isinstance(error, WarcRecordError)
    assert error.reason.startswith("payload could not be decoded: Error -3")
    assert capfd.readouterr().err == ""  # the reason is kept, not printed


def test_record_longer_than_its_content_length_is_reported_and_nothing_printed(tmp_path, capfd):
    data = _foreign_warc(gzip_records=False)
    i = data.index(UTF8_PAGE)
    # Two bytes more in OTHER's payload than its Content-Length says: warcio warns on stderr.
    damaged = data[: i + 5] + b"xx" + data[i + 5 :]
    items = list(read_warc(_write(tmp_path, "l.warc", damaged)))
    (error,) = [x for x in items if isinstance(x, WarcRecordError)]
    assert error.url == OTHER
    assert error.reason.startswith("digest mismatch")
    assert capfd.readouterr().err == ""
