"""BackoffRetryMiddleware, driven by hand with a fake sleep: no wall-clock time."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Response, TextResponse

from newsmirror.retry import BackoffRetryMiddleware, slowed_delay
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import OfflineCrawl

from .test_backoff import FixedRandom

LOCAL = "http://127.0.0.1:9"
MEDIA_LIST = '{"nodeList": [{"infocode": "NW1", "title": "t"}]}'


class Harness:
    """The middleware of an offline crawl, with every delay recorded instead of slept."""

    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        base = {
            "UPSTREAM_BASE": LOCAL,
            "ARCHIVE_DIR": str(tmp_path / "archive"),
            "RETRY_BACKOFF_BASE": 1.0,
            "RETRY_BACKOFF_MAX": 30.0,
            "RETRY_BACKOFF_JITTER": 0.0,
        }
        self.crawl = OfflineCrawl(EastmoneySpider, {**base, **settings}, lists="media")
        # The downloader's slots, as the running engine holds them (none yet).
        self.slots: dict[str, Slot] = {}
        self.crawl.crawler.engine = SimpleNamespace(  # type: ignore[assignment]
            downloader=SimpleNamespace(slots=self.slots)
        )
        self.slept: list[float] = []
        self.mw = BackoffRetryMiddleware(self.crawl.crawler, sleep=self.sleep, rng=FixedRandom(0))

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def request(self) -> Request:
        return self.crawl.spider.list_requests()[0]

    def answer(self, request: Request, response: Response) -> Request | Response:
        return asyncio.run(self.mw.process_response(request, response))

    def fail(self, request: Request, exc: Exception) -> Request | Response | None:
        return asyncio.run(self.mw.process_exception(request, exc))

    @property
    def stats(self) -> dict[str, Any]:
        return self.crawl.stats


def status(request: Request, code: int, **headers: str) -> Response:
    return Response(request.url, status=code, headers=headers, request=request)


def json_answer(request: Request, body: str, content_type: str = "application/json") -> Response:
    return TextResponse(
        request.url, body=body.encode(), headers={"Content-Type": content_type}, request=request
    )


def test_server_errors_are_retried_with_doubling_delays_then_given_up(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    request = h.request()
    for expected in (1.0, 2.0, 4.0):
        request = h.answer(request, status(request, 500))
        assert isinstance(request, Request)
        assert request.meta["newsmirror_retry_delay"] == expected
    last = status(request, 500)
    assert h.answer(request, last) is last  # RETRY_TIMES = 3: the callback gets it
    assert h.slept == [1.0, 2.0, 4.0]
    assert h.stats["newsmirror/retry/count"] == 3
    assert h.stats["newsmirror/retry/reason_count/500 Internal Server Error"] == 3
    assert h.stats["newsmirror/retry/max_reached"] == 1


def test_retry_after_is_honoured_on_429_and_503(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    first = h.answer(h.request(), status(h.request(), 429, **{"Retry-After": "7"}))
    assert isinstance(first, Request)
    second = h.answer(first, status(first, 503, **{"Retry-After": "3"}))
    assert isinstance(second, Request)
    assert h.slept == [7.0, 3.0]  # the backoff alone would be 1, then 2


def test_a_retry_after_beyond_the_cap_fails_now(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    h = Harness(tmp_path, RETRY_BACKOFF_MAX=30.0)
    request = h.request()
    answer = status(request, 503, **{"Retry-After": "3600"})
    with caplog.at_level(logging.WARNING):
        assert h.answer(request, answer) is answer
    assert h.slept == []
    assert "Retry-After 3600 s is beyond RETRY_BACKOFF_MAX" in caplog.text


def test_jitter_comes_from_the_generator(tmp_path: Path) -> None:
    h = Harness(tmp_path, RETRY_BACKOFF_JITTER=0.5)
    h.mw.rng = FixedRandom(0.5)
    h.answer(h.request(), status(h.request(), 502))
    assert h.slept == [0.75]


def test_transient_exceptions_are_retried_others_are_not(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    retried = h.fail(h.request(), DownloadTimeoutError("took longer than 30 seconds"))
    assert isinstance(retried, Request) and retried.meta["retry_times"] == 1
    assert h.fail(h.request(), ValueError("a bug")) is None
    assert h.slept == [1.0]
    assert h.stats["newsmirror/retry/reason_count/scrapy.exceptions.DownloadTimeoutError"] == 1


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", "HTML page"),
        ('{"nodeList": [', "application/json", "not JSON"),
        ('{"error": "busy"}', "application/json", "wrong shape"),
        ('{"nodeList": []}', "application/json", "empty list"),
    ],
)
def test_200_answers_that_are_not_the_list_are_retried(
    tmp_path: Path, body: str, content_type: str, reason: str
) -> None:
    h = Harness(tmp_path)
    request = h.request()
    retried = h.answer(request, json_answer(request, body, content_type))
    assert isinstance(retried, Request) and retried.url == request.url
    assert h.stats[f"newsmirror/retry/reason_count/unusable answer: {reason}"] == 1


def test_usable_answers_and_dont_retry_pass_through(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    request = h.request()
    good = json_answer(request, MEDIA_LIST)
    assert h.answer(request, good) is good
    missing = status(request, 404)
    assert h.answer(request, missing) is missing
    request.meta["dont_retry"] = True
    broken = status(request, 503)
    assert h.answer(request, broken) is broken
    assert h.slept == []
    assert "newsmirror/retry/count" not in h.stats


def test_429_slows_the_host_down(tmp_path: Path) -> None:
    h = Harness(tmp_path, RETRY_BACKOFF_BASE=0.5, AUTOTHROTTLE_MAX_DELAY=3.0)
    slot = h.slots["127.0.0.1"] = Slot(concurrency=8, delay=0.0, jitter=0.0)
    delays = []
    for _ in range(5):
        request = h.request()
        request.meta["download_slot"] = "127.0.0.1"
        h.answer(request, status(request, 429))
        delays.append(slot.delay)
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert h.stats["newsmirror/retry/slowdown"] == 4
    h.answer(request, status(request, 503))
    assert slot.delay == 3.0  # only 429 means "too fast"


@pytest.mark.parametrize(
    ("current", "expected"),
    [(0.0, 0.5), (0.4, 0.8), (2.0, 3.0), (5.0, 5.0)],
)
def test_slowed_delay_never_speeds_up(current: float, expected: float) -> None:
    assert slowed_delay(current, factor=2.0, floor=0.5, ceiling=3.0) == expected


def test_the_middleware_replaces_scrapys(tmp_path: Path) -> None:
    mws = Harness(tmp_path).crawl.crawler.settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert mws["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert mws["newsmirror.retry.BackoffRetryMiddleware"] == 550
