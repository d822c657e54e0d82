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
from newsmirror.sources import pages
from newsmirror.sources.base import PageFields, Publisher
from newsmirror.sources.discovery import Discovered, discover
from newsmirror.sources.publishers import all_publishers
from newsmirror.spiders._failures import FailureReports, deliberately_ignored, failure_reason

#: ``meta`` key naming what a request is for (read by ``response_problem``).
ENDPOINT = "newsmirror_endpoint"
INDEX = "index"
ARTICLE = "article"


class PublisherSpider(FailureReports, scrapy.Spider):
    """Archive the articles a publisher lists in its index documents.

    The publisher's base URL is ``PUBLISHER_BASES[name]``, else
    ``PUBLISHER_BASE/publisher/<name>``, else the real site. Links off that base, or
    whose path is not an article path, are ignored; the publisher's ``entry_filter``
    hook sees the rest.

    Hook for ``newsmirror.retry.BackoffRetryMiddleware``: :meth:`response_problem`.
    Every index or article that does not make it is reported to the run summary.
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
            meta={"newsmirror_list": self.name, ENDPOINT: INDEX},
            dont_filter=True,
            priority=10,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.index_requests():
            yield request

    # -- answers that are not what was asked for ----------------------------------------
    def response_problem(self, request: scrapy.Request, response: Response) -> str:
        """Why a 2xx answer is not what was asked for ("" when it is); the middleware
        retries such answers. An index must be an HTML or XML document with links in
        it; an article page must hold a title, a publication time and a body (a
        gateway's error page or a blank page does not). Other requests (robots.txt)
        are not judged."""
        endpoint = request.meta.get(ENDPOINT)
        if endpoint == INDEX:
            return self.index_problem(response)
        if endpoint == ARTICLE:
            return self.article_problem(response)
        return ""

    def index_problem(self, response: Response) -> str:
        """What makes an answer unusable as an index document ("" when nothing)."""
        if not isinstance(response, TextResponse):
            return pages.NOT_TEXT
        if pages.markup_problem(response.text):
            return pages.NOT_MARKUP
        found = self.discover(response)
        return "" if found.entries or found.indexes else pages.NO_LINKS

    def article_problem(self, response: Response, fields: PageFields | None = None) -> str:
        """What makes an answer unusable as an article page ("" when nothing);
        ``fields``: the page's, when already read."""
        if not isinstance(response, TextResponse):
            return pages.NOT_TEXT
        return pages.markup_problem(response.text) or pages.article_problem(
            fields or self.page_fields(response), need_body=True
        )

    def discover(self, response: TextResponse) -> Discovered:
        return discover(response.text, response.url, self.publisher.link_queries)

    def page_fields(self, response: TextResponse) -> PageFields:
        return self.publisher.page(response.text, response.url).fields()

    # -- discovery, continued --------------------------------------------------------------
    def parse_index(self, response: Response) -> Iterable[scrapy.Request]:
        """Read a feed, sitemap, sitemap index or list page; request each new article.

        @fixture
        @returns requests 1
        """
        stats = self.crawler.stats
        if not isinstance(response, TextResponse) or pages.markup_problem(response.text):
            problem = self.index_problem(response)
            self.logger.error("%s: index %s is unusable: %s", self.name, response.url, problem)
            self.fail_list(self.name, f"unusable index {response.url}: {problem}")
            return
        found = self.discover(response)
        if not found.entries and not found.indexes:  # even after retries: may be so
            self.logger.warning("%s: index %s has no links", self.name, response.url)
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
                self.skip_article("?", self.name, f"no archive code for {entry.url}")
                continue
            if code in self._requested:
                stats.inc_value("newsmirror/spider/duplicate_in_run")
                continue
            self._requested.add(code)
            stats.inc_value(f"newsmirror/list/{self.name}/listed")
            stats.inc_value("newsmirror/article/requested")
            yield scrapy.Request(
                entry.url,
                callback=self.parse_article,
                errback=self.article_failed,
                meta={"newsmirror_list": self.name, "newsmirror_code": code, ENDPOINT: ARTICLE},
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
        fields = self.page_fields(response) if isinstance(response, TextResponse) else None
        problem = self.article_problem(response, fields)
        if problem or fields is None:
            self.logger.error("article %s: %s is unusable: %s", code, response.url, problem)
            self.fail_article(code, self.name, f"unusable article page: {problem}")
            return
        item = Article(
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
        if not self.too_large(item):
            yield item

    # -- failures ------------------------------------------------------------------------
    def index_failed(self, failure: Any) -> None:
        url, reason = failure.request.url, failure_reason(failure)
        self.logger.error("%s: index %s could not be fetched: %s", self.name, url, reason)
        self.fail_list(self.name, f"index {url}: {reason}")

    def article_failed(self, failure: Any) -> None:
        code = failure.request.meta.get("newsmirror_code", "?")
        if deliberately_ignored(failure):  # deliberately not fetched (e.g. already archived)
            self.logger.debug("article %s: request ignored", code)
            return
        reason = failure_reason(failure)
        self.logger.error(
            "article %s: %s could not be fetched: %s", code, failure.request.url, reason
        )
        self.fail_article(code, self.name, reason)


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
