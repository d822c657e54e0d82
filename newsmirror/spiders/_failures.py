"""What the spiders lose, told apart, counted and reported.

Every spider reports each article or list it loses through newsmirror's signals
(:mod:`newsmirror.signals`), so the run summary names it with its code and reason;
:class:`FailureReports` holds the shared counting and sending.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import response_status_message

from newsmirror import signals
from newsmirror.items import Article

logger = logging.getLogger(__name__)

#: Longest reason kept for a failure (exception texts can be long).
MAX_REASON = 200


def deliberately_ignored(failure: Any) -> bool:
    """A request dropped on purpose (``IgnoreRequest``, e.g. an article already
    archived), as opposed to a failed one (``HttpError`` is an ``IgnoreRequest`` too)."""
    return bool(failure.check(IgnoreRequest)) and not failure.check(HttpError)


def failure_reason(failure: Any) -> str:
    """A short reason for a failed request: the status line, else the exception."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return response_status_message(exc.response.status)
    text = str(exc)
    return f"{type(exc).__name__}: {text}"[:MAX_REASON] if text else type(exc).__name__


def item_bytes(item: Article) -> int:
    """The size of an item's text, UTF-8 encoded (bounded by ``ITEM_MAX_BYTES``). A
    lone surrogate (from a JSON ``\\ud800`` escape; the pipelines remove it) counts as
    the three bytes of its code point instead of failing the article."""
    texts = (value for value in vars(item).values() if isinstance(value, str))
    return sum(len(text.encode("utf-8", "surrogatepass")) for text in texts)


class FailureReports:
    """Counting and reporting lost lists and articles (a mixin for spiders)."""

    crawler: Crawler

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    def fail_list(self, list_name: str, reason: str) -> None:
        """Count and report a list (or index document) that could not be used at all."""
        self._inc(f"newsmirror/list/{list_name}/failed")
        self.crawler.signals.send_catch_log(signals.list_failed, list_name=list_name, reason=reason)

    def fail_article(self, code: str, list_name: str, reason: str) -> None:
        """Count and report an article that could not be had."""
        self._inc("newsmirror/article/failed")
        self._inc(f"newsmirror/list/{list_name}/failed_articles")
        self.crawler.signals.send_catch_log(
            signals.article_failed, code=code, list_name=list_name, reason=reason[:MAX_REASON]
        )

    def skip_article(self, code: str, list_name: str, reason: str) -> None:
        """Report an article deliberately not archived (the caller counts why)."""
        self.crawler.signals.send_catch_log(
            signals.article_skipped, code=code, list_name=list_name, reason=reason[:MAX_REASON]
        )

    def too_large(self, item: Article) -> bool:
        """Whether ``item`` exceeds ``ITEM_MAX_BYTES``; if so it is counted and reported
        as skipped, and the caller drops it."""
        size, limit = item_bytes(item), self.crawler.settings.getint("ITEM_MAX_BYTES", 0)
        if not limit or size <= limit:
            return False
        reason = f"too large: {size} bytes, ITEM_MAX_BYTES is {limit}"
        logger.warning("article %s: skipped, %s", item.code, reason)
        self._inc("newsmirror/spider/dropped/too_large")
        self.skip_article(item.code, item.list_name or item.list_kind, reason)
        return True
