"""The 人民日报 print edition (paper.people.com.cn), both layouts: pure parsers over bytes + URL.

`parse_paper_page` reads a page's index page (版面): the issue's page list, this page's name,
PDF and article links in page order. `parse_paper_article` reads an article into the same
`ArticleRecord` the web crawl stores, with a fuller `print_edition` (page name, position).
Which layout a page is in comes from its URL (crawler.paper_urls); every selector is in
crawler.pages.selectors (PAPER_HTML, PAPER_PC).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from urllib.parse import urljoin

from parsel import Selector

from crawler.pages import selectors as S
from crawler.pages.decode import decode_html
from crawler.pages.normalize import byline_names, clean_text
from crawler.paper_urls import NEW, OLD, PAPER_NAME, parse_paper_url
from crawler.records import ArticleRecord, Image, NotArticle, PageLink, PrintEdition, PrintPage
from crawler.urls import canonical_url

PARSER_VERSION = "paper-1.0.0"
LAYOUTS = {OLD: S.PAPER_HTML, NEW: S.PAPER_PC}


def _layout(url: str) -> S.PaperLayout:
    parsed = parse_paper_url(url)
    return LAYOUTS[parsed.layout] if parsed else S.PAPER_LAYOUT_ORDER[0]


def _first(sel: Selector, css: S.Sel) -> list[Selector]:
    """The elements the first selector that matches anything gives, in document order."""
    for query in css:
        found = sel.css(query)
        if found:
            return list(found)
    return []


def _text(node: Selector | None) -> str:
    if node is None:
        return ""
    return clean_text(" ".join(node.xpath(".//text()[not(ancestor::script)]").getall()))


def _first_text(sel: Selector, css: S.Sel) -> str:
    for node in _first(sel, css):
        if text := _text(node):
            return text
    return ""


def _link_text(node: Selector) -> str:
    """A list link's text; the old layout writes it with document.write(view("…"))."""
    text = _text(node)
    if text:
        return text
    m = S.PAPER_VIEW_RE.search(" ".join(node.xpath(".//script/text()").getall()))
    return clean_text(m["text"]) if m else ""


def _absolute(base: str, href: str | None) -> str:
    return canonical_url(urljoin(base, href.strip())) if href and href.strip() else ""


def _selector(body: bytes, headers: Mapping | None) -> tuple[Selector, str, int]:
    decoded = decode_html(body, headers)
    return Selector(text=decoded.text), decoded.encoding, decoded.errors


def page_number(name: str) -> str:
    """ "01" from "第01版：要闻"; "" when the name carries no number."""
    m = S.PAPER_PAGE_NAME_RE.search(name)
    return f"{int(m['page']):02d}" if m else ""


def _page_links(sel: Selector, layout: S.PaperLayout, url: str) -> list[PageLink]:
    links: list[PageLink] = []
    seen: set[str] = set()
    for a in _first(sel, layout.page_list):
        target = _absolute(url, a.attrib.get("href"))
        parsed = parse_paper_url(target)
        if not parsed or parsed.kind != "page" or target in seen:
            continue
        seen.add(target)
        links.append(PageLink(parsed.page, _link_text(a), target))
    return links


def _article_links(sel: Selector, layout: S.PaperLayout, url: str) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    for a in _first(sel, layout.title_list):
        target = _absolute(url, a.attrib.get("href"))
        parsed = parse_paper_url(target)
        if parsed and parsed.kind == "article" and target not in (u for u, _ in links):
            links.append((target, _link_text(a)))
    return links


def _pdf_url(sel: Selector, layout: S.PaperLayout, url: str) -> str:
    for a in _first(sel, layout.pdf):
        if href := a.attrib.get("href"):
            return _absolute(url, href)
    return ""


def parse_paper_page(
    body: bytes, url: str, headers: Mapping | None = None
) -> PrintPage | NotArticle:
    """A page's index page as a PrintPage; a day without a paper is NotArticle("no_issue")."""
    parsed = parse_paper_url(url)
    if parsed is None or parsed.kind != "page":
        return NotArticle(url, "not_print_page", "not a print-edition page URL", "", PARSER_VERSION)
    sel, encoding, _errors = _selector(body, headers)
    layout = LAYOUTS[parsed.layout]
    pages = _page_links(sel, layout, url)
    if not pages:
        # Every issue's page lists its pages; a page without one is the site's not-found page.
        title = clean_text(sel.css("title::text").get())
        reason = f"no issue on {parsed.date}: the page lists no pages ({title or 'untitled'})"
        return NotArticle(url, "no_issue", reason, encoding, PARSER_VERSION)
    me = canonical_url(url)
    name = _first_text(sel, layout.page_name) or next((p.name for p in pages if p.url == me), "")
    articles = _article_links(sel, layout, url)
    return PrintPage(
        url=url,
        paper=PAPER_NAME,
        date=parsed.date,
        number=parsed.page,
        name=name,
        pdf_url=_pdf_url(sel, layout, url),
        layout=layout.name,
        article_urls=[u for u, _ in articles],
        article_titles=[t for _, t in articles],
        pages=pages,
        encoding=encoding,
        parser_version=PARSER_VERSION,
    )


