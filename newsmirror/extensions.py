"""Scrapy extensions of newsmirror."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from newsmirror import signals as nm_signals
from newsmirror.archive.atomic import atomic_write_text
from newsmirror.config import contracts_running
from newsmirror.summary import FAILED, LIST_FAILED, SKIPPED, Problem, exit_code, summarize
from newsmirror.summary import RunSummary as Summary

logger = logging.getLogger(__name__)

#: Longest reason kept for an unexpected error.
MAX_REASON = 200


class RunSummary:
    """Log a readable summary of the run when the spider closes and, with
    ``SUMMARY_FILE``, write it as a JSON report (atomically).

    Counts come from the stats; the problems (code, list, reason) from newsmirror's
    signals, Scrapy's ``item_dropped`` and the errors Scrapy caught in callbacks and
    pipelines, which are counted as failed articles (or failed lists) here.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.problems: list[Problem] = []
        #: The final summary, once the spider has closed.
        self.summary: Summary | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        connect = crawler.signals.connect
        connect(ext.spider_closed, signal=signals.spider_closed)
        connect(ext.item_dropped, signal=signals.item_dropped)
        connect(ext.item_error, signal=signals.item_error)
        connect(ext.spider_error, signal=signals.spider_error)
        connect(ext.article_failed, signal=nm_signals.article_failed)
        connect(ext.article_skipped, signal=nm_signals.article_skipped)
        connect(ext.list_failed, signal=nm_signals.list_failed)
        return ext

    # -- problems ------------------------------------------------------------------------
    def article_failed(self, code: str, list_name: str, reason: str) -> None:
        self.problems.append(Problem(FAILED, list_name, reason, code))

    def article_skipped(self, code: str, list_name: str, reason: str) -> None:
        self.problems.append(Problem(SKIPPED, list_name, reason, code))

    def list_failed(self, list_name: str, reason: str) -> None:
        self.problems.append(Problem(LIST_FAILED, list_name, reason))

    def item_dropped(self, item: Any, response: Response | None, exception: Exception) -> None:
        code, list_name = _item_identity(item, response)
        self.problems.append(Problem(SKIPPED, list_name, str(exception)[:MAX_REASON], code))

    def item_error(self, item: Any, response: Response | None, failure: Failure) -> None:
        """A pipeline raised: the article is lost, the run goes on."""
        code, list_name = _item_identity(item, response)
        self._count_failure(code, list_name, f"pipeline error: {_describe(failure)}")

    def spider_error(self, failure: Failure, response: Response) -> None:
        """A callback raised: its article (or list) is lost, the run goes on."""
        meta = response.meta
        list_name = str(meta.get("newsmirror_list", "?"))
        reason = f"spider error: {_describe(failure)}"
        code = meta.get("newsmirror_code")
        if code:
            self._count_failure(str(code), list_name, reason)
        elif "newsmirror_list" in meta:
            self._stats.inc_value(f"newsmirror/list/{list_name}/failed")
            self.list_failed(list_name, reason)

    def _count_failure(self, code: str, list_name: str, reason: str) -> None:
        self._stats.inc_value("newsmirror/article/failed")
        self._stats.inc_value(f"newsmirror/list/{list_name}/failed_articles")
        self.article_failed(code, list_name, reason)

    @property
    def _stats(self) -> Any:
        assert self.crawler.stats is not None
        return self.crawler.stats

    # -- the end -------------------------------------------------------------------------
    def record(self) -> tuple[Mapping[str, Any], list[Problem]]:
        """The stats and problems the summary covers: this crawl's (a distributed run's
        worker summarises the whole run, ``newsmirror.distributed``)."""
        return self._stats.get_stats(), self.problems

    def spider_closed(self, reason: str) -> None:
        stats, problems = self.record()
        summary = self.summary = summarize(stats, problems, reason)
        logger.info("newsmirror summary (%s):\n%s", reason, "\n".join(summary.lines()))
        path = self.crawler.settings.get("SUMMARY_FILE")
        if path and contracts_running():
            logger.info("scrapy check runs contracts: no run report written to %s", path)
        elif path:
            code = exit_code(summary, max_failure_ratio=max_failure_ratio(self.crawler))
            report = json.dumps(summary.to_json(code), ensure_ascii=False, indent=2)
            atomic_write_text(
                Path(path), report + "\n", fsync=self.crawler.settings.getbool("ARCHIVE_FSYNC")
            )
            logger.info("run report written to %s", path)


def max_failure_ratio(crawler: Crawler) -> float:
    return crawler.settings.getfloat("MAX_FAILURE_RATIO", 0.1)


def crawl_summary(crawler: Crawler) -> Summary:
    """The summary of a finished crawl (the extension's, else built from the stats)."""
    extension = crawler.get_extension(RunSummary)
    if extension is not None and extension.summary is not None:
        return extension.summary
    assert crawler.stats is not None
    return summarize(crawler.stats.get_stats())


def crawl_exit_code(crawler: Crawler) -> int:
    """The exit code of a finished crawl (``newsmirror.summary.exit_code``)."""
    return exit_code(crawl_summary(crawler), max_failure_ratio=max_failure_ratio(crawler))


def _item_identity(item: Any, response: Response | None) -> tuple[str, str]:
    """``(code, list name)`` of an item, from the item or its response."""
    meta = response.meta if response is not None else {}
    code = getattr(item, "code", None) or meta.get("newsmirror_code", "?")
    list_name = getattr(item, "list_name", None) or meta.get("newsmirror_list", "?")
    return str(code), str(list_name)


def _describe(failure: Failure) -> str:
    return f"{type(failure.value).__name__}: {failure.value}"[:MAX_REASON]
