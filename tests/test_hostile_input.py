"""The hostile-input corpus through the whole item path, one test per (value, field).

Each case is served to the eastmoney spider as the fixture upstream would send it
(list record, then text document), goes through every pipeline stage and is written
into a fresh archive; the archive must then hold exactly the expected post, with
plain front matter and an inert body, and nothing anywhere else. The same corpus is
crawled for real and built with Jekyll in ``test_e2e_hostile.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.catalog import Catalog
from newsmirror.testing.offline import OfflineCrawl, Reports

from .hostile import (
    CASES,
    REJECTED_REASON,
    SAFE_TEXT,
    Case,
    check_body,
    check_files,
    check_front_matter,
    check_post,
    distinct_values,
    expected_code,
    json_list,
    upstream_article,
)

LOCAL = "http://127.0.0.1:9"


def test_the_corpus_covers_every_family() -> None:
    assert len(distinct_values("xss")) >= 80
    assert len(distinct_values("yaml_liquid")) >= 30
    assert len(distinct_values("paths")) >= 20
    fields = {case.field for case in CASES}
    assert fields == {"body", "title", "source", "time", "digest", "url", "code"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_hostile_value_makes_a_safe_post_or_none(case: Case, tmp_path: Path) -> None:
    article = upstream_article(case, CASES.index(case))
    archive = tmp_path / "archive"
    settings = {"UPSTREAM_BASE": LOCAL, "ARCHIVE_DIR": str(archive), "ARCHIVE_FSYNC": False}
    crawl = OfflineCrawl(EastmoneySpider, settings, lists=case.kind)
    reports = Reports(crawl)
    (list_request,) = crawl.spider.list_requests()
    requests = crawl.call(list_request, json_list([article], case.kind))

    if not case.archived:
        # Refused before any URL or file name is made of it, and reported.
        assert requests == []
        ((signal, report),) = reports.seen
        assert (signal, report["reason"]) == ("article_skipped", REJECTED_REASON)
        assert check_files(tmp_path, archive) == []
        return

    (text_request,) = requests
    code = expected_code(article)
    assert text_request.meta["newsmirror_code"] == code
    assert parse_qs(urlsplit(text_request.url).query)["id"] == [article.info_code.strip()]
    text = Catalog([article]).text_for(article.info_code)
    (item,) = crawl.call(text_request, json.dumps(text))
    crawl.process(item)
    crawl.close()
    assert reports.seen == []

    (post,) = check_files(tmp_path, archive)
    day = "2022-06-15" if case.name == "time-other-zone" else "2022-06-14"
    assert post.name == f"{day}-{code}.md"
    _, body = check_post(post, article, archive)
    assert f"{SAFE_TEXT}{CASES.index(case)}" in body.html
    if case.field == "url":
        assert body.link in ("", f"<{item.source_url}>") or body.link.startswith("<http")


# -- the checks themselves catch what they are for ------------------------------------------
BACK_LINKS = "[返回测试日报新闻](https://finews.example.org/category/ceshiribao.html)"


@pytest.mark.parametrize(
    "body",
    [
        "<p>文</p><script>alert(1)</script>",
        '<p onclick="alert(1)">文</p>',
        '<p><a href="javascript:alert(1)">链</a></p>',
        '<p><img src="//img.example.org/a.png"></p>',
        '<p><a href="https://x.example/" target="_blank">链</a></p>',
        '<p style="color:red">文</p>',
        "<p>文</p><svg></svg>",
        "<p>{{ site }}</p>",
        "<p>{% raw %}</p>",
        "文字 <b>不是</b> HTML 块",
        "> 摘要 {: onclick=alert(1)}\n\n<p>文</p>",
        "> 摘要 <img src=x onerror=alert(1)>\n\n<p>文</p>",
        "<p>文</p>\n\n{: onclick=alert(1)}",
        "<p>文</p><!-- 注释 -->",
    ],
)
def test_the_body_check_refuses_unsafe_bodies(body: str) -> None:
    with pytest.raises(AssertionError):
        check_body(f"{body}\n\n{BACK_LINKS}")


def test_the_body_check_accepts_a_clean_body() -> None:
    parts = check_body(
        "> 摘要 &#123;: x}\n\n"
        '<p style="text-align:center">文<a href="https://x.example/" rel="nofollow noopener">链</a>'
        "</p>\n\n<https://x.example/a>\n\n" + BACK_LINKS
    )
    assert parts.link == "<https://x.example/a>" and parts.quote.startswith("> ")


@pytest.mark.parametrize(
    "meta",
    [
        'layout: post\ntitle: &a "x"\ndate: 2022-06-14 08:00:00 +0800\ncategories: a\ntags: b\n',
        "layout: post\ntitle: !!python/object/apply:os.system [x]\n"
        "date: 2022-06-14 08:00:00 +0800\ncategories: a\ntags: b\n",
        'layout: post\ntitle: "x"\ndate: 2022-06-14 08:00:00 +0800\ncategories: a\ntags: yes\n',
        'layout: post\ntitle: "x"\ndate: 2022-06-14 08:00:00 +0800\ncategories: ../a\ntags: b\n',
        'layout: post\ntitle: "x"\ndate: 2022-06-14\ncategories: a\ntags: b\n',
        'layout: evil\ntitle: "x"\nlayout: post\ndate: 2022-06-14 08:00:00 +0800\n'
        "categories: a\ntags: b\n",
    ],
)
def test_the_front_matter_check_refuses_what_is_not_plain(meta: str) -> None:
    with pytest.raises((AssertionError, ValueError)):  # FrontMatterError: not even safe YAML
        check_front_matter(f"---\n{meta}---\n<p>文</p>")


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        ("_posts", "2022-06-14-NW 1.md"),
        ("_posts", "2022-06-14-" + "1" * 41 + ".md"),
        ("category", "con.html"),
        ("category", "a..b.html"),
        ("feeds", "a.html"),
        ("assets", "x.js"),
        (".newsmirror", "$(id)"),
    ],
)
def test_the_file_check_refuses_unsafe_names(tmp_path: Path, folder: str, name: str) -> None:
    archive = tmp_path / "archive"
    (archive / folder).mkdir(parents=True)
    (archive / folder / name).write_text("x", encoding="utf-8")
    with pytest.raises(AssertionError):
        check_files(tmp_path, archive)


def test_the_file_check_refuses_files_outside_the_archive(tmp_path: Path) -> None:
    (tmp_path / "archive" / "_posts").mkdir(parents=True)
    (tmp_path / "passwd").write_text("x", encoding="utf-8")
    with pytest.raises(AssertionError, match="outside ARCHIVE_DIR"):
        check_files(tmp_path, tmp_path / "archive")
