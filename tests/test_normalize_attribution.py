"""Source attribution: outlet names from the list, the body's attribution line, the digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsmirror.normalize.attribution import (
    SourceOrigin,
    attribution_from_body,
    attribution_from_digest,
    clean_original_url,
    clean_source_name,
    resolve_source,
)
from newsmirror.sources.eastmoney import digest_text
from newsmirror.testing.catalog import corpus_articles

FIXTURES = Path(__file__).parent / "fixtures" / "eastmoney"

#: The attribution paragraph of the corpus's rolling post 2022-05-26-202205262391921712,
#: with the keytip span the service injected into the outlet's name.
EM_MEDIA_WITH_KEYTIP = (
    '<p class="em_media">（文章来源：上海<span id="bk_90.BK0473"><a href="http://quote.'
    'eastmoney.com/unify/r/90.BK0473" class="keytip" data-code="90,BK0473">证券</a></span>'
    '<span id="bkquote_90.BK0473"></span>报）</p>'
)

#: What every corpus article names as its outlet (list field ignored): media bodies end
#: with their em_media line; 2021 flash digests end with a credit or with nothing.
CORPUS_SOURCES = {
    "202112082206735975": "央视新闻",
    "202112082206736335": "澎湃新闻",
    "202112082206756112": "发改委网站",
    "202112082206769714": "天天基金网",
    "202112082206870651": "东方财富Choice数据",
    "202112082206882385": "证券时报网",
    "202112082206883641": "央视新闻",
    "202112082206884365": "证券时报网",
    "202112082206885192": "财联社",
    "202112082206890854": "新华社",
    "202112082206891068": "界面新闻",
    "202112082206891114": "中新网",
    "202112082206896686": "界面新闻",
    "202112082206907056": "e公司",
    "202112082206921532": "证券时报网",
    "202112082206924746": "财联社",
    "202112082206934693": "证券时报",  # "…股票。 （证券时报）": after a space
    "202112082206935178": "财联社",
    "202112082206935918": "中国基金报",
    "202112082206938029": "央视新闻",
    "202112082206965422": "上海证券报",
    "202112082206972753": "中证网",
    "202112082207151155": "证券时报网",
    "202112082207154789": "证券时报",
    "202112082207168450": "央视新闻客户端",
    "202201072239307540": "券商中国",
    "NW202201072239307540": "券商中国",
    "NW202201242259229980": "21世纪经济报道",
    "NW202202092271136373": "每日经济新闻",
    "NW202205252390829633": "泉州晚报",
    "202205262391921712": "上海证券报",  # body line, split by a keytip span
    "NW202205292395331423": "四川新闻网",
    "202205302396506117": "央行网站",  # body line; the digest only says （央行）
    "202205302396671291": "财联社",
    "NW202205302396506117": "央行网站",
    "202205312398034850": "财联社",
    "NW202205312398034850": "财联社",
    "NW202206142412311033": "东方财富研究中心",
}


@pytest.mark.parametrize("article", corpus_articles(), ids=lambda a: a.code)
def test_every_corpus_article(article) -> None:
    name, origin = resolve_source("", article.body, digest_text(article.digest), article.title)
    expected = CORPUS_SOURCES.get(article.code, "")
    assert name == expected
    if expected:
        assert origin in (SourceOrigin.BODY, SourceOrigin.DIGEST)
        if "em_media" in article.body:
            assert origin is SourceOrigin.BODY
    else:
        assert origin is SourceOrigin.NONE


def test_corpus_table_names_real_articles() -> None:
    codes = {a.code for a in corpus_articles()}
    assert set(CORPUS_SOURCES) <= codes


def test_stored_flash_text_ignores_the_image_credit() -> None:
    body = json.loads((FIXTURES / "text_flash.json").read_text(encoding="utf-8"))["content"]
    assert "图片来源：霍尼韦尔官网" in body
    assert attribution_from_body(body) == "上海证券报"


@pytest.mark.parametrize(
    ("body", "name"),
    [
        (EM_MEDIA_WITH_KEYTIP, "上海证券报"),
        ('<p class="em_media">（文章来源：四川新闻网）</p>', "四川新闻网"),
        ("<p>正文。</p><p>　　（文章来源：四川新闻网）</p>", "四川新闻网"),
        ("<p>正文。(来源：央视新闻)</p>", "央视新闻"),
        ("<p>正文。（来源：新华社）</p>", "新华社"),
        ("<p>正文</p><p>来源：新华社</p>", "新华社"),
        ("<p>正文</p><p>文章来源: 新华社</p>", "新华社"),
        ("<p>正文</p><p>本文来源：界面新闻</p>", "界面新闻"),
        ("正文<br/>来源：新华社", "新华社"),
        ("<div>正文<div>来源：新华社</div></div>", "新华社"),
        ("<p>来源：新华社 作者：张三</p>", "新华社"),
        ("<p>来源：证券时报网 责任编辑：李四</p>", "证券时报网"),
        ("<p>（文章来源：安信国际证券(香港)）</p>", "安信国际证券(香港)"),
        ("<p>（文章来源：21世纪经济报道 21财经APP）</p>", "21世纪经济报道 21财经APP"),
        ("<p>（文章来源：A&amp;B资讯）</p>", "A&B资讯"),
        ("<p>（文章来源：上海<!-- x -->证券报）</p>", "上海证券报"),
        ("<p>（文章来源：新华<script>var a = 1;</script>社）</p>", "新华社"),
        ("<p>（文章来源：&#x65B0;&#x534E;&#x793E;）</p>", "新华社"),
        ('<p>（文章来源：新华社）</p><p class="em_media">（文章来源：财联社）</p>', "财联社"),
        ("<p>（文章来源：新华社）</p><p>更多精彩内容，请下载APP。</p>", "新华社"),
        # credits of something else, and lines that only look like one
        ("<p>图片来源：霍尼韦尔官网</p>", ""),
        ("<p>数据来源：Wind</p>", ""),
        ("<p>（图片来源：视觉中国）</p>", ""),
        ("<p>消息来源：知情人士</p>", ""),
        ("<p>他说，来源：不明。</p>", ""),
        ("<p>（来源：据本报记者调查，此事属实。）</p>", ""),
        ("<p>（文章来源：）</p>", ""),
        ("<p>（文章来源：新华社</p>", ""),
        ("<p>（文章来源：新华社）)）</p>", ""),
        ("<p>（文章来源：" + "很" * 31 + "）</p>", ""),
        ("<p>来源：2022</p>", ""),
        ("", ""),
        ("<p></p>", ""),
        ("\x00<p>\x00</p>", ""),
        ("<div>" * 300 + "正文", ""),
    ],
)
def test_attribution_from_body(body: str, name: str) -> None:
    assert attribution_from_body(body) == name


def test_the_body_is_not_changed() -> None:
    body = EM_MEDIA_WITH_KEYTIP
    attribution_from_body(body)
    assert body.startswith('<p class="em_media">（文章来源：上海<span')


@pytest.mark.parametrize(
    ("digest", "title", "name"),
    [
        # the corpus README's "Observed markup" rows
        ("…2020年的7.09万亿元，增长384.9%，年均增长8.4%。（央视新闻客户端）", "", "央视新闻客户端"),
        ("…累计打击恶意商标注册申请37.6万件。(央视新闻)", "", "央视新闻"),
        ("…领涨中概互联网股票。 （证券时报）", "", "证券时报"),
        ("…稳定低收入群体消费。（央行）", "", "央行"),
        ("…为行业发展提供支撑。（上海<span class='keytip'>证券</span>报）", "", "上海证券报"),
        ("…汽车企业。（上海证券报） ", "", "上海证券报"),
        ("…会怎样？（财联社）", "", "财联社"),
        ("…提供HFO-1234yf(四氟丙烯)制冷剂。", "", ""),
        ("…已超过2020年全年销量(829万头)。", "", ""),
        ("…提供HFO-1234yf(四氟丙烯)", "", ""),
        (
            "提前抄底？南向资金连续第10日净流入！来看看都买了哪些股？（附名单）",
            "提前抄底？南向资金连续第10日净流入！来看看都买了哪些股？（附名单）",
            "",
        ),
        ("…来看看都买了哪些股？（附名单）", "", ""),
        ("…十大券商最新观点揭秘。（深度）", "十大券商最新观点揭秘（深度）", ""),
        ("…十大券商最新观点揭秘。（深度）", "", "深度"),
        ("…投产。（完）", "", ""),
        ("…投产。（图）", "", ""),
        ("…投产。（一）", "", ""),
        ("…投产。（记者 张三）", "", ""),
        ("…投产。（持续更新中）", "", ""),
        ("…投产。（12-08）", "", ""),
        ("…投产。（财联社，记者张三）", "", ""),
        ("…投产。（这是一个非常非常长的不像名字的括号内容超过了二十个字）", "", ""),
        ("…投产。（央视新闻）后续报道。", "", ""),
        ("…投产（央视新闻）", "", ""),
        ("", "", ""),
    ],
)
def test_attribution_from_digest(digest: str, title: str, name: str) -> None:
    assert attribution_from_digest(digest, title) == name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("四川新闻网", "四川新闻网"),
        (" 四川新闻网\u200b ", "四川新闻网"),
        (
            '上海<span id="bk_90.BK0473"><a class="keytip">证券</a></span><span></span>报',
            "上海证券报",
        ),
        ("来源：新华社", "新华社"),
        ("（新华社）", "新华社"),
        ("(新华社)", "新华社"),
        ("安信国际证券(香港)", "安信国际证券(香港)"),
        ("(香港)安信证券", "(香港)安信证券"),
        ("(香港)安信(证券)", "(香港)安信(证券)"),
        ("A&amp;B", "A&B"),
        ("新华社：", "新华社"),
        ("21世纪经济报道  南财理财通", "21世纪经济报道 南财理财通"),
        ("每日经济新闻", "每日经济新闻"),
        ("", ""),
        ("<b></b>", ""),
    ],
)
def test_clean_source_name(raw: str, name: str) -> None:
    assert clean_source_name(raw) == name


@pytest.mark.parametrize(
    ("listed", "body", "digest", "expected"),
    [
        ("四川新闻网", EM_MEDIA_WITH_KEYTIP, "…。（央视新闻）", ("四川新闻网", SourceOrigin.LIST)),
        ("", EM_MEDIA_WITH_KEYTIP, "…。（央视新闻）", ("上海证券报", SourceOrigin.BODY)),
        ("", "<p>正文</p>", "…。（央视新闻）", ("央视新闻", SourceOrigin.DIGEST)),
        ("  ", "<p>正文</p>", "…。（央视新闻）", ("央视新闻", SourceOrigin.DIGEST)),
        ("", "<p>正文</p>", "…。", ("", SourceOrigin.NONE)),
        ("上海<span>证券</span>报", "", "", ("上海证券报", SourceOrigin.LIST)),
    ],
)
def test_resolve_source_order(
    listed: str, body: str, digest: str, expected: tuple[str, SourceOrigin]
) -> None:
    assert resolve_source(listed, body, digest) == expected


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        (
            "http://finance.eastmoney.com/a/202205262391921712.html",
            "http://finance.eastmoney.com/a/202205262391921712.html",
        ),
        (
            " https://hk.eastmoney.com/news/1535,1.html ",
            "https://hk.eastmoney.com/news/1535,1.html",
        ),
        ("HTTP://X.TEST/a", "HTTP://X.TEST/a"),
        ("", ""),
        ("javascript:alert(1)", ""),
        ("//finance.eastmoney.com/a/1.html", ""),
        ("/a/1.html", ""),
        ("http://", ""),
        ("http://x.test/a b", ""),
        ("ftp://x.test/a", ""),
    ],
)
def test_clean_original_url(raw: str, url: str) -> None:
    assert clean_original_url(raw) == url
