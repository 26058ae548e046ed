"""Every CSS selector the parser uses, named, per template, in a declared try order.

A redesign of the site is a change to this file only. Each `Template` says how to recognise
its layout (`detect`) and, per field, the selectors to try in order: the first one that gives
text wins. `TEMPLATE_ORDER` is the order layouts are tried in; `FALLBACK` reads a page no
template knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Sel = tuple[str, ...]


@dataclass(frozen=True)
class Template:
    name: str
    detect: Sel  # the layout is this template when any of these matches
    title: Sel
    body: Sel  # the block holding the article text
    pretitle: Sel = ()
    subtitle: Sel = ()
    author: Sel = ()  # byline: "本报记者  王乐文  方  敏"
    dateline: Sel = ()  # text holding the publication date (and often 来源)
    source: Sel = ()  # text holding "来源：…" when not in the dateline
    source_link: Sel = ()  # the 来源 <a>
    editors: Sel = ()  # "(责编：…、…)"
    original_title: Sel = ()  # "原标题：…"
    print_edition: Sel = ()  # 《 人民日报 》（ 2024年05月10日 04 版）
    pager: Sel = ()  # links to the pages of a multi-page article
    breadcrumbs: Sel = ()  # the links of the channel path
    caption: Sel = ()  # the caption of a page's one picture, when printed apart from it
    # The block holding the article's fields: they are looked for inside it first, then in the
    # whole page (a smaller tree to search; breadcrumbs are always read from the whole page).
    scope: Sel = ()
    # Inside the body block: never body text (share bars, editor lines, pagers, QR codes, …).
    exclude: Sel = ()


# Inside any body block, whatever the template: scripts, pagers, editor and share lines.
COMMON_EXCLUDE: Sel = (
    "script",
    "style",
    "noscript",
    "iframe",
    "form",
    "center",  # the "next page" table under the pager
    "div.zdfy",
    "div.page_n",
    "div.edit",
    "div.editor",
    "div.otitle",
    "div.bza",
    "div.tjewm",  # "关注公众号" QR code
    "p.paper_num",  # the 2020wbc share bar
    "span#paper_num",
    "div.share",
    "div#ops_share",
    "div.fx",
    "div.page_c",
    "div.rm_relevant",
    "div.relevant",
    "div.rel_news",
    "#p_editor",
    "#p_navigator",
)

CPC = Template(
    name="cpc",
    scope=("div.text_c",),
    detect=("div.text_c",),
    title=("div.text_c > h1", "div.text_c h1"),
    pretitle=("div.text_c > h3.pre", "div.text_c h3.pre"),
    subtitle=("div.text_c > h4.sub", "div.text_c h4.sub"),
    author=("div.text_c > p.author", "div.text_c p.author"),
    dateline=("div.text_c > p.sou", "div.text_c p.sou"),
    source_link=("div.text_c p.sou a",),
    body=("div.text_c div.show_text", "div.show_text"),
    editors=("div.text_c div.edit", "div.edit"),
    original_title=("div.text_c div.otitle",),
    print_edition=("span#paper_num",),
    pager=("div.zdfy a", "div.page_n a"),
    breadcrumbs=("div.text_c_nav a", "#rwb_navpath a", "div.route a"),
)

WB2016 = Template(
    name="2016wb",
    detect=("div.text_title",),
    title=("div.text_title > h1", "div.text_title h1"),
    pretitle=("div.text_title > h3.pre",),
    subtitle=("div.text_title > h4.sub",),
    author=("div.text_title > p.author",),
    dateline=("div.text_title div.box01 div.fl",),
    source_link=("div.text_title div.box01 div.fl a",),
    body=("div.box_con#rwb_zw", "#rwb_zw", "div.box_con"),
    editors=("div.box_con div.edit", "div.edit"),
    original_title=("div.box_con div.otitle",),
    print_edition=("span#paper_num",),
    pager=("div.zdfy a",),
    breadcrumbs=("#rwb_navpath a",),
)

WBC2020 = Template(
    name="2020wbc",
    scope=("div.rm_txt",),
    detect=("div.rm_txt div.col-1",),
    title=("div.rm_txt div.col-1 > h1", "div.rm_txt h1"),
    pretitle=("div.rm_txt div.col-1 > h3.pre",),
    subtitle=("div.rm_txt div.col-1 > h4.sub",),
    author=("div.rm_txt div.col-1 > div.author",),
    dateline=("div.rm_txt div.channel div.col-1-1", "div.rm_txt div.col-1-1"),
    source_link=("div.rm_txt div.channel div.col-1-1 a",),
    body=("div.rm_txt div.rm_txt_con", "div.rm_txt_con"),
    editors=("div.rm_txt_con div.edit", "div.rm_txt div.edit"),
    original_title=("div.rm_txt_con div.otitle",),
    print_edition=("span#paper_num",),
    pager=("div.rm_txt_con div.zdfy a", "div.zdfy a"),
    breadcrumbs=("div.route#rwb_navpath a", "#rwb_navpath a", "div.route a"),
)

HEALTH = Template(
    name="health",
    scope=("div.articleCont",),
    detect=("div.articleCont div.artDet",),
    title=("div.articleCont div.title > h2", "div.articleCont h2"),
    pretitle=("div.articleCont div.title > h4",),
    subtitle=("div.articleCont div.title > h3",),
    author=("div.articleCont div.title > p",),
    dateline=("div.articleCont div.artOri",),
    source_link=("div.articleCont div.artOri > a",),
    body=("div.articleCont div.artDet",),
    editors=("div.articleCont div.editor",),
    original_title=("div.artDet div.otitle",),
    print_edition=("span#paper_num",),
    pager=("div.artDet div.zdfy a",),
    breadcrumbs=("div.subNav a",),
)

# /n/ (about 2012–2014) and /GB/ pages: #p_title, #p_publishtime, #p_origin, #p_content.
P_ERA = Template(
    name="p_era",
    detect=("#p_title",),
    title=("#p_title",),
    pretitle=("#p_pretitle", "#p_yinti"),
    subtitle=("#p_subtitle", "#p_futi"),
    author=("#p_author",),
    dateline=("#p_publishtime",),
    source=("#p_origin",),
    source_link=("#p_origin a",),
    body=("#p_content",),
    editors=("#p_editor",),
    original_title=("#p_content div.otitle",),
    print_edition=("span#paper_num",),
    pager=("#p_content div.zdfy a", "div.zdfy a", "#p_page a"),
    breadcrumbs=("#p_navigator a",),
)

# The oldest /GB/ pages: the body in <font id="zoom">, the rest in table cells.
GB_ZOOM = Template(
    name="gb_zoom",
    detect=("font#zoom",),
    title=("h1", "td.fbt", ".fbt", "font.fbt", "b font", "title"),
    pretitle=("td.yt", ".yt"),
    subtitle=("td.ft", ".ft"),
    author=("td.author", ".author"),
    dateline=("td.wb_time", "td.rq", ".rq", "td.date"),
    source=("td.ly", ".ly"),
    source_link=("td.wb_time a", "td.ly a", ".ly a"),
    body=("font#zoom",),
    editors=("td.editor", "div.editor", "div.edit", "font.editor"),
    print_edition=("span#paper_num",),
    pager=("font#zoom div.zdfy a",),
    breadcrumbs=("td.nav a", "div.nav a"),
)

# Picture galleries: images stepped through with a#next, captions under the picture.
GALLERY = Template(
    name="gallery",
    scope=("div.text_con",),
    detect=("div#picG",),
    title=("div.text_c > h1", "div#picG h1", "h1"),
    pretitle=("div.text_c > h3.pre",),
    subtitle=("div.text_c > h4.sub",),
    dateline=("div.text_c > p.sou", "p.sou", "div#picG p.sou"),
    source_link=("p.sou a",),
    body=("div#picG",),
    caption=("div#picG > p", "div#picG p"),
    editors=("div.edit", "div.editor"),
    print_edition=("span#paper_num",),
    pager=("div.page_c a", "div.zdfy a"),
    breadcrumbs=("div.text_c_nav a", "#rwb_navpath a"),
)

# Special-report pages: the text in div.txtCon, editors in div.editor.
SPECIAL = Template(
    name="special",
    detect=("div.txtCon",),
    title=("div.title > h1", "h1", "div.title h2", "h2"),
    pretitle=("div.title > h3", "h3.pre"),
    subtitle=("div.title > h4", "h4.sub"),
    author=("p.author", "div.author"),
    dateline=("div.title p.sou", "p.sou", "div.laiyuan", "div.time"),
    source_link=("p.sou a", "div.laiyuan a"),
    body=("div.txtCon",),
    editors=("div.editor", "div.edit"),
    print_edition=("span#paper_num",),
    pager=("div.zdfy a",),
    breadcrumbs=("#rwb_navpath a", "div.route a"),
)

# Tried in this order; the first template whose `detect` matches reads the page. Galleries and
# special reports come first: their pages can also carry the cpc article header.
TEMPLATE_ORDER: tuple[Template, ...] = (
    GALLERY,
    SPECIAL,
    CPC,
    WBC2020,
    WB2016,
    HEALTH,
    P_ERA,
    GB_ZOOM,
)

# A page no template knows: the title from the first <h1> or the <title>, the body from the
# element whose paragraphs hold the most text.
FALLBACK = Template(
    name="fallback",
    detect=(),
    title=("h1", "title"),
    pretitle=(),
    dateline=("p.sou", ".sou", ".time", ".date", ".pubtime"),
    source=(".origin", ".source", ".laiyuan", ".ly", "#p_origin"),
    source_link=("p.sou a", ".origin a", ".source a", ".laiyuan a", ".ly a", "#p_origin a"),
    body=(),
    editors=("div.edit", "div.editor", "#p_editor"),
    print_edition=("span#paper_num",),
    pager=("div.zdfy a",),
    breadcrumbs=(
        "#rwb_navpath a",
        "div.route a",
        "#p_navigator a",
        ".crumbs a",
        ".breadcrumb a",
        ".breadcrumbs a",
        ".position a",
        ".location a",
    ),
)
FALLBACK_BLOCKS = "p"  # fallback body: the parent of the most paragraph text wins
FALLBACK_MIN_TITLE = 4  # characters
FALLBACK_MIN_BODY = 80  # characters of paragraph text

# --- what every page is asked first ------------------------------------------------------------
PAGE_TITLE = "title"
PAGE_H1 = "h1"
META_TAGS = "meta[name]"

# An unknown layout: elements whose own text names an editor (the first short one is read).
EDITOR_TEXT_XPATH = (
    "//body//*[contains(text(), '责任编辑') or contains(text(), '责编')][not(self::script)]"
)

# --- meta tags (fallback to visible text) ----------------------------------------------------
META = {
    "publishdate": "publishdate",
    "source": "source",
    "contentid": "contentid",
    "catalogs": "catalogs",
    "keywords": "keywords",
    "description": "description",
}

# --- pages that are not articles -------------------------------------------------------------
NOT_FOUND_TITLE_RE = re.compile(r"页面没有找到|出错啦|404 Not Found|页面不存在|您访问的页面不存在")
# "<title>女儿出嫁…--文化--人民网": for the fallback, the title is what comes before the site
# name and at most one channel segment.
TITLE_SITE_RE = re.compile(r"(?:人民网|新闻网|people\.com\.cn)\s*$", re.IGNORECASE)
TITLE_SEGMENT_RE = re.compile(r"\s*(?:--|_|\|)\s*[^-_|]{1,30}$")
# A <title> that is nothing but a site's name ("中国共产党新闻网", "人民网"): a site's home page,
# told apart even without its URL (an article's title starts with its headline).
HOME_TITLE_RE = re.compile(
    r"^[^-_|]{0,12}(?:人民网|新闻网|people\.com\.cn)(?:首页)?$", re.IGNORECASE
)
TITLE_SUFFIX_SEGMENTS = 2
# A list page: "下一页" pagination next to many dated links.
LISTING_PAGER = ("div.page", "div.page_n", "div.fenye")
LISTING_NEXT_TEXT = "下一页"
LISTING_MIN_DATED_LINKS = 8
LIST_ENTRIES = "li"  # a dated link counts when it is in one of these
LIST_ENTRY_LINK = "a"

# --- lines inside a body block that are page furniture, not text ----------------------------
SHARE_LINE_RE = re.compile(r"^(?:分享让更多人看到|分享到[：:]?)")
PAGER_LINE_RE = re.compile(r"^(?:【\d+】)+(?:下一页)?$|^(?:上一页|下一页)$")
# Lines of page furniture inside a body (editor, 原标题, print edition, share, pager, related
# heading) are never longer than this; longer lines are text and skip those checks.
FURNITURE_MAX = 100
# A heading that opens the related-news list some bodies end with: nothing after it is text.
RELATED_HEADING_RE = re.compile(
    r"^[【\[]?(?:相关新闻|相关阅读|相关链接|相关报道|延伸阅读|相关专题)[】\]]?[：:]?$"
)
ORIGINAL_TITLE_RE = re.compile(r"^原标题\s*[：:]\s*(?P<title>.+)$")
# Body images that are site chrome (icons, buttons), not article pictures.
CHROME_IMAGE_RE = re.compile(
    r"/img/(?:2012wbn|2016wb|2016cpc|2020wbc|2020peopleindex|MAIN/20\d\d/\d\d/\d+/(?:images|img))"
    r"|next_page|prev_page|share\.png|/icon"
)
# Caption markup under a body picture: the caption of the picture before it, not a paragraph.
CAPTION_BLOCKS: Sel = ("p.pictext", "p.pic_text", "p.picText", "div.pictext", "span.pictext")
CAPTION_MAX = 120  # characters: longer text next to an image is a paragraph, not a caption

# Block-level tags: each starts a new paragraph when walking a body block.
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "blockquote",
        "section",
        "article",
        "dd",
        "dt",
        "dl",
        "hr",
        "pre",
        "figure",
        "figcaption",
        "tbody",
        "td",
    }
)

# --- list pages and the home page (crawler.pages.listing) --------------------------------------
# The pager containers are LISTING_PAGER above. A list entry is the element holding one article
# link and the date printed beside it.
LIST_ITEM_TAGS = frozenset({"li", "tr", "dd", "p"})
BASE_HREF = "base[href]::attr(href)"  # the page's <base href>, which its links are relative to
# Link texts that lead to the next page of a list.
LIST_NEXT_TEXTS = frozenset({LISTING_NEXT_TEXT, "下页", "下一頁"})

# --- the 人民日报 print edition (crawler.pages.paper) ---------------------------------------
# paper.people.com.cn in its two layouts. Each PaperLayout lists, per field, the selectors to try
# in order (the first that matches wins). Reconstructed from what public crawlers of the site
# rely on (issue 15): correct them here once real pages are seen.


@dataclass(frozen=True)
class PaperLayout:
    name: str
    page_list: Sel  # links to every page of the issue, in page order
    title_list: Sel  # links to the articles of this page, in page order
    page_name: Sel  # this page's name, "第01版：要闻"
    pdf: Sel  # this page's PDF link (relative, ../../../…)
    pretitle: Sel  # 引题
    title: Sel
    subtitle: Sel  # 副题
    authors: Sel  # byline, "本报记者  王乐文  方  敏"
    dateline: Sel  # "(2024年08月07日 01版)"
    body: Sel  # the block holding the article's paragraphs
    paragraphs: Sel  # inside the body block
    images: Sel  # picture blocks, inside the article or its body
    image_src: Sel  # inside a picture block
    caption: Sel  # inside a picture block, or the element right after an inline picture


# Up to 2024-11: /rmrb/html/YYYY-MM/DD/nbs.D110000renmrb_NN.htm
PAPER_HTML = PaperLayout(
    name="rmrb-html",
    page_list=("div#pageList a#pageLink", "div#pageList .right_title-name a", "div#pageList a"),
    title_list=("div#titleList li a", "div#titleList a"),
    page_name=(".paper-bot .left.ban", "p.left.ban"),
    pdf=(".paper-bot .right.btn a", ".right.btn a"),
    pretitle=("div.article > h3", "div.article h3"),
    title=("div.article > h1", "div.article h1"),
    subtitle=("div.article > h2", "div.article h2"),
    authors=("div.article .sec", ".sec"),
    dateline=("div.article .date", ".sec .date"),
    body=("div#ozoom",),
    paragraphs=("p",),
    images=("div.article table.pci_c", "div#ozoom table.pci_c"),
    image_src=("img",),
    caption=("tr:last-child p", "tr:last-child td"),
)

# From 2024-12: /rmrb/pc/layout/YYYYMM/DD/node_NN.html
PAPER_PC = PaperLayout(
    name="rmrb-pc",
    page_list=(
        ".swiper-container .swiper-slide a:first-child",
        ".swiper-container .swiper-slide a",
    ),
    title_list=("ul.news-list li a",),
    page_name=(".paper-bot .left.ban", "p.left.ban"),
    pdf=(".paper-bot .right.btn a", ".right.btn a"),
    pretitle=("div.article > h3", "div.article h3"),
    title=("div.article > h1", "div.article h1"),
    subtitle=("div.article > h2", "div.article h2"),
    authors=("div.article .sec", ".sec"),
    dateline=("div.article .date", ".date"),
    body=("div#ozoom",),
    paragraphs=("p",),
    images=("div#ozoom img", "div.article img"),
    image_src=("img",),
    caption=("p.pictext", "p.pic-text"),
)

# Layouts in the order they are tried on a page whose URL does not say which it is.
PAPER_LAYOUT_ORDER = (PAPER_HTML, PAPER_PC)
# The dateline: "(2024年08月07日 01版)".
PAPER_DATELINE_RE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*第?\s*(?P<page>\d{1,3})\s*版"
)
# A page name: "第01版：要闻" -> page 01.
PAPER_PAGE_NAME_RE = re.compile(r"第?\s*(?P<page>\d{1,3})\s*版\s*[：:]?\s*(?P<name>.*)")
# The old layout writes its list titles with a script: document.write(view("…")).
PAPER_VIEW_RE = re.compile(r"""view\(\s*["'](?P<text>.*?)["']\s*\)""")
