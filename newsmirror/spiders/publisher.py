"""Publishers archived directly: index documents (feed, sitemap, list page) -> articles.

:class:`PublisherSpider` crawls one :class:`~newsmirror.sources.base.Publisher`; a
spider class named after each publisher in :mod:`newsmirror.sources.publishers` is
made here, so ``scrapy list`` shows them and ``scrapy crawl <name>`` runs one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse

from newsmirror.config import publisher_base
from newsmirror.items import LIST_PUBLISHER, Article
from newsmirror.sources.base import Publisher
from newsmirror.sources.discovery import discover
from newsmirror.sources.publishers import all_publishers
from newsmirror.spiders._failures import deliberately_ignored


class PublisherSpider(scrapy.Spider):
    """Archive the articles a publisher lists in its index documents.

    The publisher's base URL is ``PUBLISHER_BASES[name]``, else
    ``PUBLISHER_BASE/publisher/<name>``, else the real site. Links off that base, or
    whose path is not an article path, are ignored; the publisher's ``entry_filter``
    hook sees the rest.
    """

    publisher: ClassVar[type[Publisher]]
    #: A publisher's site is a website: obey its robots.txt.
    custom_settings: dict[str, Any] | None = {"ROBOTSTXT_OBEY": True}  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Archive codes requested in this run: an article listed twice is fetched once.
        self._requested: set[str] = set()

    @property
    def base(self) -> str:
        return publisher_base(self.settings, self.publisher.name, self.publisher.base_url)

    # -- discovery ---------------------------------------------------------------------
    def index_requests(self) -> list[scrapy.Request]:
        """One request per declared index document."""
        return [self.index_request(self.base + path) for path in self.publisher.index_paths]

    def index_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_index,
            errback=self.index_failed,
            meta={"newsmirror_list": self.name},
            dont_filter=True,
            priority=10,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.index_requests():
            yield request

    def parse_index(self, response: Response) -> Iterable[scrapy.Request]:
        """Read a feed, sitemap, sitemap index or list page; request each new article.

        @fixture
        @returns requests 1
        """
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            self.logger.error("%s: index %s is not text", self.name, response.url)
            stats.inc_value(f"newsmirror/list/{self.name}/failed")
            return
        found = discover(response.text, response.url, self.publisher.link_queries)
        stats.inc_value(f"newsmirror/list/{self.name}/ok")
        for child in found.indexes:
            if self.publisher.relative_path(child, self.base) is not None:
                yield self.index_request(child)
        articles = []
        for entry in found.entries:
            path = self.publisher.relative_path(entry.url, self.base)
            if path is None or not self.publisher.is_article(path):
                self.logger.debug("%s: not an article of this site: %s", self.name, entry.url)
                stats.inc_value(f"newsmirror/list/{self.name}/ignored")
                continue
            articles.append(entry)
        for entry in self.publisher.entry_filter(articles):
            code = self.publisher.code_for(self.publisher.relative_path(entry.url, self.base) or "")
            if not code:
                self.logger.warning("%s: no archive code for %s", self.name, entry.url)
                stats.inc_value(f"newsmirror/list/{self.name}/rejected")
                continue
            if code in self._requested:
                stats.inc_value("newsmirror/spider/duplicate_in_run")
                continue
            self._requested.add(code)
            stats.inc_value(f"newsmirror/list/{self.name}/listed")
            yield scrapy.Request(
                entry.url,
                callback=self.parse_article,
                errback=self.article_failed,
                meta={"newsmirror_list": self.name, "newsmirror_code": code},
            )

    # -- extraction --------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterable[Article]:
        """Read one article page.

        @fixture
        @returns items 1 1
        @fills code title published_raw body_html source_name source_url
        """
        code = response.meta.get("newsmirror_code") or self.publisher.code_for(
            self.publisher.relative_path(response.url, self.base) or ""
        )
        if not isinstance(response, TextResponse):
            self.logger.error("article %s: %s is not text", code, response.url)
            self.crawler.stats.inc_value("newsmirror/article/failed")
            return
        fields = self.publisher.page(response.text, response.url).fields()
        yield Article(
            code=code,
            list_kind=LIST_PUBLISHER,
            list_name=self.name,
            title=fields.title,
            published_raw=fields.published_raw,
            source_name=self.publisher.outlet,
            body_html=fields.body_html,
            source_url=response.url,
            original_url=response.url,
            aggregator="",
            fetched_at=datetime.now(UTC),
        )

    # -- failures ------------------------------------------------------------------------
    def index_failed(self, failure: Any) -> None:
        self.logger.error(
            "%s: index %s could not be fetched: %s", self.name, failure.request.url, failure.value
        )
        self.crawler.stats.inc_value(f"newsmirror/list/{self.name}/failed")

    def article_failed(self, failure: Any) -> None:
        code = failure.request.meta.get("newsmirror_code", "?")
        if deliberately_ignored(failure):  # deliberately not fetched (e.g. already archived)
            self.logger.debug("article %s: request ignored", code)
            return
        self.logger.error(
            "article %s: %s could not be fetched: %s", code, failure.request.url, failure.value
        )
        self.crawler.stats.inc_value("newsmirror/article/failed")


def spider_for(publisher: type[Publisher]) -> type[PublisherSpider]:
    """The spider class crawling ``publisher`` (``CaijingdailySpider`` for ``Caijingdaily``)."""
    return type(
        f"{publisher.__name__}Spider",
        (PublisherSpider,),
        {
            "__module__": __name__,
            "__doc__": f"Archive {publisher.outlet} ({publisher.base_url}).",
            "name": publisher.name,
            "publisher": publisher,
        },
    )


for _publisher in all_publishers().values():
    globals()[f"{_publisher.__name__}Spider"] = spider_for(_publisher)
