"""normalize: text, dates, names, print editions — the site's formats, one case each."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from crawler.pages.normalize import EDGE_SPACES as EDGE
from crawler.pages.normalize import (
    byline_names,
    clean_text,
    credit_names,
    editor_names,
    parse_date,
    parse_print_edition,
    source_name,
    split_names,
)
from crawler.records import PrintEdition


def test_clean_text_trims_full_width_and_nbsp_padding() -> None:
    assert clean_text("\u3000\u3000新华社北京4月24日电\xa0 \n") == "新华社北京4月24日电"


def test_clean_text_keeps_chinese_punctuation_and_inner_ideographic_space() -> None:
    assert clean_text("新华社北京4月24日电\u3000题：促进（一）“贺信”，") == (
        "新华社北京4月24日电\u3000题：促进（一）“贺信”，"
    )


def test_clean_text_folds_source_line_breaks_and_nbsp() -> None:
    assert clean_text("a\n\t  b\xa0c") == "a b c"


def test_clean_text_folds_as_the_whitespace_rule_says() -> None:
    # The rule, written as a regex: NFC, no-break spaces as spaces, every run of ASCII
    # whitespace one space, the padding trimmed. clean_text does it with str methods.
    def rule(value: str) -> str:
        value = unicodedata.normalize("NFC", value).replace("\xa0", " ")
        return re.sub(r"[ \t\r\n\f\v]+", " ", value).strip(EDGE)

    rng = random.Random(20241128)
    alphabet = " \t\r\n\f\v\xa0\u3000\u2003\ufeffab新闻，e\u0301"
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        assert clean_text(value) == rule(value), repr(value)


def test_clean_text_is_nfc() -> None:
    assert clean_text("e\u0301") == "\u00e9"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024年08月07日08:02", "2024-08-07T08:02:00+08:00"),
        ("2024年08月07日08:02    来源：中国妇女报", "2024-08-07T08:02:00+08:00"),
        ("2009年11月09日00:00", "2009-11-09T00:00:00+08:00"),
        ("2019年06月15日08:18\xa0\xa0来源：", "2019-06-15T08:18:00+08:00"),
        ("2024年04月24日23:52 | 来源：新华网", "2024-04-24T23:52:00+08:00"),
        ("2013年04月09日 08:15:30", "2013-04-09T08:15:30+08:00"),
        ("2023年3月5日 星期日 10:20", "2023-03-05T10:20:00+08:00"),
        ("2024-04-24", "2024-04-24"),
        ("2024-04-24 08:02", "2024-04-24T08:02:00+08:00"),
        ("2024年5月10日", "2024-05-10"),
    ],
)
def test_parse_date_site_formats(text: str, iso: str) -> None:
    assert parse_date(text) == iso


def test_parse_date_impossible_date_is_not_guessed() -> None:
    assert parse_date("2024年13月07日08:02") is None


def test_parse_date_relative_dates_never_use_the_clock() -> None:
    assert parse_date("3小时前") is None
    assert parse_date("昨天 10:20") is None


def test_parse_date_nothing() -> None:
    assert parse_date("") is None
    assert parse_date("来源：人民网") is None


def test_parse_date_dateparser_fallback_for_other_formats() -> None:
    # Not a site format: dateparser (zh) reads it day-first.
    assert parse_date("05/03/2023 10:20") == "2023-03-05T10:20:00+08:00"
    assert parse_date("05/03/2023 10:20", fallback=False) is None


def test_byline_two_character_names_padded_with_spaces() -> None:
    assert byline_names("本报记者  王乐文  方  敏") == ["王乐文", "方敏"]
    assert byline_names("本报记者 王乐文 方 敏") == ["王乐文", "方敏"]


def test_credit_line_names_deduplicated_in_order() -> None:
    line = (
        "（中国妇女报全媒体记者 统稿：姜军旗 采写：林志文 姜军旗 王永钦 党柏峰 刘旭 耿兴敏 姚建）"
    )
    assert byline_names(line) == ["姜军旗", "林志文", "王永钦", "党柏峰", "刘旭", "耿兴敏", "姚建"]


def test_credit_names_in_text() -> None:
    assert credit_names("□ 本报记者 葛灵丹") == ["葛灵丹"]
    assert credit_names("本报讯（记者叶婉）近日，项目启动。") == ["叶婉"]
    assert credit_names("本报北京4月8日电 （记者李喆、张敏）记者从有关部门了解到") == [
        "李喆",
        "张敏",
    ]
    assert credit_names("共同探索太空，造福全人类。（记者宋晨、田中全）") == ["宋晨", "田中全"]


def test_credit_names_not_from_ordinary_sentences() -> None:
    assert credit_names("记者在现场看到，很多人排队。") == []
    assert credit_names("新华社记者") == []
    assert credit_names("今年的产量（约300万吨）增长。") == []


def test_unterminated_credit_gives_no_names() -> None:
    # The politics page's saved text lost the closing bracket to mojibake.
    assert credit_names("造福全人类。（记者宋晨、田中全、胡\ufffd础⒑钗睦ぃ\ufffd") == []


def test_editor_names() -> None:
    assert editor_names("(责编：王子锋、王珂园)") == ["王子锋", "王珂园"]
    assert editor_names("（责任编辑：赵堃、刘晓）") == ["赵堃", "刘晓"]
    assert editor_names("(责编:牛镛、岳弘彬)") == ["牛镛", "岳弘彬"]


def test_split_names_drops_non_names() -> None:
    assert split_names("王子锋、www、12、王珂园") == ["王子锋", "王珂园"]
    assert split_names("米歇尔・布兰") == ["米歇尔・布兰"]


def test_print_edition() -> None:
    assert parse_print_edition("　　《 人民日报 》（ 2024年05月10日   04 版）") == PrintEdition(
        "人民日报", "2024-05-10", "04"
    )
    assert parse_print_edition("《人民日报海外版》（2023年1月2日 第03版）") == PrintEdition(
        "人民日报海外版", "2023-01-02", "03"
    )
    assert parse_print_edition("《 人民日报 》（ 2024年02月30日 04 版）") is None
    assert parse_print_edition("人民日报") is None


def test_source_name() -> None:
    assert source_name("2024年04月24日23:52 | 来源：新华网") == "新华网"
    assert source_name("来源：人民网-文化频道 原创稿") == "人民网-文化频道 原创稿"
    assert source_name("2024年04月24日") == ""


# An editor block the markup never closed: its text runs on into the page footer (the demo's
# malformed page), which once gave 16 "editors" such as 相关专题, 广告服务, 人民, 网版, 权所.
RUN_ON_EDITOR_BLOCK = (
    "(责编：王子锋、王珂园) 相关专题 专题报道 热点推荐 人民日报社概况 | 关于人民网 | 报社招聘 | "
    "广告服务 | 网站声明 | 联系我们 人 民 网 版 权 所 有 ，未 经 书 面 授 权 禁 止 使 用"
)


def test_editor_names_stop_at_the_closing_bracket_of_a_run_on_block() -> None:
    assert editor_names(RUN_ON_EDITOR_BLOCK) == ["王子锋", "王珂园"]


def test_a_long_text_without_an_editor_label_gives_no_editors() -> None:
    assert editor_names(RUN_ON_EDITOR_BLOCK.split(")", 1)[1]) == []


def test_a_short_bare_list_of_names_is_still_read() -> None:
    assert editor_names("王子锋、王珂园") == ["王子锋", "王珂园"]
