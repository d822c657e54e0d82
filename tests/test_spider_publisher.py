from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from scrapy.http import Request
from scrapy.settings import Settings

from newsmirror.archive.frontmatter import split_document
from newsmirror.config import publisher_base
from newsmirror.sources.discovery import Entry
from newsmirror.sources.publishers import all_publishers
from newsmirror.sources.publishers.caijingdaily import Caijingdaily
from newsmirror.spiders.publisher import CaijingdailySpider, PublisherSpider, spider_for
from newsmirror.testing.offline import OfflineCrawl
from newsmirror.testing.source_fixtures import build_response, load_fixture

REAL = Caijingdaily.base_url
MIRROR = "http://127.0.0.1:9/publisher/caijingdaily"
FIXTURE = load_fixture("caijingdaily")


def stored_call(crawl: OfflineCrawl, request: Request, real_url: str | None = None) -> list:
    """Run ``request``'s callback on the stored response of ``real_url`` (default: its URL)."""
    stored = FIXTURE.responses[real_url or request.url]
    response = build_response(request, stored, FIXTURE.body(stored))
    return list(request.callback(response, **request.cb_kwargs))


def offline(
    tmp_path: Path, spidercls: type[PublisherSpider] = CaijingdailySpider, **settings: object
) -> OfflineCrawl:
    return OfflineCrawl(spidercls, {"ARCHIVE_DIR": str(tmp_path / "archive"), **settings})


def test_every_publisher_module_makes_a_spider() -> None:
    assert all_publishers() == {"caijingdaily": Caijingdaily}
    assert CaijingdailySpider.name == "caijingdaily"
    assert CaijingdailySpider.publisher is Caijingdaily
    assert CaijingdailySpider.custom_settings == {"ROBOTSTXT_OBEY": True}


@pytest.mark.parametrize(
    ("settings", "base"),
    [
        ({}, REAL),
        ({"PUBLISHER_BASE": "http://127.0.0.1:9/"}, MIRROR),
        (
            {"PUBLISHER_BASE": "http://x", "PUBLISHER_BASES": {"caijingdaily": "http://m/cj/"}},
            "http://m/cj",
        ),
        ({"PUBLISHER_BASES": '{"other": "http://o"}'}, REAL),
    ],
)
def test_base_url_resolution(settings: dict, base: str) -> None:
    assert publisher_base(Settings(settings), "caijingdaily", REAL) == base


def test_the_feed_yields_one_request_per_article_on_the_site(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    (index,) = crawl.spider.index_requests()
    assert index.url == f"{REAL}/rss/finance.xml"
    requests = stored_call(crawl, index)
    assert [r.url for r in requests] == [
        f"{REAL}/news/2024/02/08/101120.html",
        f"{REAL}/news/2024/02/07/100912.html",
        f"{REAL}/news/2024/02/06/100587.html",
        f"{REAL}/news/2024/02/05/100231.html",
    ]
    assert requests[0].meta == {
        "newsmirror_list": "caijingdaily",
        "newsmirror_code": "CJRB20240208101120",
        "newsmirror_endpoint": "article",
    }
    # the video page and the partner site's link are not articles of this publisher
    assert crawl.stats["newsmirror/list/caijingdaily/ignored"] == 2
    assert crawl.stats["newsmirror/list/caijingdaily/listed"] == 4


def test_the_entry_filter_hook_decides_what_is_crawled(tmp_path: Path) -> None:
    seen: list[Entry] = []

    class OnlyFebruarySixth(Caijingdaily):
        name = "caijingdaily_hook"

        @classmethod
        def entry_filter(cls, entries: list[Entry]) -> Iterable[Entry]:
            seen.extend(entries)
            return [e for e in entries if "/02/06/" in e.url]

    crawl = offline(tmp_path, spider_for(OnlyFebruarySixth))
    (index,) = crawl.spider.index_requests()
    (request,) = stored_call(crawl, index)
    assert request.url.endswith("/02/06/100587.html")
    assert seen[-1] == Entry(
        f"{REAL}/news/2024/02/05/100231.html",
        "央行：2月5日起下调存款准备金率0.5个百分点",
        "Mon, 05 Feb 2024 09:30:00 +0800",
    )


def test_links_to_the_real_site_are_ignored_when_crawling_a_mirror(tmp_path: Path) -> None:
    crawl = offline(tmp_path, PUBLISHER_BASE="http://127.0.0.1:9")
    (index,) = crawl.spider.index_requests()
    assert index.url == f"{MIRROR}/rss/finance.xml"
    assert stored_call(crawl, index, f"{REAL}/rss/finance.xml") == []
    assert crawl.stats["newsmirror/list/caijingdaily/ignored"] == 6


def test_an_article_listed_twice_is_fetched_once(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    (index,) = crawl.spider.index_requests()
    assert len(stored_call(crawl, index)) == 4
    assert stored_call(crawl, index) == []
    assert crawl.stats["newsmirror/spider/duplicate_in_run"] == 4


def test_a_gbk_page_becomes_a_post_in_the_outlets_category(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    url = f"{REAL}/news/2024/02/06/100587.html"
    request = Request(
        url, callback=crawl.spider.parse_article, meta={"newsmirror_code": "CJRB20240206100587"}
    )
    (item,) = stored_call(crawl, request)
    assert item.title == "沪深交易所优化融券交易机制 限售股出借全面暂停"
    crawl.process(item)
    post = tmp_path / "archive" / "_posts" / "2024-02-06-CJRB20240206100587.md"
    document = split_document(post.read_text(encoding="utf-8"))
    assert document.meta["title"] == item.title
    assert document.meta["date"] == "2024-02-06 09:05:00 +0800"
    assert (document.meta["categories"], document.meta["tags"]) == ("caijingribao", "财经日报新闻")
    assert f"<{url}>" in document.body and "融券余额约为560亿元" in document.body
    assert (tmp_path / "archive" / "category" / "caijingribao.html").is_file()


def test_the_code_comes_from_the_url_when_the_request_does_not_carry_it(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    request = Request(f"{REAL}/news/2024/02/08/101120.html", callback=crawl.spider.parse_article)
    (item,) = stored_call(crawl, request)
    assert item.code == "CJRB20240208101120" and item.published_raw == "2024-02-08T15:42:00+08:00"
