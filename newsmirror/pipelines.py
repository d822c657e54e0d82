"""Item pipelines: thin adapters over ``newsmirror.normalize`` plus validation and writing.

Their order lives only in ``settings.ITEM_PIPELINES``. Each counts what it does in
the crawl stats under ``newsmirror/<stage>/<event>``.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.reactor import is_reactor_installed

from newsmirror import signals as nm_signals
from newsmirror.archive.categories import read_category_pages
from newsmirror.archive.neardup import (
    NearDuplicatePolicy,
    NearDuplicates,
    Verdict,
    check_settings,
)
from newsmirror.archive.post import PostContent
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.store import ArchiveStore, PlannedPost, write_post_file
from newsmirror.archive.writer import ArchiveWriter, WriteResult
from newsmirror.config import contracts_running
from newsmirror.incremental import ArchiveSession
from newsmirror.items import LIST_FLASH, UNKNOWN_SOURCE, Article
from newsmirror.normalize.attribution import SourceOrigin, clean_original_url, resolve_source
from newsmirror.normalize.codes import is_valid_code
from newsmirror.normalize.dates import format_post_date, resolve_published
from newsmirror.normalize.html import BodyCleaner
from newsmirror.normalize.neardup import fingerprint, fingerprint_text
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
        # Contract runs (scrapy check) do not read the archive: slugs as in a new one.
        self.archive_dir = "" if contracts_running() else settings.get("ARCHIVE_DIR") or ""
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


class DetectNearDuplicatesPipeline(_Stage):
    """Find the archived copies of the same story on the normalised text
    (``NEAR_DUPLICATE_THRESHOLD``, ``NEAR_DUPLICATE_MIN_CHARS``) and apply
    ``NEAR_DUPLICATE_POLICY`` to the later copy: ``keep`` (the index links it to the
    first copy), ``skip`` (not archived) or ``tag`` (its front matter names the first
    copy). The first copy is the earliest published, then the smallest code, whatever
    order the copies arrive in. Each decision is logged and counted
    (``newsmirror/neardup/…``).

    The workers of a distributed run share one lookup (the session's, in Redis); a
    copy another worker archived is never changed in the run (``deferred``): the last
    worker to leave the archive re-checks every article the run archived
    (:meth:`recheck`, see :mod:`newsmirror.distributed.neardup`)."""

    stage = "neardup"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.policy = NearDuplicatePolicy.from_setting(settings.get("NEAR_DUPLICATE_POLICY"))
        self.threshold = settings.getfloat("NEAR_DUPLICATE_THRESHOLD", 0.8)
        self.min_chars = settings.getint("NEAR_DUPLICATE_MIN_CHARS", 150)
        check_settings(self.threshold, self.min_chars)
        self.session = ArchiveSession.of(crawler)
        self._copies: NearDuplicates | None = None
        #: Articles new to the archive in this run, code -> list name.
        self.new_this_run: dict[str, str] = {}
        self.session.when_last_out(self.recheck)

    @property
    def copies(self) -> NearDuplicates:
        """The archive's fingerprints, loaded when the first article needs them."""
        if self._copies is None:
            copies = self.session.near_duplicates(
                self.session.state, threshold=self.threshold, min_chars=self.min_chars
            )
            copies.load()
            self.inc("filled", copies.filled)
            self._copies = copies
        return self._copies

    def process_item(self, item: Article) -> Article | Coroutine[Any, Any, Article]:
        assert item.published is not None, "ValidateArticlePipeline must run first"
        text = fingerprint_text(item.title, item.body_html, item.digest)
        item.fingerprint = str(fingerprint(text))
        self.inc("fingerprinted")
        return self.decide(item)

    def decide(self, item: Article) -> Article | Coroutine[Any, Any, Article]:
        """Check the item against the archive and settle what it changes.

        The archived copies a decision weighs are read from the index, and settling
        rewrites or removes their posts: when the check named copies whose posts are
        still being written in worker threads (:mod:`newsmirror.archive_writes`), or
        the item's own code is being written, the decision waits for those writes and
        is taken again (returning a coroutine)."""
        assert item.published is not None
        date = format_post_date(item.published)
        verdict = self.copies.check(item.code, item.fingerprint, date)
        writing = self.session.writes.pending_of([item.code, *verdict.unseen])
        if writing:
            return self.session.writes.after(writing, lambda: self.decide(item))
        self.inc("short" if verdict.short else "found" if verdict.found else "unique")
        first = verdict.first or item.code
        for code in verdict.relink:
            self.settle(code, first)
        archived = item.code in self.session.state
        if verdict.first:
            item.near_duplicate_of = verdict.first
            self.later_copy(item, verdict, archived=archived)
        listed = "" if archived else item.list_name or item.list_kind
        self.copies.accept(
            item.code, item.fingerprint, item.near_duplicate_of, date=date, listed=listed
        )
        if listed:
            self.new_this_run[item.code] = listed
        return item

    def later_copy(self, item: Article, verdict: Verdict, *, archived: bool) -> None:
        """Log and count a later copy; drop it under ``skip`` (unless already archived:
        an article fetched again is updated, never removed)."""
        if self.policy is NearDuplicatePolicy.SKIP and not archived:
            action = "skipped"
        elif self.policy is NearDuplicatePolicy.TAG:
            action = "archived, tagged"
        else:
            action = "archived, linked in the index"
        logger.info(
            "near-duplicate: %s is a later copy of %s (similarity %.2f with %s): %s",
            item.code, verdict.first, verdict.similarity, verdict.matched, action,
        )  # fmt: skip
        if action == "skipped":
            self.inc("dropped/near_duplicate")
            raise DropItem(
                f"article {item.code!r} ({item.list_kind}): near-duplicate of "
                f"{verdict.first!r} (similarity {verdict.similarity:.2f})"
            )
        self.inc("tagged" if self.policy is NearDuplicatePolicy.TAG else "linked")

    def settle(
        self,
        code: str,
        first: str,
        copies: NearDuplicates | None = None,
        new: dict[str, str] | None = None,
    ) -> None:
        """Archived article ``code`` turned out to be a later copy of ``first`` (which
        arrived after it): link it, tag it, or — ``skip``, archived in this run — remove
        it. A post archived by an earlier run is never removed. ``copies`` and ``new``
        (the articles new in this run) default to this process's."""
        copies = self.copies if copies is None else copies
        new = self.new_this_run if new is None else new
        if code not in copies.state:
            # Archived by another worker of the distributed run, which this worker does
            # not see: settled by the last worker out (recheck).
            self.inc("deferred")
            logger.debug("near-duplicate: %s, a later copy of %s, is settled later", code, first)
            return
        if self.policy is NearDuplicatePolicy.SKIP and code in new:
            list_name = new.pop(code)
            if copies.remove(code) is None:
                return  # its write failed: nothing to take back
            reason = f"near-duplicate of {first!r}, which was published first"
            logger.info("near-duplicate: %s is a later copy of %s: removed", code, first)
            self.inc("dropped/near_duplicate")
            self.inc("replaced")
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsmirror/archive/created", -1)
            self.crawler.stats.inc_value(f"newsmirror/archive/created/{list_name}", -1)
            self.crawler.signals.send_catch_log(
                nm_signals.article_skipped, code=code, list_name=list_name, reason=reason
            )
            return
        shown = copies.relink(code, first, show=self.policy is NearDuplicatePolicy.TAG)
        self.inc("relinked")
        logger.info(
            "near-duplicate: %s is a later copy of %s, which arrived after it: %s",
            code, first, "tagged" if shown else "linked in the index",
        )  # fmt: skip

    def recheck(self, state: ArchiveState) -> None:
        """A distributed run's last worker leaving the archive (``state``: the whole
        archive, every worker's journal folded in): decide again for every article the
        run archived, with every post in view, and settle what workers deciding at the
        same moment, or unable to change each other's posts, left otherwise — so every
        story the run touched ends linked to its first copy as a single run leaves it."""
        shared = self.session.near_duplicates(
            state, threshold=self.threshold, min_chars=self.min_chars
        )
        archived = shared.run_codes()
        if not archived:
            return
        # In memory, from the whole index.
        copies = NearDuplicates(state, threshold=self.threshold, min_chars=self.min_chars)
        copies.load()
        self.inc("filled", copies.filled)
        new = {code: listed for code, listed in archived.items() if listed}
        settled = 0
        for code in sorted(archived):
            entry = state.get(code)
            if entry is None:
                continue  # removed (skip) or never written
            verdict = copies.check(code, entry.fingerprint, entry.date)
            later = [code] if verdict.first and entry.near_duplicate_of != verdict.first else []
            for other in [*later, *verdict.relink]:
                self.settle(other, verdict.first or code, copies, new)
                settled += 1
        self.inc("rechecked", len(archived))
        logger.info(
            "near-duplicates: the %d article(s) of the run re-checked with the whole "
            "archive; %d later cop(ies) settled",
            len(archived),
            settled,
        )


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
        policy = NearDuplicatePolicy.from_setting(settings.get("NEAR_DUPLICATE_POLICY"))
        #: Posts name the first copy of their story in their front matter.
        self.show_near_duplicates = policy is NearDuplicatePolicy.TAG
        #: Flushes the group commit of the last posts when no more posts come.
        self._sync_call: CallLaterResult | None = None

    @property
    def store(self) -> ArchiveStore:
        if self._store is None:
            self._store = ArchiveStore(self.writer, self.session.state)
        return self._store

    def close_spider(self) -> None:
        if self._sync_call is not None:
            self._sync_call.cancel()
            self._sync_call = None
        self.session.writes.close()
        self.session.close()  # flushes the last group before the index is written

    def schedule_sync(self) -> None:
        """Have the posts waiting for their group's fsyncs synced within the group's
        delay even when no further post comes to flush them (without a reactor, as
        offline, the next post or the end of the run flushes them)."""
        if not self.session.state_is_open or not is_reactor_installed():
            return
        group = self.session.state.group
        if group.pending and self._sync_call is None:
            self._sync_call = call_later(group.max_delay, self._sync_now)

    def _sync_now(self) -> None:
        self._sync_call = None
        if not self.session.state_is_open:
            return
        try:
            self.session.state.group.flush()
        except OSError:
            logger.exception("archive %s: could not sync the last posts", self.session.root)
            self.inc("errors/sync")

    def process_item(self, item: Article) -> Article | Coroutine[Any, Any, Article]:
        """Store the article; a new post's file is written in a worker thread when the
        reactor runs (the coroutine returned then ends when it is archived)."""
        writes = self.session.writes
        if writes.pending(item.code):  # the same code, listed twice, still being written
            return writes.after([item.code], lambda: self.process_item(item))
        plan = self.plan(item)
        if plan.creates and writes.available():
            return self._create_in_thread(item, plan)
        path, result = self.store.apply(plan)
        return self.stored(item, path, result)

    async def _create_in_thread(self, item: Article, plan: PlannedPost) -> Article:
        path, fsync = self.store.root / plan.file, self.writer.fsync
        await self.session.writes.write(
            item.code, lambda: write_post_file(path, plan.text, fsync=fsync)
        )
        path, result = self.store.created(plan)
        return self.stored(item, path, result)

    def plan(self, item: Article) -> PlannedPost:
        assert item.published is not None, "ValidateArticlePipeline must run first"
        if not self.session.may_write(item.code):
            self.inc("dropped/claimed_elsewhere")
            raise DropItem(
                f"article {item.code!r}: another worker of the distributed run archives it"
            )
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
            near_duplicate_of=item.near_duplicate_of if self.show_near_duplicates else "",
        )
        return self.store.plan(
            post,
            list_kind=item.list_kind,
            source=item.source_name,
            fingerprint=item.fingerprint,
            original_url=item.original_url,
            aggregator=item.aggregator,
            near_duplicate_of=item.near_duplicate_of,
        )

    def stored(self, item: Article, path: Path, result: WriteResult) -> Article:
        self.session.written(item.code)
        self.schedule_sync()
        self.inc(result.value)
        self.inc(f"{result.value}/{item.list_name or item.list_kind}")
        logger.debug("%s %s", result.value, path)
        return item
