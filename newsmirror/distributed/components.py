"""The Scrapy components of a distributed run's worker (switched on by the addon).

- :class:`DistributedRunExtension` joins the run once the archive is open, renews the
  worker's lease, and decides what an idle worker does: take new requests, wait, sweep
  the run's seed again, or stop (:meth:`DistributedRun.idle`).
- :class:`SeedMiddleware` turns the spider's start requests into the run's seed, once
  per run: the first worker to get there seeds, the others' start requests are
  dropped (the seed is the same, and it is already in the frontier).
- :class:`ClaimCarryMiddleware` hands a claimed request's follow-ups (same code) the
  claim, so they stay with the worker holding it.
- :class:`DistributedRunSummary` summarises the whole run, not only this worker.

**Recovery.** Requests a worker has taken from Redis are gone from the frontier; when
the worker dies (or is stopped) with some in flight, they are lost. Nothing tracks
them one by one; instead the run counts such workers (``lost``: a lease that ran out
while the worker was busy, or a stop before the run went idle) and, once every worker
is idle, one worker *sweeps*: it enqueues the run's seed (the lists) again, marked as a
re-listing. Codes archived meanwhile are skipped before fetching (the index, the
``done`` set), so a sweep costs the list requests plus the lost articles; the dead
worker's claims are taken over because its lease has run out. The run ends only when
every loss has been swept.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

from newsmirror.distributed.run import CLAIM_META, DistributedRun, Idle
from newsmirror.distributed.scheduler import FrontierScheduler
from newsmirror.distributed.session import SharedArchiveSession
from newsmirror.extensions import RunSummary
from newsmirror.incremental import CODE_META, RELIST_META, ArchiveSession
from newsmirror.summary import Problem, summarize

logger = logging.getLogger(__name__)


def _scheduler(crawler: Crawler) -> FrontierScheduler:
    assert crawler.engine is not None
    scheduler = crawler.engine.scheduler
    if not isinstance(scheduler, FrontierScheduler):
        raise RuntimeError("REDIS_URL is set but the scheduler is not the Redis frontier's")
    return scheduler


class DistributedRunExtension:
    """Join the run, keep the lease, and stop when the whole run is idle."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run = DistributedRun.of(crawler)
        self.session = ArchiveSession.of(crawler)
        self.beat: AsyncioLoopingCall | LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        if not self.session.state_is_open:
            return  # the archive refused this worker: it does not take part
        started = self.run.join()
        logger.info(
            "worker %s %s run %s (frontier %s; lease %gs, stops after %gs idle)",
            self.run.worker,
            "started" if started else "joined",
            self.run.run_id,
            self.run.keys.requests,
            self.run.lease,
            self.run.idle_timeout,
        )
        self.beat = create_looping_call(self.heartbeat)
        self.beat.start(self.run.lease / 3, now=False)

    def heartbeat(self) -> None:
        self.run.heartbeat()
        self._publish()

    def spider_idle(self) -> None:
        if not self.run.joined or self.run.left:
            return
        self._publish()
        verdict = self.run.idle()
        if verdict is Idle.SWEEP:
            self.sweep()
        elif verdict is Idle.STOP:
            self.run.drained = True
            logger.info(
                "run %s has been idle %gs: worker stops", self.run.run_id, self.run.idle_timeout
            )
            return
        raise DontCloseSpider

    def sweep(self) -> None:
        """Enqueue the run's seed again, as a re-listing (see the module docstring)."""
        assert self.crawler.engine is not None and self.crawler.stats is not None
        queue = _scheduler(self.crawler).queue
        seed = self.run.seed_requests()
        state = self.run.state()
        logger.warning(
            "run %s: %s worker(s) went away with requests in flight; sweeping its %d seed "
            "request(s) again (sweep %s)",
            self.run.run_id,
            state.get("lost", "?"),
            len(seed),
            state.get("sweeps", "?"),
        )
        self.crawler.stats.inc_value("newsmirror/redis/sweeps")
        for data in seed:
            request = queue.decode(data)
            request.meta[RELIST_META] = int(state.get("sweeps", "1"))
            self.crawler.engine.crawl(request)

    def spider_closed(self) -> None:
        if self.beat is not None and self.beat.running:
            self.beat.stop()

    def _publish(self) -> None:
        if isinstance(self.session, SharedArchiveSession):
            self.session.publish()


class SeedMiddleware(BaseSpiderMiddleware):
    """The spider's start requests become the run's seed, unless it has one already."""

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        requests: list[Request] = []
        async for item_or_request in start:
            if isinstance(item_or_request, Request):
                requests.append(item_or_request)
            else:
                yield item_or_request
        run = DistributedRun.of(self.crawler)
        if not run.joined or not requests:
            return
        queue = _scheduler(self.crawler).queue
        if run.seed([(queue.encode(r), -r.priority) for r in requests]):
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("newsmirror/redis/seeded", len(requests))
            logger.info("run %s seeded with %d request(s)", run.run_id, len(requests))
        else:
            logger.info(
                "run %s was seeded already: this worker's %d start request(s) are not used",
                run.run_id,
                len(requests),
            )


class ClaimCarryMiddleware(BaseSpiderMiddleware):
    """A request for the code its response's request claimed continues that claim."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request:
        if response is None or CLAIM_META in request.meta:
            return request
        claim = response.meta.get(CLAIM_META)
        code = request.meta.get(CODE_META)
        if claim and code and code == response.meta.get(CODE_META):
            request.meta[CLAIM_META] = claim
        return request


class DistributedRunSummary(RunSummary):
    """The summary of the whole run (every worker's counters and problems, as
    published when each stopped; complete for the last one), after a line with this
    worker's own share. The exit code follows the whole run."""

    def record(self) -> tuple[dict[str, Any], list[Problem]]:
        stats, problems = super().record()
        run = DistributedRun.of(self.crawler)
        if not run.joined:
            return dict(stats), problems
        share = summarize(stats, problems)
        logger.info("worker %s did: %s", run.worker, share.lines()[0])
        run.publish(stats, [asdict(p) for p in problems])
        totals: dict[str, Any] = dict(run.totals())
        return totals, [Problem(**p) for p in run.problems()]

