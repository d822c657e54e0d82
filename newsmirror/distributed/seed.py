"""``newsmirror seed``: seed a distributed run by hand, e.g. for a backfill.

The spider is built as ``scrapy crawl`` would build it (same arguments, same
settings) and its start requests become the run's seed, exactly as the first worker
would seed them; nothing is fetched. Workers started afterwards join the seeded run::

    newsmirror seed newsshare --redis redis://10.0.0.5:6379/0 -a from_file=codes.txt
    newsmirror seed eastmoney --redis redis://10.0.0.5:6379/0 -a lists=media -s LIST_COUNT=500

A run is seeded once: when it has a seed already, nothing is done.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.test import get_crawler
from scrapy_redis.connection import get_redis_from_settings

from newsmirror.distributed.run import DistributedRun, new_worker_id
from newsmirror.distributed.scheduler import FrontierQueue


@dataclass(frozen=True)
class SeedOutcome:
    run_id: str
    requests: int
    #: False: the run had a seed already, these requests were not used.
    seeded: bool
    #: Requests waiting in the frontier afterwards.
    waiting: int
    frontier: str


async def _requests(start: AsyncIterator[Any]) -> list[Request]:
    return [r async for r in start if isinstance(r, Request)]


def seed_run(spider_name: str, settings: Settings, spider_args: Mapping[str, str]) -> SeedOutcome:
    """Seed the distributed run at ``settings["REDIS_URL"]`` with the start requests
    of ``spider_name`` built with ``spider_args`` (raises ``KeyError`` for an unknown
    spider, ``ValueError`` for bad arguments)."""
    if not settings.get("REDIS_URL"):
        raise ValueError("give the run's Redis server (--redis URL or -s REDIS_URL=…)")
    spidercls = get_spider_loader(settings).load(spider_name)
    values = {name: settings[name] for name in settings}
    # Only the spider's start requests are needed: no reactor, no engine, no archive.
    values["TWISTED_REACTOR_ENABLED"] = False
    crawler = get_crawler(spidercls, values)
    spider = spidercls.from_crawler(crawler, **spider_args)
    crawler.spider = spider
    requests = asyncio.run(_requests(spider.start()))
    run = DistributedRun.from_settings(crawler.settings, spider.name)
    run.worker = f"seed-{new_worker_id()}"
    serializer = crawler.settings.get("SCHEDULER_SERIALIZER")
    queue = FrontierQueue(
        get_redis_from_settings(crawler.settings),
        spider,
        run.keys.requests,
        importlib.import_module(serializer) if serializer else None,
    )
    seeded = run.seed([(queue.encode(r), -r.priority) for r in requests])
    return SeedOutcome(
        run_id=run.state().get("id", ""),
        requests=len(requests),
        seeded=seeded,
        waiting=len(queue),
        frontier=run.keys.requests,
    )


def parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    """``["NAME=VALUE", …]`` as a dict (raises ``ValueError`` naming ``option``)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"{option} takes NAME=VALUE, got {pair!r}")
        out[name] = value
    return out


def project_settings(overrides: Mapping[str, Any]) -> Settings:
    """The project's settings with command-line overrides."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsmirror.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(dict(overrides), priority="cmdline")
    return settings
