"""The Spidermon suite itself, run by Spidermon's runner for a spider other than cpc: a
print-edition run whose print/* stats show a thin issue against the spider's history."""

from __future__ import annotations

import scrapy
from scrapy.utils.test import get_crawler
from spidermon.contrib.scrapy.runners import SpiderMonitorRunner

from crawler.archive.checks import run_checks
from crawler.archive.db import open_archive
from crawler.archive.runs import finish_run, start_run
from crawler.monitoring import rules
from crawler.monitoring.monitors import RUN_ID_STAT
from crawler.monitoring.suite import ArchiveMonitorSuite

PRINT = "Print edition issues"


class PrintSpider(scrapy.Spider):
    name = "rmrb"


def judge(path, run_id: int, stats: dict) -> dict[str, tuple[bool, str]]:
    crawler = get_crawler(PrintSpider, {"ARCHIVE_DB": str(path)})
    spider = PrintSpider()
    suite = ArchiveMonitorSuite(crawler=crawler)
    SpiderMonitorRunner(spider=spider).run(
        suite, stats={RUN_ID_STAT: run_id, **stats}, crawler=crawler, spider=spider
    )
    db = open_archive(path)
    try:
        return {c.monitor: (c.passed, c.message) for c in run_checks(db, run_id)}
    finally:
        db.close()


def print_stats(issues, pages, articles) -> dict:
    return {"print/issues": issues, "print/pages": pages, "print/articles": articles}


def test_a_thin_print_issue_fails_the_print_monitor_of_the_rmrb_suite(tmp_path):
    path = tmp_path / "archive.db"
    for _ in range(3):
        db = open_archive(path)
        run = start_run(db, "crawl")
        db.close()
        assert judge(path, run, print_stats(1, 20, 120))[PRINT][0]
        db = open_archive(path)
        finish_run(db, run, "finished")
        db.close()
    db = open_archive(path)
    run = start_run(db, "crawl")
    db.close()
    verdicts = judge(path, run, print_stats(1, 20, 60))
    passed, message = verdicts[PRINT]
    assert not passed
    assert message.startswith("issues thinner than usual: 60.0 articles per issue (limit 84.0")
    assert [m for m, (ok, _) in verdicts.items() if not ok] == [PRINT]
    db = open_archive(path)
    assert {s for (s,) in db.execute("SELECT DISTINCT spider FROM run_metrics")} == {"rmrb"}
    db.close()


def test_the_suite_passes_a_spider_without_print_stats(tmp_path):
    path = tmp_path / "archive.db"
    db = open_archive(path)
    run = start_run(db, "crawl")
    db.close()
    verdicts = judge(path, run, {})
    assert verdicts[PRINT] == (True, "no print edition in this run")
    # The first run of a spider that archived nothing: the one monitor that must say so.
    assert [m for m, (ok, _) in verdicts.items() if not ok] == ["New articles per run"]


def test_limits_come_from_the_crawler_settings(tmp_path):
    crawler = get_crawler(PrintSpider, {"ARCHIVE_MONITOR_PRINT_MIN_PAGES": 30})
    assert rules.Limits.from_settings(crawler.settings).print_min_pages == 30
