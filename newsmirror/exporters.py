"""Scrapy feed exporters that write newsmirror's article records.

Registered in ``settings.FEED_EXPORTERS`` for ``jsonlines``/``jsonl`` and ``json``, so
``scrapy crawl eastmoney -O items.jsonl`` (or a ``FEEDS`` entry) writes one record per
archived article in the schema of ``docs/items.schema.json``, never the raw
:class:`~newsmirror.items.Article` with its Python datetimes.
"""

from __future__ import annotations

from typing import Any

from scrapy.exporters import JsonItemExporter, JsonLinesItemExporter

from newsmirror.archive.records import ArticleRecord, article_record
from newsmirror.items import Article


def record_for(item: Any) -> ArticleRecord:
    """The record of an item that went through every pipeline stage."""
    if not isinstance(item, Article):
        raise TypeError(f"expected an Article item, got {type(item).__name__}")
    if item.published is None:
        raise ValueError(f"article {item.code!r} has no publication time (not validated?)")
    return article_record(
        code=item.code,
        title=item.title,
        published=item.published,
        outlet=item.source_name,
        aggregator=item.aggregator,
        original_url=item.original_url,
        category=item.category,
        tags=item.tags,
        body_html=item.body_html,
        digest=item.digest,
        source_url=item.source_url,
        list_kind=item.list_kind,
        near_duplicate_of=item.near_duplicate_of,
    )


class ArticleJsonLinesExporter(JsonLinesItemExporter):
    """JSON Lines: one article record per line."""

    def export_item(self, item: Any) -> None:
        super().export_item(record_for(item))


class ArticleJsonExporter(JsonItemExporter):
    """A JSON array of article records."""

    def export_item(self, item: Any) -> None:
        super().export_item(record_for(item))
