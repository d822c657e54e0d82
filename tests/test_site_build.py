"""The archive as a site: crawl, ``newsmirror init-site``, a real ``jekyll build``.

Checks the rendered pages (posts at their permalinks, category pages, home page, the
per-source Atom feeds), that nothing from an article runs as script, and the crawl's
``-O items.jsonl`` against docs/items.schema.json.

Needs Debian's ``jekyll``: skipped loudly where it is missing, failed under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from lxml import etree
from parsel import Selector

from newsmirror.archive.atomic import atomic_write_text
from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.paths import POST_NAME_RE
from newsmirror.archive.post import render_category_page
from newsmirror.testing.catalog import Catalog, UpstreamArticle, corpus_articles, synthetic_articles
from newsmirror.testing.server import UpstreamServer

from .conftest import REPO, crawl_eastmoney

pytestmark = pytest.mark.slow

SITE_URL = "https://finews.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"
FEED_ENTRIES = 30  # _config.yml: newsmirror.feed_entries
HOME_POSTS = 5  # _config.yml: newsmirror.home_posts
EMPTY_SOURCE = "kongyuan"
#: Lines of Jekyll's output that name paths, not problems.
_PATH_LINES = ("Configuration file:", "Source:", "Destination:")
_PROBLEM = re.compile(r"warn|deprecat|error", re.IGNORECASE)

#: Titles that break naive front matter, HTML or Liquid; their bodies are harmless.
HOSTILE_TITLES = [
    UpstreamArticle(
        code="NW202206141200000001",
        kind="media",
        title='他说："涨停"：{{ site }} {% include x %} & <b>粗</b> --- #1',
        showtime="2022-06-15 09:00:00",
        source="测试日报",
        digest="",
        url_w="",
        body="<p>标题测试正文一。</p>",
    ),
    UpstreamArticle(
        code="202206141200000002",
        kind="flash",
        title="快讯: \"引号\" {{ site.time }} {% raw %} '单引号'",
        showtime="2022-06-15 09:00:01",
        source="",
        digest="【快讯】标题测试摘要二（测试日报）",
        url_w="http://finance.eastmoney.com/a/202206141200000002.html",
        body="<p>标题测试正文二。</p>",
    ),
]

#: Bodies and digests with script, event handlers, javascript: links and Liquid.
HOSTILE_BODIES = [
    UpstreamArticle(
        code="NW202206141300000001",
        kind="media",
        title="正文测试一",
        showtime="2022-06-14 13:00:00",
        source="测试日报",
        digest="",
        url_w="",
        body=(
            "<p>正文{{ site.time }}一</p><script>alert(1)</script>"
            '<p><img src="https://img.example.org/x.png" onerror="alert(2)"></p>'
            '<p onclick="evil()">点击</p><p><a href="javascript:alert(3)">链接</a></p>'
            "<p>{% include x %}{% raw %}</p>"
        ),
    ),
    UpstreamArticle(
        code="202206141300000002",
        kind="flash",
        title="正文测试二",
        showtime="2022-06-14 13:00:01",
        source="",
        digest="【正文测试二】摘要{{ site.title }}<script>alert(4)</script>（测试日报）",
        url_w="http://finance.eastmoney.com/a/202206141300000002.html",
        body='<div onmouseover="x()">{% endraw %}正文二<svg onload="alert(5)"></svg></div>',
    ),
]


@dataclass
class BuiltSite:
    archive: Path
    out: Path
    log: str
    catalog: Catalog
    items: Path


def jekyll_executable() -> str:
    """``jekyll``, or a loud skip (a failure under ``CI=true``) where it is missing."""
    found = shutil.which("jekyll")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("jekyll is not installed but CI=true: .ci/run must apt-get install jekyll")
    pytest.skip("JEKYLL IS NOT INSTALLED: the site build is NOT tested (apt-get install jekyll)")


def problems(log: str) -> list[str]:
    """Jekyll output lines that report a warning, deprecation or error."""
    return [
        line
        for line in log.splitlines()
        if _PROBLEM.search(line) and not line.strip().startswith(_PATH_LINES)
    ]


def build(catalog: Catalog, root: Path) -> BuiltSite:
    """Crawl ``catalog`` into ``root/archive``, give it a site, build it into ``root/site``."""
    jekyll = jekyll_executable()
    archive, out, items = root / "archive", root / "site", root / "items.jsonl"
    with UpstreamServer(catalog) as upstream:
        crawl = crawl_eastmoney(upstream, archive, "-O", str(items))
    assert crawl.returncode == 0, crawl.log[-3000:]
    # A source whose posts have all been rotated out: init-site gives it a feed page.
    atomic_write_text(
        archive / "category" / f"{EMPTY_SOURCE}.html",
        render_category_page(EMPTY_SOURCE, "空源新闻"),
        fsync=False,
    )
    init = subprocess.run(
        [sys.executable, "-m", "newsmirror.cli", "init-site", str(archive), "--url", SITE_URL],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    assert "feed pages: 1 written" in init.stdout
    # A rotated post the site must not try to render (old_post/ is excluded).
    old = archive / "old_post" / "2021-12-08-202112082206672930.md"
    old.parent.mkdir()
    old.write_text('---\ntitle: "broken "quote""\n---\n{% include nope %}', encoding="utf-8")
    command = [jekyll, "build", "--strict_front_matter", "--trace"]
    proc = subprocess.run(
        [*command, "--source", str(archive), "--destination", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    return BuiltSite(archive, out, log, catalog, items)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The corpus, 60 synthetic articles and the hostile titles, crawled and built."""
    bases = corpus_articles()
    catalog = Catalog([*bases, *synthetic_articles(60, bases), *HOSTILE_TITLES])
    return build(catalog, tmp_path_factory.mktemp("site"))


