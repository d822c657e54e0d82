"""Item pipelines: thin adapters over ``newsmirror.normalize`` plus validation and writing.

Their order lives only in ``settings.ITEM_PIPELINES``. Each counts what it does in
the crawl stats under ``newsmirror/<stage>/<event>``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newsmirror.archive.categories import read_category_pages
from newsmirror.archive.post import PostContent
from newsmirror.archive.store import ArchiveStore
from newsmirror.archive.writer import ArchiveWriter
from newsmirror.incremental import ArchiveSession
from newsmirror.items import LIST_FLASH, Article
from newsmirror.normalize.attribution import SourceOrigin, clean_original_url, resolve_source
from newsmirror.normalize.codes import is_valid_code
from newsmirror.normalize.dates import format_post_date, resolve_published
from newsmirror.normalize.html import BodyCleaner
from newsmirror.normalize.slugs import (
    FLASH_CATEGORY,
    FLASH_CATEGORY_TITLE,
    SlugOutcome,
    SlugRegistry,
    category_title,
    parse_pins,
)
from newsmirror.normalize.text import clean_name, clean_title
from newsmirror.sources.eastmoney import digest_text

logger = logging.getLogger(__name__)

#: Outlet whose category holds articles that name none (the list, body and digest).
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
    """Title, outlet name and digest as clean single-line text (the optional folds:
    ``TEXT_FULLWIDTH_TO_ASCII``, ``TEXT_TO_SIMPLIFIED``)."""

    stage = "text"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.options = {
            "fullwidth_to_ascii": settings.getbool("TEXT_FULLWIDTH_TO_ASCII", True),
            "to_simplified": settings.getbool("TEXT_TO_SIMPLIFIED", False),
        }

    def process_item(self, item: Article) -> Article:
        item.title = clean_title(item.title, **self.options)
        item.source_name = clean_name(item.source_name, **self.options)
        item.digest = clean_title(digest_text(item.digest), **self.options)
        return item


class CleanBodyPipeline(_Stage):
    """Article HTML without the service's injections, sanitised and Liquid-safe
    (``BOILERPLATE_PATTERNS``; the text options of NormalizeTextPipeline). Counts what
    it removed under ``removed/<kind>``; a bad pattern stops the crawl at start."""

    stage = "html"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.cleaner = BodyCleaner(
            settings.getdict("BOILERPLATE_PATTERNS"),
            fullwidth_to_ascii=settings.getbool("TEXT_FULLWIDTH_TO_ASCII", True),
            to_simplified=settings.getbool("TEXT_TO_SIMPLIFIED", False),
        )

    def process_item(self, item: Article) -> Article:
        cleaned = self.cleaner.clean(
            item.body_html, base_url=item.source_url, source=item.source_name
        )
        for kind, count in cleaned.removed.items():
            self.inc(f"removed/{kind}", count)
        if item.body_html.strip() and not cleaned.html:
            self.inc("emptied")
        item.body_html = cleaned.html
        return item


class ParsePublishedPipeline(_Stage):
    """``published_raw`` -> aware ``published``. An unusable value falls back to the
    date in the code, else stays ``None`` (ValidateArticlePipeline drops it).

    Relative forms resolve against ``item.fetched_at``; an item without one uses the
    time this pipeline was built (the crawl's start), taken once.
    """

    stage = "date"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        hours = crawler.settings.getfloat("DATE_MAX_FUTURE_HOURS", 24)
        if hours < 0:
            raise ValueError(f"DATE_MAX_FUTURE_HOURS must be 0 or more, got {hours:g}")
        self.max_future = timedelta(hours=hours)
        self.started_at = datetime.now(UTC)

    def process_item(self, item: Article) -> Article:
        fetched_at = item.fetched_at or self.started_at
        result = resolve_published(
            item.published_raw, item.code, fetched_at=fetched_at, max_future=self.max_future
        )
        item.published = result.value
        if result.problem is None:
            return item
        self.inc(f"rejected/{result.problem.value}")
        why = result.problem.describe(self.max_future)
        if result.value is not None:
            self.inc("fallback_code")
            logger.warning(
                "article %r: publication time %r is %s; using the date in its code, %s",
                item.code, item.published_raw, why, format_post_date(result.value),
            )
        else:
            self.inc("unusable")
            logger.info(
                "article %r: publication time %r is %s, and its code holds no usable date",
                item.code, item.published_raw, why,
            )
        return item


class AttributeSourcePipeline(_Stage):
    """Outlet name, original URL, category slug, category title and tags.

    The outlet comes from the list's field, else the body's attribution line, else the
    flash digest's trailing credit. Slugs are handed out by a :class:`SlugRegistry`
    built once, at open, from the category pages already in ``ARCHIVE_DIR`` and the
    pins in ``CATEGORY_SLUG_PINS`` / ``CATEGORY_SLUG_PINS_FILE``.
    """

    stage = "attribution"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.text_options = {
            "fullwidth_to_ascii": settings.getbool("TEXT_FULLWIDTH_TO_ASCII", True),
            "to_simplified": settings.getbool("TEXT_TO_SIMPLIFIED", False),
        }
        pins: dict[str, str] = {}
        pins_file = settings.get("CATEGORY_SLUG_PINS_FILE")
        if pins_file:
            pins.update(parse_pins(Path(pins_file).read_text(encoding="utf-8")))
        pins.update(settings.getdict("CATEGORY_SLUG_PINS"))
        self.pins = {clean_name(k, **self.text_options): v for k, v in pins.items()}
        self.archive_dir = settings.get("ARCHIVE_DIR") or ""
        self.registry = SlugRegistry(pins=self.pins)  # validates the pins right away

    def open_spider(self) -> None:
        """Learn who owns which slug from the archive's category pages (read once)."""
        pages = read_category_pages(Path(self.archive_dir)) if self.archive_dir else []
        self.registry = SlugRegistry(pages, pins=self.pins)
        for clash in self.registry.case_clashes:
            logger.warning("category pages differ only in case: %s", ", ".join(clash))
        if self.registry.unowned_pages:
            logger.info(
                "%d category page(s) name another source in their title; the source "
                "whose slug each is will take it over: %s",
                len(self.registry.unowned_pages),
                ", ".join(self.registry.unowned_pages[:20]),
            )

    def process_item(self, item: Article) -> Article:
        name, origin = resolve_source(item.source_name, item.body_html, item.digest, item.title)
        item.source_name = clean_name(name, **self.text_options)
        self.inc(f"source/{origin.value if item.source_name else SourceOrigin.NONE.value}")
        item.original_url = clean_original_url(item.original_url)
        if item.list_kind == LIST_FLASH:
            item.category, item.category_title = FLASH_CATEGORY, FLASH_CATEGORY_TITLE
        else:
            outlet = item.source_name or UNKNOWN_SOURCE
            item.category, item.category_title = self.slug(outlet), category_title(outlet)
        item.tags = [item.category_title]
        return item

    def slug(self, source: str) -> str:
        """The category slug of ``source``; warns the first time two sources collide."""
        assignment = self.registry.assign(source)
        if assignment.first:
            self.inc(f"slug/{assignment.outcome.value}")
            if assignment.outcome is SlugOutcome.DISAMBIGUATED:
                logger.warning(
                    "source %r: slug %r is taken by %s; using %r",
                    source,
                    assignment.wanted,
                    assignment.holder,
                    assignment.slug,
                )
        return assignment.slug


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
    """Render each article and write it into ``ARCHIVE_DIR``, keeping the archive's
    index in step (through the crawler's :class:`ArchiveSession`)."""

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
        self.session = ArchiveSession.of(crawler)
        self._store: ArchiveStore | None = None

    @property
    def store(self) -> ArchiveStore:
        if self._store is None:
            self._store = ArchiveStore(self.writer, self.session.state)
        return self._store

    def close_spider(self) -> None:
        self.session.close()

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
        path, result = self.store.store(post, list_kind=item.list_kind, source=item.source_name)
        self.inc(result.value)
        self.inc(f"{result.value}/{item.list_name or item.list_kind}")
        logger.debug("%s %s", result.value, path)
        return item
