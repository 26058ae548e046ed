"""crawler.archive.warc.files, export-warc and import-warc: an archive goes out as WARC and
comes back equal."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive.db import open_archive
from crawler.archive.warc.files import (
    PageGroup,
    export_snapshot_ids,
    export_warc,
    group_pages,
    import_warc,
)
from crawler.archive.warc.records import FetchError, WarcRecordError
from crawler.cli import main
from crawler.records import Fetch
from tests.fixture_archive import MULTIPAGE, SEED, T1, fixture_fetches


def _rows(db, sql: str) -> list[dict]:
    return [dict(r) for r in db.query(sql)]


def _snapshots(db) -> list[tuple]:
    return [
        tuple(r)
        for r in db.execute(
            "SELECT url, final_url, status, headers, fetched_at, body_sha256, size, page, "
            "article_key FROM snapshots ORDER BY fetched_at, id"
        )
    ]


ARTICLE_SQL = "SELECT * FROM articles ORDER BY key"
VERSION_SQL = (
    "SELECT article_key, version, content_sha256, body_sha256, fields, parser_version, "
    "seen_from, seen_to FROM versions ORDER BY article_key, version"
)


def test_round_trip_export_then_import_gives_an_equal_archive(archive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # missing folders are created inside the current directory
    out = tmp_path / "exports" / "all.warc.gz"
    result = CliRunner().invoke(main, ["export-warc", "--db", str(archive), "--out", str(out)])
    assert result.exit_code == 0, result.output

    # warcio reads it cleanly, every digest checked
    types = []
    with open(out, "rb") as fh:
        for record in ArchiveIterator(fh, check_digests="raise"):
            record.content_stream().read()
            types.append(record.rec_type)
    assert types[0] == "warcinfo"
    assert types.count("response") + types.count("revisit") == 13  # one per snapshot
    assert types.count("request") == 13

    copy = tmp_path / "copy.db"
    result = CliRunner().invoke(main, ["import-warc", "--db", str(copy), str(out)])
    assert result.exit_code == 0, result.output

    original, back = open_archive(archive), open_archive(copy)
    assert _snapshots(back) == _snapshots(original)
    assert _rows(back, ARTICLE_SQL) == _rows(original, ARTICLE_SQL)
    assert _rows(back, VERSION_SQL) == _rows(original, VERSION_SQL)
    assert _rows(back, "SELECT * FROM article_urls ORDER BY url") == _rows(
        original, "SELECT * FROM article_urls ORDER BY url"
    )
    assert _rows(back, "SELECT url, kind, reason FROM failures ORDER BY url") == _rows(
        original, "SELECT url, kind, reason FROM failures ORDER BY url"
    )
    assert sorted(r[0] for r in back.execute("SELECT sha256 FROM bodies")) == sorted(
        r[0] for r in original.execute("SELECT sha256 FROM bodies")
    )
    # one import run with the outcomes of both crawl runs
    (run,) = _rows(back, "SELECT kind, fetched, new, changed, unchanged, removed, failed FROM runs")
    assert run == {
        "kind": "import-warc",
        "fetched": 13,
        "new": 7,
        "changed": 1,
        "unchanged": 1,
        "removed": 1,
        "failed": 1,
    }


def test_export_with_filters_takes_the_articles_and_their_continuation_pages(archive, tmp_path):
    db = open_archive(archive)
    ids = export_snapshot_ids(db, ["people:40293310"])
    urls = [db.execute("SELECT url FROM snapshots WHERE id = ?", [i]).fetchone()[0] for i in ids]
    assert urls == [f.url for f in fixture_fetches(MULTIPAGE, T1)]

    out = tmp_path / "seed.warc"
    result = CliRunner().invoke(
        main,
        ["export-warc", "--db", str(archive), "--out", str(out), "--query", "妇联", "--json"],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["responses"], summary["revisits"]) == (2, 0)  # two different versions
    assert out.read_bytes().startswith(b"WARC/1.1\r\n")  # .warc: not compressed


def test_export_warc_refuses_to_overwrite_and_dotdot(archive, tmp_path):
    out = tmp_path / "x.warc.gz"
    out.write_bytes(b"keep")
    result = CliRunner().invoke(main, ["export-warc", "--db", str(archive), "--out", str(out)])
    assert result.exit_code == 1
    assert out.read_bytes() == b"keep"
    result = CliRunner().invoke(
        main, ["export-warc", "--db", str(archive), "--out", str(tmp_path / ".." / "x.warc.gz")]
    )
    assert result.exit_code == 2
    assert "'..' is not allowed" in result.output


# --- importing damaged and foreign files -----------------------------------------------------


def _warc_of(fetches: list[Fetch]) -> bytes:
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    for f in fetches:
        http = StatusAndHeaders(f"{f.status} OK", list(f.headers.items()), protocol="HTTP/1.1")
        w.write_record(
            w.create_warc_record(
                f.url,
                "response",
                payload=io.BytesIO(f.body),
                length=len(f.body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": f.fetched_at},
            )
        )
    return buf.getvalue()


def test_import_of_a_damaged_warc_quarantines_the_bad_records(tmp_path):
    seed = fixture_fetches(SEED, T1)
    multi = fixture_fetches(MULTIPAGE, T1)
    data = bytearray(_warc_of(seed + multi))
    # garble the WARC header of the third page of the multi-page article...
    last = data.rindex(b"WARC/1.0")
    data[last : last + 8] = b"WARX/1.0"
    # ...and flip a bit in the body of the seed page (its digest then fails)
    body_at = data.index(seed[0].body[:200])
    data[body_at + 100] ^= 0x01
    path = tmp_path / "damaged.warc"
    path.write_bytes(bytes(data))

    db = open_archive(tmp_path / "a.db")
    report = import_warc(db, path)
    assert len(report.errors) == 2
    failures = _rows(
        db, "SELECT url, kind, reason, snapshot_id FROM failures WHERE kind = 'warc_record'"
    )
    assert [f["kind"] for f in failures] == ["warc_record", "warc_record"]
    assert failures[0]["url"] == seed[0].url
    assert "digest mismatch" in failures[0]["reason"]
    assert failures[0]["snapshot_id"] is not None  # the damaged bytes are kept
    assert "damaged.warc#offset=" in failures[1]["url"]
    assert failures[1]["snapshot_id"] is None  # nothing readable to keep
    # the damaged seed page made no article; the multi-page article lost its page 3, so it is
    # stored with the two pages it has, flagged with the missing one (a deliberate change:
    # it was a failure, unsearchable)
    ((url, missing),) = db.execute("SELECT url, missing_pages FROM articles").fetchall()
    assert url == multi[0].url
    assert json.loads(missing) == [
        {"url": multi[2].url, "reason": "not fetched", "transient": True}
    ]
    (run,) = _rows(db, "SELECT kind, finish_reason, failed FROM runs")
    assert run["kind"] == "import-warc"
    assert run["finish_reason"] == "finished"
    assert run["failed"] == 2


def test_import_warc_command_lists_damaged_records(tmp_path):
    data = bytearray(_warc_of(fixture_fetches(SEED, T1)))
    data[data.index(b"WARC/1.0") : data.index(b"WARC/1.0") + 8] = b"XXXX/1.0"
    path = tmp_path / "bad.warc"
    path.write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["import-warc", "--db", str(tmp_path / "a.db"), str(path)])
    assert result.exit_code == 0, result.output
    assert "1 damaged records (kept in failures)" in result.output
    assert "XXXX/1.0" in result.output


def test_import_warc_of_a_missing_file_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["import-warc", "--db", str(tmp_path / "a.db"), "nope.warc"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


# --- grouping continuation pages ----------------------------------------------------------------


def test_continuation_pages_join_their_first_page():
    multi = fixture_fetches(MULTIPAGE, T1)
    seed = fixture_fetches(SEED, T1)
    items = [multi[0], seed[0], multi[2], multi[1]]  # interleaved and out of order
    groups = list(group_pages(items))
    assert [[f.url for f in g.fetches] for g in groups] == [
        [f.url for f in multi],
        [seed[0].url],
    ]
    assert all(not g.orphan for g in groups)


def test_continuation_page_without_its_first_page_is_an_orphan():
    multi = fixture_fetches(MULTIPAGE, T1)
    (group,) = list(group_pages([multi[1]]))
    assert isinstance(group, PageGroup)
    assert "without its first page" in group.orphan


def test_a_second_capture_starts_a_new_group_and_order_is_kept():
    multi = fixture_fetches(MULTIPAGE, T1)
    later = [Fetch(f.url, f.body, 200, f.headers, "", "2024-09-01T00:00:00Z") for f in multi]
    groups = list(group_pages([*multi, *later]))
    assert [len(g.fetches) for g in groups] == [3, 3]
    assert [g.fetches[0].fetched_at for g in groups] == [T1, "2024-09-01T00:00:00Z"]


def test_a_group_waits_only_a_window_of_records():
    multi = fixture_fetches(MULTIPAGE, T1)
    filler = [
        Fetch(f"http://cpc.people.com.cn/GB/1/{i}/index.html", b"<html></html>") for i in range(5)
    ]
    groups = list(group_pages([multi[0], *filler, multi[1]], window=3))
    assert groups[0].fetches == [multi[0]]
    assert groups[-1].orphan  # page 2 came too late to join


def test_errors_pass_through_grouping():
    error = WarcRecordError("f.warc", 10, "bad")
    assert list(group_pages([error])) == [error]


def test_export_warc_function_counts_revisits(archive):
    db = open_archive(archive)
    buf = io.BytesIO()
    counts = export_warc(db, buf, export_snapshot_ids(db))
    assert (counts.responses, counts.revisits) == (11, 2)


def test_export_warc_with_a_malformed_query_is_a_usage_error(archive, tmp_path):
    out = tmp_path / "q.warc.gz"
    result = CliRunner().invoke(
        main, ["export-warc", "--db", str(archive), "--out", str(out), "--query", '"open']
    )
    assert result.exit_code == 2
    assert "bad query" in result.output
    assert list(tmp_path.iterdir()) == []


def test_import_warc_json_output(tmp_path):
    path = tmp_path / "seed.warc"
    path.write_bytes(_warc_of(fixture_fetches(SEED, T1)))
    result = CliRunner().invoke(
        main, ["import-warc", "--db", str(tmp_path / "a.db"), str(path), "--json"]
    )
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert report["counts"] == {"new": 1}
    assert report["errors"] == []


def test_export_of_an_archive_with_a_damaged_body_writes_the_rest_and_lists_it(archive, tmp_path):
    """One damaged body no longer aborts the export (a deliberate change of behaviour)."""
    import shutil
    import sqlite3

    damaged = tmp_path / "damaged.db"
    shutil.copy(archive, damaged)
    conn = sqlite3.connect(damaged)
    digest = conn.execute("SELECT sha256 FROM bodies WHERE rowid = 1").fetchone()[0]
    (hit,) = conn.execute(
        "SELECT count(*) FROM snapshots WHERE body_sha256 = ?", [digest]
    ).fetchone()
    (total,) = conn.execute("SELECT count(*) FROM snapshots").fetchone()
    conn.execute("UPDATE bodies SET data = X'00112233' WHERE rowid = 1")
    conn.commit()
    conn.close()
    out = tmp_path / "out.warc.gz"
    result = CliRunner().invoke(
        main, ["export-warc", "--db", str(damaged), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert len(summary["damaged"]) == hit
    assert "does not decompress" in summary["damaged"][0]
    written = summary["responses"] + summary["revisits"] + summary["no_response"]
    assert written == total - hit
    with out.open("rb") as fh:
        uris = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)]
    assert len(uris) > 1


def test_round_trip_keeps_wire_headers_and_redirects(tmp_path):
    """A fetch as Scrapy hands it over: body decoded, headers as the server sent them."""
    from crawler.archive.runs import finish_run, start_run
    from crawler.archive.store import store_fetches

    (seed,) = fixture_fetches(SEED, T1)
    headers = {
        "Content-Type": "text/html; charset=GB2312",
        "Content-Encoding": "gzip",
        "Content-Length": "8123",  # of the gzip stream on the wire, not of the stored body
        "Vary": "Accept-Encoding",
    }
    scrapy_like = Fetch(
        seed.url.replace("http://", "https://"), seed.body, 200, headers, seed.url, T1
    )
    db = open_archive(tmp_path / "a.db")
    run = start_run(db, "crawl")
    store_fetches(db, run, [scrapy_like])
    finish_run(db, run, "finished")
    buf = io.BytesIO()
    export_warc(db, buf, export_snapshot_ids(db))
    path = tmp_path / "x.warc.gz"
    path.write_bytes(buf.getvalue())
    back = open_archive(tmp_path / "b.db")
    import_warc(back, path)
    assert _snapshots(back) == _snapshots(db)
    assert _rows(back, ARTICLE_SQL) == _rows(db, ARTICLE_SQL)


def test_fetch_errors_and_orphans_keep_their_place_in_the_order(tmp_path):
    multi = fixture_fetches(MULTIPAGE, T1)
    error = FetchError(
        "http://cpc.people.com.cn/n1/2024/0730/c64387-40295004.html", T1, "fetch_error", "timed out"
    )
    orphan = Fetch("http://cpc.people.com.cn/n1/2024/0101/c1-1-2.html", b"<html>", 200, {}, "", T1)
    out = list(group_pages([multi[0], error, orphan, multi[1], multi[2]]))
    assert [type(x).__name__ for x in out] == ["PageGroup", "FetchError", "PageGroup"]
    assert len(out[0].fetches) == 3
    assert out[2].orphan


@pytest.mark.e2e
def test_round_trip_of_a_crawl_of_the_recorded_site(tmp_path):
    """The real spider's archive (redirects, 404s, 500, timeouts, a 10 MB page, multi-page,
    incomplete articles) goes out as WARC and comes back the same, row for row."""
    import subprocess

    from crawler.cli.demo import ROOT, crawl_command, crawl_env
    from crawler.replay import ReplayServer
    from tests.site_paths import SITE

    crawled = tmp_path / "crawled.db"
    with ReplayServer(SITE) as server:
        done = subprocess.run(
            crawl_command(crawled, ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "LOG_LEVEL=WARNING"]),
            env=crawl_env(server.url),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "crawl.warc.gz"
    result = CliRunner().invoke(main, ["export-warc", "--db", str(crawled), "--out", str(out)])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "copy.db"
    result = CliRunner().invoke(main, ["import-warc", "--db", str(copy), str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["errors"] == []

    original, back = open_archive(crawled), open_archive(copy)
    kinds = {r[0] for r in original.execute("SELECT kind FROM failures")}
    assert {"fetch_error", "http_404", "redirect_home"} <= kinds  # it was tested
    # and incomplete articles (a continuation page answered 404), stored flagged
    flagged = "SELECT count(*) FROM articles WHERE missing_pages IS NOT NULL"
    assert original.execute(flagged).fetchone()[0] >= 2
    every = "SELECT * FROM snapshots ORDER BY id"
    snapshot_columns = "id, url, final_url, status, headers, fetched_at, body_sha256, page"
    assert _rows(back, f"SELECT {snapshot_columns} FROM snapshots ORDER BY id") == _rows(
        original, f"SELECT {snapshot_columns} FROM snapshots ORDER BY id"
    )
    assert len(_rows(back, every)) == len(_rows(original, every))
    assert _rows(back, ARTICLE_SQL) == _rows(original, ARTICLE_SQL)
    assert _rows(back, VERSION_SQL) == _rows(original, VERSION_SQL)
    # A request that got no response has a failures row but no snapshot: the export places it
    # by time among the snapshots, so rows of one second may come back in another id order.
    failures = (
        "SELECT url, snapshot_id, kind, reason, article_key FROM failures "
        "ORDER BY url, kind, reason, snapshot_id"
    )
    assert _rows(back, failures) == _rows(original, failures)
    assert _rows(original, "SELECT count(*) AS n FROM snapshots WHERE status = 0") == [{"n": 0}]
