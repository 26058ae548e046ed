from crawler.archive.verdict import continuation_not_ok
from crawler.items import Fetch, NotArticle

FIRST = "http://cpc.people.com.cn/n1/2024/0806/c64387-40293310.html"
SECOND = "http://cpc.people.com.cn/n1/2024/0806/c64387-40293310-2.html"


def test_continuation_page_that_answered_200_does_not_stop_the_article():
    assert continuation_not_ok(FIRST, Fetch(url=SECOND, body=b"<html></html>")) is None


def test_continuation_page_with_an_error_status_makes_the_article_incomplete():
    result = continuation_not_ok(FIRST, Fetch(url=SECOND, body=b"", status=404))
    assert result == NotArticle(
        FIRST, kind="incomplete", reason=f"continuation page {SECOND} answered HTTP 404"
    )
