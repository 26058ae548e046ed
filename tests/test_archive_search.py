"""Full-text search: 2-character Chinese words, phrases, filters, snippets, malformed queries."""

from __future__ import annotations

import pytest

from crawler.archive.db import open_archive
from crawler.archive.runs import start_run
from crawler.archive.search import fts as search_mod
from crawler.archive.search.bigrams import segment
from crawler.archive.search.fts import QueryError, parse_query, search
from crawler.archive.store import store_fetches
from crawler.records import PrintEdition
from tests.archive_helpers import fetch, page, record

BASE = "http://cpc.people.com.cn/n1/2024/{mmdd}/c{ch}-{cid}.html"


def add(db, run, cid, title, paragraphs, *, mmdd="0807", ch="64094", **kw):
    url = BASE.format(mmdd=mmdd, ch=ch, cid=cid)
    rec = record(url, content_id=str(cid), title=title, paragraphs=paragraphs, **kw)
    rec.channel_id = ch
    store_fetches(db, run, [fetch(url, body=page(title, str(cid)))], rec)
    return f"people:{cid}"


@pytest.fixture
def db():
    db = open_archive(":memory:")
    run = start_run(db, "test")
    add(db, run, 1, "全国各级妇联深入学习全会精神", ["妇联组织团结引领广大妇女。"])
    add(db, run, 2, "进一步全面深化改革", ["改革开放是决定当代中国命运的关键一招。"], mmdd="0901")
    add(
        db,
        run,
        3,
        "推进中国式现代化",
        ["坚持党的全面领导，深化改革。", "WTO 与 Ｃｈｉｎａ 2024。"],
        published_at="2024-09-10T10:00:00+08:00",
        ch="1001",
    )
    yield db
    db.close()


def keys(hits):
    return sorted(h.key for h in hits)


def test_segment_writes_bigrams_and_the_last_character():
    assert segment("改革开放，党") == "改革 革开 开放 放 党"
    assert segment("WTO 与 Ｃｈｉｎａ 2024") == "wto 与 china 2024"


def test_two_character_word_is_found_inside_a_sentence(db):
    assert keys(search(db, "妇联")) == ["people:1"]
    assert keys(search(db, "改革")) == ["people:2", "people:3"]


def test_four_character_phrase_needs_the_characters_in_sequence(db):
    assert keys(search(db, "改革开放")) == ["people:2"]
    assert keys(search(db, "深化改革")) == ["people:2", "people:3"]
    assert search(db, "改革妇联") == []


def test_single_character_is_found_wherever_it_stands(db):
    # 党 ends the run in 党的 (as first char) and nowhere else in these texts
    assert keys(search(db, "党")) == ["people:3"]
    assert keys(search(db, "妇")) == ["people:1"]


def test_ascii_words_are_case_and_width_folded(db):
    assert keys(search(db, "wto")) == ["people:3"]
    assert keys(search(db, "CHINA")) == ["people:3"]


def test_and_or_not(db):
    assert keys(search(db, "改革 现代化")) == ["people:3"]
    assert keys(search(db, "妇联 OR 开放")) == ["people:1", "people:2"]
    assert keys(search(db, "改革 -开放")) == ["people:3"]


def test_title_matches_rank_first(db):
    hits = search(db, "改革")
    assert hits[0].key == "people:2"  # 改革 in the title and the body
    assert hits[0].score < hits[1].score


def test_filters(db):
    assert keys(search(db, "改革", since="2024-09-05")) == ["people:3"]
    assert keys(search(db, "改革", until="2024-09-05")) == ["people:2"]
    assert keys(search(db, "改革", channel="1001")) == ["people:3"]
    assert keys(search(db, "改革", source="妇女报")) == ["people:2", "people:3"]
    assert keys(search(db, "改革", source="新华社")) == []
    assert keys(search(db, "改革", editor="王珂园")) == ["people:2", "people:3"]
    assert keys(search(db, "改革", editor="王")) == []
    assert len(search(db, "改革", limit=1)) == 1
    assert keys(search(db, "改革", until="2024-08")) == ["people:2"]  # all of August
    assert keys(search(db, "改革", since="2024-09", until="2024-09")) == ["people:3"]
    assert keys(search(db, "改革", until="2024")) == ["people:2", "people:3"]


