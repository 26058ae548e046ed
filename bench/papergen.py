"""A generated copy of the 人民日报 print edition, both layouts, served from memory.

`PaperSite` answers paper.people.com.cn URLs for a range of days the way the reconstructed
fixtures (tests/fixtures_rmrb) show the site: up to 2024-11 the static .htm layout, from
2024-12 the /rmrb/pc/ layout; each issue's page list, each page's article list and PDF link,
articles with 引题/title/副题, byline, dateline and body, and a PDF per page. Days without a
paper answer the site's not-found page (200) or 404; a page can be given no articles. Pages are
built on request, so a year of issues costs no disk. It is a `source` for crawler.replay:

    ReplayServer(PaperSite(date(2024, 11, 28), date(2024, 12, 4)))

Every page it serves is reconstructed: the markup follows the fixtures, the text is neutral
prose made up for the tests and the bench, the content ids are made up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from crawler.paper_urls import NEW, PAPER_HOST, is_paper_pdf_url, layout_of, page_url
from crawler.paper_urls import parse_paper_url as _parse
from crawler.replay import Recorded

HEADERS = {"Content-Type": "text/html; charset=utf-8", "Server": "nginx"}
PDF_HEADERS = {"Content-Type": "application/pdf", "Server": "nginx"}
SECTIONS = ("要闻", "要闻", "要闻", "要闻", "经济", "社会", "国际", "理论", "文化", "广告")
NOT_FOUND = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>404 Not Found</title></head>"
    "<body><div class='error'><h1>抱歉，您访问的页面不存在</h1></div></body></html>"
)


@dataclass
class PaperSite:
    first: date
    last: date
    pages: int = 4  # pages per issue
    articles: int = 3  # articles per page
    # Days without a paper: "page" serves the not-found page with 200, "404" answers 404.
    missing: dict[date, str] = field(default_factory=dict)
    empty_pages: frozenset[tuple[date, int]] = frozenset()  # (day, page) with no articles
    _pdfs: dict[str, tuple[date, int]] | None = field(default=None, repr=False)

    # --- what exists ------------------------------------------------------------------

    def issue_days(self) -> list[date]:
        days = [self.first + timedelta(n) for n in range((self.last - self.first).days + 1)]
        return [d for d in days if d not in self.missing]

    def article_count(self, day: date, number: int) -> int:
        return 0 if (day, number) in self.empty_pages else self.articles

    def article_url(self, day: date, number: int, k: int) -> str:
        if layout_of(day) == NEW:
            cid = 30_000_000 + (day - date(2024, 1, 1)).days * 1000 + number * 40 + k
            return f"http://{PAPER_HOST}/rmrb/pc/content/{day:%Y%m}/{day:%d}/content_{cid}.html"
        return (
            f"http://{PAPER_HOST}/rmrb/html/{day:%Y-%m}/{day:%d}/"
            f"nw.D110000renmrb_{day:%Y%m%d}_{k}-{number:02d}.htm"
        )

    def pdf_url(self, day: date, number: int) -> str:
        if layout_of(day) == NEW:
            return f"http://{PAPER_HOST}/rmrb/pc/attachement/{day:%Y%m}/{day:%d}/p{number:02d}.pdf"
        return (
            f"http://{PAPER_HOST}/rmrb/images/{day:%Y-%m}/{day:%d}/{number:02d}/"
            f"rmrb{day:%Y%m%d}{number:02d}.pdf"
        )

    def urls(self) -> Iterator[str]:
        for day in self.issue_days():
            for n in range(1, self.pages + 1):
                yield page_url(day, n)
                yield self.pdf_url(day, n)
                for k in range(1, self.article_count(day, n) + 1):
                    yield self.article_url(day, n, k)

    def title(self, day: date, number: int, k: int) -> str:
        return f"{day.month}月{day.day}日第{number}版第{k}篇报道"

    # --- serving ----------------------------------------------------------------------

    def get(self, url: str) -> Recorded | None:
        parsed = _parse(url)
        if parsed is None:
            return self.pdf(url) if is_paper_pdf_url(url) else None
        day = date.fromisoformat(parsed.date)
        if not self.first <= day <= self.last:
            return None
        if day in self.missing:
            if parsed.kind == "page" and self.missing[day] == "page":
                return Recorded(200, dict(HEADERS), NOT_FOUND.encode())
            return None
        if parsed.kind == "page":
            number = int(parsed.page)
            if not 1 <= number <= self.pages:
                return None
            return Recorded(200, dict(HEADERS), self.page_html(day, number).encode())
        for n in range(1, self.pages + 1):
            for k in range(1, self.article_count(day, n) + 1):
                if self.article_url(day, n, k) == url:
                    return Recorded(200, dict(HEADERS), self.article_html(day, n, k).encode())
        return None

    def pdf(self, url: str) -> Recorded | None:
        if self._pdfs is None:
            self._pdfs = {
                self.pdf_url(day, n): (day, n)
                for day in self.issue_days()
                for n in range(1, self.pages + 1)
            }
        if url not in self._pdfs:
            return None
        day, n = self._pdfs[url]
        body = f"%PDF-1.4\n% {day} page {n:02d}\ntrailer<<>>\n%%EOF\n".encode()
        return Recorded(200, dict(PDF_HEADERS), body)

    def _name(self, n: int) -> str:
        return f"第{n:02d}版：{SECTIONS[(n - 1) % len(SECTIONS)]}"

    def _relative(self, url: str) -> str:
        # Links as the site writes them: relative to the page, ../../.. up to /rmrb/ or /pc/.
        root = "/rmrb/pc/" if "/rmrb/pc/" in url else "/rmrb/"
        return "../../../" + url.split(root, 1)[1]

    def title_list(self, day: date, number: int) -> str:
        """The page's article list, as its index page and its articles' pages show it."""
        new = layout_of(day) == NEW
        items = "".join(
            f'<li><a href="{self._relative(self.article_url(day, number, k))}">'
            + (
                self.title(day, number, k)
                if new
                else f'<script>document.write(view("{self.title(day, number, k)}"))</script>'
            )
            + "</a></li>"
            for k in range(1, self.article_count(day, number) + 1)
        )
        if new:
            return f'<ul class="news-list">{items}</ul>'
        return f'<div id="titleList"><ul class="news-list">{items}</ul></div>'

    def page_html(self, day: date, number: int) -> str:
        new = layout_of(day) == NEW
        articles = self.title_list(day, number)
        if new:
            slides = "".join(
                f'<div class="swiper-slide"><a href="node_{n:02d}.html">{self._name(n)}</a></div>'
                for n in range(1, self.pages + 1)
            )
            pages = (
                f'<div class="swiper-container"><div class="swiper-wrapper">{slides}</div></div>'
            )
        else:
            names = "".join(
                f'<div class="right_title-name"><a id="pageLink" '
                f'href="nbs.D110000renmrb_{n:02d}.htm">{self._name(n)}</a></div>'
                for n in range(1, self.pages + 1)
            )
            pages = f'<div id="pageList"><ul>{names}</ul></div>'
        pdf = self._relative(self.pdf_url(day, number))
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>人民日报</title></head>"
            '<body><div class="main w1000"><div class="left paper-box"><div class="paper-bot">'
            f'<p class="left ban">{self._name(number)}</p>'
            f'<p class="right btn"><a href="{pdf}">PDF下载</a></p></div></div>'
            f'<div class="right right-main"><div class="news">{articles}</div>'
            f'<div class="swiper-box">{pages}</div></div></div></body></html>'
        )

    def article_html(self, day: date, number: int, k: int) -> str:
        title = self.title(day, number, k)
        text = "".join(
            f"<p>　　{day.year}年{day.month}月{day.day}日第{number}版第{k}篇第{i}段，"
            "各地各部门扎实推进各项工作，取得新的进展。</p>"
            for i in range(1, 4)
        )
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{title}--人民日报</title></head><body>"
            '<div class="main w1000"><div class="left paper-box"><div class="paper-bot">'
            f'<p class="left ban">{self._name(number)}</p></div>'
            f"{self.title_list(day, number)}</div>"
            '<div class="right right-main"><div class="article">'
            f"<h3>引题{k}</h3><h1>{title}</h1><h2></h2>"
            f'<p class="sec">本报记者 王乐文</p>'
            f'<p class="date">({day.year}年{day.month:02d}月{day.day:02d}日 {number:02d}版)</p>'
            f'<div id="ozoom">{text}</div></div></div></div></body></html>'
        )
