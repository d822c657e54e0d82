from __future__ import annotations

from newsmirror.sources.newsshare import (
    SharePage,
    code_from_share_url,
    input_lines,
    parse_inputs,
    share_url,
)
from newsmirror.testing.catalog import Catalog
from newsmirror.testing.server import share_page

SHARE = "http://share.test:8080"
CODE = "NW202205292395331423"


def test_the_current_share_page_is_read_by_the_declared_queries() -> None:
    article = Catalog.build().by_code[CODE]
    fields = SharePage(share_page(article)).share_fields()
    assert fields.title == article.title
    assert fields.published_raw == "2022-05-29T00:02:28+08:00"
    assert fields.source_name == "四川新闻网"
    assert fields.body_html == article.body


def test_an_older_page_falls_back_to_metadata_and_the_bodys_source_line() -> None:
    html = (
        "<html><head><title>标题_东方财富网</title>"
        '<meta property="og:title" content="标题">'
        '<meta property="article:published_time" content="2022-01-24T18:06:02+08:00"></head>'
        '<body><div id="ContentBody"><p>正文</p><p>（文章来源：证券时报）</p></div></body></html>'
    )
    fields = SharePage(html).share_fields()
    assert (fields.title, fields.published_raw) == ("标题", "2022-01-24T18:06:02+08:00")
    assert fields.source_name == "证券时报"


def test_configured_selectors_win_over_the_declared_ones() -> None:
    html = (
        '<div class="newsContent"><h1>旧</h1></div>'
        '<div class="hd"><b>新标题</b><i>来源:某报</i></div>'
    )
    page = SharePage(html, queries={"title": ["div.hd b"], "source": "xpath://div[@class='hd']/i"})
    assert (page.title(), page.source_name()) == ("新标题", "某报")


def test_share_urls_must_be_on_the_share_base() -> None:
    assert code_from_share_url(share_url(SHARE, CODE), SHARE) == CODE
    assert code_from_share_url(f"{SHARE}/html_News/NewsShare.html?infocode=NW1&x=1", SHARE) == "NW1"
    assert (
        code_from_share_url("https://share.test:8080/html_News/NewsShare.html?infoCode=NW1", SHARE)
        is None
    )
    assert code_from_share_url(f"{SHARE}/other.html?infoCode=NW1", SHARE) is None
    assert (
        code_from_share_url("http://evil.test/html_News/NewsShare.html?infoCode=NW1", SHARE) is None
    )


def test_inputs_become_codes_in_order_each_once_with_reasons_for_the_rest() -> None:
    codes, rejected = parse_inputs(
        [
            CODE,
            share_url(SHARE, "NW2"),
            "http://evil.test/html_News/NewsShare.html?infoCode=NW3",
            f"{SHARE}/html_News/NewsShare.html",
            "NW1/../x",
            CODE,
        ],
        SHARE,
    )
    assert codes == [CODE, "NW2"]
    assert [(r.given[:11], r.reason.split(" ")[0]) for r in rejected] == [
        ("http://evil", "not"),
        (f"{SHARE}"[:11], "missing"),
        ("NW1/../x", "missing"),
    ]


def test_input_files_allow_comments_and_blank_lines() -> None:
    text = f"# 待补档\n{CODE}  # 胡斌\n\n  {share_url(SHARE, 'NW2')}\n#\n"
    assert input_lines(text) == [CODE, share_url(SHARE, "NW2")]
