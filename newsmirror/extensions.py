"""Scrapy extensions of newsmirror."""

from __future__ import annotations

import logging
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler

from newsmirror.summary import summarize

logger = logging.getLogger(__name__)


class RunSummary:
    """Log a readable summary of the run when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, reason: str) -> None:
        assert self.crawler.stats is not None
        summary = summarize(self.crawler.stats.get_stats())
        logger.info("newsmirror summary (%s):\n%s", reason, "\n".join(summary.lines()))
