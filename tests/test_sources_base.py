"""The source base: queries, standard metadata, main content, discovery, declarations."""

from __future__ import annotations

import pytest
from parsel import Selector

from newsmirror.sources.base import ArticlePage, Publisher, SourceDeclarationError
from newsmirror.sources.discovery import Entry, discover
from newsmirror.sources.metadata import json_ld_article, standard_published, standard_title
from newsmirror.sources.query import QueryError, as_queries, css, first_text, query, xpath

BASE = "https://news.example"


# -- queries -------------------------------------------------------------------------------
def test_text_queries_are_css_unless_prefixed_xpath() -> None:
    assert query("h1.t::text").kind == "css"
    assert query("xpath://h1/text()") == xpath("//h1/text()")
    assert as_queries(["h1", css("h2")]) == (css("h1"), css("h2"))
    assert as_queries(None) == ()


@pytest.mark.parametrize("bad", ["h1[", "xpath://h1[", "xpath:///"])
def test_broken_queries_fail_when_declared(bad: str) -> None:
    with pytest.raises(QueryError, match="bad"):
        query(bad)


def test_first_text_reads_an_elements_full_text_or_a_string() -> None:
    page = Selector(text="<h1> <b>Hi</b> there</h1><h1>second</h1><time datetime='d'>t</time>")
    assert first_text(page, (css("h1"),)).strip() == "Hi there"
    assert first_text(page, (css("h2"), css("time::attr(datetime)"))) == "d"
    assert first_text(page, (css("h2"),)) == ""


# -- standard metadata -----------------------------------------------------------------------
def page(head: str = "", body: str = "") -> Selector:
    return Selector(text=f"<html><head>{head}</head><body>{body}</body></html>")


LD = (
    '<script type="application/ld+json">{"@graph": [{"@type": "WebSite", "name": "S"}, '
    '{"@type": ["NewsArticle"], "headline": "LD 标题", '
    '"datePublished": "2024-01-02T03:04:05+08:00"}]}'
    "</script>"
)


@pytest.mark.parametrize(
    ("head", "body", "title"),
    [
        (
            '<meta property="og:title" content="OG 标题"><title>T</title>' + LD,
            "<h1>H</h1>",
            "OG 标题",
        ),
        ("<title>T</title>" + LD, "<h1>H</h1>", "LD 标题"),
        ("<title>T</title>", "<h1>H <em>1</em></h1>", "H 1"),
        ("<title>T_站名</title>", "", "T_站名"),
        ("", "", ""),
    ],
)
def test_title_fallback_order(head: str, body: str, title: str) -> None:
    assert standard_title(page(head, body)) == title


@pytest.mark.parametrize(
    ("head", "body", "published"),
    [
        ('<meta property="article:published_time" content="A">' + LD, "<time datetime='T'>", "A"),
        (LD, "<time datetime='T'>x</time>", "2024-01-02T03:04:05+08:00"),
        ("", "<time datetime='2024-01-02 03:04'>x</time>", "2024-01-02 03:04"),
        ('<meta name="pubdate" content="P">', "", "P"),
        ("", "<time>no attribute</time>", ""),
    ],
)
def test_published_fallback_order(head: str, body: str, published: str) -> None:
    assert standard_published(page(head, body)) == published


def test_json_ld_that_is_not_json_is_skipped() -> None:
    broken = '<script type="application/ld+json">{"@type": "NewsArticle",</script>'
    assert json_ld_article(page(broken + LD))["headline"] == "LD 标题"


# -- page objects ------------------------------------------------------------------------------
class ExamplePage(ArticlePage):
    title_query = css("h1.headline")
    published_query = css("span.date")
    body_query = css("div.story")
    drop_query = css(".ad")


STORY = (
    '<html><head><meta property="og:title" content="OG"></head><body>'
    '<h1 class="headline">标题 &amp; 副题</h1><span class="date">2024-03-01 08:00</span>'
    '<div class="story"><p>　　第一段 a &lt; b</p><div class="ad">广告</div><p>第二段</p></div>'
    "</body></html>"
)


def test_declared_queries_read_the_fields_as_published() -> None:
    fields = ExamplePage(STORY).fields()
    assert fields.title == "标题 & 副题"
    assert fields.published_raw == "2024-03-01 08:00"
    assert fields.body_html == "<p>　　第一段 a &lt; b</p><p>第二段</p>"


def test_dropping_from_the_body_leaves_the_page_alone() -> None:
    story = ExamplePage(STORY)
    assert "广告" not in story.body_html()
    assert story.selector.css(".ad::text").get() == "广告"


def test_queries_given_per_page_replace_the_declared_ones() -> None:
    story = ExamplePage(STORY, queries={"title": "xpath://span[@class='date']"})
    assert story.title() == "2024-03-01 08:00"
    with pytest.raises(SourceDeclarationError, match=r"unknown field.*summary"):
        ExamplePage(STORY, queries={"summary": "p"})


ARTICLE_TEXT = "".join(
    f"<p>这是第{i}段正文，记者从有关部门获悉，相关政策将于近期落地实施，市场反应积极。</p>"
    for i in range(1, 7)
)


