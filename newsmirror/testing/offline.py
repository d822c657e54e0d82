"""Run a spider's callbacks and the project's pipelines without a network or reactor.

For tests of sources and of the whole item path from stored responses::

    crawl = OfflineCrawl(EastmoneySpider, {"ARCHIVE_DIR": str(tmp)})
    requests = crawl.call(crawl.spider.list_requests()[0], stored_json)
    items = crawl.call(requests[0], stored_text_json)
    crawl.process(items[0])          # through every ITEM_PIPELINES stage
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, TextResponse
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.test import get_crawler

import newsmirror.settings as project_settings
from newsmirror import signals as nm_signals


def project_settings_dict(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The project's settings module as a dict, with ``overrides`` applied."""
    values = {k: v for k, v in vars(project_settings).items() if k.isupper()}
    values.update(overrides or {})
    return values


class OfflineCrawl:
    """A configured crawler, its spider and its pipeline chain, driven by hand."""

    def __init__(
        self,
        spidercls: type[scrapy.Spider],
        settings: dict[str, Any] | None = None,
        **spider_kwargs: Any,
    ) -> None:
        self.crawler = get_crawler(spidercls, project_settings_dict(settings))
        self.spider = spidercls.from_crawler(self.crawler, **spider_kwargs)
        self.crawler.spider = self.spider
        order = self.crawler.settings.getdict("ITEM_PIPELINES")
        self.pipelines = []
        for path, _ in sorted(order.items(), key=lambda kv: kv[1]):
            if kv_enabled(_):
                try:
                    self.pipelines.append(build_from_crawler(load_object(path), self.crawler))
                except NotConfigured:  # switched off, as Scrapy's pipeline manager skips it
                    continue
        for pipeline in self.pipelines:
            if hasattr(pipeline, "open_spider"):
                pipeline.open_spider()

    @property
    def stats(self) -> dict[str, Any]:
        assert self.crawler.stats is not None
        return self.crawler.stats.get_stats()

    def respond(
        self, request: Request, body: str | bytes, status: int = 200, headers: Any = None
    ) -> TextResponse:
        """A response to ``request`` as if the server had sent ``body``."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return TextResponse(
            url=request.url,
            body=raw,
            status=status,
            headers=headers or {"Content-Type": "application/json; charset=utf-8"},
            request=request,
            encoding=None if headers else "utf-8",
        )

    def call(self, request: Request, body: str | bytes, **kwargs: Any) -> list[Any]:
        """Run ``request``'s callback on a stored response; return what it yields."""
        response = self.respond(request, body, **kwargs)
        callback = request.callback or self.spider.parse
        result = callback(response, **request.cb_kwargs)
        return list(result) if isinstance(result, Iterable) else []

    def process(self, item: Any) -> Any:
        """Pass ``item`` through every pipeline stage (``DropItem`` propagates)."""
        for pipeline in self.pipelines:
            item = pipeline.process_item(item)
        return item

    async def process_async(self, item: Any) -> Any:
        """:meth:`process` as Scrapy runs it, inside a running asyncio loop: a stage may
        return a coroutine (a post written in a worker thread), awaited here. Several
        items may be in the pipelines at once (``asyncio.gather``)."""
        for pipeline in self.pipelines:
            result = pipeline.process_item(item)
            item = await result if inspect.isawaitable(result) else result
        return item

    def close(self) -> None:
        for pipeline in self.pipelines:
            if hasattr(pipeline, "close_spider"):
                pipeline.close_spider()


def kv_enabled(order: Any) -> bool:
    """``ITEM_PIPELINES`` entries set to ``None`` are disabled."""
    return order is not None


class Reports:
    """newsmirror's failure and skip signals as the run summary receives them:
    ``seen`` holds ``(signal name, keyword arguments)`` in arrival order."""

    SIGNALS = ("article_failed", "article_skipped", "list_failed")

    def __init__(self, crawl: OfflineCrawl) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self._receivers: list[Any] = []  # signals hold weak references
        for name in self.SIGNALS:
            receive = self._receiver(name)
            self._receivers.append(receive)
            crawl.crawler.signals.connect(receive, signal=getattr(nm_signals, name))

    def _receiver(self, name: str) -> Any:
        def receive(**kwargs: Any) -> None:
            kwargs.pop("signal", None)
            kwargs.pop("sender", None)
            self.seen.append((name, kwargs))

        return receive
