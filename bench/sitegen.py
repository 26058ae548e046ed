"""Build recorded copies of the site: the committed crawler/demo_site, and large ones for the bench.

    python -m bench.sitegen recorded crawler/demo_site     # (re)write the committed recorded site
    python -m bench.sitegen large OUT --articles N  # a large generated site for bench.crawl

The recorded site is made of the fixtures' page bytes copied as they are (real and
reconstructed, see each fixture's meta.json), plus pages generated here in the cpc templates:
the home page, channel list pages with pagination, a not-found page, short articles filling
the lists, and the articles the fault tests need. Generated pages are marked "reconstructed"
in the manifest and say what they were generated from. Their text is neutral prose written
for the tests, and their content ids are made up.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from crawler.urls import parse_article_url

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
HOME = "http://cpc.people.com.cn/"
CPC = "http://cpc.people.com.cn"
GBK_HEADERS = {"Content-Type": "text/html; charset=GB2312", "Server": "nginx"}
# Chrome for generated cpc articles: the reconstructed seed article's page.
ARTICLE_TEMPLATE = FIXTURES / "cpc_article_2024_c64094-40294513" / "page.bin"

CHANNELS = {
    "64093/64387": "时政新闻",
    "64093/64094": "高层动态",
    "164113": "图片",
    "117005": "专题",
}
# A channel robots.txt disallows: the crawl must never fetch it.
DISALLOWED = "99999"

ROBOTS = b"User-agent: *\nDisallow: /GB/" + DISALLOWED.encode() + b"/\nDisallow: /cgi-bin/\n"

# Neutral sentences the generated articles are made of (written for the tests).
SENTENCES = [
    "各地党组织把学习贯彻全会精神同推动本地区本部门工作结合起来。",
    "基层党员干部深入村居社区，面对面宣讲政策，倾听群众意见。",
    "有关部门围绕群众急难愁盼问题，制定务实管用的工作举措。",
    "座谈会上，与会同志结合工作实际交流了学习体会。",
    "各级党组织加强调查研究，推动各项改革任务落地见效。",
    "活动期间，党员志愿者走进社区，开展政策咨询和便民服务。",
    "培训班采取专题讲座、现场教学、分组研讨等方式进行。",
    "参加学习的同志表示，要把学习成果转化为做好本职工作的实际行动。",
    "当地持续优化营商环境，推动高质量发展取得新成效。",
    "下一步，将进一步完善工作机制，压实工作责任，确保各项部署落到实处。",
]
TITLES = [
    "深入学习贯彻全会精神 推动改革任务落地见效",
    "扎实推进基层党建工作",
    "党员干部深入基层宣讲政策",
    "以实干实绩推动高质量发展",
    "持续优化服务 办好民生实事",
    "加强调查研究 解决群众难题",
]
EDITORS = ["王子锋、王珂园", "刘喆、陈昇", "常雪梅、程宏毅"]


@dataclass
class Page:
    url: str
    file: str
    body: bytes
    origin: str
    source: str
    status: int = 200
    headers: dict | None = None
    fault: dict | None = None
    title: str = ""  # for list pages: the link text
    day: str = ""  # YYYY-MM-DD for list pages


def gbk(text: str) -> bytes:
    return text.encode("gb18030")


def article_url(day: str, channel: str, cid: int) -> str:
    y, m, d = day.split("-")
    return f"{CPC}/n1/{y}/{m}{d}/c{channel.rsplit('/', 1)[-1]}-{cid}.html"


def article_page(
    template: str,
    *,
    cid: int,
    channel: str,
    day: str,
    time: str,
    title: str,
    paragraphs: list[str],
    editors: str,
    pretitle: str = "",
) -> bytes:
    """A cpc n1 article in the chrome of the reconstructed seed article."""
    catalog = channel.rsplit("/", 1)[-1]
    y, m, d = day.split("-")
    body = "\n".join(f"<p>　　{p}</p>" for p in paragraphs)
    page = template
    page = re.sub(r"<title>.*?</title>", f"<title>{title}--中国共产党新闻网</title>", page, count=1)
    page = re.sub(r'(<meta name="keywords" content=")[^"]*', r"\1党建 基层", page, count=1)
    page = re.sub(
        r'(<meta name="description" content=")[^"]*',
        lambda mm: mm[1] + paragraphs[0],
        page,
        count=1,
    )
    page = re.sub(r'(<meta name="catalogs" content=")[^"]*', rf"\g<1>{catalog}", page, count=1)
    page = re.sub(r'(<meta name="contentid" content=")[^"]*', rf"\g<1>{cid}", page, count=1)
    page = re.sub(r'(<meta name="publishdate" content=")[^"]*', rf"\g<1>{day}", page, count=1)
    page = re.sub(r'<h3 class="pre">.*?</h3>', f'<h3 class="pre">{pretitle}</h3>', page, count=1)
    page = re.sub(r"<h1>.*?</h1>", f"<h1>{title}</h1>", page, count=1)
    page = re.sub(
        r'<p class="sou">.*?</p>',
        f'<p class="sou">{y}年{m}月{d}日{time}&nbsp;&nbsp;来源：'
        f'<a href="{HOME}" target="_blank">人民网－中国共产党新闻网</a></p>',
        page,
        count=1,
    )
    page = re.sub(
        r'(<div class="show_text">).*?(\n\s*</div>\s*<div class="edit)',
        lambda mm: mm[1] + "\n" + body + mm[2],
        page,
        count=1,
        flags=re.S,
    )
    page = re.sub(
        r'<div class="edit clearfix">.*?</div>',
        f'<div class="edit clearfix">(责编：{editors})</div>',
        page,
        count=1,
    )
    return gbk(page)


def chrome(title: str, main: str) -> bytes:
    """A cpc page frame (head, nav, footer) around `main`, GBK bytes declared GB2312."""
    nav = "".join(
        f'<li><a href="{CPC}/GB/{path}/index.html" target="_blank">{name}</a></li>'
        for path, name in CHANNELS.items()
    )
    return gbk(
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        '<meta http-equiv="content-type" content="text/html;charset=GB2312"/>\n'
        f"<title>{title}</title>\n"
        '<link href="http://cpc.people.com.cn/img/2016cpc/css/page.css" type="text/css" '
        'rel="stylesheet" media="all" />\n</head>\n<body>\n'
        '<div class="w1000 logo clearfix"><div class="fl"><a href="http://cpc.people.com.cn/">'
        '<img src="http://cpc.people.com.cn/img/2016cpc/images/logo.png" alt="中国共产党新闻网" />'
        "</a></div></div>\n"
        f'<div class="w1000 nav clearfix" id="cpc_nav"><ul><li><a href="{HOME}">首页</a></li>'
        f"{nav}</ul></div>\n{main}\n"
        '<div class="w1000 copyright clearfix"><p>人民网版权所有，未经书面授权禁止使用</p>'
        "<p>Copyright &copy; 1997-2024 by www.people.com.cn. all rights reserved</p></div>\n"
        "</body>\n</html>\n"
    )


def list_page(channel: str, page: int, pages: int, entries: list[Page]) -> bytes:
    """A channel list page: dated links in list items, then div.page ending in 下一页."""
    name = CHANNELS.get(channel, channel)
    items = "\n".join(
        f'<li><a href="{e.url.removeprefix(CPC)}" target="_blank">{e.title}</a>'
        f"<i>[{e.day}]</i></li>"
        for e in entries
    )
    links = ['<a href="index.html">首页</a>']
    if page > 1:
        prev = "index.html" if page == 2 else f"index{page - 1}.html"
        links.append(f'<a href="{prev}">上一页</a>')
    links += [f'<a href="index{n if n > 1 else ""}.html">{n}</a>' for n in range(1, pages + 1)]
    if page < pages:
        links.append(f'<a href="index{page + 1}.html">下一页</a>')
    main = (
        f'<div class="w1000 clearfix p2j_list"><div class="fl">\n<h2>{name}</h2>\n'
        f'<ul class="list_16 mt10">\n{items}\n</ul>\n'
        f'<div class="page_n clearfix page">{"".join(links)}</div>\n</div></div>'
    )
    return chrome(f"{name}--中国共产党新闻网", main)


def home_page(headlines: list[Page], extra_links: list[tuple[str, str]]) -> bytes:
    items = "\n".join(
        f'<li><a href="{e.url}" target="_blank">{e.title}</a></li>' for e in headlines
    )
    more = "\n".join(f'<li><a href="{u}" target="_blank">{t}</a></li>' for u, t in extra_links)
    main = (
        '<div class="w1000 clearfix"><div class="fl headingNews">\n'
        f'<ul class="list_14">\n{items}\n</ul>\n</div>\n'
        f'<div class="fr"><ul class="list_14">\n{more}\n</ul></div></div>'
    )
    return chrome("中国共产党新闻网", main)


def not_found_page() -> bytes:
    main = (
        '<div class="w1000 clearfix"><h1>页面没有找到</h1>'
        '<p>您访问的页面不存在或已被删除。<a href="http://cpc.people.com.cn/">返回首页</a></p></div>'
    )
    return chrome("页面没有找到--中国共产党新闻网", main)


def fixture_pages() -> list[Page]:
    """Every fixture page (and continuation page) at its URL, bytes copied as they are."""
    pages = []
    for case in sorted(FIXTURES.iterdir()):
        meta_path = case / "meta.json"
        if not meta_path.exists():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("status", 200) != 200 or not meta.get("url"):
            continue
        expected = case / "expected.json"
        not_article = {}
        if expected.exists():
            not_article = json.loads(expected.read_text("utf-8")).get("not_article") or {}
        # Soft 404s sit at article URLs; home and list fixtures have generated stand-ins here
        # whose links all lead to recorded pages.
        if not_article and not_article.get("kind") != "not_found":
            continue
        files = {"page.bin": meta["url"], **meta.get("pages", {})}
        for name, url in files.items():
            pages.append(
                Page(
                    url=url,
                    file=f"pages/{case.name}/{name}",
                    body=(case / name).read_bytes(),
                    origin=meta["origin"],
                    source=f"tests/fixtures/{case.name}/{name}: {meta['source']}",
                    headers=meta.get("headers") or dict(GBK_HEADERS),
                )
            )
    return pages


def generated_article(
    template: str,
    n: int,
    channel: str,
    day: str,
    cid: int,
    fault: dict | None = None,
    note: str = "",
) -> Page:
    title = f"{TITLES[n % len(TITLES)]}（{n}）"
    paragraphs = [SENTENCES[(n + k) % len(SENTENCES)] for k in range(3 + n % 4)]
    url = article_url(day, channel, cid)
    body = article_page(
        template,
        cid=cid,
        channel=channel,
        day=day,
        time=f"{8 + n % 10:02d}:{n % 60:02d}",
        title=title,
        paragraphs=paragraphs,
        editors=EDITORS[n % len(EDITORS)],
    )
    return Page(
        url=url,
        file=f"pages/generated/c{channel.rsplit('/', 1)[-1]}-{cid}.html",
        body=body,
        origin="reconstructed",
        source="generated by bench/sitegen.py in the chrome of the reconstructed seed article "
        "(tests/fixtures/cpc_article_2024_c64094-40294513); neutral text, made-up id" + note,
        headers=dict(GBK_HEADERS),
        fault=fault,
        title=title,
        day=day,
    )


def fixture_title(page: Page) -> str:
    text = page.body.decode("utf-8") if is_utf8(page.body) else page.body.decode("gb18030")
    m = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S | re.I) or re.search(
        r"<title>(.*?)</title>", text, re.S | re.I
    )
    return re.sub(r"<[^>]+>|\s+", "", m[1]) if m else page.url


def is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


FAULTS = [
    # (fault, what the crawl must end with)
    ({"kind": "status", "status": 500}, "failure"),
    ({"kind": "status", "status": 503, "retry_after": 1, "times": 1}, "article"),
    ({"kind": "status", "status": 429, "retry_after": 1, "times": 1}, "article"),
    ({"kind": "timeout", "seconds": 20}, "failure"),
    ({"kind": "truncated"}, "failure"),
    ({"kind": "empty"}, "failure"),
    ({"kind": "charset", "content_type": "text/html; charset=ISO-8859-1"}, "article"),
    ({"kind": "huge"}, "article"),
    ({"kind": "malformed"}, "article-or-failure"),
    ({"kind": "redirect"}, "failure"),
    ({"kind": "redirect", "location": "http://www.example.org/moved.html"}, "failure"),
]


def recorded_site(out: Path) -> dict:
    """Write the recorded site into `out` and return its manifest."""
    template = ARTICLE_TEMPLATE.read_bytes().decode("gb18030")
    fixtures = fixture_pages()
    first_pages = [p for p in fixtures if parse_article_url(p.url).page == 1]
    for p in fixtures:
        p.title = fixture_title(p)
        m = re.search(r"/(\d{4})/(\d{2})(\d{2})/", p.url)
        p.day = f"{m[1]}-{m[2]}-{m[3]}" if m else "2009-11-09"
    by_channel: dict[str, list[Page]] = {c: [] for c in CHANNELS}
    for p in first_pages:
        chan = re.search(r"/c(\d+)-\d+|/GB/(?:\d+/)*(\d+)/\d+\.html", p.url)
        cid = chan[1] or chan[2]
        channel = next((c for c in CHANNELS if c.endswith(cid)), None)
        # Pages of other people.com.cn channels are listed where cpc lists them: 时政新闻.
        by_channel[channel or "64093/64387"].append(p)
    generated: list[Page] = []
    # Articles filling the lists, newest first: page 1 of each channel holds only good pages.
    n = 0
    for channel in CHANNELS:
        for k in range(10 if channel.startswith("64093") else 4):
            n += 1
            day = f"2024-08-{20 - k:02d}"
            page = generated_article(template, n, channel, day, 40296000 + n)
            generated.append(page)
            by_channel[channel].insert(k, page)
    faults: list[Page] = []
    for k, (fault, outcome) in enumerate(FAULTS):
        page = generated_article(
            template,
            100 + k,
            "64093/64387",
            "2024-07-30",
            40295001 + k,
            fault=fault,
            note=f"; fault test: ends as {outcome}",
        )
        faults.append(page)
    not_found = Page(
        url=article_url("2024-07-29", "64093/64387", 40295099),
        file="pages/generated/not_found.html",
        body=not_found_page(),
        origin="reconstructed",
        source="generated by bench/sitegen.py: the site's not-found page (title 页面没有找到), "
        "served with status 200 as the site does",
        headers=dict(GBK_HEADERS),
        title="已删除的文章",
        day="2024-07-29",
    )
    missing = Page(
        url=article_url("2024-07-29", "64093/64387", 40295098),
        file="",
        body=b"",
        origin="reconstructed",
        source="linked but not recorded: answers 404",
        title="未收录的文章",
        day="2024-07-29",
    )
    by_channel["64093/64387"] += [*faults, not_found, missing]
    pages: list[Page] = [*fixtures, *generated, *faults, not_found]

    per_page = 8
    for channel, entries in by_channel.items():
        chunks = [entries[i : i + per_page] for i in range(0, len(entries), per_page)] or [[]]
        for i, chunk in enumerate(chunks, start=1):
            name = "index.html" if i == 1 else f"index{i}.html"
            pages.append(
                Page(
                    url=f"{CPC}/GB/{channel}/{name}",
                    file=f"pages/lists/{channel.replace('/', '_')}_{name}",
                    body=list_page(channel, i, len(chunks), chunk),
                    origin="reconstructed",
                    source="generated by bench/sitegen.py: a cpc channel list page (dated links "
                    "in li, pagination in div.page ending in 下一页) as the README describes it",
                    headers=dict(GBK_HEADERS),
                )
            )
    headlines = [p for p in first_pages if "40294513" in p.url or "politics." in p.url]
    extra = [
        (f"{CPC}/GB/{DISALLOWED}/index.html", "内部栏目（robots.txt 禁止）"),
        ("http://www.gov.cn/", "中国政府网（站外）"),
        (f"{CPC}/img/2016cpc/images/logo.png", "图片资源"),
        (f"{CPC}/GB/64093/64387/calendar.html?date=2024-08-01", "日历"),
        # A list page of another site of the family, as every footer links one: not crawled.
        ("http://www.people.com.cn/GB/50142/420117/index.html", "关于人民网"),
    ]
    pages.append(
        Page(
            url=HOME,
            file="pages/lists/home.html",
            body=home_page(headlines, extra),
            origin="reconstructed",
            source="generated by bench/sitegen.py: the cpc home page (channel nav, "
            "headline article links, an off-site link, an asset, a calendar)",
            headers=dict(GBK_HEADERS),
        )
    )
    pages.append(
        Page(
            url=f"{CPC}/robots.txt",
            file="pages/robots.txt",
            body=ROBOTS,
            origin="reconstructed",
            source="generated by bench/sitegen.py",
            headers={"Content-Type": "text/plain"},
        )
    )
    # The real UTF-8 page served under a GBK header: bytes that are valid UTF-8 win.
    for p in pages:
        if "finance.people.com.cn" in p.url:
            p.fault = {"kind": "charset", "content_type": "text/html; charset=GBK"}
    return write_site(
        out, pages, "The recorded copy of cpc.people.com.cn the end-to-end tests crawl."
    )


def write_site(out: Path, pages: list[Page], description: str) -> dict:
    if out.exists():
        shutil.rmtree(out / "pages", ignore_errors=True)
    manifest: dict = {"description": description, "pages": {}}
    for p in pages:
        entry: dict = {
            "file": p.file,
            "status": p.status,
            "headers": p.headers or {},
            "origin": p.origin,
            "source": p.source,
        }
        if p.fault:
            entry["fault"] = p.fault
        if not p.file:
            continue
        path = out / p.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(p.body)
        manifest["pages"][p.url] = entry
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def large_site(out: Path, articles: int, per_page: int = 20) -> dict:
    """A site of `articles` generated articles in four channels, with their list pages.

    Every article body is a fresh page from the article template; pages stay in memory only
    while written, so sites of 20,000 pages are cheap to make.
    """
    template = ARTICLE_TEMPLATE.read_bytes().decode("gb18030")
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"description": f"generated site, {articles} articles", "pages": {}}
    channels = list(CHANNELS)
    per_channel = {c: [] for c in channels}
    for n in range(articles):
        channel = channels[n % len(channels)]
        day = f"20{10 + (n // 3000) % 14:02d}-{1 + (n // 250) % 12:02d}-{1 + (n // 9) % 28:02d}"
        page = generated_article(template, n, channel, day, 30000000 + n)
        path = out / page.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(page.body)
        manifest["pages"][page.url] = {
            "file": page.file,
            "status": 200,
            "headers": page.headers,
            "origin": "reconstructed",
            "source": "bench/sitegen.py",
        }
        page.body = b""
        per_channel[channel].append(page)
    home_links = []
    for channel, entries in per_channel.items():
        chunks = [entries[i : i + per_page] for i in range(0, len(entries), per_page)] or [[]]
        for i, chunk in enumerate(chunks, start=1):
            name = "index.html" if i == 1 else f"index{i}.html"
            file = f"pages/lists/{channel.replace('/', '_')}_{name}"
            (out / file).parent.mkdir(parents=True, exist_ok=True)
            (out / file).write_bytes(list_page(channel, i, len(chunks), chunk))
            manifest["pages"][f"{CPC}/GB/{channel}/{name}"] = {
                "file": file,
                "status": 200,
                "headers": dict(GBK_HEADERS),
                "origin": "reconstructed",
                "source": "bench/sitegen.py",
            }
        home_links += entries[:5]
    (out / "pages/home.html").write_bytes(home_page(home_links, []))
    manifest["pages"][HOME] = {
        "file": "pages/home.html",
        "status": 200,
        "headers": dict(GBK_HEADERS),
        "origin": "reconstructed",
        "source": "bench/sitegen.py",
    }
    (out / "pages/robots.txt").write_bytes(ROBOTS)
    manifest["pages"][f"{CPC}/robots.txt"] = {
        "file": "pages/robots.txt",
        "status": 200,
        "headers": {"Content-Type": "text/plain"},
        "origin": "reconstructed",
        "source": "bench/sitegen.py",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    rec = sub.add_parser("recorded", help="write the recorded test site")
    rec.add_argument("out", type=Path)
    big = sub.add_parser("large", help="write a large generated site")
    big.add_argument("out", type=Path)
    big.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    if args.what == "recorded":
        manifest = recorded_site(args.out)
    else:
        manifest = large_site(args.out, args.articles)
    print(f"{len(manifest['pages'])} URLs written to {args.out}")


if __name__ == "__main__":
    main()