@dataclass(frozen=True)
class Post:
    code: str
    meta: dict[str, Any]
    url: str

    @property
    def date(self) -> datetime:
        return datetime.strptime(self.meta["date"], "%Y-%m-%d %H:%M:%S %z")


def posts(archive: Path) -> list[Post]:
    """The archive's posts with the URL Jekyll's ``permalink: date`` gives them."""
    found = []
    for path in sorted((archive / "_posts").glob("*.md")):
        meta = split_document(path.read_text(encoding="utf-8")).meta
        match = POST_NAME_RE.fullmatch(path.name)
        assert match is not None
        code = match.group("code")
        date = datetime.strptime(meta["date"], "%Y-%m-%d %H:%M:%S %z")
        url = f"/{meta['categories'].lower()}/{date:%Y/%m/%d}/{code}.html"
        found.append(Post(code, meta, url))
    return found


def page(site: BuiltSite, url: str) -> Selector:
    path = site.out / url.lstrip("/")
    assert path.is_file(), url
    return Selector(text=path.read_text(encoding="utf-8"))


def squash(text: str) -> str:
    return "".join(text.split())


def links(selector: Selector, css: str) -> list[str]:
    return [urlsplit(href).path for href in selector.css(f"{css} a::attr(href)").getall()]


def assert_inert_html(html: str, where: object) -> None:
    """No script, frame, event handler or javascript: URL in ``html``."""
    doc = Selector(text=html)
    assert doc.xpath("//script | //iframe | //object | //embed").getall() == [], where
    handlers = doc.xpath("//@*[starts-with(translate(name(), 'ON', 'on'), 'on')]").getall()
    assert handlers == [], where
    urls = doc.xpath("//@href | //@src | //@action | //@formaction").getall()
    assert not [u for u in urls if u.strip().lower().startswith("javascript:")], where


def assert_inert(out: Path) -> None:
    """No rendered page runs anything."""
    pages = sorted(out.rglob("*.html"))
    assert pages
    for path in pages:
        assert_inert_html(path.read_text(encoding="utf-8"), path.relative_to(out))


# -- the build ------------------------------------------------------------------------


def test_build_is_clean(site: BuiltSite) -> None:
    assert problems(site.log) == [], site.log
    assert "done in" in site.log
    assert not (site.out / "old_post").exists()
    # safe: true turns Jekyll's disk cache off: nothing is written into the archive.
    assert not (site.archive / ".jekyll-cache").exists()
    assert not (site.archive / "_site").exists()