def _dateline(sel: Selector, layout: S.PaperLayout) -> tuple[str, str]:
    """(ISO date, page number) from "(2024年08月07日 01版)"; ("", "") when none."""
    for node in _first(sel, layout.dateline):
        m = S.PAPER_DATELINE_RE.search(_text(node))
        if m:
            try:
                day = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                continue
            return day.isoformat(), f"{int(m['page']):02d}"
    return "", ""


def _authors(sel: Selector, layout: S.PaperLayout) -> list[str]:
    for node in _first(sel, layout.authors):
        # The dateline may sit inside the byline block: its text is not a name.
        texts = node.xpath(
            ".//text()[not(ancestor::*[contains(concat(' ', @class, ' '), ' date ')])]"
        ).getall()
        if names := byline_names(" ".join(texts)):
            return names
    return []


def _images(sel: Selector, layout: S.PaperLayout, url: str) -> tuple[list[Image], set[str]]:
    """The article's pictures with captions, and the caption texts (not paragraphs)."""
    images: list[Image] = []
    captions: set[str] = set()
    for block in _first(sel, layout.images):
        imgs = [block] if block.root.tag == "img" else list(block.css(layout.image_src[0]))
        if not imgs:
            continue
        caption = _first_text(block, layout.caption)
        if not caption and block.root.tag == "img":
            # An inline picture: its caption is the element after the picture's paragraph.
            after = block.xpath("(parent::p | self::img[not(parent::p)])/following-sibling::*[1]")
            if after and any(_is(after[0], q) for q in layout.caption):
                caption = _text(after[0])
        src = _absolute(url, imgs[0].attrib.get("src"))
        if src:
            images.append(Image(src, caption))
            if caption:
                captions.add(caption)
    return images, captions


def _is(node: Selector, css: str) -> bool:
    """Whether `node` itself matches a simple `tag.class` selector."""
    tag, _, cls = css.partition(".")
    if tag and node.root.tag != tag:
        return False
    return not cls or cls in (node.attrib.get("class") or "").split()


def _position(sel: Selector, layout: S.PaperLayout, url: str) -> int | None:
    """The article's place on its page: in the page's article list, else from its URL."""
    me = canonical_url(url)
    for i, (link, _) in enumerate(_article_links(sel, layout, url), 1):
        if link == me:
            return i
    parsed = parse_paper_url(url)
    return parsed.position if parsed else None


def parse_paper_article(
    body: bytes, url: str, headers: Mapping | None = None
) -> ArticleRecord | NotArticle:
    """A print-edition article as an ArticleRecord; a page that is none as a NotArticle."""
    parsed = parse_paper_url(url)
    if parsed is None or parsed.kind != "article":
        return NotArticle(
            url, "not_print_article", "not a print-edition article URL", "", PARSER_VERSION
        )
    sel, encoding, errors = _selector(body, headers)
    layout = LAYOUTS[parsed.layout]
    title = _first_text(sel, layout.title)
    blocks = _first(sel, layout.body)
    if not title or not blocks:
        what = "title" if not title else "body (div#ozoom)"
        return NotArticle(
            url, "not_found", f"no {what} on the print article page", encoding, PARSER_VERSION
        )
    images, captions = _images(sel, layout, url)
    paragraphs = []
    for block in blocks:
        for p in _first(block, layout.paragraphs):
            if p.xpath("ancestor::table[contains(@class, 'pci_c')]"):
                continue
            text = _text(p)
            if text and text not in captions:
                paragraphs.append(text)
    day, page = _dateline(sel, layout)
    day, page = day or parsed.date, page or parsed.page
    page_name = _first_text(sel, layout.page_name)
    page = page or page_number(page_name)
    edition = PrintEdition(PAPER_NAME, day, page, page_name, _position(sel, layout, url))
    return ArticleRecord(
        url=url,
        canonical_url=canonical_url(url),
        # The paper's own numbering, not the web CMS's: kept out of the people:<id> key space.
        content_id=None,
        channel_id=None,
        title=title,
        pretitle=_first_text(sel, layout.pretitle),
        subtitle=_first_text(sel, layout.subtitle),
        published_at=day,  # the paper prints the day only
        source=PAPER_NAME,
        authors=_authors(sel, layout),
        print_edition=edition,
        images=images,
        paragraphs=paragraphs,
        body_text="\n".join(paragraphs),
        page_urls=[url],
        encoding=encoding,
        decode_errors=errors,
        template=layout.name,
        parser_version=PARSER_VERSION,
    )
