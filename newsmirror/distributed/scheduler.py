"""scrapy-redis's scheduler, adapted to Scrapy 2.19, that claims codes as it hands them out.

``scrapy_redis.scheduler.Scheduler`` keeps the frontier in Redis (a sorted set per
spider) and is used as it is, except where it would be wrong here:

- Scrapy 2.19 deprecates ``Spider.log()`` and the ``spider`` argument of the stats
  methods, which scrapy-redis 0.9.1 uses in ``open``, ``enqueue_request`` and
  ``next_request``: those three are ours;
- a request that carries an archive code (``meta["newsmirror_code"]``) is handed out
  only once this worker has claimed the code in Redis (:meth:`DistributedRun.claim`):
  a code archived in this run is counted as already archived and dropped, one a live
  worker holds is dropped;
- the follow-ups of a claimed request (its retries, newsshare's text request) stay
  with the worker holding the claim, in a local queue: handed to another worker, they
  would find the code busy. The claimed request carries the worker in
  ``meta["newsmirror_claim"]``; retries copy it, spider middleware passes it on.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import logging
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object
from scrapy_redis import picklecompat
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from newsmirror.distributed.run import CLAIM_META, Claim, DistributedRun
from newsmirror.incremental import CODE_META

logger = logging.getLogger(__name__)


class FrontierQueue(PriorityQueue):
    """scrapy-redis's priority queue, popped through :meth:`DistributedRun.pop` (which
    marks the worker busy in the same step), with public (de)serialisation."""

    def __init__(
        self,
        server: Any,
        spider: Spider,
        key: str,
        serializer: Any = None,
        *,
        run: DistributedRun | None = None,
    ) -> None:
        super().__init__(server, spider, key, serializer)
        self.run = run

    def pop(self, timeout: int = 0) -> Request | None:
        if self.run is None:
            return super().pop(timeout)  # type: ignore[no-any-return]
        data = self.run.pop(self.key)
        return self.decode(data) if data is not None else None

    def encode(self, request: Request) -> bytes:
        return self._encode_request(request)  # type: ignore[no-any-return]

    def decode(self, data: bytes) -> Request:
        return self._decode_request(data)  # type: ignore[no-any-return]


def queue_for(spider: Spider, server: Any, key: str, serializer: Any = None) -> FrontierQueue:
    """A :class:`FrontierQueue` for (de)serialising ``spider``'s requests only."""
    return FrontierQueue(server, spider, key, serializer or picklecompat)


class FrontierScheduler(Scheduler):  # type: ignore[misc]
    """See the module docstring."""

    queue: FrontierQueue
    df: Any

    def __init__(self, server: Any, **kwargs: Any) -> None:
        super().__init__(server, **kwargs)
        self.run: DistributedRun | None = None
        self.stats: StatsCollector | None = None
        self._local: list[tuple[int, int, Request]] = []
        self._order = itertools.count()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler: Self = cls.from_settings(crawler.settings)
        scheduler.stats = crawler.stats
        scheduler.run = DistributedRun.of(crawler)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        serializer = self.serializer
        if isinstance(serializer, str):
            serializer = importlib.import_module(serializer)
        # The run's own key (REDIS_KEY_PREFIX), which its idle and end checks count.
        key = self.run.keys.requests if self.run else self.queue_key % {"spider": spider.name}
        self.queue = FrontierQueue(self.server, spider, key, serializer, run=self.run)
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        waiting = len(self.queue)
        if waiting:
            logger.info("frontier %s: %d requests waiting", self.queue.key, waiting)

    def __len__(self) -> int:
        return len(self._local) + len(self.queue)

    def has_pending_requests(self) -> bool:
        return bool(self._local) or len(self.queue) > 0

    def enqueue_request(self, request: Request) -> bool:
        if self.run is not None and request.meta.get(CLAIM_META) == self.run.worker:
            heapq.heappush(self._local, (-request.priority, next(self._order), request))
            self._inc("scheduler/enqueued/local")
            return True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        self._inc("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self._local:
            self._inc("scheduler/dequeued/local")
            return heapq.heappop(self._local)[2]
        while True:
            request = self.queue.pop()
            if request is None:
                return None
            self._inc("scheduler/dequeued/redis")
            if self._claimed(request):
                return request

    def _claimed(self, request: Request) -> bool:
        """Claim the request's code (if it has one); False when it is not to be fetched."""
        code = request.meta.get(CODE_META)
        if not code or self.run is None:
            return True
        verdict = self.run.claim(str(code))
        self._inc(f"newsmirror/redis/claim/{verdict.value}")
        if verdict in (Claim.CLAIMED, Claim.TAKEN_OVER):
            request.meta[CLAIM_META] = self.run.worker
            if verdict is Claim.TAKEN_OVER:
                logger.info("%s: taken over from a worker whose lease ran out", code)
            return True
        if verdict is Claim.DONE:
            # As SkipArchivedMiddleware counts it: archived, by another worker of this run.
            self._inc("newsmirror/incremental/already_archived")
            list_name = request.meta.get("newsmirror_list")
            if list_name:
                self._inc(f"newsmirror/incremental/already_archived/{list_name}")
        logger.debug("%s not fetched: %s", code, verdict.value)
        return False

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

