"""Crafted WARC files: bombs, files that are no WARC, the same file twice, a killed import.

Each ends with every record accounted for (a snapshot, a failures row, or a duplicate of one
already stored), integrity_check ok, and the run's finish reason telling the truth.
"""

from __future__ import annotations

import gzip
import io
import sys

import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive.db import open_archive
from crawler.archive.runs import start_run
from crawler.archive.store import store_fetches
from crawler.archive.warc.files import import_warc
from crawler.archive.warc.records import FetchError, NotAWarc, WarcOut, read_warc
from crawler.cli import main
from crawler.cli.demo import ROOT
from crawler.replay import bomb
from tests.fixture_archive import MULTIPAGE, SEED, SPECIAL, T1, fixture_fetches
from tests.peak_rss import run_measured

BOMB_SIZE = 256 << 20  # inflated whole, the import alone would pass this


def warc_bytes(records, *, gz: bool = False) -> bytes:
    """A WARC of (url, status, headers, payload) response records."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gz)
    for url, status, headers, payload in records:
        http = StatusAndHeaders(f"{status} OK", list(headers.items()), protocol="HTTP/1.1")
        w.write_record(
            w.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(payload),
                length=len(payload),
                http_headers=http,
                warc_headers_dict={"WARC-Date": T1},
            )
        )
    return buf.getvalue()


def fetch_records(fetches):
    return [(f.url, f.status, f.headers, f.body) for f in fetches]


def counts(db, table: str) -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- a file that is not a WARC ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"<html><body>not a warc</body></html>", gzip.compress(b"GIF89a not a warc either")],
    ids=["empty", "html", "gzip-of-something-else"],
)
def test_a_file_that_is_not_a_warc_is_refused_and_nothing_recorded(tmp_path, data):
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(data)
    db_path = tmp_path / "a.db"
    result = CliRunner().invoke(main, ["import-warc", "--db", str(db_path), str(path)])
    assert result.exit_code == 1
    assert "is not a WARC file" in result.output
    assert "Traceback" not in result.output
    assert not db_path.exists()


def test_import_warc_function_refuses_a_non_warc_before_starting_a_run(tmp_path):
    path = tmp_path / "notes.warc"
    path.write_text("hello", "utf-8")
    db = open_archive(tmp_path / "a.db")
    with pytest.raises(NotAWarc):
        import_warc(db, path)
    assert counts(db, "runs") == 0


def test_a_later_file_that_is_not_a_warc_refuses_the_whole_command(tmp_path):
    good = tmp_path / "good.warc"
    good.write_bytes(warc_bytes(fetch_records(fixture_fetches(SEED, T1))))
    bad = tmp_path / "bad.warc"
    bad.write_bytes(b"PK\x03\x04 a zip file")
    db_path = tmp_path / "a.db"
    result = CliRunner().invoke(main, ["import-warc", "--db", str(db_path), str(good), str(bad)])
    assert result.exit_code == 1
    assert not db_path.exists()


# --- bombs ---------------------------------------------------------------------------------------


def test_a_compressed_payload_bomb_is_too_large_with_its_first_bytes(tmp_path):
    url = "http://cpc.people.com.cn/n1/2024/0807/c64094-40000001.html"
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    path = tmp_path / "bomb.warc"
    path.write_bytes(warc_bytes([(url, 200, headers, bomb(32 << 20))]))
    (item,) = list(read_warc(path, max_size=1 << 20))
    assert item.kind == "too_large"
    assert len(item.fetch.body) == 1 << 20
    db = open_archive(tmp_path / "a.db")
    # Through import_warc with the crawl's own cap (16 MB).
    report = import_warc(db, path)
    assert report.counts == {"failed": 1}
    ((kind, reason, size),) = db.execute(
        "SELECT f.kind, f.reason, s.size FROM failures f JOIN snapshots s ON s.id = f.snapshot_id"
    ).fetchall()
    assert kind == "too_large"
    assert "size cap" in reason
    assert size == 16 * 1024 * 1024
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_record_bigger_than_the_cap_is_read_no_further(tmp_path):
    url = "http://cpc.people.com.cn/n1/2024/0807/c64094-40000002.html"
    path = tmp_path / "big.warc.gz"
    record = (url, 200, {"Content-Type": "text/html"}, bytes(8 << 20))
    path.write_bytes(warc_bytes([record], gz=True))
    (item,) = list(read_warc(path, max_size=1 << 20))
    assert (item.kind, item.url, len(item.fetch.body)) == ("too_large", url, 1 << 20)


def test_importing_a_bomb_keeps_memory_bounded(tmp_path):
    url = "http://cpc.people.com.cn/n1/2024/0807/c64094-40000003.html"
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(warc_bytes([(url, 200, headers, bomb(BOMB_SIZE))], gz=True))
    assert path.stat().st_size < 1 << 20
    code, out, peak = run_measured(
        [sys.executable, "-m", "crawler.cli", "import-warc", "--db", str(tmp_path / "a.db"),
         str(path)],
        cwd=ROOT,
    )  # fmt: skip
    assert code == 0, out
    print(f"peak RSS importing a {BOMB_SIZE >> 20} MB bomb: {peak >> 20} MB")
    assert peak < BOMB_SIZE
    db = open_archive(tmp_path / "a.db")
    assert db.execute("SELECT kind FROM failures").fetchall() == [("too_large",)]


# --- the same file twice, a killed import ---------------------------------------------------------


def three_articles(tmp_path):
    path = tmp_path / "three.warc.gz"
    fetches = fixture_fetches(SEED, T1) + fixture_fetches(MULTIPAGE, T1)
    fetches += fixture_fetches(SPECIAL, T1)
    records = fetch_records(fetches)
    records.append(("http://cpc.people.com.cn/n1/2024/0807/c1-1.html", 500, {}, b"oops"))
    path.write_bytes(warc_bytes(records, gz=True))
    return path


def test_importing_the_same_file_twice_stores_it_once(tmp_path):
    path = three_articles(tmp_path)
    db = open_archive(tmp_path / "a.db")
    import_warc(db, path)
    before = [counts(db, t) for t in ("snapshots", "failures", "articles", "versions")]
    again = import_warc(db, path)
    assert again.counts == {"duplicate": 4}
    assert [counts(db, t) for t in ("snapshots", "failures", "articles", "versions")] == before
    assert db.execute("SELECT finish_reason FROM runs").fetchall() == [
        ("finished",),
        ("finished",),
    ]


def test_importing_a_request_without_a_response_twice_records_it_once(tmp_path):
    db = open_archive(tmp_path / "a.db")
    url = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"
    error = FetchError(url, T1, "fetch_error", "DownloadTimeoutError: took too long")
    path = tmp_path / "errors.warc.gz"
    with path.open("wb") as fh:
        WarcOut(fh).write_error(error)
    first = import_warc(db, path)
    again = import_warc(db, path)
    assert first.counts == {"failed": 1}
    assert again.counts == {"duplicate": 1}
    assert db.execute("SELECT url, kind, snapshot_id FROM failures").fetchall() == [
        (url, "fetch_error", None)
    ]


def test_a_killed_import_is_closed_interrupted_and_its_rerun_resumes(tmp_path):
    path = three_articles(tmp_path)
    db = open_archive(tmp_path / "a.db")
    # What a SIGKILL leaves: a run never closed, holding the first article only.
    killed = start_run(db, "import-warc", {"file": str(path)})
    store_fetches(db, killed, fixture_fetches(SEED, T1))
    report = import_warc(db, path)
    assert report.counts == {"duplicate": 1, "new": 2, "failed": 1}
    assert db.execute("SELECT id, finish_reason FROM runs ORDER BY id").fetchall() == [
        (killed, "interrupted"),
        (report.run_id, "finished"),
    ]
    assert counts(db, "articles") == 3
    dup = "SELECT url, count(*) FROM snapshots GROUP BY url, fetched_at HAVING count(*) > 1"
    assert db.execute(dup).fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# --- off-site captures ----------------------------------------------------------------------------


def test_an_off_site_capture_claiming_a_content_id_never_becomes_the_article(tmp_path):
    db = open_archive(tmp_path / "a.db")
    (real,) = fixture_fetches(SEED, T1)
    store_fetches(db, start_run(db, "ingest"), [real])
    before = db.execute("SELECT key, title, content_sha256, version FROM articles").fetchall()
    forged = real.body.replace("妇联".encode("gb18030"), "伪造".encode("gb18030"))
    path = tmp_path / "evil.warc"
    later = [("http://evil.example/n1/2024/0807/c64094-40294513.html", 200, real.headers, forged)]
    path.write_bytes(warc_bytes(later).replace(T1.encode(), b"2030-01-01T00:00:00Z"))
    report = import_warc(db, path)
    assert report.counts == {"failed": 1}
    assert db.execute("SELECT key, title, content_sha256, version FROM articles").fetchall() == (
        before
    )
    ((kind, reason, key),) = db.execute(
        "SELECT kind, reason, article_key FROM failures WHERE url LIKE 'http://evil.example/%'"
    ).fetchall()
    assert (kind, key) == ("off_site", None)
    assert "evil.example" in reason


# --- export-warc then import-warc: an equal archive, flags and failures included ----------------


def every_kind_archive(path):
    """An archive holding a changed, a removed and an incomplete article, and failures of
    every kind a source records or the archive judges."""
    from dataclasses import replace

    from crawler.records import Fetch, NotArticle
    from tests.fixture_archive import OLD, T2, edited_seed, removed_old

    db = open_archive(path)
    run1, cpc = start_run(db, "crawl"), "http://cpc.people.com.cn/n1/2024/0801/c64094-"
    for case in (SEED, OLD):
        store_fetches(db, run1, fixture_fetches(case, T1))
    first, second, third = fixture_fetches(MULTIPAGE, T1)
    store_fetches(db, run1, [first, replace(second, status=500, body=b"<html>busy</html>"), third])
    (seed,) = fixture_fetches(SEED, T1)
    judged = [
        (Fetch(cpc + "1.html", b"", 0, {}, "", T1), "fetch_error", "TimeoutError: took 30 s"),
        (
            Fetch(cpc + "2.html", bomb(1 << 20)[:4096], 200, {"Content-Encoding": "gzip"}, "", T1),
            "too_large",
            "the body inflates past DOWNLOAD_MAXSIZE (16777216 B); kept compressed, as it arrived",
        ),
        (
            Fetch(cpc + "3.html", b"", 302, {"Location": cpc + "3.html"}, "", T1),
            "redirect_loop",
            "more than 20 redirects (21 followed), the last answering 302 to itself",
        ),
    ]
    for fetch, kind, reason in judged:
        store_fetches(db, run1, [fetch], NotArticle(fetch.url, kind, reason))
    judged_by_the_archive = [
        Fetch(cpc + "4.html", b"<html>oops</html>", 500, {}, "", T1),  # http_500
        Fetch(cpc + "5.html", b"", 200, {}, "", T1),  # empty
        Fetch(cpc + "6.html", seed.body[: len(seed.body) * 2 // 3], 200, seed.headers, "", T1),
        Fetch("http://evil.example/n1/x.html", seed.body, 200, seed.headers, "", T1),  # off_site
        Fetch(cpc + "7.html", b"gone", 404, {}, "", T1),  # http_404
    ]
    for fetch in judged_by_the_archive:
        store_fetches(db, run1, [fetch])
    run2 = start_run(db, "crawl")
    store_fetches(db, run2, [edited_seed(T2)])
    store_fetches(db, run2, [removed_old(T2)])
    return db


def test_export_then_import_of_an_archive_of_every_kind_gives_an_equal_archive(tmp_path):
    original = every_kind_archive(tmp_path / "a.db")
    kinds = {k for (k,) in original.execute("SELECT kind FROM failures")}
    assert kinds >= {"fetch_error", "too_large", "redirect_loop", "http_500", "empty"}
    assert kinds >= {"truncated", "off_site", "http_404"}
    out = tmp_path / "all.warc.gz"
    runner = CliRunner()
    result = runner.invoke(main, ["export-warc", "--db", str(tmp_path / "a.db"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["import-warc", "--db", str(tmp_path / "b.db"), str(out)])
    assert result.exit_code == 0, result.output
    back = open_archive(tmp_path / "b.db")

    def rows(db, sql):
        return [tuple(r) for r in db.execute(sql)]

    articles = (
        "SELECT key, url, title, body_text, version, removed_at, first_seen, last_seen, "
        "page_count, missing_pages, content_sha256 FROM articles ORDER BY key"
    )
    versions = (
        "SELECT article_key, version, content_sha256, fields, seen_from, seen_to "
        "FROM versions ORDER BY article_key, version"
    )
    failures = "SELECT url, kind, reason, article_key FROM failures ORDER BY url, kind"
    snapshots = "SELECT url, status, headers, fetched_at, body_sha256, page FROM snapshots"
    for sql in (articles, versions, failures, snapshots + " ORDER BY id"):
        assert rows(back, sql) == rows(original, sql), sql
    flagged = rows(back, "SELECT missing_pages FROM articles WHERE missing_pages IS NOT NULL")
    assert len(flagged) == 1
    assert [r[0] for r in rows(back, "SELECT removed_at IS NOT NULL FROM articles")].count(1) == 1
    assert rows(back, "SELECT max(version) FROM versions")[0][0] == 2


# --- a Content-Length that does not match the payload ---------------------------------------------


def wrong_length_warc(records, delta: int, *, gz: bool) -> bytes:
    """The records as one WARC, the first one's WARC Content-Length off by `delta` bytes."""
    first, *rest = (warc_bytes([r], gz=gz) for r in records)
    if gz:
        first = gzip.compress(wrong_length(gzip.decompress(first), delta))
    else:
        first = wrong_length(first, delta)
    return first + b"".join(rest)


