import pytest

from crawler.urls import (
    article_key,
    article_url_date,
    canonical_url,
    is_article_url,
    is_asset_url,
    is_listing_url,
    parse_article_url,
)


def test_n1_article_url_gives_content_and_channel():
    u = parse_article_url("http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html")
    assert u.content_id == "40294553"
    assert u.channel_id == "64094"
    assert u.page == 1
    assert not u.local


def test_continuation_page_points_back_to_page_one():
    u = parse_article_url("http://culture.people.com.cn/n1/2019/0615/c1013-31153719-3.html")
    assert u.page == 3
    assert u.first_page_url == "http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html"


def test_old_gb_article_url():
    u = parse_article_url("http://cpc.people.com.cn/GB/64093/64094/8475000.html")
    assert (u.content_id, u.channel_id) == ("8475000", "64094")


def test_listing_is_not_an_article():
    assert not is_article_url("http://cpc.people.com.cn/GB/64093/64387/index2.html")
    assert is_listing_url("http://cpc.people.com.cn/GB/64093/64387/index2.html")


def test_other_sites_and_assets_are_not_articles():
    assert not is_article_url("http://example.com/n1/2024/0807/c64094-40294553.html")
    assert is_asset_url("http://cpc.people.com.cn/img/2020wbc/imgs/logo.png")


def test_canonical_url_folds_scheme_case_fragment_and_trackers():
    a = canonical_url(
        "https://CPC.people.com.cn/n1/2024/0807/c64094-40294553.html?utm_source=x#top"
    )
    assert a == "http://cpc.people.com.cn/n1/2024/0807/c64094-40294553.html"


def test_same_content_id_on_two_hosts_is_one_key():
    a = article_key("http://cpc.people.com.cn/n1/2024/0424/c64094-40223222.html")
    b = article_key("http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html")
    assert a == b == "people:40223222"


def test_provincial_ids_keep_their_own_number_space():
    key = article_key("http://js.people.com.cn/n2/2022/0213/c360307-35131671.html")
    assert key == "people:L_35131671"
    assert key != article_key("http://cpc.people.com.cn/n1/2023/0101/c64094-35131671.html")


def test_url_without_id_keys_on_canonical_url():
    assert (
        article_key("https://cpc.people.com.cn/special/x/") == "http://cpc.people.com.cn/special/x/"
    )


# Article links of special sites and sub-channels: the /n1/ shape under a path prefix
# (from a www.people.com.cn home page of March 2018).
PREFIXED = [
    ("http://lianghui.people.com.cn/2018npc/n1/2018/0317/c417507-29873336.html", "417507"),
    ("http://lianghui.people.com.cn/2018cppcc/n1/2018/0313/c418286-29865071.html", "418286"),
    ("http://cpc.people.com.cn/xuexi/n1/2018/0306/c385474-29851362.html", "385474"),
    ("http://money.people.com.cn/stock/n1/2018/0316/c67815-29871613.html", "67815"),
    ("http://money.people.com.cn/bank/n1/2018/0316/c202331-29871592.html", "202331"),
]


@pytest.mark.parametrize(("url", "channel"), PREFIXED)
def test_article_shape_under_a_path_prefix_is_an_article(url, channel):
    u = parse_article_url(url)
    assert (u.content_id, u.channel_id, u.page) == (url[-13:-5], channel, 1)
    assert u.first_page_url == url
    assert article_key(url) == f"people:{url[-13:-5]}"


def test_continuation_page_under_a_path_prefix_points_back_to_its_page_one():
    page_one = "http://lianghui.people.com.cn/2018npc/n1/2018/0317/c417507-29873336.html"
    u = parse_article_url(page_one.replace(".html", "-2.html"))
    assert (u.page, u.first_page_url, u.content_id) == (2, page_one, "29873336")


def test_a_prefixed_provincial_page_keeps_its_own_id_space():
    url = "http://js.people.com.cn/zt/n2/2022/0213/c360307-35131671.html"
    assert parse_article_url(url).local
    assert article_key(url) == "people:L_35131671"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/2018npc/n1/2018/0317/c417507-29873336.html",  # not the site
        "http://lianghui.people.com.cn/2018npc/n1/2018/0317/index.html",  # not the shape
        "http://lianghui.people.com.cn/2018npc/n1/2018/0317/c417507-29873336.html/x",
        "http://lianghui.people.com.cn/2018npc/n1/18/0317/c417507-29873336.html",
    ],
)
def test_a_prefix_does_not_widen_the_scope(url):
    assert parse_article_url(url) is None


def test_the_date_of_a_prefixed_article_url():
    assert article_url_date(PREFIXED[0][0]) == (2018, 3, 17)
    assert article_url_date("http://cpc.people.com.cn/GB/64093/64094/8475000.html") is None


def test_a_url_urlsplit_cannot_read_is_no_article():
    assert parse_article_url("http://[::1/n1/2024/0807/c64094-40294513.html") is None
