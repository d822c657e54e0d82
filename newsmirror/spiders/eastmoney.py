"""The Eastmoney-family lists (media 45, flash 102, market 37/38/39) -> GetNewsText.do."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from newsmirror.config import UpstreamBases, upstream_bases
from newsmirror.items import LIST_FLASH, LIST_MARKET, LIST_MEDIA, Article
from newsmirror.sources import eastmoney as source

ALL_LISTS = (LIST_MEDIA, LIST_FLASH, LIST_MARKET)
ALL_MARKETS = ("37", "38", "39")
LIST_TYPES = {LIST_MEDIA: "45", LIST_FLASH: "102"}


def _split_arg(value: str | Iterable[str] | None, default: Iterable[str]) -> list[str]:
    if value is None:
        return list(default)
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if p.strip()]


def share_url(share_base: str, info_code: str) -> str:
    """The canonical human-facing page of an article."""
    return f"{share_base}/html_News/NewsShare.html?{urlencode({'infoCode': info_code})}"


class EastmoneySpider(scrapy.Spider):
    """Archive every article of the Eastmoney media, flash and market lists.

    Arguments: ``-a lists=media,flash,market`` and ``-a markets=37,38,39`` narrow the
    crawl (default: all of them).
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
            meta={"newsmirror_list": list_name},
            dont_filter=True,
            priority=10,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.list_requests():
            yield request

    def parse_list(self, response: Response, list_kind: str) -> Iterable[scrapy.Request]:
        """Parse a list response and request the text of every article on it."""
        list_name = response.meta.get("newsmirror_list", list_kind)
        stats = self.crawler.stats
        try:
            entries, rejected = source.parse_list(source.load_json(response.text), list_kind)
        except (source.UpstreamFormatError, AttributeError) as exc:
            self.logger.error("list %s at %s is unusable: %s", list_name, response.url, exc)
            stats.inc_value(f"newsmirror/list/{list_name}/failed")
            return
        stats.inc_value(f"newsmirror/list/{list_name}/ok")
        stats.inc_value(f"newsmirror/list/{list_name}/listed", len(entries))
        for bad in rejected:
            self.logger.warning("list %s: skipped record %s: %s", list_name, bad.code, bad.reason)
            stats.inc_value(f"newsmirror/list/{list_name}/rejected")
        for entry in entries:
            if entry.code in self._requested:
                stats.inc_value("newsmirror/spider/duplicate_in_run")
                continue
            self._requested.add(entry.code)
            yield self.text_request(entry, list_name)

    def text_request(self, entry: source.ListEntry, list_name: str) -> scrapy.Request:
        query = urlencode({"id": entry.info_code})
        return scrapy.Request(
            f"{self.bases.text}/NewsData/GetNewsText.do?{query}",
            callback=self.parse_text,
            errback=self.text_failed,
            cb_kwargs={"entry": entry},
            meta={"newsmirror_list": list_name, "newsmirror_code": entry.code},
            # Flash and media posts of one story share an infoCode but are two posts.
            dont_filter=True,
        )

    # -- extraction --------------------------------------------------------------------
    def parse_text(self, response: Response, entry: source.ListEntry) -> Iterable[Article]:
        try:
            body = source.parse_text(source.load_json(response.text), entry.list_kind)
        except (source.UpstreamFormatError, AttributeError) as exc:
            self.logger.error(
                "article %s: text at %s is unusable: %s", entry.code, response.url, exc
            )
            self.crawler.stats.inc_value("newsmirror/article/failed")
            return
        yield self.article(entry, body, response.meta.get("newsmirror_list", entry.list_kind))

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
    def list_failed(self, failure: Any) -> None:
        request = failure.request
        list_name = request.meta.get("newsmirror_list", "?")
        self.logger.error("list %s could not be fetched: %s", list_name, failure.value)
        self.crawler.stats.inc_value(f"newsmirror/list/{list_name}/failed")

    def text_failed(self, failure: Any) -> None:
        code = failure.request.meta.get("newsmirror_code", "?")
        self.logger.error("article %s: text could not be fetched: %s", code, failure.value)
        self.crawler.stats.inc_value("newsmirror/article/failed")
