"""verdict.page_problem: why a continuation page is not part of its article, and whether a later
fetch may bring it (the article is then stored flagged, and asked for again)."""

import pytest

from crawler.archive.verdict import page_problem
from crawler.records import Fetch, NotArticle

SECOND = "http://cpc.people.com.cn/n1/2024/0806/c64387-40293310-2.html"
WHOLE = b"<html><body>page</body></html>"


def test_a_whole_page_that_answered_200_is_part_of_the_article():
    assert page_problem(Fetch(url=SECOND, body=WHOLE), None) == ("", False)


@pytest.mark.parametrize(
    ("status", "body", "why", "transient"),
    [
        (0, b"", "no answer", True),
        (500, WHOLE, "answered HTTP 500", True),
        (429, WHOLE, "answered HTTP 429", True),
        (404, WHOLE, "answered HTTP 404", False),
        (200, b"", "empty body", True),
        (200, b"<html><body>cut", "cut off in transit", True),
    ],
)
def test_a_page_that_did_not_come_in_whole_says_why(status, body, why, transient):
    assert page_problem(Fetch(url=SECOND, body=body, status=status), None) == (why, transient)


def test_an_unreadable_page_is_missing_for_good():
    page = NotArticle(SECOND, "unreadable", "no title or body")
    why, transient = page_problem(Fetch(url=SECOND, body=WHOLE), page)
    assert (why, transient) == ("not readable (unreadable: no title or body)", False)
