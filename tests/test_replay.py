"""The replay proxy: recorded bytes by full URL, 404 for the rest, and each injected fault."""

import http.client
import json
import socket

import pytest

from crawler.archive.db import open_archive
from crawler.archive.runs import start_run
from crawler.archive.store import store_fetches
from crawler.records import Fetch
from crawler.replay import ReplayServer, open_source
from tests.site_paths import SITE, manifest_entry

ARTICLE = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294513.html"
GBK_PAGE = "http://js.people.com.cn/n2/2022/0213/c360307-35131671.html"


def get(server, url, timeout=10.0):
    """GET `url` through the proxy the way an HTTP client with http_proxy set does."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    conn.request("GET", url)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), body


@pytest.fixture(scope="module")
def server():
    with ReplayServer(SITE) as s:
        yield s


def test_serves_recorded_bytes_exactly(server):
    status, headers, body = get(server, GBK_PAGE)
    assert status == 200
    assert body == (SITE / manifest_entry(GBK_PAGE)["file"]).read_bytes()
    assert headers["Content-Type"] == "text/html; charset=GB2312"


def test_unknown_url_is_404(server):
    status, _, _ = get(server, "http://cpc.people.com.cn/n1/2030/0101/c1-1.html")
    assert status == 404


def test_robots_txt_is_served_from_the_site(server):
    status, _, body = get(server, "http://cpc.people.com.cn/robots.txt")
    assert status == 200
    assert b"Disallow: /GB/99999/" in body


def test_hits_are_recorded(server):
    before = len(server.hits)
    get(server, ARTICLE)
    assert server.hits[before].url == ARTICLE
    assert server.hits[before].status == 200


def test_binds_loopback_only(server):
    assert server.httpd.server_address[0] == "127.0.0.1"


def faulty(fault, url=ARTICLE):
    return ReplayServer(SITE, faults={url: fault})


def test_status_fault_with_retry_after_then_recovers():
    with faulty({"kind": "status", "status": 503, "retry_after": 2, "times": 1}) as s:
        status, headers, _ = get(s, ARTICLE)
        assert (status, headers["Retry-After"]) == (503, "2")
        status, _, body = get(s, ARTICLE)
        assert status == 200
        assert body == (SITE / manifest_entry(ARTICLE)["file"]).read_bytes()


def test_truncated_body_is_short_of_its_content_length():
    with faulty({"kind": "truncated"}) as s:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.request("GET", ARTICLE)
        resp = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            resp.read()


def test_empty_body():
    with faulty({"kind": "empty"}) as s:
        status, headers, body = get(s, ARTICLE)
        assert (status, body, headers["Content-Length"]) == (200, b"", "0")


def test_wrong_charset_header_keeps_the_bytes():
    with faulty({"kind": "charset", "content_type": "text/html; charset=ISO-8859-1"}) as s:
        _, headers, body = get(s, ARTICLE)
        assert headers["Content-Type"] == "text/html; charset=ISO-8859-1"
        assert body == (SITE / manifest_entry(ARTICLE)["file"]).read_bytes()


def test_huge_page_is_ten_megabytes_starting_with_the_page():
    with faulty({"kind": "huge"}) as s:
        _, _, body = get(s, ARTICLE, timeout=30)
        original = (SITE / manifest_entry(ARTICLE)["file"]).read_bytes()
        assert len(body) == 10 * 1024 * 1024
        head = original[: original.rfind(b"</body")]
        assert body.startswith(head)
        assert body.endswith(original[len(head) :])


def test_malformed_page_loses_closing_tags():
    with faulty({"kind": "malformed"}) as s:
        _, _, body = get(s, ARTICLE)
        assert b"</div>" not in body
        assert b"</p>" not in body


def test_redirect_to_the_home_page():
    with faulty({"kind": "redirect"}) as s:
        status, headers, _ = get(s, ARTICLE)
        assert (status, headers["Location"]) == (302, "http://cpc.people.com.cn/")


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_bomb_is_small_on_the_wire_and_inflates_to_its_size(encoding):
    import zlib

    with faulty({"kind": "bomb", "size": 5 << 20, "encoding": encoding}) as s:
        status, headers, body = get(s, ARTICLE)
    assert (status, headers["Content-Encoding"]) == (200, encoding)
    assert len(body) < 50_000
    inflated = zlib.decompress(body, {"gzip": 31, "deflate": 15}[encoding])
    assert inflated == bytes(5 << 20)


def test_loop_redirects_to_the_url_itself():
    with faulty({"kind": "loop"}) as s:
        status, headers, _ = get(s, ARTICLE)
    assert (status, headers["Location"]) == (302, ARTICLE)


def test_base_fault_puts_the_base_first_in_the_head():
    with faulty({"kind": "base"}) as s:
        _, _, body = get(s, ARTICLE)
    original = (SITE / manifest_entry(ARTICLE)["file"]).read_bytes()
    assert b'<base href="http://[::1/">' in body
    assert body.replace(b'<base href="http://[::1/">', b"", 1) == original


def test_pager_fault_names_the_pages_in_the_article_pager():
    with faulty({"kind": "pager", "count": 50}) as s:
        _, _, body = get(s, ARTICLE)
    stem = ARTICLE[: -len(".html")].encode()
    assert body.count(stem + b"-") == 49
    assert stem + b"-50.html" in body


def test_timeout_holds_the_connection():
    with (
        faulty({"kind": "timeout", "seconds": 5}) as s,
        pytest.raises((socket.timeout, TimeoutError)),
    ):
        get(s, ARTICLE, timeout=0.5)


def test_every_url_fault_spares_robots_txt():
    with ReplayServer(SITE, faults={"*": {"kind": "status", "status": 403}}) as s:
        assert get(s, ARTICLE)[0] == 403
        assert get(s, "http://cpc.people.com.cn/robots.txt")[0] == 200


def test_archive_replays_itself(tmp_path):
    db = open_archive(tmp_path / "a.db")
    body = (SITE / manifest_entry(ARTICLE)["file"]).read_bytes()
    headers = {"Content-Type": "text/html; charset=GB2312"}
    run = start_run(db, "test")
    store_fetches(db, run, [Fetch(ARTICLE, body, 200, headers, fetched_at="2024-08-07T00:00:00Z")])
    db.close()
    with ReplayServer(tmp_path / "a.db") as s:
        status, got_headers, got = get(s, ARTICLE)
        assert (status, got) == (200, body)
        assert got_headers["Content-Type"] == headers["Content-Type"]
        assert get(s, GBK_PAGE)[0] == 404


def test_a_file_that_is_no_source_is_refused(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    with pytest.raises(ValueError, match="not a site folder"):
        open_source(junk)


def test_every_manifest_entry_names_its_origin():
    pages = json.loads((SITE / "manifest.json").read_text("utf-8"))["pages"]
    assert {e["origin"] for e in pages.values()} == {"real", "reconstructed"}
    for url, entry in pages.items():
        assert (SITE / entry["file"]).exists(), url


def warc_of(tmp_path, fetches, gzip=False):
    from crawler.archive.warc.records import write_fetches

    path = tmp_path / ("a.warc.gz" if gzip else "a.warc")
    with path.open("wb") as fh:
        write_fetches(fh, fetches, gzip=gzip)
    return path


def test_warc_replays_its_responses(tmp_path):
    body = (SITE / manifest_entry(GBK_PAGE)["file"]).read_bytes()
    headers = {"Content-Type": "text/html; charset=GB2312"}
    fetch = Fetch(GBK_PAGE, body, 200, headers, fetched_at="2022-02-13T00:00:00Z")
    with ReplayServer(warc_of(tmp_path, [fetch], gzip=True)) as s:
        status, got_headers, got = get(s, GBK_PAGE)
        assert (status, got) == (200, body)
        assert got_headers["Content-Type"] == "text/html; charset=GB2312"
        assert get(s, ARTICLE)[0] == 404


def test_warc_with_a_corrupt_record_still_serves_the_good_ones(tmp_path):
    html = {"Content-Type": "text/html"}
    at = "2024-08-07T00:00:00Z"
    good = Fetch(GBK_PAGE, b"<html><body>good</body></html>", 200, html, fetched_at=at)
    bad = Fetch(ARTICLE, b"<html><body>" + b"x" * 5000 + b"</body></html>", 200, html, "", at)
    path = warc_of(tmp_path, [good, bad])
    data = path.read_bytes()
    # Cut the last record short: its Content-Length now promises bytes the file lacks.
    path.write_bytes(data[: data.rfind(b"x" * 100)])
    with ReplayServer(path) as s:
        assert get(s, GBK_PAGE)[:3:2] == (200, good.body)
        assert get(s, ARTICLE)[0] == 404


def test_the_malformed_demo_page_stores_only_its_real_editors():
    from crawler.pages.article import parse_article
    from crawler.replay import SiteSource, malform

    url = "http://cpc.people.com.cn/n1/2024/0730/c64387-40295009.html"
    page = SiteSource(SITE).get(url)
    record = parse_article(malform(page.body), url, page.headers)
    assert record.editors == ["王子锋", "王珂园"]
