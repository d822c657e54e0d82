from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.exceptions import DropItem

from newsmirror.items import Article
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import OfflineCrawl

from .conftest import FIXTURES, REFERENCE_POST

STORED = FIXTURES / "eastmoney"
LOCAL = "http://127.0.0.1:9"


def stored(name: str) -> str:
    return (STORED / name).read_text(encoding="utf-8")


def offline(tmp_path: Path, **kwargs: str) -> OfflineCrawl:
    settings = {"UPSTREAM_BASE": LOCAL, "ARCHIVE_DIR": str(tmp_path / "archive"), "LIST_COUNT": 7}
    return OfflineCrawl(EastmoneySpider, settings, **kwargs)


def test_default_run_requests_every_list(tmp_path: Path) -> None:
    urls = [r.url for r in offline(tmp_path).spider.list_requests()]
    assert urls == [
        f"{LOCAL}/web/webapi?type=45&count=7&newsid=1",
        f"{LOCAL}/web/webapi?type=102&count=7&newsid=1",
        f"{LOCAL}/information/newmarket/web/webapi?marketType=37&count=7",
        f"{LOCAL}/information/newmarket/web/webapi?marketType=38&count=7",
        f"{LOCAL}/information/newmarket/web/webapi?marketType=39&count=7",
    ]


def test_lists_and_markets_arguments_narrow_the_run(tmp_path: Path) -> None:
    spider = offline(tmp_path, lists="flash,market", markets="38").spider
    queries = [parse_qs(urlsplit(r.url).query) for r in spider.list_requests()]
    assert queries == [
        {"type": ["102"], "count": ["7"], "newsid": ["1"]},
        {"marketType": ["38"], "count": ["7"]},
    ]


@pytest.mark.parametrize("kwargs", [{"lists": "media,rss"}, {"markets": "37,x"}])
def test_bad_arguments_are_refused_with_a_message(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError, match=r"rss|x"):
        offline(tmp_path, **kwargs)


def test_list_response_yields_one_text_request_per_article(tmp_path: Path) -> None:
    crawl = offline(tmp_path, lists="market", markets="37")
    requests = crawl.call(crawl.spider.list_requests()[0], stored("market_list.json"))
    assert [r.url for r in requests] == [f"{LOCAL}/NewsData/GetNewsText.do?id=NW202205312398034850"]
    assert crawl.stats["newsmirror/list/market37/listed"] == 1
    assert crawl.stats["newsmirror/list/market37/rejected"] == 2


def test_a_code_listed_twice_is_fetched_once(tmp_path: Path) -> None:
    crawl = offline(tmp_path, lists="market")
    list_requests = crawl.spider.list_requests()
    first = crawl.call(list_requests[0], stored("market_list.json"))
    second = crawl.call(list_requests[1], stored("market_list.json"))
    assert len(first) == 1 and second == []
    assert crawl.stats["newsmirror/spider/duplicate_in_run"] == 1


def test_an_unusable_list_is_logged_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawl = offline(tmp_path, lists="media")
    with caplog.at_level(logging.ERROR):
        out = crawl.call(crawl.spider.list_requests()[0], "<html>502</html>")
    assert out == []
    assert crawl.stats["newsmirror/list/media/failed"] == 1
    assert "list media" in caplog.text and "unusable" in caplog.text


def test_flash_item_carries_digest_and_original_url(tmp_path: Path) -> None:
    crawl = offline(tmp_path, lists="flash")
    (text_request,) = crawl.call(crawl.spider.list_requests()[0], stored("flash_list.json"))
    (item,) = crawl.call(text_request, stored("text_flash.json"))
    assert isinstance(item, Article)
    assert item.code == "202205262391921712" and item.info_code == "NW202205262391921712"
    assert item.digest.startswith("【国内首次！")
    assert item.source_url == item.original_url
    assert item.source_url.startswith("http://finance.eastmoney.com/news/")
    assert item.fetched_at is not None and item.fetched_at.utcoffset() is not None


def golden_crawl(tmp_path: Path) -> tuple[OfflineCrawl, Article]:
    crawl = OfflineCrawl(
        EastmoneySpider,
        {
            "UPSTREAM_BASE": LOCAL,
            # The reference post cites the real share host.
            "UPSTREAM_SHARE_BASE": "http://finews.zning.xyz",
            "ARCHIVE_DIR": str(tmp_path / "archive"),
        },
        lists="media",
    )
    (text_request,) = crawl.call(
        crawl.spider.list_requests()[0], stored("media_list_reference.json")
    )
    (item,) = crawl.call(text_request, stored("text_reference.json"))
    return crawl, item


def test_reference_post_is_reproduced_byte_for_byte(tmp_path: Path) -> None:
    crawl, item = golden_crawl(tmp_path)
    crawl.process(item)
    written = tmp_path / "archive" / "_posts" / "2022-05-29-NW202205292395331423.md"
    assert written.read_bytes() == REFERENCE_POST.read_bytes()
    page = tmp_path / "archive" / "category" / "sichuanxinwenwang.html"
    assert page.read_text(encoding="utf-8") == (
        "---\nlayout: category\ntitle: 四川新闻网新闻\ncategory: sichuanxinwenwang\n---\n"
    )


def test_reference_item_fields(tmp_path: Path) -> None:
    crawl, item = golden_crawl(tmp_path)
    item = crawl.process(item)
    assert item.published.isoformat() == "2022-05-29T00:02:28+08:00"
    assert (item.source_name, item.category, item.tags) == (
        "四川新闻网",
        "sichuanxinwenwang",
        ["四川新闻网新闻"],
    )
    assert item.list_kind == "media" and item.aggregator == "东方财富"


def test_writing_the_same_article_twice_changes_nothing(tmp_path: Path) -> None:
    crawl, item = golden_crawl(tmp_path)
    crawl.process(item)
    written = tmp_path / "archive" / "_posts" / "2022-05-29-NW202205292395331423.md"
    before = written.stat().st_mtime_ns
    crawl.process(golden_crawl(tmp_path)[1])
    assert written.stat().st_mtime_ns == before
    assert crawl.stats["newsmirror/archive/unchanged"] == 1


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("title", "  ", "no title"),
        # An unusable date falls back to the code's date: tests/test_pipeline_dates.py.
        ("body_html", "", "no body"),
        ("code", "../x", "malformed code"),
    ],
)
def test_incomplete_articles_are_dropped_with_code_and_reason(
    tmp_path: Path, field: str, value: str, reason: str
) -> None:
    crawl, item = golden_crawl(tmp_path)
    setattr(item, field, value)
    with pytest.raises(DropItem, match=reason) as dropped:
        crawl.process(item)
    assert repr(item.code) in str(dropped.value)
    assert not (tmp_path / "archive" / "_posts").exists()
