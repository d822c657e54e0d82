from __future__ import annotations

import logging
from pathlib import Path

import pytest

from newsmirror.items import Article
from newsmirror.sources.base import SourceDeclarationError
from newsmirror.spiders.newsshare import NewsshareSpider
from newsmirror.testing.catalog import Catalog
from newsmirror.testing.offline import OfflineCrawl
from newsmirror.testing.server import share_page

from .conftest import FIXTURES, REFERENCE_POST

LOCAL = "http://127.0.0.1:9"
REAL_SHARE = "http://finews.zning.xyz"
CODE = "NW202205292395331423"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def offline(tmp_path: Path, settings: dict | None = None, **kwargs: str) -> OfflineCrawl:
    return OfflineCrawl(
        NewsshareSpider,
        {"UPSTREAM_BASE": LOCAL, "ARCHIVE_DIR": str(tmp_path / "archive"), **(settings or {})},
        **kwargs,
    )


def shared(code: str = CODE) -> str:
    return share_page(Catalog.build().by_code[code])


def test_without_inputs_the_spider_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"codes=.*urls=.*from_file"):
        offline(tmp_path)


def test_scrapy_check_may_start_it_without_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRAPY_CHECK", "true")
    assert offline(tmp_path).spider.share_requests() == []


def test_codes_urls_and_a_file_become_share_requests(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    listing = tmp_path / "codes.txt"
    listing.write_text("# 补档\nNW3  # 第三篇\n\nhttp://elsewhere.test/x?infoCode=NW4\n", "utf-8")
    crawl = offline(
        tmp_path,
        codes="NW1, NW2",
        urls=f"{LOCAL}/html_News/NewsShare.html?infoCode=NW2",
        from_file=str(listing),
    )
    with caplog.at_level(logging.WARNING):
        requests = crawl.spider.share_requests()
    assert [r.url for r in requests] == [
        f"{LOCAL}/html_News/NewsShare.html?infoCode=NW{n}" for n in (1, 2, 3)
    ]
    assert requests[0].meta == {
        "newsmirror_list": "share",
        "newsmirror_code": "NW1",
        "newsmirror_endpoint": "share",
    }
    assert "skipped input 'http://elsewhere.test/x?infoCode=NW4': not a share page" in caplog.text
    assert crawl.stats["newsmirror/list/share/listed"] == 3
    assert crawl.stats["newsmirror/list/share/rejected"] == 1


def test_a_missing_input_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        offline(tmp_path, from_file=str(tmp_path / "nope.txt"))


def test_share_page_then_text_api_reproduce_the_reference_post(tmp_path: Path) -> None:
    crawl = offline(tmp_path, {"UPSTREAM_SHARE_BASE": REAL_SHARE}, codes=CODE)
    (share,) = crawl.spider.share_requests()
    (text,) = crawl.call(share, shared(), headers=HTML)
    assert text.url == f"{LOCAL}/NewsData/GetNewsText.do?id={CODE}"
    assert text.meta == {
        "newsmirror_list": "share",
        "newsmirror_code": CODE,
        "newsmirror_endpoint": "text",
    }
    stored = (FIXTURES / "eastmoney" / "text_reference.json").read_text(encoding="utf-8")
    (item,) = crawl.call(text, stored)
    assert isinstance(item, Article) and item.list_kind == "share"
    crawl.process(item)
    written = tmp_path / "archive" / "_posts" / f"2022-05-29-{CODE}.md"
    assert written.read_bytes() == REFERENCE_POST.read_bytes()


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, '{"text": "", "content": ""}'), (200, "<html>busy</html>"), (200, "[1]")],
)
def test_an_unusable_text_api_answer_falls_back_to_the_share_pages_body(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, status: int, body: str
) -> None:
    crawl = offline(tmp_path, codes=CODE)
    (share,) = crawl.spider.share_requests()
    (text,) = crawl.call(share, shared(), headers=HTML)
    with caplog.at_level(logging.WARNING):
        (item,) = crawl.call(text, body, status=status)
    assert item.body_html == Catalog.build().by_code[CODE].body
    assert item.source_name == "四川新闻网" and item.title.startswith("胡斌")
    assert f"article {CODE}: text at" in caplog.text and "share page's body" in caplog.text
    assert crawl.stats["newsmirror/newsshare/body_from_share_page"] == 1


def test_configured_selectors_are_checked_when_the_crawl_starts(tmp_path: Path) -> None:
    with pytest.raises(SourceDeclarationError, match=r"NEWSSHARE_SELECTORS\.title_query"):
        offline(tmp_path, {"NEWSSHARE_SELECTORS": {"title": ["h1["]}}, codes=CODE)
