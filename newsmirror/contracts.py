"""Scrapy contracts that run on stored responses: ``scrapy check`` without a network.

A contract's sample request needs a URL, and the real upstream is not reachable from
CI (nor should a check depend on it). So:

- ``@fixture [KEY]`` names the sample request by key (default: the callback's name)
  in the ``"contracts"`` table of the spider's fixture folder
  (``newsmirror/testing/data/sources/<spider>/fixture.json``);
- :class:`StoredResponseMiddleware`, a downloader middleware that is on only while
  ``scrapy check`` runs (Scrapy sets ``SCRAPY_CHECK`` then), answers every request from
  that folder, and anything not stored with a 404: nothing reaches the network;
- ``@fills FIELD …`` checks that every item has a non-blank value in each field
  (Scrapy's ``@scrapes`` only checks that a field exists, which a dataclass field
  always does).

Both contracts are registered in ``SPIDER_CONTRACTS`` (settings.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Self

from itemadapter import ItemAdapter, is_item
from scrapy.contracts import Contract
from scrapy.crawler import Crawler
from scrapy.exceptions import ContractFail, NotConfigured
from scrapy.http import HtmlResponse, Request, Response

from newsmirror.config import contracts_running
from newsmirror.testing.source_fixtures import cached_fixture

logger = logging.getLogger(__name__)


class FixtureContract(Contract):
    """``@fixture [KEY]``: the sample request is the URL stored under KEY (default: the
    callback's name) in the spider's fixture, answered from its stored response."""

    name = "fixture"

    def __init__(self, method: Callable[..., Any], *args: Any) -> None:
        super().__init__(method, *args)
        self.spider_name = str(method.__self__.name)  # type: ignore[attr-defined]
        self.key = next((str(a) for a in args if a), method.__name__)

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        args["url"] = cached_fixture(self.spider_name).contract_url(self.key)
        return args


class FillsContract(Contract):
    """``@fills FIELD …``: each item the callback returns has every FIELD non-blank."""

    name = "fills"

    def post_process(self, output: list[Any]) -> None:
        for item in output:
            if not is_item(item):
                continue
            adapter = ItemAdapter(item)
            blank = [name for name in self.args if not str(adapter.get(name) or "").strip()]
            if blank:
                raise ContractFail(f"blank field(s): {', '.join(blank)}")


class StoredResponseMiddleware:
    """Answer every request from the running spider's fixture (``scrapy check`` only)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not contracts_running():
            raise NotConfigured("stored responses answer requests only under `scrapy check`")
        return cls(crawler)

    def process_request(self, request: Request) -> Response:
        assert self.crawler.spider is not None
        response = cached_fixture(self.crawler.spider.name).response_for(request)
        if response is None:
            logger.debug("no stored response for %s: 404", request.url)
            return HtmlResponse(request.url, status=404, body=b"not stored", request=request)
        return response
