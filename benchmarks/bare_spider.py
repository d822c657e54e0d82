"""The ceiling: a bare Scrapy spider making newsmirror's requests and doing nothing else.

It asks the same five lists, then ``GetNewsText.do`` for every listed article, with
the concurrency and politeness settings of ``newsmirror.settings`` (copied below, so a
change there moves the ceiling too), and throws the texts away: no pipelines, no
archive, no newsmirror middleware or extension. What it reaches is what Scrapy itself
allows on this machine with these settings::

    python benchmarks/bare_spider.py --upstream http://127.0.0.1:8080 --list-count 5200

It prints one JSON line at the end: ``{"texts": …, "lists": …, "requests": …}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

import newsmirror.settings as project

#: newsmirror settings the ceiling shares: how many requests at once, how fast, how
#: the answers are downloaded. Everything that does work on an answer is left out.
SHARED_SETTINGS = (
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "CONCURRENT_ITEMS",
    "DOWNLOAD_DELAY",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_WARNSIZE",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "RETRY_ENABLED",
    "RETRY_TIMES",
    "COOKIES_ENABLED",
    "ROBOTSTXT_OBEY",
    "USER_AGENT",
    "TELNETCONSOLE_ENABLED",
    "REMOTE_CONTROL_ENABLED",
    "REQUEST_FINGERPRINTER_IMPLEMENTATION",
    "TWISTED_REACTOR",
    "LOG_LEVEL",
)

#: (path and query, JSON key holding the records, key holding each record's infoCode)
LISTS = (
    ("/web/webapi?type=45&newsid=1", "nodeList", "infocode"),
    ("/web/webapi?type=102&newsid=1", "records", "infoCode"),
    ("/information/newmarket/web/webapi?marketType=37", "record", "infoCode"),
    ("/information/newmarket/web/webapi?marketType=38", "record", "infoCode"),
    ("/information/newmarket/web/webapi?marketType=39", "record", "infoCode"),
)


def shared_settings() -> dict[str, Any]:
    """The settings above, as newsmirror sets them (absent ones keep Scrapy's default)."""
    return {name: getattr(project, name) for name in SHARED_SETTINGS if hasattr(project, name)}


class BareSpider(scrapy.Spider):
    """Lists, then one text request per listed record; the texts are discarded."""

    name = "bare"

    def __init__(self, upstream: str, list_count: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.upstream = upstream.rstrip("/")
        self.list_count = list_count
        self.texts = 0
        self.lists = 0

    async def start(self) -> Any:
        for path, key, code_key in LISTS:
            yield scrapy.Request(
                f"{self.upstream}{path}&count={self.list_count}",
                callback=self.parse_list,
                cb_kwargs={"key": key, "code_key": code_key},
                dont_filter=True,
                priority=10,
            )

    def parse_list(self, response: Response, key: str, code_key: str) -> Iterator[Any]:
        self.lists += 1
        for record in json.loads(response.body)[key]:
            query = urlencode({"id": record[code_key]})
            yield scrapy.Request(
                f"{self.upstream}/NewsData/GetNewsText.do?{query}",
                callback=self.parse_text,
                dont_filter=True,
            )

    def parse_text(self, response: Response) -> None:
        self.texts += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the fixture upstream's URL")
    parser.add_argument("--list-count", type=int, default=100, help="records asked per list")
    parser.add_argument(
        "-s",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting to override (as with scrapy -s)",
    )
    args = parser.parse_args(argv)
    settings = shared_settings()
    for override in args.overrides:
        name, _, value = override.partition("=")
        settings[name] = value
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, upstream=args.upstream, list_count=args.list_count)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, BareSpider) and crawler.stats is not None
    print(
        json.dumps(
            {
                "texts": spider.texts,
                "lists": spider.lists,
                "requests": crawler.stats.get_value("downloader/request_count", 0),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
