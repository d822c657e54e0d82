"""newsmirror.normalize.text: real snippets of the finews corpus and crafted cases."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsmirror.normalize.text import (
    clean_name,
    clean_title,
    fullwidth_alnum_to_ascii,
    normalize_text,
    traditional_to_simplified,
)
from newsmirror.sources.eastmoney import digest_text

CHINESE_PUNCTUATION = "：“”‘’（）【】，。！？；、《》「」『』…—～·｜"


def corpus_records() -> list[dict[str, str]]:
    """The upstream records rebuilt from the old archive's real posts."""
    data = files("newsmirror.testing").joinpath("data/articles.jsonl").read_text("utf-8")
    return [json.loads(line) for line in data.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # corpus: an ASCII space after 。/， is as published and kept
        (
            "吉利德自愿召回两批Veklury（注射用瑞德西韦）。 吉利德表示，由于收到客户投诉",
            "吉利德自愿召回两批Veklury（注射用瑞德西韦）。 吉利德表示，由于收到客户投诉",
        ),
        (
            "领涨中概互联网股票。 （证券时报）",
            "领涨中概互联网股票。 （证券时报）",
        ),
        ("计划研发16个品种， 涉及4大板块", "计划研发16个品种， 涉及4大板块"),
        ("一、上游半导体看景气度， “重资产”看设备", "一、上游半导体看景气度， “重资产”看设备"),
        # corpus: raw < and ASCII parens in text are content
        ("且精度满足<1%，视场角达到120度以上", "且精度满足<1%，视场角达到120度以上"),
        # corpus: a trailing space is kept by normalize_text (text nodes), trimmed by titles
        ("商标国际分类为科学仪器。 ", "商标国际分类为科学仪器。 "),
        # full-width paragraph indent
        ("　　据霍尼韦尔官网消息", "据霍尼韦尔官网消息"),
        ("上一段。　　下一段", "上一段。下一段"),
        ("Level　　Infinite", "Level Infinite"),
        ("结尾。　　", "结尾。"),
        # a single ideographic space: kept in CJK text, a plain space in Latin text
        ("第一部分　第二部分", "第一部分　第二部分"),
        ("Level　Infinite", "Level Infinite"),
        # line breaks: a wrap between CJK characters joins them, elsewhere one space
        ("再次迎来强监管。\n 券商中国获悉", "再次迎来强监管。券商中国获悉"),
        ("蔚来\r\n汽车", "蔚来汽车"),
        ("蔚来 \n \n 汽车", "蔚来汽车"),
        ("FF 91\n完成投产", "FF 91 完成投产"),
        ("Faraday\nFuture", "Faraday Future"),
        ("一\u2028二\u2029三\x85四", "一二三四"),
        ("a\x0bb\x0cc", "a b c"),
        # odd spaces and whitespace runs
        ("Chuck\u00a0McBride", "Chuck McBride"),
        ("Chuck\u2002\u2009\u202fMcBride", "Chuck McBride"),
        ("北向资金\u00a0净流入", "北向资金 净流入"),
        ("a \t  b", "a b"),
        ("  前后  ", " 前后 "),
        # invisible characters
        ("\ufeff北向资金\u200b净流入\u200c达\u206030亿元", "北向资金净流入达30亿元"),
        ("蔚来\u202e汽车\u202c\u200e\u200f", "蔚来汽车"),
        ("soft\u00adhyphen", "softhyphen"),
        ("a\u200db", "ab"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
        ("❤️\u200d🔥", "❤️\u200d🔥"),
        # control characters (not TAB/LF/CR, which are whitespace)
        ("北向\x00资金\x07净\x1b流入\x7f\x9b", "北向资金净流入"),
        # NFC, never NFKC: composed forms; compatibility ideographs to unified ones
        ("Cafe\u0301", "Café"),
        ("Cafe\u200b\u0301", "Café"),
        ("\uf900", "\u8c48"),
        ("ＦＦ：", "ＦＦ："),
        # supplementary-plane Han characters count as CJK
        ("郭明𫓹\n则", "郭明𫓹则"),
        ("", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # corpus titles stay as published
        ("里昂：下调港交所(00388.HK)目标价至574港元", "里昂：下调港交所(00388.HK)目标价至574港元"),
        (
            "腾讯推出游戏发行新品牌Level Infinite 将发行《饥荒》新作、“王者荣耀海外版”等",
            "腾讯推出游戏发行新品牌Level Infinite 将发行《饥荒》新作、“王者荣耀海外版”等",
        ),
        ("Paramount+将于2022年登陆亚洲市场", "Paramount+将于2022年登陆亚洲市场"),
        (
            "在岸人民币兑美元升至2018年5月以来新高 现报6.3565。",
            "在岸人民币兑美元升至2018年5月以来新高 现报6.3565。",
        ),
        # trimmed, inner newlines removed
        ("  北向资金净流入达30亿元 ", "北向资金净流入达30亿元"),
        ("　北向资金净流入达30亿元　", "北向资金净流入达30亿元"),
        ("国内首次！蔚来汽车启用这款\n“绿色”制冷液", "国内首次！蔚来汽车启用这款“绿色”制冷液"),
        ("他说\n“hello”\nthen", "他说“hello” then"),
        ("港股半导体板块走高\n英恒科技涨近8%", "港股半导体板块走高英恒科技涨近8%"),
        ("Paramount+\r\n登陆亚洲", "Paramount+ 登陆亚洲"),
        # entities decoded exactly once (corpus: 《&lt;蒙特利尔议定书&gt;基加利修正案》)
        ("《&lt;蒙特利尔议定书&gt;基加利修正案》", "《<蒙特利尔议定书>基加利修正案》"),
        ("&amp;quot;双碳&amp;quot;目标", "&quot;双碳&quot;目标"),
        ("&quot;双碳&quot;目标", '"双碳"目标'),
        ("P&amp;G与AT&T", "P&G与AT&T"),
        ("&#x3000;&#x3000;标题&nbsp;A&#8203;B", "标题 AB"),
        ("标题&#10;换行", "标题换行"),
        ("", ""),
    ],
)
def test_clean_title(raw: str, expected: str) -> None:
    assert clean_title(raw) == expected


def test_clean_name_is_a_title_clean_up() -> None:
    assert clean_name(" 四川新闻网\u200b ") == "四川新闻网"
    assert clean_name("２１世纪经济报道", fullwidth_to_ascii=True) == "21世纪经济报道"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＦＦ首次披露ＩＰＯ后财务状况", "FF首次披露IPO后财务状况"),
        ("海伦司(０９８６９.ＨＫ)涨超１０％", "海伦司(09869.HK)涨超10％"),
        ("ａｂｃｘｙｚ０９", "abcxyz09"),
        ("国家知识产权局：打击（恶意）抢注！", "国家知识产权局：打击（恶意）抢注！"),
    ],
)
def test_fullwidth_latin_letters_and_digits_to_ascii(raw: str, expected: str) -> None:
    assert fullwidth_alnum_to_ascii(raw) == expected
    assert clean_title(raw, fullwidth_to_ascii=True) == expected
    assert clean_title(raw) == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # corpus: 內 U+5167 and 錤 U+9324
        ("內银、元宇宙、云办公、恒大概念跌幅靠前", "内银、元宇宙、云办公、恒大概念跌幅靠前"),
        ("苹果分析师郭明錤则推文表示", "苹果分析师郭明\U0002b4f9则推文表示"),
        ("後來發展", "后来发展"),
        ("北向资金净流入达30亿元", "北向资金净流入达30亿元"),
        ("「港股」『通』：“”（）【】，。", "「港股」『通』：“”（）【】，。"),
        ("Apple AR/MR", "Apple AR/MR"),
    ],
)
def test_traditional_to_simplified(raw: str, expected: str) -> None:
    assert traditional_to_simplified(raw) == expected
    assert clean_title(raw, to_simplified=True) == expected


