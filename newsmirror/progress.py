"""A progress line every ``PROGRESS_INTERVAL`` seconds, for people watching a cron log.

::

    progress: archived 120 (480.0/min), failed 2, retries 7;
              requests left 64 (48 queued, 16 in flight)

(one line in the log).
"Archived" counts articles written or found unchanged; "in flight" includes requests
waiting out a retry delay.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newsmirror.summary import ARCHIVE_RESULTS

logger = logging.getLogger(__name__)


def progress_line(stats: Mapping[str, Any], elapsed: float, queued: int, in_flight: int) -> str:
    """The progress line for the stats so far, ``elapsed`` seconds into the run."""
    archived = sum(int(stats.get(f"newsmirror/archive/{r}", 0)) for r in ARCHIVE_RESULTS)
    failed = int(stats.get("newsmirror/article/failed", 0))
    retries = int(stats.get("newsmirror/retry/count", 0))
    rate = archived * 60.0 / elapsed if elapsed > 0 else 0.0
    return (
        f"progress: archived {archived} ({rate:.1f}/min), failed {failed}, retries {retries}; "
        f"requests left {queued + in_flight} ({queued} queued, {in_flight} in flight)"
    )


class ProgressLog:
    """Log :func:`progress_line` at spider open and then every ``PROGRESS_INTERVAL``
    seconds (0 switches it off). ``clock`` is for tests."""

    def __init__(
        self, crawler: Crawler, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.crawler = crawler
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 60.0)
        if interval <= 0:
            raise NotConfigured("PROGRESS_INTERVAL is 0")
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.started = self.clock()
        self.task = create_looping_call(self.log_progress)
        self.task.start(self.interval, now=True)

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def log_progress(self) -> None:
        queued, in_flight = self.requests_left()
        assert self.crawler.stats is not None
        line = progress_line(
            self.crawler.stats.get_stats(), self.clock() - self.started, queued, in_flight
        )
        logger.info("%s", line)

    def requests_left(self) -> tuple[int, int]:
        """``(queued in the scheduler, in the downloader)``."""
        engine = self.crawler.engine
        scheduler = engine.scheduler
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        return queued, len(engine.downloader.active)
