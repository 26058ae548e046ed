from crawler.urls import (
    article_key,
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
