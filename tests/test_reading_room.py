"""The reading room's pages (search, article, snapshot, runs, failures) over the fixture
archive, through Datasette's own test client."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from parsel import Selector

from crawler.archive.db import open_archive
from crawler.archive.search.fts import search
from crawler.datasette.app import make_datasette
from crawler.datasette.room import reading_type
from tests.fixture_archive import ADDED, FIXTURES, OLD_KEY, SEED, SEED_KEY


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def page(ds, path: str) -> Selector:
    response = get(ds, path)
    assert response.status_code == 200, response.text[:500]
    return Selector(response.text)


@pytest.fixture(scope="module")
def ds(archive):
    return make_datasette(archive)


@pytest.fixture(scope="module")
def db(archive):
    db = open_archive(archive)
    yield db
    db.conn.close()


def total(sel: Selector) -> int:
    return int(sel.css("p.total strong::text").get().replace(",", ""))


def facet(sel: Selector, name: str) -> dict[str, str]:
    """value -> link of one facet's items."""
    items = sel.css(f'ul[data-facet="{name}"] li')
    return {li.css("a::text").get(): li.css("a::attr(href)").get() for li in items}


def test_the_search_page_comes_first(ds):
    sel = page(ds, "/")
    assert sel.css('form input[name="q"]')
    assert not sel.css("p.total")  # nothing searched yet


def test_a_two_character_word_finds_its_articles(ds, db):
    sel = page(ds, "/?q=改革")
    expected = {h.key for h in search(db, "改革", limit=100)}
    links = sel.css(".room-hit h3 a::attr(href)").getall()
    keys = {parse_qs(urlsplit(href).query)["key"][0] for href in links}
    assert keys == expected
    assert SEED_KEY in keys
    assert total(sel) == len(expected)


def test_each_hit_shows_title_date_source_and_a_highlighted_snippet(ds):
    sel = page(ds, "/?q=妇联")
    (hit,) = sel.css(".room-hit")
    assert hit.css("h3 a::text").get().strip()
    meta = hit.css(".meta::text").get()
    assert "2024-08-07" in meta
    assert "中国妇女报" in meta
    assert hit.css(".snippet mark::text").getall()[0] == "妇联"


def test_the_total_counts_every_match_not_only_those_shown(ds):
    sel = page(ds, "/?q=发展&size=2")
    assert len(sel.css(".room-hit")) == 2
    assert total(sel) == 6
    assert "the best 2 are shown" in sel.css("p.total").get()


@pytest.mark.parametrize(
    "name", ["year", "month", "channel", "source", "editor", "paper_date", "paper_page"]
)
def test_the_search_has_each_facet(ds, name):
    assert facet(page(ds, "/?q=发展"), name)


def test_a_facet_narrows_the_search(ds):
    channel = facet(page(ds, "/?q=发展"), "channel")
    narrowed = page(ds, channel["64094"])
    assert total(narrowed) == 3
    # the chosen value is marked and its link takes the filter off again
    assert narrowed.css('ul[data-facet="channel"] li.selected a::text').get() == "64094"


def test_the_paper_date_and_page_facets_filter(ds):
    sel = page(ds, "/?q=发展")
    assert set(facet(sel, "paper_date")) == {"2013-04-09"}
    narrowed = page(ds, facet(sel, "paper_page")["04"])
    keys = [
        parse_qs(urlsplit(h).query)["key"][0]
        for h in narrowed.css(".room-hit h3 a::attr(href)").getall()
    ]
    assert keys == [OLD_KEY]
    assert total(narrowed) == 1


def test_a_malformed_query_says_why(ds):
    sel = page(ds, '/?q="open')
    assert "unbalanced quotes" in sel.css(".error::text").get()
    assert not sel.css(".room-hit")


