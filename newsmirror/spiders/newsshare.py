"""Share pages / bare infoCodes given by the operator -> share page -> GetNewsText.do."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlencode

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from newsmirror.config import UpstreamBases, upstream_bases
from newsmirror.items import LIST_SHARE, Article
from newsmirror.sources import answers, pages
from newsmirror.sources.newsshare import (
    ShareFields,
    SharePage,
    code_from_share_url,
    input_lines,
    parse_inputs,
    share_url,
    split_argument,
)
from newsmirror.sources.query import Query
from newsmirror.spiders._failures import FailureReports, deliberately_ignored, failure_reason

#: ``meta`` key naming the endpoint a request is for (read by ``response_problem``).
ENDPOINT = "newsmirror_endpoint"
SHARE_PAGE = "share"
TEXT = "text"


class NewsshareSpider(FailureReports, scrapy.Spider):
    """Archive the articles named by share-page URLs or bare infoCodes.

    Arguments (any combination): ``-a codes=NW…,NW…``, ``-a urls=<share URL>,…``,
    ``-a from_file=PATH`` (one code or URL per line, ``#`` comments). URLs must be on
    ``UPSTREAM_SHARE_BASE``; others are logged and skipped. Title, time and source
    come from the share page, the body from the text API, or from the share page
    when the API fails.

    Hook for ``newsmirror.retry.BackoffRetryMiddleware``: :meth:`response_problem`.
    Every input or article that does not make it is reported to the run summary.
    """

    name = "newsshare"

    def __init__(
        self,
        codes: str | None = None,
        urls: str | None = None,
        from_file: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.inputs = split_argument(codes) + split_argument(urls)
        if from_file:
            path = Path(from_file)
            if not path.is_file():
                raise ValueError(f"from_file: no such file {from_file}")
            self.inputs += input_lines(path.read_text(encoding="utf-8"))
        #: Share-page queries replacing the declared ones (``NEWSSHARE_SELECTORS``).
        self.selectors: dict[str, tuple[Query, ...]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # ``scrapy check`` starts every spider without arguments (and sets SCRAPY_CHECK);
        # a distributed run's worker (REDIS_URL) may join a run another one seeded.
        if not spider.inputs and not (
            os.environ.get("SCRAPY_CHECK") or crawler.settings.get("REDIS_URL")
        ):
            raise ValueError("nothing to archive: give -a codes=…, -a urls=… or -a from_file=PATH")
        spider.selectors = SharePage.compile_queries(
            crawler.settings.getdict("NEWSSHARE_SELECTORS"), "NEWSSHARE_SELECTORS"
        )
        return spider

    @property
    def bases(self) -> UpstreamBases:
        return upstream_bases(self.settings)

    # -- discovery ---------------------------------------------------------------------
    def share_requests(self) -> list[scrapy.Request]:
        """One share-page request per valid input; rejected inputs are logged."""
        stats = self.crawler.stats
        codes, rejected = parse_inputs(self.inputs, self.bases.share)
        for bad in rejected:
            self.logger.warning("newsshare: skipped input %r: %s", bad.given, bad.reason)
            stats.inc_value(f"newsmirror/list/{LIST_SHARE}/rejected")
            self.skip_article(repr(bad.given[:60]), LIST_SHARE, f"input rejected: {bad.reason}")
        stats.inc_value(f"newsmirror/list/{LIST_SHARE}/ok")
        stats.inc_value(f"newsmirror/list/{LIST_SHARE}/listed", len(codes))
        stats.inc_value("newsmirror/article/requested", len(codes))
        return [
            scrapy.Request(
                share_url(self.bases.share, code),
                callback=self.parse_share,
                errback=self.share_failed,
                meta={
                    "newsmirror_list": LIST_SHARE,
                    "newsmirror_code": code,
                    ENDPOINT: SHARE_PAGE,
                },
                dont_filter=True,
            )
            for code in codes
        ]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.share_requests():
            yield request

    # -- answers that are not what the endpoint serves ---------------------------------
    def response_problem(self, request: scrapy.Request, response: Response) -> str:
        """Why a 2xx answer is not what its endpoint serves ("" when it is); the
        middleware retries such answers. A share page must be an HTML page with a
        title and a publication time (a gateway's error page or a blank page has
        neither); a text answer must be the API's non-empty text document."""
        endpoint = request.meta.get(ENDPOINT)
        if endpoint == SHARE_PAGE:
            return self.share_problem(response)
        if endpoint == TEXT:
            content_type = response.headers.get("Content-Type")
            try:
                answers.read_text(response.body, content_type, LIST_SHARE, allow_empty=False)
            except answers.UnusableAnswer as exc:
                return exc.kind
        return ""

    def share_fields(self, response: TextResponse) -> ShareFields:
        return SharePage(response.text, response.url, queries=self.selectors).share_fields()

    def share_problem(self, response: Response, fields: ShareFields | None = None) -> str:
        """What makes an answer unusable as a share page ("" when nothing);
        ``fields``: the page's, when already read."""
        if not isinstance(response, TextResponse):
            return pages.NOT_TEXT
        return pages.markup_problem(response.text) or pages.article_problem(
            fields or self.share_fields(response), need_body=False
        )

    # -- extraction --------------------------------------------------------------------
    def parse_share(self, response: Response) -> Iterable[scrapy.Request]:
        """Read the share page, then ask the text API for the body.

        @fixture
        @returns requests 1 1
        """
        code = response.meta.get("newsmirror_code") or code_from_share_url(
            response.url, self.bases.share
        )
        page = self.share_fields(response) if isinstance(response, TextResponse) else None
        problem = self.share_problem(response, page)
        if problem or page is None:
            self.logger.error(
                "article %s: share page %s is unusable: %s", code, response.url, problem
            )
            self.fail_article(str(code), LIST_SHARE, f"unusable share page: {problem}")
            return
        yield scrapy.Request(
            f"{self.bases.text}/NewsData/GetNewsText.do?{urlencode({'id': code})}",
            callback=self.parse_text,
            errback=self.text_failed,
            cb_kwargs={"code": code, "page": page, "fetched_at": datetime.now(UTC)},
            meta={"newsmirror_list": LIST_SHARE, "newsmirror_code": code, ENDPOINT: TEXT},
            dont_filter=True,
        )

    def parse_text(
        self, response: Response, code: str, page: ShareFields, fetched_at: datetime
    ) -> Iterable[Article]:
        content_type = response.headers.get("Content-Type")
        try:
            body = answers.read_text(response.body, content_type, LIST_SHARE, allow_empty=True)
        except answers.UnusableAnswer as exc:
            body, problem = "", f"unusable ({exc})"
        else:
            problem = "empty"
        if not body:
            body = self.fallback_body(code, page, f"text at {response.url} is {problem}")
        item = self.article(code, page, body, fetched_at)
        if not self.too_large(item):
            yield item

    def fallback_body(self, code: str, page: ShareFields, why: str) -> str:
        """The share page's own body, used when the text API gives none."""
        self.logger.warning("article %s: %s; using the share page's body", code, why)
        self.crawler.stats.inc_value("newsmirror/newsshare/body_from_share_page")
        return page.body_html

    def article(self, code: str, page: ShareFields, body: str, fetched_at: datetime) -> Article:
        return Article(
            code=code,
            list_kind=LIST_SHARE,
            list_name=LIST_SHARE,
            title=page.title,
            published_raw=page.published_raw,
            source_name=page.source_name,
            body_html=body,
            source_url=share_url(self.bases.share, code),
            info_code=code,
            fetched_at=fetched_at,
        )

    # -- failures ------------------------------------------------------------------------
    def share_failed(self, failure: Any) -> None:
        code = failure.request.meta.get("newsmirror_code", "?")
        if deliberately_ignored(failure):  # deliberately not fetched (e.g. already archived)
            self.logger.debug("article %s: share request ignored", code)
            return
        reason = failure_reason(failure)
        self.logger.error("article %s: share page could not be fetched: %s", code, reason)
        self.fail_article(code, LIST_SHARE, reason)

    def text_failed(self, failure: Any) -> Iterable[Article]:
        kwargs = failure.request.cb_kwargs
        if deliberately_ignored(failure):  # deliberately not fetched: no fallback either
            self.logger.debug("article %s: text request ignored", kwargs["code"])
            return
        body = self.fallback_body(
            kwargs["code"], kwargs["page"], f"text could not be fetched ({failure.value})"
        )
        item = self.article(kwargs["code"], kwargs["page"], body, kwargs["fetched_at"])
        if not self.too_large(item):
            yield item
