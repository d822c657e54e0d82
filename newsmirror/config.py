"""Derived configuration: values computed from several settings at once."""

from __future__ import annotations

import os
from dataclasses import dataclass

from scrapy.settings import BaseSettings

#: The hosts the old generator talked to; used only when nothing else is configured.
REAL_UPSTREAM = {
    "UPSTREAM_LIST_BASE": "http://183.136.162.242",
    "UPSTREAM_MARKET_BASE": "http://43.240.125.15:1818",
    "UPSTREAM_TEXT_BASE": "http://finews.zning.xyz",
    "UPSTREAM_SHARE_BASE": "http://finews.zning.xyz",
}


@dataclass(frozen=True)
class UpstreamBases:
    """Base URLs (no trailing slash) of the four upstream endpoint families."""

    list: str
    market: str
    text: str
    share: str


def upstream_bases(settings: BaseSettings) -> UpstreamBases:
    """Resolve the four base URLs: a specific setting wins over ``UPSTREAM_BASE``,
    which wins over the real hosts."""
    common = (settings.get("UPSTREAM_BASE") or "").strip()

    def pick(name: str) -> str:
        value = (settings.get(name) or "").strip() or common or REAL_UPSTREAM[name]
        return value.rstrip("/")

    return UpstreamBases(
        list=pick("UPSTREAM_LIST_BASE"),
        market=pick("UPSTREAM_MARKET_BASE"),
        text=pick("UPSTREAM_TEXT_BASE"),
        share=pick("UPSTREAM_SHARE_BASE"),
    )


def contracts_running() -> bool:
    """Whether ``scrapy check`` is running spider contracts in this process (Scrapy
    sets ``SCRAPY_CHECK`` while it does). Such runs answer from stored responses
    (``newsmirror.contracts``) and are dry: nothing opens, locks, reads or writes the
    archive, and no run report is written."""
    return bool(os.environ.get("SCRAPY_CHECK"))


def publisher_base(settings: BaseSettings, name: str, default: str) -> str:
    """Base URL (no trailing slash) of the publisher ``name``: its ``PUBLISHER_BASES``
    entry, else ``<PUBLISHER_BASE>/publisher/<name>`` (the fixture server's layout),
    else ``default``, the real site its module declares."""
    specific = str(settings.getdict("PUBLISHER_BASES").get(name) or "").strip()
    common = (settings.get("PUBLISHER_BASE") or "").strip().rstrip("/")
    if specific:
        return specific.rstrip("/")
    if common:
        return f"{common}/publisher/{name}"
    return default.rstrip("/")
