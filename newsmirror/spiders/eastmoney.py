"""The Eastmoney-family lists (media 45, flash 102, market 37/38/39) -> GetNewsText.do."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from newsmirror import signals
from newsmirror.config import UpstreamBases, upstream_bases
from newsmirror.incremental import RELIST_META
from newsmirror.items import LIST_FLASH, LIST_MARKET, LIST_MEDIA, Article
from newsmirror.sources import answers
from newsmirror.sources import eastmoney as source
from newsmirror.sources.newsshare import share_url
from newsmirror.spiders._failures import MAX_REASON, FailureReports, failure_reason
from newsmirror.summary import listed_in_report

ALL_LISTS = (LIST_MEDIA, LIST_FLASH, LIST_MARKET)
ALL_MARKETS = ("37", "38", "39")
LIST_TYPES = {LIST_MEDIA: "45", LIST_FLASH: "102"}
#: ``meta`` key naming the endpoint a request is for (read by ``response_problem``).
ENDPOINT = "newsmirror_endpoint"


def _split_arg(value: str | Iterable[str] | None, default: Iterable[str]) -> list[str]:
    if value is None:
        return list(default)
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if p.strip()]


class EastmoneySpider(FailureReports, scrapy.Spider):
    """Archive every article of the Eastmoney media, flash and market lists.

    Arguments: ``-a lists=media,flash,market`` and ``-a markets=37,38,39`` narrow the
    crawl (default: all of them). ``-a refresh=1`` fetches articles already archived
    again (``newsmirror.incremental`` skips them otherwise: every text request carries
    ``meta["newsmirror_code"]``).

    Hook for ``newsmirror.retry.BackoffRetryMiddleware``: :meth:`response_problem`.
    """

    name = "eastmoney"

    def __init__(
        self,
        lists: str | None = None,
        markets: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lists = _split_arg(lists, ALL_LISTS)
        unknown = set(self.lists) - set(ALL_LISTS)
        if unknown:
            raise ValueError(
                f"unknown list(s) {', '.join(sorted(unknown))}; choose from {', '.join(ALL_LISTS)}"
            )
        self.markets = _split_arg(markets, ALL_MARKETS)
        bad_markets = [m for m in self.markets if not m.isdigit()]
        if bad_markets:
            raise ValueError(f"market types are numbers, got {', '.join(bad_markets)}")
        #: Archive codes requested in this run: a code listed twice is fetched once.
        self._requested: set[str] = set()
        #: Records each list had, in the previous run's report and then in this run:
        #: a list that had records and comes back empty is unusable, not empty.
        self._list_sizes: dict[str, int] = {}

    @property
    def bases(self) -> UpstreamBases:
        return upstream_bases(self.settings)

    # -- discovery ---------------------------------------------------------------------
    def list_requests(self) -> list[scrapy.Request]:
        """One request per configured list."""
        count = self.settings.getint("LIST_COUNT", 100)
        requests = []
        for kind in self.lists:
            if kind == LIST_MARKET:
                for market in self.markets:
                    query = urlencode({"marketType": market, "count": count})
                    url = f"{self.bases.market}/information/newmarket/web/webapi?{query}"
                    requests.append(self._list_request(url, kind, f"market{market}"))
            else:
                query = urlencode({"type": LIST_TYPES[kind], "count": count, "newsid": 1})
                url = f"{self.bases.list}/web/webapi?{query}"
                requests.append(self._list_request(url, kind, kind))
        return requests

    def _list_request(self, url: str, kind: str, list_name: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.list_failed,
            cb_kwargs={"list_kind": kind},
            meta={"newsmirror_list": list_name, "newsmirror_kind": kind, ENDPOINT: "list"},
            dont_filter=True,
            priority=10,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self._list_sizes.update(listed_in_report(self.settings.get("SUMMARY_FILE")))
        for request in self.list_requests():
            list_name = request.meta["newsmirror_list"]
            self.crawler.stats.inc_value(f"newsmirror/list/{list_name}/requested")
            yield request

    def response_problem(self, request: scrapy.Request, response: Response) -> str:
        """Why a 2xx answer is not what its endpoint serves ("" when it is): the
        middleware retries such answers. Any empty list is retried here (a rolling
        news list is never empty for long); :meth:`parse_list` decides what an empty
        list finally means. An empty text is retried, except for flash news."""
        endpoint = request.meta.get(ENDPOINT)
        content_type = response.headers.get("Content-Type")
        kind = request.meta.get("newsmirror_kind", "")
        try:
            if endpoint == "list":
                answers.read_list(response.body, content_type, kind, expect_records=True)
            elif endpoint == "text":
                # A flash article may be its digest alone: an empty text is no fault.
                allow_empty = kind == LIST_FLASH
                answers.read_text(response.body, content_type, kind, allow_empty=allow_empty)
        except answers.UnusableAnswer as exc:
            return exc.kind
        return ""

    def parse_list(self, response: Response, list_kind: str) -> Iterable[scrapy.Request]:
        """Parse a list response and request the text of every article on it.

        @fixture
        @cb_kwargs {"list_kind": "media"}
        @returns requests 1
        """
        list_name = response.meta.get("newsmirror_list", list_kind)
        stats = self.crawler.stats
        had_records = self._list_sizes.get(list_name, 0) > 0
        try:
            entries, rejected = answers.read_list(
                response.body,
                response.headers.get("Content-Type"),
                list_kind,
                expect_records=had_records,
            )
        except answers.UnusableAnswer as exc:
            self.logger.error("list %s at %s is unusable: %s", list_name, response.url, exc)
            self.fail_list(list_name, f"unusable answer: {exc}")
            return
        limit = max(self.settings.getint("LIST_COUNT", 100), 0)
        if len(entries) > limit:
            self.logger.warning(
                "list %s: %d records for %d asked; keeping the first %d",
                list_name, len(entries), limit, limit,
            )
            entries = entries[:limit]
        if not entries and not rejected:
            self.logger.warning("list %s is empty (and had no records before)", list_name)
        self._list_sizes[list_name] = len(entries)
        stats.inc_value(f"newsmirror/list/{list_name}/ok")
        stats.inc_value(f"newsmirror/list/{list_name}/listed", len(entries))
        for bad in rejected:
            self.logger.warning("list %s: skipped record %s: %s", list_name, bad.code, bad.reason)
            stats.inc_value(f"newsmirror/list/{list_name}/rejected")
            self.crawler.signals.send_catch_log(
                signals.article_skipped,
                code=bad.code,
                list_name=list_name,
                reason=f"record rejected: {bad.reason}",
            )
        for entry in entries:
            # A distributed run's sweep lists again: what this process requested may
            # have been lost with another worker (its claims keep each code fetched once).
            if entry.code in self._requested and not response.meta.get(RELIST_META):
                stats.inc_value("newsmirror/spider/duplicate_in_run")
                continue
            self._requested.add(entry.code)
            stats.inc_value("newsmirror/article/requested")
            yield self.text_request(entry, list_name)

    def text_request(self, entry: source.ListEntry, list_name: str) -> scrapy.Request:
        query = urlencode({"id": entry.info_code})
        return scrapy.Request(
            f"{self.bases.text}/NewsData/GetNewsText.do?{query}",
            callback=self.parse_text,
            errback=self.text_failed,
            cb_kwargs={"entry": entry},
            meta={
                "newsmirror_list": list_name,
                "newsmirror_code": entry.code,
                "newsmirror_kind": entry.list_kind,
                ENDPOINT: "text",
            },
            # Flash and media posts of one story share an infoCode but are two posts.
            dont_filter=True,
        )

    # -- extraction --------------------------------------------------------------------
    def parse_text(self, response: Response, entry: source.ListEntry) -> list[Article]:
        """The article of one text answer; none when the answer is unusable or the
        article too large. A list, not a generator: for a generator callback Scrapy
        parses the callback's source again on most responses, to warn about a
        ``return`` value (``WARN_ON_GENERATOR_RETURN_VALUE``), 0.4 ms each."""
        list_name = response.meta.get("newsmirror_list", entry.list_kind)
        if type(list_name) is str:
            # The scheduler's queue (newsmirror.queues) unpickles a copy of it for every
            # request, and the pipelines keep it for every new article: one is enough.
            list_name = sys.intern(list_name)
        try:
            body = answers.read_text(
                response.body,
                response.headers.get("Content-Type"),
                entry.list_kind,
                allow_empty=True,
            )
        except answers.UnusableAnswer as exc:
            self.logger.error(
                "article %s: text at %s is unusable: %s", entry.code, response.url, exc
            )
            self.fail_article(entry.code, list_name, f"unusable text: {exc}"[:MAX_REASON])
            return []
        item = self.article(entry, body, list_name)
        return [] if self.too_large(item) else [item]

    def article(self, entry: source.ListEntry, body_html: str, list_name: str) -> Article:
        """The item for one listed article and its text."""
        source_url = share_url(self.bases.share, entry.info_code)
        if entry.list_kind == LIST_FLASH and entry.original_url:
            source_url = entry.original_url
        return Article(
            code=entry.code,
            list_kind=entry.list_kind,
            list_name=list_name,
            title=entry.title,
            published_raw=entry.published_raw,
            source_name=entry.source_name,
            body_html=body_html,
            digest=entry.digest,
            source_url=source_url,
            original_url=entry.original_url,
            info_code=entry.info_code,
            fetched_at=datetime.now(UTC),
        )

    # -- failures ------------------------------------------------------------------------
    def list_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        list_name = request.meta.get("newsmirror_list", "?")
        reason = failure_reason(failure)
        self.logger.error("list %s could not be fetched: %s", list_name, reason)
        self.fail_list(list_name, reason)

    def text_failed(self, failure: Failure) -> None:
        meta = failure.request.meta  # type: ignore[attr-defined]
        code = meta.get("newsmirror_code", "?")
        reason = failure_reason(failure)
        self.logger.error("article %s: text could not be fetched: %s", code, reason)
        self.fail_article(code, meta.get("newsmirror_list", "?"), reason)