def test_every_post_is_rendered_at_its_permalink(site: BuiltSite) -> None:
    records = {r["code"]: r for r in map(json.loads, site.items.read_text("utf-8").splitlines())}
    archived = posts(site.archive)
    assert len(archived) == len(site.catalog)
    for post in archived:
        doc = page(site, post.url)
        assert doc.css("h1.title::text").get() == post.meta["title"], post.url
        assert doc.css("title::text").get().startswith(post.meta["title"] + " | ")
        published = doc.css("time.published")
        assert published.attrib["datetime"] == post.date.isoformat(), post.url
        assert published.css("::text").get() == post.meta["date"], post.url  # ... +0800
        body = squash(" ".join(doc.css("div.body ::text").getall()))
        assert squash(records[post.code]["body_text"]) in body, post.url
        assert doc.css("p.tags span.tag::text").getall() == [post.meta["tags"]]
        category = f"/category/{post.meta['categories']}.html"
        assert links(doc, "p.meta") == [category]


def test_category_pages_list_their_posts_newest_first(site: BuiltSite) -> None:
    by_category: dict[str, list[Post]] = {}
    for post in posts(site.archive):
        by_category.setdefault(post.meta["categories"], []).append(post)
    pages = sorted((site.archive / "category").glob("*.html"))
    assert sorted(p.stem for p in pages) == sorted([*by_category, EMPTY_SOURCE])
    for slug, listed in by_category.items():
        meta = split_document((site.archive / "category" / f"{slug}.html").read_text("utf-8")).meta
        doc = page(site, f"/category/{slug}.html")
        assert doc.css("h1::text").get() == meta["title"] == listed[0].meta["tags"]
        newest_first = sorted(listed, key=lambda p: (p.date, p.code), reverse=True)
        shown = links(doc, "ul.posts li")
        assert sorted(shown) == sorted(p.url for p in listed), slug
        dates = [
            datetime.fromisoformat(d) for d in doc.css("ul.posts time::attr(datetime)").getall()
        ]
        assert dates == sorted((p.date for p in newest_first), reverse=True), slug
        feed = doc.css('link[rel="alternate"][type="application/atom+xml"]::attr(href)').get()
        assert feed == f"/feeds/{slug}.xml"


def test_home_page_lists_every_source_with_its_newest_posts(site: BuiltSite) -> None:
    doc = page(site, "/index.html")
    by_category: dict[str, list[Post]] = {}
    for post in posts(site.archive):
        by_category.setdefault(post.meta["categories"], []).append(post)
    sections = doc.css("section.source")
    assert [s.attrib["id"] for s in sections] == sorted(by_category)
    for section in sections:
        slug = section.attrib["id"]
        listed = by_category[slug]
        assert section.css("h2 a::text").get() == listed[0].meta["tags"]
        assert links(section, "h2") == [f"/category/{slug}.html"]
        shown = links(section, "ul.posts li")
        assert len(shown) == min(HOME_POSTS, len(listed))
        newest = {p.url for p in listed if p.date >= sorted(q.date for q in listed)[-len(shown)]}
        assert set(shown) <= newest, slug


def test_each_source_has_an_atom_feed_of_its_newest_posts(site: BuiltSite) -> None:
    by_category: dict[str, list[Post]] = {}
    for post in posts(site.archive):
        by_category.setdefault(post.meta["categories"], []).append(post)
    for slug, listed in by_category.items():
        raw = (site.out / "feeds" / f"{slug}.xml").read_bytes()
        assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        feed = etree.fromstring(raw)  # well-formed XML or raises
        assert feed.tag == f"{ATOM}feed"
        for required in ("id", "title", "updated", "author"):
            assert len(feed.findall(f"{ATOM}{required}")) == 1, (slug, required)
        assert feed.findtext(f"{ATOM}id") == f"{SITE_URL}/feeds/{slug}.xml"
        assert feed.findtext(f"{ATOM}title") == listed[0].meta["tags"]
        self_link = feed.find(f"{ATOM}link[@rel='self']")
        assert self_link is not None and self_link.get("href") == f"{SITE_URL}/feeds/{slug}.xml"
        entries = feed.findall(f"{ATOM}entry")
        assert len(entries) == min(FEED_ENTRIES, len(listed))
        updated = [datetime.fromisoformat(e.findtext(f"{ATOM}updated")) for e in entries]
        assert updated == sorted(updated, reverse=True), slug
        assert datetime.fromisoformat(feed.findtext(f"{ATOM}updated")) == updated[0]
        urls = {SITE_URL + p.url: p for p in listed}
        for entry in entries:
            entry_id = entry.findtext(f"{ATOM}id")
            assert entry_id in urls, entry_id
            post = urls[entry_id]
            assert entry.findtext(f"{ATOM}title") == post.meta["title"]
            assert datetime.fromisoformat(entry.findtext(f"{ATOM}published")) == post.date
            alternate = entry.find(f"{ATOM}link[@rel='alternate']")
            assert alternate is not None and alternate.get("href") == entry_id
            content = entry.find(f"{ATOM}content")
            assert content is not None and content.get("type") == "html"
            assert (content.text or "").strip(), entry_id


