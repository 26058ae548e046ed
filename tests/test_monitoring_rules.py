"""The monitoring rules over an in-memory archive: runs stored the way a crawl stores them (real
pages of the recorded site, real parser, real store), then judged against their history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.archive.checks import metric_history, run_metric, save_metrics
from crawler.archive.runs import finish_run, start_run
from crawler.archive.store import store_fetches
from crawler.monitoring import metrics, rules
from crawler.monitoring.rules import Limits
from crawler.records import Fetch
from tests.site_paths import SITE, manifest
from tests.site_variants import REDESIGN, unlinked_body

CPC = "http://cpc.people.com.cn"
LIMITS = Limits()
# Ten generated cpc-template articles of channel 64387, and ten of 64094, in the recorded site.
C64387 = sorted(u for u in manifest()["pages"] if "/c64387-402960" in u)
C64094 = sorted(u for u in manifest()["pages"] if "/c64094-402960" in u)


def site_fetch(url: str, at: str, redesign: bool = False) -> Fetch:
    entry = manifest()["pages"][url]
    body = (SITE / entry["file"]).read_bytes()
    if redesign:
        for old, new in REDESIGN.items():
            body = body.replace(old, new)
    return Fetch(url, body, 200, entry["headers"], "", at)


def crawl_run(db, urls, day: int, redesign=(), reason="finished") -> int:
    """A run storing `urls` (those in `redesign` with the template's classes renamed)."""
    at = f"2024-09-{day:02d}T01:00:00Z"
    run = start_run(db, "crawl")
    for url in urls:
        store_fetches(db, run, [site_fetch(url, at, url in redesign)])
    finish_run(db, run, reason)
    return run


def healthy_history(db, runs=3) -> None:
    """`runs` earlier runs, three new articles each, all read by the cpc template."""
    for i in range(runs):
        run = crawl_run(db, C64094[3 * i : 3 * i + 3], day=i + 1)
        assert rules.check_coverage(db, run, "cpc", LIMITS).passed


# --- coverage ---------------------------------------------------------------------------------


def test_coverage_passes_when_a_run_reads_like_its_history(db):
    healthy_history(db)
    run = crawl_run(db, C64387[:3], day=5)
    finding = rules.check_coverage(db, run, "cpc", LIMITS)
    assert finding.passed, finding.message
    assert "cpc (3)" in finding.message


def test_coverage_fails_naming_the_template_and_the_fields_a_redesign_lost(db):
    healthy_history(db)
    run = crawl_run(db, C64387[:4], day=5, redesign=set(C64387[:4]))
    finding = rules.check_coverage(db, run, "cpc", LIMITS)
    assert not finding.passed
    assert "template fallback (4 articles)" in finding.message
    assert "published_time 0%" in finding.message
    assert "source_url 0%" in finding.message
    # Fields the fallback still reads are not named.
    assert "editors" not in finding.message


def test_coverage_is_judged_against_the_trailing_median_not_the_floor(db):
    # A history where every cpc article had authors: 0% now is a drop, although the floor
    # for authors (used without history) is 0%.
    healthy_history(db)
    for run in (1, 2, 3):
        save_metrics(
            db, run, "cpc", "coverage", {**run_metric(db, run, "coverage"), "cpc:authors": 1}
        )
    run = crawl_run(db, C64387[:3], day=5)
    finding = rules.check_coverage(db, run, "cpc", LIMITS)
    assert not finding.passed
    assert finding.message == (
        "field coverage dropped: template cpc (3 articles): authors 0% (median 100%)"
    )


def test_coverage_without_history_uses_the_floors(db):
    run = crawl_run(db, C64387[:3], day=5)
    assert rules.check_coverage(db, run, "cpc", LIMITS).passed
    strict = Limits(coverage_floors={**LIMITS.coverage_floors, "authors": 0.5})
    finding = rules.check_coverage(db, run, "cpc", strict)
    assert not finding.passed
    assert "authors 0% (floor 50%, no history)" in finding.message


def test_history_is_only_runs_of_the_same_spider_that_finished(db):
    healthy_history(db, runs=2)
    crawl_run(db, C64094[6:9], day=3, reason="banned")
    rules.check_coverage(db, 3, "cpc", LIMITS)
    run = crawl_run(db, C64387[:3], day=5)
    rules.check_coverage(db, run, "cpc", LIMITS)
    assert len(metric_history(db, run, "cpc", "coverage", 7)) == 2
    assert metric_history(db, run, "rmrb", "coverage", 7) == []


# --- fallback share ---------------------------------------------------------------------------


def test_fallback_share_fails_naming_the_channel_whose_pages_fell(db):
    healthy_history(db)
    run = crawl_run(db, C64387[:4] + C64094[9:10], day=5, redesign=set(C64387[:4]))
    finding = rules.check_fallback(db, run, "cpc", LIMITS)
    assert not finding.passed
    assert "4 fallback + 0 unknown of 5 article pages = 80%" in finding.message
    assert "channel 64387: 4" in finding.message


def test_fallback_share_within_its_usual_rise_passes():
    history = [{"pages": 10, "fallback": 1, "unknown": 0}] * 3
    assert rules.judge_fallback({"pages": 10, "fallback": 2}, history, LIMITS).passed
    assert not rules.judge_fallback({"pages": 10, "fallback": 3}, history, LIMITS).passed


def test_fallback_without_history_uses_the_absolute_maximum():
    assert rules.judge_fallback({"pages": 10, "fallback": 2}, [], LIMITS).passed
    finding = rules.judge_fallback({"pages": 10, "fallback": 1, "unknown": 2}, [], LIMITS)
    assert not finding.passed
    assert "no history" in finding.message


# --- failures by kind -------------------------------------------------------------------------


def test_a_burst_of_one_failure_kind_fails_naming_it():
    history = [{"not_found": 2, "fetch_error": 1, "_fetched": 50}] * 3
    finding = rules.judge_failures(
        {"not_found": 30, "fetch_error": 1, "_fetched": 60}, history, LIMITS
    )
    assert not finding.passed
    assert finding.message == "a burst of failures: not_found 30 (median 2)"


def test_failures_within_factor_or_margin_pass():
    history = [{"http_403": 2, "_fetched": 50}] * 3
    # 6 is 3x the median but only 4 above it: within the margin.
    assert rules.judge_failures({"http_403": 6, "_fetched": 50}, history, LIMITS).passed


def test_failures_of_a_kind_history_never_saw_count_from_zero(db):
    history = [{"_fetched": 50}] * 3
    finding = rules.judge_failures({"http_429": 5, "_fetched": 50}, history, LIMITS)
    assert not finding.passed and "http_429 5 (median 0)" in finding.message


def test_failures_without_history_fail_over_the_share_of_fetches():
    assert rules.judge_failures({"not_found": 5, "_fetched": 20}, [], LIMITS).passed
    assert not rules.judge_failures({"fetch_error": 11, "_fetched": 20}, [], LIMITS).passed


def test_failure_metrics_come_from_the_runs_failures(db):
    run = start_run(db, "crawl")
    not_found = manifest()["pages"][f"{CPC}/n1/2024/0731/c64094-40289917.html"]
    body = (SITE / not_found["file"]).read_bytes()
    store_fetches(
        db, run, [Fetch(f"{CPC}/n1/2024/0731/c64094-40289917.html", body, 200, {}, "", "")]
    )
    store_fetches(db, run, [site_fetch(C64094[0], "2024-09-01T00:00:00Z")])
    assert metrics.failures(db, run) == {"not_found": 1, "_fetched": 2}


# --- list pages and channels ------------------------------------------------------------------


def list_fetch(url: str, at: str, unlinked: bool = False) -> Fetch:
    entry = manifest()["pages"][url]
    body = (SITE / entry["file"]).read_bytes()
    return Fetch(url, unlinked_body(body) if unlinked else body, 200, entry["headers"], "", at)


LIST_64387 = f"{CPC}/GB/64093/64387/index.html"
LIST_64094 = f"{CPC}/GB/64093/64094/index.html"


def test_a_list_page_without_article_links_fails_naming_it(db):
    run = start_run(db, "crawl")
    store_fetches(db, run, [list_fetch(LIST_64094, "2024-09-01T00:00:00Z")])
    store_fetches(db, run, [list_fetch(LIST_64387, "2024-09-01T00:00:00Z", unlinked=True)])
    finding = rules.check_listings(db, run, "cpc", LIMITS)
    assert not finding.passed
    assert finding.message == f"list pages with no article link: {LIST_64387}"
    assert run_metric(db, run, "listings")[LIST_64094] > 0


def test_list_pages_with_links_pass(db):
    run = start_run(db, "crawl")
    store_fetches(db, run, [list_fetch(LIST_64094, "2024-09-01T00:00:00Z")])
    finding = rules.check_listings(db, run, "cpc", LIMITS)
    assert finding.passed, finding.message


def test_a_channel_with_no_new_article_for_n_days_fails(db):
    healthy_history(db, runs=1)  # 64094 articles, first seen 2024-09-01
    run = crawl_run(db, C64387[:1], day=2)  # a 64387 article on 2024-09-02
    for url in (LIST_64094, LIST_64387):
        store_fetches(db, run, [list_fetch(url, "2024-09-08T00:00:00Z")])
    when = datetime(2024, 9, 8, 12, tzinfo=UTC)
    finding = rules.check_channels(db, run, "cpc", LIMITS, when)
    assert not finding.passed
    assert finding.message == "no new article for over 7 days: channel 64094 (7 days)"
    assert rules.check_channels(db, run, "cpc", LIMITS, when - timedelta(days=1)).passed


def test_a_channel_never_archived_counts_from_the_first_crawl(db):
    run = start_run(db, "crawl")
    store_fetches(db, run, [list_fetch(LIST_64387, "2024-09-01T00:00:00Z", unlinked=True)])
    started = datetime.fromisoformat(
        db.execute("SELECT started_at FROM runs").fetchone()[0].replace("Z", "+00:00")
    )
    assert rules.check_channels(db, run, "cpc", LIMITS, started + timedelta(days=6)).passed
    later = rules.check_channels(db, run, "cpc", LIMITS, started + timedelta(days=8))
    assert not later.passed and "channel 64387" in later.message


def test_a_channels_newest_article_is_read_from_an_index_not_from_every_article(db):
    # At a million articles a scan of one channel's rows took seconds, once per channel listed.
    plan = " ".join(
        row[-1]
        for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT max(first_seen) FROM articles WHERE channel_id = ?",
            ["64094"],
        )
    )
    assert "COVERING INDEX idx_articles_channel_id_first_seen" in plan, plan


