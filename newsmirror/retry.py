"""Retries with exponential backoff that honour ``Retry-After`` and slow down on 429.

Replaces Scrapy's ``RetryMiddleware``, which retries at once and ignores
``Retry-After`` (and AutoThrottle never slows down on 429). Same settings for what
is retried (``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, the
``dont_retry`` / ``max_retry_times`` meta keys), plus:

* **delays**: the n-th retry of a request waits ``RETRY_BACKOFF_BASE * 2**(n-1)``
  seconds, at most ``RETRY_BACKOFF_MAX``, minus a random part of up to
  ``RETRY_BACKOFF_JITTER`` of it; never less than the answer's ``Retry-After``. A
  ``Retry-After`` beyond ``RETRY_BACKOFF_MAX`` is not waited for: the request fails
  now and the next scheduled run fetches it.
* **how the wait is done**: ``process_response`` and ``process_exception`` are
  coroutines that ``await`` a non-blocking sleep (``scrapy.utils.asyncio.sleep``:
  ``asyncio.sleep`` or Twisted's ``deferLater``) before handing back the retry
  request, so the reactor keeps serving the other downloads. A waiting request still
  counts against ``CONCURRENT_REQUESTS`` (it has not left the downloader), so a burst
  of failures lowers the whole crawl's pace and never raises it.
* **429**: the host's download delay (its downloader slot) is multiplied by
  ``RETRY_429_SLOWDOWN`` (at least ``RETRY_BACKOFF_BASE``, at most
  ``AUTOTHROTTLE_MAX_DELAY``); AutoThrottle, when on, lowers it again as good answers
  come back.
* **200 answers that are not what the endpoint serves** (an HTML page, other JSON,
  an empty list): the spider's ``response_problem(request, response) -> str`` hook names the
  problem ("" when the answer is usable) and the answer is retried like a 5xx. When
  retries run out, the last answer goes to the callback, which reports it.

Stats: ``newsmirror/retry/count``, ``newsmirror/retry/reason_count/<reason>``,
``newsmirror/retry/max_reached`` (gave up), ``newsmirror/retry/slowdown``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import sleep as reactor_sleep
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message

from newsmirror.backoff import Backoff, parse_retry_after

logger = logging.getLogger(__name__)

STATS_BASE = "newsmirror/retry"
#: Statuses whose ``Retry-After`` is honoured.
RETRY_AFTER_STATUSES = frozenset({429, 503})
TOO_MANY_REQUESTS = 429

Sleep = Callable[[float], Awaitable[None]]


def slowed_delay(current: float, factor: float, floor: float, ceiling: float) -> float:
    """A host's download delay after a 429: ``current * factor``, within
    ``[floor, ceiling]``, and never below ``current``."""
    return max(current, min(ceiling, max(current * factor, floor)))


class BackoffRetryMiddleware:
    """Retry transient failures after a backoff delay (see the module docstring)."""

    def __init__(
        self, crawler: Crawler, *, sleep: Sleep | None = None, rng: random.Random | None = None
    ) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_ENABLED is off")
        self.crawler = crawler
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        self.exceptions_to_retry: tuple[type[BaseException], ...] = tuple(
            load_object(e) if isinstance(e, str) else e
            for e in settings.getlist("RETRY_EXCEPTIONS")
        )
        self.backoff = Backoff(
            base=settings.getfloat("RETRY_BACKOFF_BASE", 1.0),
            cap=settings.getfloat("RETRY_BACKOFF_MAX", 60.0),
            jitter=settings.getfloat("RETRY_BACKOFF_JITTER", 0.5),
        )
        self.slowdown = settings.getfloat("RETRY_429_SLOWDOWN", 2.0)
        self.max_slot_delay = settings.getfloat("AUTOTHROTTLE_MAX_DELAY", 60.0)
        self.sleep: Sleep = sleep or reactor_sleep
        self.rng = rng or random.Random()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False):
            return response
        status = response.status
        if status in self.retry_http_codes:
            retry_after = None
            if status in RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status == TOO_MANY_REQUESTS:
                self.slow_down(request)
            reason = response_status_message(status)
            return await self.retry(request, reason, retry_after) or response
        if 200 <= status < 300:
            problem = self.response_problem(request, response)
            if problem:
                return await self.retry(request, f"unusable answer: {problem}") or response
        return response

    async def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get(
            "dont_retry", False
        ):
            return await self.retry(request, exception)
        return None

    def response_problem(self, request: Request, response: Response) -> str:
        """What the spider finds wrong with a 2xx answer ("" when nothing)."""
        hook = getattr(self.crawler.spider, "response_problem", None)
        return str(hook(request, response) or "") if hook is not None else ""

    async def retry(
        self, request: Request, reason: str | Exception, retry_after: float | None = None
    ) -> Request | None:
        """The retry request after its backoff delay, or ``None`` when giving up."""
        max_retry_times = request.meta.get("max_retry_times", self.max_retry_times)
        if not self.backoff.allows(retry_after):
            reason = f"{reason}; Retry-After {retry_after:g} s is beyond RETRY_BACKOFF_MAX"
            max_retry_times = 0
        assert self.crawler.spider is not None
        retry_request = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=max_retry_times,
            priority_adjust=request.meta.get("priority_adjust"),
            logger=logger,
            stats_base_key=STATS_BASE,
        )
        if retry_request is None:
            return None
        retries: int = retry_request.meta["retry_times"]
        delay = self.backoff.delay(retries, self.rng, retry_after)
        retry_request.meta["newsmirror_retry_delay"] = delay
        logger.debug("retry %d of %s in %.2f s: %s", retries, request.url, delay, reason)
        if delay > 0:
            await self.sleep(delay)
        return retry_request

    def slow_down(self, request: Request) -> None:
        """Raise the download delay of the host that answered 429."""
        slot = self._slot(request)
        if slot is None or self.slowdown <= 1.0:
            return
        old = slot.delay
        slot.delay = slowed_delay(old, self.slowdown, self.backoff.base, self.max_slot_delay)
        if slot.delay > old:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"{STATS_BASE}/slowdown")
            logger.info(
                "%s answered 429 Too Many Requests: its download delay goes from %.2f to %.2f s",
                request.meta.get("download_slot"),
                old,
                slot.delay,
            )

    def _slot(self, request: Request) -> Any:
        """The downloader slot the request went through (``None`` if gone)."""
        key = request.meta.get("download_slot")
        if key is None:
            return None
        return self.crawler.engine.downloader.slots.get(key)