def test_a_source_without_posts_has_an_empty_page_and_feed(site: BuiltSite) -> None:
    doc = page(site, f"/category/{EMPTY_SOURCE}.html")
    assert doc.css("h1::text").get() == "空源新闻"
    assert doc.css("p.empty::text").get() == "暂无新闻。"
    feed = etree.fromstring((site.out / "feeds" / f"{EMPTY_SOURCE}.xml").read_bytes())
    assert feed.findtext(f"{ATOM}title") == "空源新闻"
    assert feed.findall(f"{ATOM}entry") == []
    datetime.fromisoformat(feed.findtext(f"{ATOM}updated") or "")
    assert EMPTY_SOURCE not in [
        s.attrib["id"] for s in page(site, "/index.html").css("section.source")
    ]


def test_no_page_runs_script(site: BuiltSite) -> None:
    assert_inert(site.out)


def test_hostile_titles_render_literally(site: BuiltSite) -> None:
    by_code = {post.code: post for post in posts(site.archive)}
    for article in HOSTILE_TITLES:
        post = by_code[article.code]
        assert post.meta["title"] == article.title
        doc = page(site, post.url)
        assert doc.css("h1.title::text").get() == article.title
        assert doc.css("h1.title *").getall() == []  # <b> stayed text
        category = page(site, f"/category/{post.meta['categories']}.html")
        assert article.title in category.css("ul.posts a::text").getall()
        home = page(site, "/index.html")
        assert article.title in home.css("ul.posts a::text").getall()
        feed = etree.fromstring(
            (site.out / "feeds" / f"{post.meta['categories']}.xml").read_bytes()
        )
        titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
        assert article.title in titles


def test_items_jsonl_matches_the_schema_and_the_archive(site: BuiltSite) -> None:
    schema = json.loads((REPO / "docs" / "items.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    records = [json.loads(line) for line in site.items.read_text(encoding="utf-8").splitlines()]
    for record in records:
        errors = [e.message for e in validator.iter_errors(record)]
        assert errors == [], (record["code"], errors)
    by_code = {post.code: post for post in posts(site.archive)}
    assert sorted(r["code"] for r in records) == sorted(by_code)
    for record in records:
        post = by_code[record["code"]]
        article = site.catalog.by_code[record["code"]]
        assert record["title"] == post.meta["title"]
        assert datetime.fromisoformat(record["published"]) == post.date
        assert record["published"].endswith("+08:00")
        assert record["category"] == post.meta["categories"]
        assert record["tags"] == [post.meta["tags"]]
        kind = "market" if article.kind.startswith("market") else article.kind
        assert record["list_kind"] == kind
        if article.kind == "flash":
            assert record["original_url"] == (article.url_w or None)
        if article.kind == "flash" and article.url_w:
            assert record["source_url"] == article.url_w
        else:
            assert record["source_url"].endswith(f"?infoCode={article.info_code}")


# -- hostile article bodies -------------------------------------------------------------


def test_hostile_bodies_are_inert_and_liquid_stays_text(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    built = build(Catalog([corpus_articles()[0], *HOSTILE_BODIES]), tmp_path_factory.mktemp("h"))
    assert problems(built.log) == [], built.log
    assert_inert(built.out)
    by_code = {post.code: post for post in posts(built.archive)}
    assert set(by_code) >= {a.code for a in HOSTILE_BODIES}
    first = " ".join(
        page(built, by_code[HOSTILE_BODIES[0].code].url).css("div.body ::text").getall()
    )
    assert "{{ site.time }}" in first and "{% include x %}" in first
    second = " ".join(
        page(built, by_code[HOSTILE_BODIES[1].code].url).css("div.body ::text").getall()
    )
    assert "{{ site.title }}" in second
    for feed in sorted((built.out / "feeds").glob("*.xml")):
        for content in etree.fromstring(feed.read_bytes()).iter(f"{ATOM}content"):
            assert_inert_html(content.text or "", feed.name)