def wrong_length(record: bytes, delta: int) -> bytes:
    name = b"\r\nContent-Length: "  # the WARC header: the first one in the record
    start = record.index(name) + len(name)
    end = record.index(b"\r\n", start)
    return record[:start] + str(int(record[start:end]) + delta).encode() + record[end:]


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
@pytest.mark.parametrize("delta", [-700, 700], ids=["shorter", "longer"])
def test_a_record_with_a_wrong_content_length_is_a_failure_and_the_next_record_is_read(
    tmp_path, delta, gz
):
    (bad,) = fetch_records(fixture_fetches(SEED, T1))
    (good,) = fetch_records(fixture_fetches(SPECIAL, T1))
    path = tmp_path / "lengths.warc"
    path.write_bytes(wrong_length_warc([bad, good], delta, gz=gz))
    db = open_archive(tmp_path / "a.db")
    report = import_warc(db, path)
    assert report.counts["new"] == 1
    reasons = db.execute("SELECT url, reason FROM failures ORDER BY id").fetchall()
    assert reasons[0][0] == bad[0]
    # Read to its declared length the payload fails its digest, or the member ends first.
    assert (
        "digest mismatch" in reasons[0][1]
        or "of the declared length are missing" in (reasons[0][1])
    )
    stored = db.execute("SELECT url FROM articles").fetchall()
    assert stored == [(good[0],)]
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