def test_a_runs_failures_are_read_from_an_index_not_from_every_failure(db):
    for sql in (
        "SELECT kind, count(*) FROM failures WHERE run_id = 7 GROUP BY kind",
        "SELECT url FROM failures WHERE run_id = 7 AND kind = 'unknown'",
    ):
        plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "INDEX idx_failures_run_id_kind (run_id=?" in plan, plan


# --- new articles -----------------------------------------------------------------------------


def test_zero_new_articles_on_a_day_that_always_has_some_fails(db):
    healthy_history(db)
    for run in (1, 2, 3):
        assert rules.check_new(db, run, "cpc", LIMITS).passed
    run = crawl_run(db, C64094[:3], day=5)  # all three known: nothing new
    finding = rules.check_new(db, run, "cpc", LIMITS)
    assert not finding.passed
    assert finding.message == "0 new articles, under 0.6 (20% of the median 3)"


def test_the_first_run_must_archive_something_later_runs_wait_for_history(db):
    run = crawl_run(db, [], day=1)
    assert not rules.check_new(db, run, "cpc", LIMITS).passed
    second = crawl_run(db, [], day=2)
    assert rules.check_new(db, second, "cpc", LIMITS).passed


# --- print edition ----------------------------------------------------------------------------


def print_run(db, day: int, issues: int, pages: int, articles: int, spider="rmrb"):
    run = crawl_run(db, [], day=day)
    stats = {"print/issues": issues, "print/pages": pages, "print/articles": articles}
    return rules.check_print(db, run, spider, LIMITS, stats)


