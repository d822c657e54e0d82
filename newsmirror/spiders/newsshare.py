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
from scrapy.http import Response

from newsmirror.config import UpstreamBases, upstream_bases
from newsmirror.items import LIST_SHARE, Article
from newsmirror.sources import eastmoney as api
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
from newsmirror.spiders._failures import deliberately_ignored


class NewsshareSpider(scrapy.Spider):
    """Archive the articles named by share-page URLs or bare infoCodes.

    Arguments (any combination): ``-a codes=NW…,NW…``, ``-a urls=<share URL>,…``,
    ``-a from_file=PATH`` (one code or URL per line, ``#`` comments). URLs must be on
    ``UPSTREAM_SHARE_BASE``; others are logged and skipped. Title, time and source
    come from the share page, the body from the text API, or from the share page
    when the API fails.
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
        # ``scrapy check`` starts every spider without arguments (and sets SCRAPY_CHECK).
        if not self.inputs and not os.environ.get("SCRAPY_CHECK"):
            raise ValueError("nothing to archive: give -a codes=…, -a urls=… or -a from_file=PATH")
        #: Share-page queries replacing the declared ones (``NEWSSHARE_SELECTORS``).
        self.selectors: dict[str, tuple[Query, ...]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
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
        stats.inc_value(f"newsmirror/list/{LIST_SHARE}/ok")
        stats.inc_value(f"newsmirror/list/{LIST_SHARE}/listed", len(codes))
        return [
            scrapy.Request(
                share_url(self.bases.share, code),
                callback=self.parse_share,
                errback=self.share_failed,
                meta={"newsmirror_list": LIST_SHARE, "newsmirror_code": code},
                dont_filter=True,
            )
            for code in codes
        ]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.share_requests():
            yield request

    # -- extraction --------------------------------------------------------------------
    def parse_share(self, response: Response) -> Iterable[scrapy.Request]:
        """Read the share page, then ask the text API for the body.

        @fixture
        @returns requests 1 1
        """
        code = response.meta.get("newsmirror_code") or code_from_share_url(
            response.url, self.bases.share
        )
        page = SharePage(response.text, response.url, queries=self.selectors).share_fields()
        yield scrapy.Request(
            f"{self.bases.text}/NewsData/GetNewsText.do?{urlencode({'id': code})}",
            callback=self.parse_text,
            errback=self.text_failed,
            cb_kwargs={"code": code, "page": page, "fetched_at": datetime.now(UTC)},
            meta={"newsmirror_list": LIST_SHARE, "newsmirror_code": code},
            dont_filter=True,
        )

    def parse_text(
        self, response: Response, code: str, page: ShareFields, fetched_at: datetime
    ) -> Iterable[Article]:
        try:
            body = api.parse_text(api.load_json(response.text), LIST_SHARE)
        except (api.UpstreamFormatError, AttributeError) as exc:
            body, problem = "", f"unusable ({exc})"
        else:
            problem = "empty"
        if not body:
            body = self.fallback_body(code, page, f"text at {response.url} is {problem}")
        yield self.article(code, page, body, fetched_at)

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
        self.logger.error("article %s: share page could not be fetched: %s", code, failure.value)
        self.crawler.stats.inc_value("newsmirror/article/failed")

    def text_failed(self, failure: Any) -> Iterable[Article]:
        kwargs = failure.request.cb_kwargs
        if deliberately_ignored(failure):  # deliberately not fetched: no fallback either
            self.logger.debug("article %s: text request ignored", kwargs["code"])
            return
        body = self.fallback_body(
            kwargs["code"], kwargs["page"], f"text could not be fetched ({failure.value})"
        )
        yield self.article(kwargs["code"], kwargs["page"], body, kwargs["fetched_at"])
