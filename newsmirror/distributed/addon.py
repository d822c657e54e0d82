"""The addon that turns a crawl into a distributed run's worker when ``REDIS_URL`` is set.

Listed in ``ADDONS`` (newsmirror/settings.py), so it is consulted for every crawl once
the command line's settings are in; without ``REDIS_URL`` it disables itself and
imports nothing (``redis`` is not even imported). With it, at the addon priority
(a ``-s`` on the command line still wins):

- ``SCHEDULER``: :class:`~newsmirror.distributed.scheduler.FrontierScheduler`
  (scrapy-redis's, adapted), its queue persisting between workers and runs
  (``SCHEDULER_PERSIST``), keys ``<REDIS_KEY_PREFIX>:<spider>:requests`` and
  ``…:dupefilter`` (``DUPEFILTER_CLASS``: scrapy-redis's);
- the extension, spider middlewares and run summary of
  :mod:`~newsmirror.distributed.components`.

The archive session switches itself (``ArchiveSession.of`` sees ``REDIS_URL``).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

logger = logging.getLogger(__name__)

_SCHEDULER = "newsmirror.distributed.scheduler.FrontierScheduler"
_EXTENSION = "newsmirror.distributed.components.DistributedRunExtension"
_SUMMARY = "newsmirror.distributed.components.DistributedRunSummary"
_SEED = "newsmirror.distributed.components.SeedMiddleware"
_CARRY = "newsmirror.distributed.components.ClaimCarryMiddleware"


class RedisAddon:
    """See the module docstring."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured  # one process, as always (silently: no argument)
        if sys.platform == "win32":
            raise RuntimeError("distributed runs (REDIS_URL) need Unix file locks")
        if importlib.util.find_spec("scrapy_redis") is None:
            raise RuntimeError(
                "REDIS_URL is set but scrapy-redis is not installed: "
                "pip install 'newsmirror[redis]'"
            )
        return cls()

    def update_settings(self, settings: BaseSettings) -> None:
        prefix = settings.get("REDIS_KEY_PREFIX") or "newsmirror"
        for name, value in {
            "SCHEDULER": _SCHEDULER,
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:%(spider)s:dupefilter",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        }.items():
            settings.set(name, value, priority="addon")
        if settings.get("JOBDIR"):
            logger.warning("JOBDIR is ignored in a distributed run: the frontier is in Redis")
        # After the archive session's extension (100), which opens the archive first.
        settings.set_in_component_priority_dict("EXTENSIONS", load_object(_EXTENSION), 110)
        settings.replace_in_component_priority_dict(
            "EXTENSIONS",
            load_object("newsmirror.extensions.RunSummary"),
            load_object(_SUMMARY),
        )
        # Seeding sees the start requests last, as the engine would get them.
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", load_object(_SEED), 10)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", load_object(_CARRY), 960)