def test_a_date_that_is_not_one_is_a_query_error(db):
    with pytest.raises(QueryError, match="'yesterday' is not a date"):
        search(db, "改革", since="yesterday")


def test_snippet_is_cut_from_the_real_text_with_highlights(db):
    (hit,) = search(db, "改革开放")
    assert hit.snippet == "改革开放是决定当代中国命运的关键一招。"
    assert hit.spans == [(0, 4)]
    assert hit.highlighted() == "[改革开放]是决定当代中国命运的关键一招。"
    assert (hit.title, hit.url) == (
        "进一步全面深化改革",
        BASE.format(mmdd="0901", ch="64094", cid=2),
    )
    (hit,) = search(db, "china")
    assert (
        hit.highlighted("<b>", "</b>")
        == "坚持党的全面领导，深化改革。 WTO 与 <b>Ｃｈｉｎａ</b> 2024。"
    )


def test_index_follows_a_changed_article(db):
    run = start_run(db, "test")
    add(db, run, 1, "全国各级工会深入学习", ["工会组织团结引领广大职工。"])
    assert search(db, "妇联") == []
    assert keys(search(db, "工会")) == ["people:1"]


def add_print_article(db, editors: list[str]) -> str:
    url = BASE.format(mmdd="0807", ch="64094", cid=4)
    rec = record(url, content_id="4", title="改革再出发", paragraphs=["改革再出发的故事。"])
    rec.source, rec.editors = "人民网－人民日报", editors
    rec.print_edition = PrintEdition("人民日报", "2024-08-07", "04")
    store_fetches(db, start_run(db, "test"), [fetch(url, body=page(rec.title, "4"))], rec)
    return "people:4"


@pytest.mark.parametrize(
    ("filters", "found"),
    [
        ({"editor": "赵六"}, True),
        ({"editor": "赵"}, False),  # one of the names, exactly
        ({"paper_date": "2024-08-07"}, True),
        ({"paper_date": "2024-08-08"}, False),
        ({"paper_page": "4"}, True),  # one page, however it is written
        ({"paper_page": "04"}, True),
        ({"paper_page": 5}, False),
        ({"source": "人民网－人民日报", "whole_source": True}, True),
        ({"source": "人民日报", "whole_source": True}, False),  # the whole name only
        ({"source": "人民日报"}, True),  # a part of it
    ],
)
def test_editor_print_and_whole_source_filters_are_words_of_the_index(db, filters, found):
    key = add_print_article(db, ["赵六", "张三"])
    assert search_mod.matching(db, "改革", **filters).where == []  # no article row read
    assert keys(search(db, "改革", **filters)) == ([key] if found else [])


def test_the_index_follows_a_change_of_editors(db):
    key = add_print_article(db, ["赵六"])
    add_print_article(db, ["李四"])  # the same article, edited
    assert search(db, "改革", editor="赵六") == []
    assert keys(search(db, "改革", editor="李四")) == [key]


def test_a_paper_page_that_is_not_a_number_is_refused(db):
    with pytest.raises(QueryError, match="not a page number"):
        search(db, "改革", paper_page="A4")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ('"改革 开放', "unbalanced quotes"),
        ("，。！", "nothing searchable"),
        ("-改革", "not only excluded"),
        ("OR 改革", "OR needs a word"),
        ("改革 OR", "OR needs a word"),
        ('""', "nothing searchable"),
    ],
)
def test_malformed_queries_raise_a_clear_query_error(db, query, message):
    with pytest.raises(QueryError, match=message):
        search(db, query)


def test_fts_syntax_characters_are_quoted_not_interpreted(db):
    # * and ^ are plain text to the user, never FTS5 operators
    expr, _ = parse_query("a*b ^c")
    assert expr == '("a" AND "b") AND "c"'


def test_common_words_rank_only_the_newest_window(db, monkeypatch):
    monkeypatch.setattr(search_mod, "RANK_WINDOW", 1)
    # two articles match 改革; with a window of 1 only the newest archived (doc 3) is ranked
    assert keys(search(db, "改革")) == ["people:3"]


def test_filters_apply_before_the_ranking_window(db, monkeypatch):
    monkeypatch.setattr(search_mod, "RANK_WINDOW", 1)
    # the newest match (doc 3) is in channel 1001: the window is the newest match that passes
    assert keys(search(db, "改革", channel="64094")) == ["people:2"]
    assert keys(search(db, "深化改革", channel="64094")) == ["people:2"]


