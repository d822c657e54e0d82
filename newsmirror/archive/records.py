"""Article records for programs: one JSON object per article, the schema of
``docs/items.schema.json`` (prose in ``docs/feeds.md``).

The same :func:`article_record` serves a crawl's feed export (``-O items.jsonl``, via
``newsmirror.exporters``) and an export of an existing archive, so both emit
identical records for the same article.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from newsmirror.archive.reader import content_hash
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.normalize.html_text import html_to_text


class ArticleRecord(TypedDict):
    """One article as ``docs/items.schema.json`` describes it, key by key."""

    code: str
    title: str
    published: str
    outlet: str | None
    aggregator: str
    original_url: str | None
    category: str
    tags: list[str]
    body_html: str
    body_text: str
    source_url: str | None
    list_kind: str
    content_hash: str


#: The record's keys in the order they are written.
RECORD_FIELDS: tuple[str, ...] = tuple(ArticleRecord.__annotations__)


def iso_published(published: datetime) -> str:
    """``2022-05-29T00:02:28+08:00``: ISO 8601 in Beijing time, always with its offset."""
    if published.tzinfo is None or published.utcoffset() is None:
        raise ValueError(f"naive datetime {published!r}: publication times must be aware")
    return published.astimezone(SHANGHAI).isoformat(timespec="seconds")


def http_url(url: str) -> str | None:
    """``url`` when it is an http(s) URL, else ``None`` (never an empty string)."""
    text = url.strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def article_record(
    *,
    code: str,
    title: str,
    published: datetime,
    outlet: str,
    aggregator: str,
    original_url: str,
    category: str,
    tags: list[str] | tuple[str, ...],
    body_html: str,
    digest: str,
    source_url: str,
    list_kind: str,
) -> ArticleRecord:
    """The record of one normalised article (the values a post is written from).

    ``digest`` (flash news) is not a field of its own: it enters ``content_hash``,
    computed by the index's :func:`~newsmirror.archive.reader.content_hash` so the two
    agree. ``body_html`` is stripped, as the post holds it. Empty ``outlet`` and
    non-http(s) URLs become ``null``.
    """
    body_html = body_html.strip()
    return ArticleRecord(
        code=code,
        title=title,
        published=iso_published(published),
        outlet=outlet or None,
        aggregator=aggregator,
        original_url=http_url(original_url),
        category=category,
        tags=list(tags),
        body_html=body_html,
        body_text=html_to_text(body_html),
        source_url=http_url(source_url),
        list_kind=list_kind,
        content_hash=content_hash(title, body_html, digest),
    )
