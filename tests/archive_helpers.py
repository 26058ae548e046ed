"""Hand-built fetches and records for archive tests (the parser is tested on its own)."""

from __future__ import annotations

from crawler.records import ArticleRecord, Fetch

URL = "http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html"
HTML = "<html><head><title>{title}</title></head><body>{body}</body></html>"


def page(title: str = "t", body: str = "b") -> bytes:
    return HTML.format(title=title, body=body).encode()


def fetch(url: str = URL, body: bytes | None = None, *, at: str = "2024-08-07T01:00:00Z", **kw):
    return Fetch(url=url, body=page() if body is None else body, fetched_at=at, **kw)


def record(
    url: str = URL,
    *,
    content_id: str | None = "40294553",
    title: str = "全国各级妇联深入学习宣传贯彻落实党的二十届三中全会精神",
    paragraphs: list[str] | None = None,
    published_at: str | None = "2024-08-07T08:02:00+08:00",
    **kw,
) -> ArticleRecord:
    paragraphs = paragraphs or [
        "全国各级妇联深入学习宣传贯彻落实党的二十届三中全会精神。",
        "进一步全面深化改革，推进中国式现代化。",
    ]
    return ArticleRecord(
        url=url,
        canonical_url=url,
        content_id=content_id,
        channel_id="64094",
        title=title,
        published_at=published_at,
        source="中国妇女报",
        editors=["王子锋", "王珂园"],
        paragraphs=paragraphs,
        body_text="\n".join(paragraphs),
        encoding="utf-8",
        template="cpc",
        parser_version="test-1",
        **kw,
    )