def test_an_issue_thinner_than_usual_fails(db):
    for day in (1, 2, 3):
        assert print_run(db, day, issues=1, pages=20, articles=120).passed
    finding = print_run(db, 4, issues=1, pages=8, articles=110)
    assert not finding.passed
    assert "8.0 pages per issue (limit 14.0, median 20)" in finding.message
    assert "articles per issue" not in finding.message  # 110 is within 30% of 120
    assert print_run(db, 5, issues=2, pages=36, articles=230).passed


def test_print_edition_without_history_uses_floors(db):
    assert print_run(db, 1, issues=1, pages=8, articles=40).passed
    finding = print_run(db, 2, issues=1, pages=2, articles=40)
    assert not finding.passed and "floor, no history" in finding.message


def test_print_monitor_passes_a_spider_without_print_stats(db):
    run = crawl_run(db, C64094[:1], day=1)
    finding = rules.check_print(db, run, "cpc", LIMITS, {})
    assert finding.passed and finding.message == "no print edition in this run"
    assert run_metric(db, run, "print") == {}


def test_print_crawl_finding_no_issue_fails(db):
    assert not print_run(db, 1, issues=0, pages=0, articles=0).passed


# --- settings ---------------------------------------------------------------------------------


def test_settings_defaults_are_the_limits_defaults():
    settings = Settings()
    settings.setmodule(project_settings)
    assert Limits.from_settings(settings) == Limits()


def test_settings_override_a_limit():
    settings = Settings({"ARCHIVE_MONITOR_FALLBACK_MAX": "0.5", "ARCHIVE_MONITOR_MIN_HISTORY": 2})
    limits = Limits.from_settings(settings)
    assert limits.fallback_max == 0.5 and limits.min_history == 2