def test_common_phrase_is_ranked_by_its_rarest_token_over_the_window(monkeypatch):
    db = open_archive(":memory:")
    run = start_run(db, "test")
    for cid in range(1, 5):
        add(db, run, cid, f"标题{cid}", ["坚持改革开放。" * cid])
    add(db, run, 5, "标题五", ["改革。"])
    monkeypatch.setattr(search_mod, "RANK_WINDOW", 2)
    hits = search(db, "改革开放")
    assert sorted(h.key for h in hits) == ["people:3", "people:4"]
    assert all(h.score is not None for h in hits)


def test_phrase_matches_beyond_what_the_proxy_ranks_still_come_back_unranked(monkeypatch):
    db = open_archive(":memory:")
    run = start_run(db, "test")
    add(db, run, 1, "标题一", ["改革开放。"])
    add(db, run, 2, "标题二", ["改革开放。"])
    add(db, run, 3, "标题三", ["改革。开放。革开。"])  # every token, not the phrase
    add(db, run, 4, "标题四", ["改革。开放。革开。"])
    monkeypatch.setattr(search_mod, "RANK_WINDOW", 2)
    hits = search(db, "改革开放")
    assert [(h.key, h.score) for h in hits] == [("people:2", None), ("people:1", None)]


# Ranking reads the index (bm25) or the window's text, whichever costs less: both must agree.
BOTH_RANKINGS = pytest.mark.parametrize("ratio", [0, 10**9], ids=["text", "index"])


@BOTH_RANKINGS
def test_either_ranking_puts_more_occurrences_of_a_phrase_first(monkeypatch, ratio):
    monkeypatch.setattr(search_mod, "TEXT_RANK_RATIO", ratio)
    db = open_archive(":memory:")
    run = start_run(db, "test")
    add(db, run, 1, "标题一", ["改革开放，改革开放。"])
    add(db, run, 2, "标题二", ["改革开放。改革。开放。革开。改革。开放。"])
    add(db, run, 3, "标题三", ["改革。开放。革开。"])  # every token, not the phrase
    found = search_mod.search_results(db, "改革开放")
    assert found.total == 2
    assert [h.key for h in found.hits] == ["people:1", "people:2"]
    assert all(h.score is not None for h in found.hits)


@BOTH_RANKINGS
def test_either_ranking_weighs_the_title_and_folds_like_the_index(monkeypatch, ratio):
    monkeypatch.setattr(search_mod, "TEXT_RANK_RATIO", ratio)
    db = open_archive(":memory:")
    run = start_run(db, "test")
    add(db, run, 1, "标题一", ["ＣＨＩＮＡ 与 China 与 china。"])
    add(db, run, 2, "China 标题", ["正文。"])
    add(db, run, 3, "标题三", ["china。"])
    found = search_mod.search_results(db, "china")
    assert found.total == 3
    # a title match counts 4x; three folded body matches beat one
    assert [h.key for h in found.hits] == ["people:2", "people:1", "people:3"]
    assert [h.key for h in search(db, "title:china")] == ["people:2"]
    assert [h.key for h in search(db, "body:china -title:china")] == ["people:1", "people:3"]


@BOTH_RANKINGS
def test_either_ranking_weighs_a_rare_word_above_a_common_one(monkeypatch, ratio):
    monkeypatch.setattr(search_mod, "TEXT_RANK_RATIO", ratio)
    db = open_archive(":memory:")
    run = start_run(db, "test")
    for cid in range(1, 9):
        add(db, run, cid, f"标题{cid}", ["改革。" * 3 + ("妇联。" if cid == 2 else "")])
    add(db, run, 9, "标题九", ["改革。妇联。妇联。"])
    hits = search(db, "改革 OR 妇联")
    assert [h.key for h in hits][:2] == ["people:9", "people:2"]


def test_text_ranking_is_used_past_its_ratio(db, monkeypatch):
    calls = []
    monkeypatch.setattr(search_mod, "TEXT_RANK_RATIO", 0)
    monkeypatch.setattr(search_mod, "score_window", lambda *a: calls.append(a) or {})
    search(db, "改革")
    assert calls