def test_snippets_are_escaped(ds):
    # a query is shown back in the page: never as markup
    response = get(ds, "/?q=<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in response.text


def test_the_article_reads_as_published(ds, db):
    sel = page(ds, f"/-/article?key={SEED_KEY}")
    row = db.execute("SELECT title, pretitle FROM articles WHERE key = ?", [SEED_KEY]).fetchone()
    assert sel.css(".room-article h1::text").get() == row[0]
    assert sel.css(".room-article .pretitle::text").get() == row[1]
    assert sel.css(".room-article .source::text").get() == "中国妇女报"
    assert "王珂园" in sel.css(".room-article .editors::text").get()
    assert "耿兴敏" in sel.css(".room-article .authors::text").get()
    paragraphs = sel.css(".room-article p.para::text").getall()
    assert paragraphs[1].endswith(ADDED)  # the current (second) version


def test_the_article_shows_its_print_edition(ds):
    sel = page(ds, f"/-/article?key={OLD_KEY}")
    byline = " ".join(sel.css(".room-article .byline ::text").getall())
    assert "人民日报" in byline and "2013-04-09" in byline and "page 04" in byline
    assert "stopped serving" in sel.css(".room-article .error::text").get()


def test_the_article_shows_its_images_and_captions(ds):
    sel = page(ds, "/-/article?key=people:40281455")
    assert sel.css("figcaption::text").get() == "7月18日，某社区党员群众集中收听收看新闻节目。"
    # not archived: shown as its address, never loaded from the live site
    assert not sel.css("figure img")
    assert "MAIN202407191620305861420937556.jpg" in sel.css(".image-missing::text").get()


def test_the_article_lists_its_urls_versions_and_snapshots(ds):
    sel = page(ds, f"/-/article?key={SEED_KEY}")
    assert "c64094-40294513.html" in sel.css("ul.urls li::text").get()
    assert len(sel.css("table.versions tr")) == 3  # header + 2 versions
    snapshot_links = sel.css("table.snapshots a::attr(href)").getall()
    assert len(snapshot_links) == 2
    assert all(re.fullmatch(r"/-/snapshot/\d+", href) for href in snapshot_links)


def test_the_diff_between_two_versions(ds):
    sel = page(ds, f"/-/article?key={SEED_KEY}&old=1&new=2")
    inserted = sel.css(".diff p.ins::text").getall()
    deleted = sel.css(".diff p.del::text").getall()
    assert len(inserted) == len(deleted) == 1
    assert inserted[0].endswith(ADDED)
    assert not deleted[0].endswith(ADDED)


def test_an_unknown_article_is_a_404(ds):
    response = get(ds, "/-/article?key=people:0")
    assert response.status_code == 404
    assert "holds no article people:0" in response.text


def seed_snapshot(db) -> int:
    return db.execute(
        "SELECT id FROM snapshots WHERE article_key = ? ORDER BY id LIMIT 1", [SEED_KEY]
    ).fetchone()[0]


def test_the_snapshot_page_shows_headers_a_download_and_a_sandboxed_frame(ds, db):
    sid = seed_snapshot(db)
    sel = page(ds, f"/-/snapshot/{sid}")
    headers = dict(
        zip(
            sel.css("table.headers td:first-child::text").getall(),
            sel.css("table.headers td:last-child::text").getall(),
            strict=True,
        )
    )
    assert headers["Content-Type"] == "text/html; charset=GB2312"
    assert sel.css("a.download::attr(href)").get() == f"/-/snapshot/{sid}/raw"
    frame = sel.css("iframe.snapshot")
    assert frame.attrib["src"] == f"/-/snapshot/{sid}/page"
    assert frame.attrib["sandbox"] == ""  # the strictest sandbox: no token allows anything


def test_the_download_is_the_exact_bytes(ds, db):
    sid = seed_snapshot(db)
    response = get(ds, f"/-/snapshot/{sid}/raw")
    assert response.content == (FIXTURES / SEED / "page.bin").read_bytes()
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/octet-stream"


def test_the_rendered_snapshot_is_the_bytes_with_their_charset_and_no_way_out(ds, db):
    sid = seed_snapshot(db)
    response = get(ds, f"/-/snapshot/{sid}/page")
    assert response.content == (FIXTURES / SEED / "page.bin").read_bytes()
    assert response.headers["content-type"] == "text/html; charset=gb18030"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert re.search(r"(^|; )sandbox($|;)", csp)  # no script even when opened outside the frame
    assert "script-src" not in csp and "http" not in csp


def test_an_unknown_snapshot_is_a_404(ds):
    assert get(ds, "/-/snapshot/99999").status_code == 404
    assert get(ds, "/-/snapshot/99999/raw").status_code == 404


def test_runs_are_told_in_words(ds):
    sel = page(ds, "/-/runs")
    stories = [" ".join(p.split()) for p in sel.css(".run p::text").getall()]
    assert stories[0].startswith("Crawl #2, started ")
    assert "ran to the end" in stories[0]
    assert "1 changed article, 1 unchanged article, 1 removed article" in stories[0]
    assert "7 new articles" in stories[1]
    assert "1 page that could not become an article" in stories[1]


def test_failures_are_told_in_words_with_their_snapshot(ds):
    sel = page(ds, "/-/failures")
    (failure,) = sel.css(".failure")
    text = " ".join(failure.css("::text").getall())
    assert "Not an article: the site answered with its not-found page" in text
    assert re.fullmatch(r"/-/snapshot/\d+", failure.css("a::attr(href)").get())


def test_failures_of_one_run(ds):
    assert len(page(ds, "/-/failures?run=1").css(".failure")) == 1
    assert len(page(ds, "/-/failures?run=2").css(".failure")) == 0


def test_the_room_pages_load_nothing_from_elsewhere(ds):
    csp = get(ds, f"/-/article?key={SEED_KEY}").headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "img-src 'self' data:" in csp


def test_more_hits_are_one_link_away(ds):
    sel = page(ds, "/?q=发展&size=2")
    more = sel.css("a.more::attr(href)").get()
    assert parse_qs(urlsplit(more).query)["size"] == ["10"]
    assert len(page(ds, more).css(".room-hit")) == 6


def test_a_date_range_narrows_the_search(ds):
    sel = page(ds, "/?q=发展&since=2009&until=2013")
    assert total(sel) == 2
    assert sel.css('input[name="since"]::attr(value)').get() == "2009"


def test_a_malformed_date_says_why(ds):
    sel = page(ds, "/?q=发展&since=last+week")
    assert "is not a date" in sel.css(".error::text").get()


@pytest.mark.parametrize(
    ("declared", "served"),
    [
        ("text/html; charset=GB2312", "text/html; charset=gb18030"),
        ("", "text/html; charset=gb18030"),
        ("image/jpeg", "image/jpeg"),
        ("image/svg+xml", "text/plain; charset=gb18030"),
        ("application/javascript", "text/plain; charset=gb18030"),
        ("application/x-shockwave-flash", "text/plain; charset=gb18030"),
    ],
)
def test_snapshots_are_served_for_reading_as_html_images_or_text(declared, served):
    headers = {"Content-Type": declared} if declared else {}
    assert reading_type(headers, "gb18030") == served


def test_a_source_facet_keeps_that_source_only(ds):
    sources = facet(page(ds, "/?q=发展"), "source")
    narrowed = page(ds, sources["人民日报"])
    assert total(narrowed) == 1
    assert [m.split("·")[-1].strip() for m in narrowed.css(".room-hit .meta::text").getall()] == [
        "人民日报"
    ]


def test_a_print_filter_is_one_of_the_search_filters(ds):
    sel = page(ds, "/?q=发展&paper_page=04")
    keys = [
        parse_qs(urlsplit(h).query)["key"][0]
        for h in sel.css(".room-hit h3 a::attr(href)").getall()
    ]
    assert keys == [OLD_KEY]
    assert total(sel) == 1


def test_facets_of_many_matches_say_how_many_they_count(ds, monkeypatch):
    import crawler.archive.search.facets as facets

    assert not page(ds, "/?q=发展").css("p.facets-counted")  # every match counted
    monkeypatch.setattr(facets, "FACET_LIMIT", 2)
    sel = page(ds, "/?q=发展")
    everything = total(sel)
    assert everything > 2
    note = sel.css("p.facets-counted::text").get()
    assert f"Counted in the 2 most recently archived of the {everything} matches" in note
    assert sum(int(li.re_first(r"</a> (\d+)")) for li in sel.css('ul[data-facet="year"] li')) == 2
