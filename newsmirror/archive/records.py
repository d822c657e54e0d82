"""Article records for programs: one JSON object per article, the schema of
``docs/items.schema.json`` (prose in ``docs/feeds.md``).

The same :func:`article_record` serves a crawl's feed export (``-O items.jsonl``, via
``newsmirror.exporters``) and an export of an existing archive (``newsmirror export``,
:mod:`newsmirror.archive.export`), so both emit identical records for the same
article: every value is the one the post holds (or the index records), in the form
the post holds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from newsmirror.archive.paths import is_safe_slug
from newsmirror.archive.post import autolink
from newsmirror.archive.reader import content_hash
from newsmirror.items import EASTMONEY_LIST_KINDS, LIST_PUBLISHER, UNKNOWN_SOURCE
from newsmirror.normalize.codes import is_valid_code
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.normalize.html_text import html_to_text
from newsmirror.normalize.liquid import escape_liquid


class ArticleRecord(TypedDict):
    """One article as ``docs/items.schema.json`` describes it, key by key."""

    code: str
    title: str
    published: str
    outlet: str | None
    aggregator: str | None
    original_url: str | None
    category: str
    tags: list[str]
    body_html: str
    body_text: str
    source_url: str | None
    list_kind: str
    content_hash: str
    digest: str
    near_duplicate_of: str | None


#: The record's keys in the order they are written.
RECORD_FIELDS: tuple[str, ...] = tuple(ArticleRecord.__annotations__)
#: The schema's ``list_kind`` values.
LIST_KINDS = EASTMONEY_LIST_KINDS | {LIST_PUBLISHER}


def iso_published(published: datetime) -> str:
    """``2022-05-29T00:02:28+08:00``: ISO 8601 in Beijing time, always with its offset."""
    if published.tzinfo is None or published.utcoffset() is None:
        raise ValueError(f"naive datetime {published!r}: publication times must be aware")
    return published.astimezone(SHANGHAI).isoformat(timespec="seconds")


def http_url(url: str) -> str | None:
    """``url`` when it is an http(s) URL, else ``None`` (never an empty string)."""
    text = url.strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def cited_url(url: str) -> str | None:
    """The link a post cites for ``url`` (percent-encoded as the post writes it, see
    :func:`newsmirror.archive.post.autolink`), or ``None`` when it cites none."""
    link = autolink(url)
    return link[1:-1] if link else None


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
    near_duplicate_of: str = "",
) -> ArticleRecord:
    """The record of one normalised article (the values a post is written from, or
    read back from a post and the index).

    Each value is normalised to the form the post holds, so a post read back gives the
    record its article gave: ``body_html`` stripped and Liquid-escaped (a no-op for
    cleaned bodies), ``source_url`` as the post cites it. ``content_hash`` is the
    index's (:func:`~newsmirror.archive.reader.content_hash`). An empty or unknown
    (``未知来源``) ``outlet``, an empty ``aggregator`` (a publisher archived directly)
    and non-http(s) URLs become ``null``, as does a ``near_duplicate_of`` that names no
    code (the article is no later copy of another).
    """
    body_html = escape_liquid(body_html.strip())
    return ArticleRecord(
        code=code,
        title=title,
        published=iso_published(published),
        outlet=outlet if outlet and outlet != UNKNOWN_SOURCE else None,
        aggregator=aggregator or None,
        original_url=http_url(original_url),
        category=category,
        tags=list(tags),
        body_html=body_html,
        body_text=html_to_text(body_html),
        source_url=cited_url(source_url),
        list_kind=list_kind,
        content_hash=content_hash(title, body_html, digest),
        digest=digest,
        near_duplicate_of=near_duplicate_of if is_valid_code(near_duplicate_of) else None,
    )


def record_problem(record: ArticleRecord) -> str:
    """Why ``record`` breaks ``docs/items.schema.json`` ("" when it does not).

    Checks what a post or an index line can get wrong (a crawl's record always
    passes); the test suite validates records against the schema itself.
    """
    if not is_valid_code(record["code"]):
        return f"invalid code {record['code']!r}"
    if not record["title"]:
        return "no title"
    if not is_safe_slug(record["category"]):
        return f"no usable category: {record['category']!r}"
    if not all(record["tags"]):
        return "an empty tag"
    if not record["list_kind"]:
        return "list kind not recorded in the index (a crawl with -a refresh=1 records it)"
    if record["list_kind"] not in LIST_KINDS:
        return f"unknown list kind {record['list_kind']!r}"
    return ""