def test_total_counts_every_match_not_the_hits_shown(db):
    found = search_mod.search_results(db, "改革", limit=1)
    assert (found.total, len(found.hits), found.more) == (2, 1, True)
    assert search_mod.search_results(db, "改革", channel="1001").total == 1


def test_filter_tokens_agree_with_the_row_filters(db):
    # the index answers dates, channel and Chinese source names; the rest is checked per row
    cases = [
        {"since": "2024-08-15"},
        {"since": "2024", "until": "2024-09-09"},
        {"until": "2023"},
        {"source": "中国妇女报"},
        {"source": "报"},
        {"source": "Xinhua"},
        {"channel": "64094"},
        {"channel": "a-b"},
    ]
    for filters in cases:
        from crawler.archive.selection import article_keys

        assert keys(search(db, "改革", **filters)) == sorted(article_keys(db, "改革", **filters))


def test_words_never_match_the_source_or_filter_tokens(db):
    assert search(db, "妇女报") == []  # only the source holds it
    assert search(db, "ch1001") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("改革 AND 现代化", ["people:3"]),
        ("改革 NOT 开放", ["people:3"]),
        ("title:改革", ["people:2"]),
        ("body:改革 -title:改革", ["people:3"]),
        ('title:"全面深化"', ["people:2"]),
        ('"or"', []),
    ],
)
def test_operators_and_field_prefixes(db, query, expected):
    assert keys(search(db, query)) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("改革 or 开放", "'or' is not an operator"),
        ("改革 and 开放", "'and' is not an operator"),
        ("NEAR(改革 开放)", "NEAR is not supported"),
        ("(改革 OR 开放) 妇联", "parentheses are not supported"),
        ("author:王珂园", "unknown field 'author:'"),
        ("改革 AND", "AND needs a word"),
        ("改革 NOT", "NOT needs a word"),
        (" OR ".join(f"词{i}" for i in range(3000)), "query too long"),
    ],
)
def test_operator_like_words_are_refused_not_searched(db, query, message):
    with pytest.raises(QueryError, match=message):
        search(db, query)


def test_snippet_finds_its_place_when_folding_changes_the_text_length():
    # ㈠ folds to "(一)": three characters for one, before a match found only once folded
    body = "㈠㈡㈢" * 30 + "ＣＨＩＮＡ" + "。" * 100
    snippet, spans = search_mod.make_snippet("", body, ["china"])
    start, end = spans[0]
    assert snippet[start:end] == "ＣＨＩＮＡ"
    assert start == 1 + search_mod.SNIPPET_CHARS // 3  # "…" then the usual lead-in


def test_a_query_past_its_time_is_stopped_with_a_query_error(db, monkeypatch):
    monkeypatch.setattr(search_mod, "QUERY_SECONDS", 0.0)
    monkeypatch.setattr(search_mod, "PROGRESS_STEPS", 1)
    with pytest.raises(QueryError, match="query stopped after 0s"):
        search(db, "改革")
    # the clock watch ends with the query: the connection answers other statements again
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3


@pytest.mark.parametrize("read_ahead", [1, 5])  # counted by a second pass, or by the first read
def test_total_is_exact_past_the_ranking_window(db, monkeypatch, read_ahead):
    monkeypatch.setattr(search_mod, "RANK_WINDOW", 1)
    monkeypatch.setattr(search_mod, "READ_AHEAD", read_ahead)
    assert search_mod.search_results(db, "改革").total == 2  # counted, not the window's 1
    assert search_mod.search_results(db, "改革", editor="王珂园").total == 2  # a row filter too


def test_total_read_on_past_a_window_of_sparse_matches_is_exact(monkeypatch):
    db = open_archive(":memory:")
    run = start_run(db, "test")
    for cid in range(1, 7):
        add(db, run, cid, f"标题{cid}", ["改革。" if cid <= 3 else "开放。"])
    monkeypatch.setattr(search_mod, "RANK_WINDOW", 1)
    # the newest match (3 of 6) reaches half the archive back: read on, or count, exactly
    for read_ahead in (1, 2, 3, 10):
        monkeypatch.setattr(search_mod, "READ_AHEAD", read_ahead)
        assert search_mod.search_results(db, "改革").total == 3
        assert search_mod.search_results(db, "改革", editor="王珂园").total == 3