def test_undeclared_body_falls_back_to_main_content_without_the_title_heading() -> None:
    html = (
        "<html><head><title>政策落地</title></head><body><nav><a href='/'>首页</a>"
        "<a href='/m'>市场</a></nav><article><h1>政策落地</h1>"
        f"{ARTICLE_TEXT}</article><footer>版权所有 © 示例网</footer></body></html>"
    )
    body = ExamplePage(html).body_html()
    assert body.startswith("<p>这是第1段正文") and "这是第6段正文" in body
    assert "<h1" not in body and "首页" not in body and "版权所有" not in body


def test_broken_declarations_fail_at_class_definition_naming_the_attribute() -> None:
    with pytest.raises(SourceDeclarationError, match=r"BadPage\.body_query: .*bad CSS"):

        class BadPage(ArticlePage):
            body_query = css("div.ok"), "div["


# -- discovery ------------------------------------------------------------------------------
RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<item><title>一</title><link>/a/1.html</link>
<pubDate>Mon, 05 Feb 2024 09:30:00 +0800</pubDate></item>
<item><title>二</title><guid>https://news.example/a/2.html</guid></item>
<item><title>重复</title><link>https://news.example/a/1.html</link></item>
</channel></rss>"""
ATOM = """<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>
<link rel="alternate" href="https://news.example/a/3.html"/><link rel="edit" href="/x"/>
<updated>2024-02-05T09:30:00+08:00</updated></entry></feed>"""
NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/a/4.html</loc><news:news><news:publication_date>2024-02-05T09:30:00+08:00</news:publication_date><news:title>四</news:title></news:news></url>
</urlset>"""
INDEX = """<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/sitemap-1.xml</loc></sitemap></sitemapindex>"""


def test_rss_items_with_link_or_permalink_guid_each_url_once() -> None:
    found = discover(RSS, f"{BASE}/rss.xml")
    assert found.kind == "feed"
    assert found.entries == [
        Entry(f"{BASE}/a/1.html", "一", "Mon, 05 Feb 2024 09:30:00 +0800"),
        Entry(f"{BASE}/a/2.html", "二", ""),
    ]


def test_atom_sitemap_and_sitemap_index() -> None:
    assert discover(ATOM, BASE).entries == [
        Entry(f"{BASE}/a/3.html", "A", "2024-02-05T09:30:00+08:00")
    ]
    news = discover(NEWS_SITEMAP, BASE)
    assert (news.kind, news.entries) == (
        "sitemap",
        [Entry(f"{BASE}/a/4.html", "四", "2024-02-05T09:30:00+08:00")],
    )
    index = discover(INDEX, BASE)
    assert (index.kind, index.indexes, index.entries) == (
        "sitemapindex",
        [f"{BASE}/sitemap-1.xml"],
        [],
    )


def test_list_pages_use_the_declared_link_query() -> None:
    html = (
        '<ul class="news"><li><a href="/a/5.html">五</a></li><li><a href="#top">顶</a></li></ul>'
        '<a href="/about">关于</a>'
    )
    assert discover(html, f"{BASE}/list/").entries == []
    found = discover(html, f"{BASE}/list/", (css("ul.news a::attr(href)"),))
    assert (found.kind, found.entries) == ("list", [Entry(f"{BASE}/a/5.html")])


# -- publisher declarations -------------------------------------------------------------------
class Example(Publisher):
    name = "example"
    outlet = "示例报"
    base_url = BASE
    index_paths = ("/rss.xml",)
    article_paths = r"/a/\d+\.html"
    code_prefix = "SLB"
    code_pattern = r"/a/(\d+)\.html$"


def test_article_paths_and_codes() -> None:
    assert Example.relative_path(f"{BASE}/a/12.html", BASE) == "/a/12.html"
    assert Example.relative_path("https://news.example.evil/a/1.html", BASE) is None
    assert Example.is_article("/a/12.html") and not Example.is_article("/video/a/12.html")
    assert Example.code_for("/a/12.html") == "SLB12"
    assert Example.code_for("/b.html") == ""


def test_without_a_code_pattern_the_code_is_a_stable_hash_of_the_path() -> None:
    class Hashed(Example):
        name = "hashed"
        code_pattern = ""

    code = Hashed.code_for("/a/12.html")
    assert code.startswith("SLB") and len(code) == 3 + 16 and code == Hashed.code_for("/a/12.html")
    assert code != Hashed.code_for("/a/13.html")


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("name", "Bad-Name", "lowercase ASCII"),
        ("outlet", " ", "outlet's name is required"),
        ("base_url", "ftp://x", "not an http"),
        ("base_url", "https://x/", "trailing slash"),
        ("index_paths", "/rss.xml", "tuple"),
        ("code_prefix", "C1", "letters only"),
        ("code_pattern", "(", "bad regular expression"),
        ("list_links", "a[", "bad CSS"),
    ],
)
def test_bad_publisher_declarations_name_the_attribute(
    attribute: str, value: object, message: str
) -> None:
    with pytest.raises(SourceDeclarationError, match=rf"Broken\.{attribute}: .*{message}"):
        type("Broken", (Example,), {"name": "broken", attribute: value})
