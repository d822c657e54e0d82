"""Item pipelines: thin adapters over ``newsmirror.normalize`` plus validation and writing.

Their order lives only in ``settings.ITEM_PIPELINES``. Each counts what it does in
the crawl stats under ``newsmirror/<stage>/<event>``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newsmirror.archive.post import PostContent
from newsmirror.archive.writer import ArchiveWriter
from newsmirror.items import LIST_FLASH, Article
from newsmirror.normalize.attribution import attribution_from_body
from newsmirror.normalize.codes import is_valid_code
from newsmirror.normalize.dates import parse_published
from newsmirror.normalize.html import clean_body
from newsmirror.normalize.slugs import category_slug
from newsmirror.normalize.text import clean_name, clean_title
from newsmirror.sources.eastmoney import digest_text

logger = logging.getLogger(__name__)

#: Flash news all go to one category, as in the old archive.
FLASH_CATEGORY = "emnews"
FLASH_CATEGORY_TITLE = "东财滚动新闻"
#: Outlet used when neither the list nor the body names one.
UNKNOWN_SOURCE = "未知来源"


class _Stage:
    """Base for pipelines: keeps the crawler for stats and settings."""

    stage = "stage"

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def inc(self, event: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newsmirror/{self.stage}/{event}", count)


class NormalizeTextPipeline(_Stage):
    """Title, outlet name and digest as clean single-line text."""

    stage = "text"

    def process_item(self, item: Article) -> Article:
        item.title = clean_title(item.title)
        item.source_name = clean_name(item.source_name)
        item.digest = clean_title(digest_text(item.digest))
        return item


class CleanBodyPipeline(_Stage):
    """Article HTML without the publishers' indents."""

    stage = "html"

    def process_item(self, item: Article) -> Article:
        item.body_html = clean_body(item.body_html)
        return item


class ParsePublishedPipeline(_Stage):
    """``published_raw`` -> aware ``published`` (left ``None`` when unparseable)."""

    stage = "date"

    def process_item(self, item: Article) -> Article:
        item.published = parse_published(item.published_raw)
        if item.published is None:
            self.inc("unparsed")
        return item


class AttributeSourcePipeline(_Stage):
    """Outlet name, category slug, category title and tags."""

    stage = "attribution"

    def process_item(self, item: Article) -> Article:
        if not item.source_name:
            item.source_name = attribution_from_body(item.body_html)
            self.inc("from_body" if item.source_name else "unknown")
        if item.list_kind == LIST_FLASH:
            item.category, item.category_title = FLASH_CATEGORY, FLASH_CATEGORY_TITLE
        else:
            outlet = item.source_name or UNKNOWN_SOURCE
            item.category, item.category_title = category_slug(outlet), f"{outlet}新闻"
        item.tags = [item.category_title]
        return item


class ValidateArticlePipeline(_Stage):
    """Drop an item that cannot make a correct post, saying which and why."""

    stage = "validate"

    def process_item(self, item: Article) -> Article:
        reason = self.problem(item)
        if reason:
            self.inc(f"dropped/{reason.split(':')[0].replace(' ', '_')}")
            raise DropItem(f"article {item.code!r} ({item.list_kind}): {reason}")
        return item

    @staticmethod
    def problem(item: Article) -> str:
        if not is_valid_code(item.code):
            return "malformed code"
        if not item.title:
            return "no title"
        if item.published is None:
            return f"no usable date: {item.published_raw[:60]!r}"
        if not item.body_html and not item.digest:
            return "no body"
        if not item.category:
            return "no category"
        return ""


class WriteArchivePipeline(_Stage):
    """Render each article and write it into ``ARCHIVE_DIR``."""

    stage = "archive"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        root = settings.get("ARCHIVE_DIR")
        if not root:
            raise NotConfigured("set ARCHIVE_DIR to the archive folder to write posts into")
        self.writer = ArchiveWriter(
            Path(root),
            settings.get("SITE_BASE", ""),
            fsync=settings.getbool("ARCHIVE_FSYNC", True),
        )

    def process_item(self, item: Article) -> Article:
        assert item.published is not None, "ValidateArticlePipeline must run first"
        post = PostContent(
            code=item.code,
            title=item.title,
            published=item.published,
            category=item.category,
            category_title=item.category_title,
            tags=tuple(item.tags),
            body_html=item.body_html,
            digest=item.digest,
            source_url=item.source_url,
        )
        path, result = self.writer.write_post(post)
        self.inc(result.value)
        self.inc(f"{result.value}/{item.list_name or item.list_kind}")
        logger.debug("%s %s", result.value, path)
        return item
