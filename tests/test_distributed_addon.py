"""The Redis switch: without ARCHIVE_REDIS_URL the crawl's components are the single-machine
ones; with it, the distributed ones replace them."""

from scrapy.utils.test import get_crawler

from crawler import settings as project
from crawler.spiders.cpc import CpcSpider

PROJECT = {name: getattr(project, name) for name in dir(project) if name.isupper()}


def settings_of(**extra):
    """The crawl's settings as Scrapy completes them (add-ons applied), `-s` extra included."""
    crawler = get_crawler(CpcSpider, settings_dict={**PROJECT, **extra})
    crawler._apply_settings()
    return crawler.settings


def test_without_the_setting_nothing_changes():
    s = settings_of()
    assert not s.get("SCHEDULER", "").startswith("crawler.distributed")
    assert s["ITEM_PIPELINES"]["crawler.pipelines.ArchivePipeline"] == 300
    assert "crawler.distributed.pipeline.StreamPipeline" not in s["ITEM_PIPELINES"]
    assert s["EXTENSIONS"]["crawler.components.runlock.RunLock"] == 100
    assert "crawler.distributed.politeness.FleetPoliteness" not in s["DOWNLOADER_MIDDLEWARES"]


def test_with_the_setting_the_process_is_a_worker():
    s = settings_of(ARCHIVE_REDIS_URL="redis://127.0.0.1:6379/0")
    assert s["SCHEDULER"] == "crawler.distributed.scheduler.LeasedScheduler"
    assert s["ITEM_PIPELINES"]["crawler.pipelines.ArchivePipeline"] is None
    assert s["ITEM_PIPELINES"]["crawler.distributed.pipeline.StreamPipeline"] == 300
    assert s["EXTENSIONS"]["crawler.components.runlock.RunLock"] is None  # the writer holds it
    assert s["EXTENSIONS"]["crawler.components.ban.BanDetector"] is None
    assert s["EXTENSIONS"]["crawler.distributed.ban.FleetBanDetector"] == 500
    assert s["DOWNLOADER_MIDDLEWARES"]["crawler.distributed.politeness.FleetPoliteness"] == 950
