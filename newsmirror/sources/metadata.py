"""Standard article metadata every news page may carry: the fallbacks of every source.

Read in this order, first non-blank wins:

- title: ``og:title`` → JSON-LD ``headline`` → ``<h1>`` → ``<title>``
- publication time: ``article:published_time`` → JSON-LD ``datePublished`` →
  ``<time datetime>`` → ``<meta itemprop="datePublished">`` / ``pubdate``

Values are returned as published (raw strings); the pipelines parse and clean them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from parsel import Selector

from newsmirror.sources.query import css, first_text, xpath

logger = logging.getLogger(__name__)

#: schema.org types that describe a news article.
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "BlogPosting",
        "Report",
    }
)

_H1 = (css("h1"),)
_TITLE = (xpath("//head/title"), css("title"))
_TIME = (css("time::attr(datetime)"),)
_LD_SCRIPTS = xpath('//script[@type="application/ld+json"]/text()')


def meta_content(selector: Selector, *names: str) -> str:
    """The ``content`` of the first ``<meta>`` whose ``property``, ``name`` or
    ``itemprop`` is one of ``names`` (in the order of ``names``)."""
    for name in names:
        found = selector.xpath(
            "//meta[@property=$n or @name=$n or @itemprop=$n]/@content", n=name
        ).getall()
        for value in found:
            if value.strip():
                return str(value)
    return ""


def json_ld_objects(selector: Selector) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page, ``@graph`` members and list items included.
    A block that is not valid JSON is skipped."""
    for block in _LD_SCRIPTS.select(selector):
        try:
            data = json.loads(str(block.get() or ""), strict=False)
        except ValueError:
            logger.debug("skipped a JSON-LD block that is not JSON")
            continue
        yield from _flatten(data)


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _flatten(entry)
    elif isinstance(data, dict):
        yield data
        yield from _flatten(data.get("@graph", []))


def json_ld_article(selector: Selector) -> dict[str, Any] | None:
    """The page's first JSON-LD object typed as a news article, if any."""
    for obj in json_ld_objects(selector):
        kinds = obj.get("@type", [])
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if isinstance(kinds, list) and ARTICLE_TYPES.intersection(map(str, kinds)):
            return obj
    return None


def json_ld_value(selector: Selector, key: str) -> str:
    """A string property of the page's JSON-LD article ("" when absent or not text)."""
    article = json_ld_article(selector)
    value = article.get(key) if article else None
    return value if isinstance(value, str) and value.strip() else ""


def standard_title(selector: Selector) -> str:
    """The title the page declares (see the module docstring for the order)."""
    return (
        meta_content(selector, "og:title")
        or json_ld_value(selector, "headline")
        or first_text(selector, _H1)
        or first_text(selector, _TITLE)
    )


def standard_published(selector: Selector) -> str:
    """The publication time the page declares, as written."""
    return (
        meta_content(selector, "article:published_time")
        or json_ld_value(selector, "datePublished")
        or first_text(selector, _TIME)
        or meta_content(selector, "datePublished", "pubdate", "publishdate", "PubDate")
    )