def test_simplified_conversion_is_off_by_default() -> None:
    assert clean_title("內银跌幅靠前") == "內银跌幅靠前"


def test_converter_is_loaded_only_when_asked_for() -> None:
    script = (
        "import sys\n"
        "from newsmirror.normalize.text import clean_title\n"
        "clean_title('內银', fullwidth_to_ascii=True)\n"
        "assert 'opencc' not in sys.modules, 'loaded too early'\n"
        "assert clean_title('內银', to_simplified=True) == '内银'\n"
        "assert 'opencc' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


@pytest.mark.parametrize("char", CHINESE_PUNCTUATION)
def test_chinese_punctuation_is_kept_whatever_the_options(char: str) -> None:
    text = f"前{char}后"
    assert normalize_text(text, fullwidth_to_ascii=True, to_simplified=True) == text


def test_corpus_titles_names_and_digests_are_already_clean() -> None:
    records = corpus_records()
    assert len(records) > 100
    for record in records:
        for raw in (record["title"], record["source"]):
            assert clean_title(raw, fullwidth_to_ascii=True) == raw.strip(), raw
        digest = digest_text(record["digest"])
        assert clean_title(digest, fullwidth_to_ascii=True) == digest.strip(), digest


_ALPHABET = st.sampled_from(
    list("中文ab1 \t\n\r\u3000\u00a0\u200b\u200d\ufeff\x00\x85\u2028\u0301👨ＡＢ１。，“”&;")
)


@settings(deadline=None, max_examples=300)
@given(st.text(_ALPHABET, max_size=30))
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text, fullwidth_to_ascii=True)
    assert normalize_text(once, fullwidth_to_ascii=True) == once
    assert "\n" not in once and "\u200b" not in once and "  " not in once
