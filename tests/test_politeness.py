"""Retry-After parsing and backoff, the User-Agent, and ban detection, without a network."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.components.ban import BANNED, BanDetector
from crawler.components.retry import RetryAfterMiddleware, retry_after_seconds
from crawler.components.useragent import ArchiveUserAgentMiddleware
from crawler.spiders.cpc import CpcSpider


def test_retry_after_in_seconds():
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(b"7") == 7.0


def test_retry_after_as_an_http_date():
    now = datetime(2024, 8, 7, 8, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(later, now=now.timestamp()) == 90.0


def test_retry_after_in_the_past_or_unreadable():
    now = datetime(2024, 8, 7, 8, 0, tzinfo=UTC)
    earlier = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(earlier, now=now.timestamp()) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def middleware(**settings):
    crawler = get_crawler(CpcSpider, settings_dict=settings)
    return RetryAfterMiddleware.from_crawler(crawler)


def response(status, **headers):
    return HtmlResponse("http://cpc.people.com.cn/", status=status, headers=headers, body=b"")


def test_delay_honours_retry_after_and_caps_it():
    mw = middleware(ARCHIVE_RETRY_AFTER_MAX=60)
    request = Request("http://cpc.people.com.cn/")
    assert mw.delay_for(request, response(503, **{"Retry-After": "5"})) == 5.0
    assert mw.delay_for(request, response(429, **{"Retry-After": "3600"})) == 60.0


def test_delay_without_retry_after_doubles_per_retry():
    mw = middleware(ARCHIVE_RETRY_BACKOFF=2.0)
    assert mw.delay_for(Request("http://x.people.com.cn/"), response(500)) == 2.0
    retried = Request("http://x.people.com.cn/", meta={"retry_times": 2})
    assert mw.delay_for(retried, response(500)) == 8.0


def test_retry_switched_off_is_not_configured():
    with pytest.raises(NotConfigured):
        middleware(RETRY_ENABLED=False)


def test_user_agent_names_project_and_contact():
    crawler = get_crawler(CpcSpider, settings_dict={"ARCHIVE_CONTACT": "mailto:a@example.org"})
    mw = ArchiveUserAgentMiddleware.from_crawler(crawler)
    request = Request("http://cpc.people.com.cn/")
    mw.process_request(request)
    agent = request.headers[b"User-Agent"].decode()
    assert agent.startswith("cpc-archive/")
    assert "mailto:a@example.org" in agent


def test_user_agent_without_contact_is_not_configured():
    crawler = get_crawler(CpcSpider, settings_dict={"ARCHIVE_CONTACT": ""})
    with pytest.raises(NotConfigured):
        ArchiveUserAgentMiddleware.from_crawler(crawler)


class Engine:
    def __init__(self):
        self.reasons = []

    def close_spider_async(self, *, reason):
        # Records the call; the real engine returns a coroutine the extension schedules.
        self.reasons.append(reason)


def detector(window=10, ratio=0.8):
    crawler = get_crawler(
        CpcSpider, settings_dict={"ARCHIVE_BAN_WINDOW": window, "ARCHIVE_BAN_RATIO": ratio}
    )
    crawler.engine = Engine()
    return BanDetector.from_crawler(crawler), crawler.engine


def test_mostly_403_and_429_closes_the_crawl_as_banned():
    ext, engine = detector()
    request = Request("http://cpc.people.com.cn/")
    for status in [200, 200, 403, 429, 403, 403, 403, 429, 403, 403]:
        ext.response_received(response(status), request)
    assert engine.reasons == [BANNED]


def test_a_few_refusals_do_not_close_the_crawl():
    ext, engine = detector()
    request = Request("http://cpc.people.com.cn/")
    for status in [200, 403, 200, 429, 200, 200, 403, 200, 200, 200, 403, 200]:
        ext.response_received(response(status), request)
    assert engine.reasons == []


def test_ban_detection_switched_off():
    with pytest.raises(NotConfigured):
        detector(window=0)


def test_placeholder_contact_is_used_with_a_warning(caplog):
    crawler = get_crawler(CpcSpider, settings_dict={"ARCHIVE_CONTACT": "mailto:op@example.org"})
    ArchiveUserAgentMiddleware.from_crawler(crawler)
    assert "ARCHIVE_CONTACT is the placeholder" in caplog.text


def test_politeness_is_on_by_default():
    from scrapy.settings import Settings

    from crawler import settings as project

    s = Settings()
    s.setmodule(project, priority="project")
    assert s.getbool("ROBOTSTXT_OBEY")
    assert s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert s.getfloat("DOWNLOAD_DELAY") > 0
    assert s["DOWNLOADER_MIDDLEWARES"]["crawler.components.retry.RetryAfterMiddleware"]
    assert s["DOWNLOADER_MIDDLEWARES"]["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "crawler.components.ban.BanDetector" in s["EXTENSIONS"]
    assert s.get("ARCHIVE_DB") == "data/archive.db"
