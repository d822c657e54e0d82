"""Incremental crawls: one archive state per crawler, shared by the components.

- :class:`ArchiveSession` holds the crawler's :class:`ArchiveState` (the archive's lock
  and index), opened once and closed once (with rotation) whoever asks first. Under
  ``scrapy check`` there is none: every component that needs it (these, the writer
  pipeline) is ``NotConfigured``, so contract runs never lock, read or write the
  archive (``scrapy check`` runs all spiders in one process; each would lock it).
- :class:`ArchiveSessionExtension` opens it when the spider opens, before any request:
  when another run holds the archive, the spider closes at once with the reason
  ``newsmirror.exitcodes.REASON_LOCKED``.
- :class:`SkipArchivedMiddleware` drops the requests of codes already archived (any
  request whose ``meta["newsmirror_code"]`` is indexed), so their text is never
  fetched, unless ``ARCHIVE_REFRESH`` (or the spider argument ``-a refresh=1``).
- The writer pipeline stores through the same session (``newsmirror.pipelines``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from newsmirror.archive.lock import ArchiveLocked
from newsmirror.archive.neardup import NearDuplicates
from newsmirror.archive.rotation import rotate
from newsmirror.archive.state import ArchiveState
from newsmirror.archive_writes import DEFAULT_THREADS, BackgroundWrites
from newsmirror.config import contracts_running
from newsmirror.exitcodes import LOCKED, REASON_LOCKED
from newsmirror.normalize.dates import SHANGHAI

logger = logging.getLogger(__name__)

#: The request meta key holding the archive code a request would fetch.
CODE_META = "newsmirror_code"
#: The request meta key of a list request that lists again (a distributed run's sweep,
#: ``newsmirror.distributed``): the codes this process requested before are requested
#: again (the run's claims still keep each one fetched once).
RELIST_META = "newsmirror_relist"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

#: The crawler attribute holding its session.
_SESSION_ATTR = "_newsmirror_archive_session"


def as_bool(value: Any, name: str) -> bool:
    """A spider argument or setting as a boolean (``1``/``0``, ``true``/``false`` …)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be 1 or 0 (true or false), got {value!r}")


class ArchiveSession:
    """The archive state of one crawl; get it with :meth:`of`."""

    def __init__(self, crawler: Crawler) -> None:
        if contracts_running():
            raise NotConfigured("scrapy check runs contracts: the archive is left alone")
        settings = crawler.settings
        root = settings.get("ARCHIVE_DIR")
        if not root:
            raise NotConfigured("set ARCHIVE_DIR to the archive folder")
        self.crawler = crawler
        self.root = Path(root)
        self.fsync = settings.getbool("ARCHIVE_FSYNC", True)
        self.keep_days = settings.getint("ROTATE_KEEP_DAYS", 0)
        #: New post files being written in worker threads (see newsmirror.archive_writes).
        self.writes = BackgroundWrites(settings.getint("ARCHIVE_WRITE_THREADS", DEFAULT_THREADS))
        self._state: ArchiveState | None = None
        self._closed = False
        self._refresh: bool | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> ArchiveSession:
        """The crawler's session, created on first use."""
        session = getattr(crawler, _SESSION_ATTR, None)
        if not isinstance(session, ArchiveSession):
            if crawler.settings.get("REDIS_URL"):
                # The workers of a distributed run share the archive.
                from newsmirror.distributed.session import SharedArchiveSession

                session = SharedArchiveSession(crawler)
            else:
                session = cls(crawler)
            setattr(crawler, _SESSION_ATTR, session)
        return session

    @property
    def refresh(self) -> bool:
        """Re-fetch archived articles: ``-a refresh=1``, else ``ARCHIVE_REFRESH``
        (raises ``ValueError`` for a value that is not a boolean)."""
        if self._refresh is not None:
            return self._refresh
        spider = self.crawler.spider
        spider_value = getattr(spider, "refresh", None)
        if spider_value is not None:
            refresh = as_bool(spider_value, "the spider argument refresh")
        else:
            refresh = self.crawler.settings.getbool("ARCHIVE_REFRESH", False)
        if spider is not None:  # settled once the spider exists
            self._refresh = refresh
            if refresh:
                logger.info("refresh: articles already archived are fetched again")
        return refresh

    @property
    def state_is_open(self) -> bool:
        return self._state is not None

    @property
    def state(self) -> ArchiveState:
        """The open state (opened now if nobody has yet; raises ``ArchiveLocked``)."""
        if self._state is None:
            if self._closed:
                raise RuntimeError(f"the archive session of {self.root} is closed")
            self._state = self.open_state()
            report = self._state.report
            self.set_stat("index/posts", report.posts)
            self.set_stat("index/read_at_start", report.posts_read)
            if report.repaired:
                self.set_stat("index/repaired", 1)
        return self._state

    def open_state(self) -> ArchiveState:
        """Lock the archive and load its index (raises ``ArchiveLocked``)."""
        return ArchiveState.open(self.root, fsync=self.fsync)

    def is_archived(self, code: str) -> bool:
        """Whether ``code`` is archived (a distributed run also asks Redis)."""
        return code in self.state

    def may_write(self, code: str) -> bool:
        """Whether this crawl may write ``code`` now (a distributed run's worker: only
        while it holds the code's claim)."""
        return True

    def written(self, code: str) -> None:
        """``code`` was stored (a distributed run's worker commits its claim)."""

    def near_duplicates(
        self, state: ArchiveState, *, threshold: float, min_chars: int
    ) -> NearDuplicates:
        """The near-duplicates of ``state`` (not loaded yet); a distributed run's worker
        looks them up in the run's shared lookup, in Redis."""
        return NearDuplicates(state, threshold=threshold, min_chars=min_chars)

    def when_last_out(self, task: Callable[[ArchiveState], None]) -> None:
        """Have ``task`` called by the last worker of a distributed run to leave the
        archive, with the whole archive's state (every worker's journal folded in),
        before rotation. Nothing to do here: a single run has the archive to itself
        throughout."""

    def close(self) -> None:
        """Rotate old posts, fold the journal into the index, release the lock."""
        state, self._state = self._state, None
        self._closed = True
        if state is None:
            return
        try:
            moved = rotate(state, self.keep_days, datetime.now(SHANGHAI).date())
            if moved:
                self.set_stat("archive/rotated", len(moved))
        finally:
            state.close()

    def set_stat(self, key: str, value: int) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.set_value(f"newsmirror/{key}", value)


class ArchiveSessionExtension:
    """Opens the archive before the first request (or refuses the run), closes it last."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.session = ArchiveSession.of(crawler)
        # Built after the spider: a bad ``-a refresh=`` stops the crawl before it starts.
        self.refresh = self.session.refresh

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        try:
            self.session.state  # noqa: B018 -- opening is the point
        except ArchiveLocked as exc:
            logger.error("%s: this run does nothing (exit code %d)", exc, LOCKED)
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("newsmirror/archive/locked", 1)
            raise CloseSpider(REASON_LOCKED) from None

    def spider_closed(self) -> None:
        self.session.close()


class SkipArchivedMiddleware(BaseSpiderMiddleware):
    """Drop requests for codes the archive already holds (stat
    ``newsmirror/incremental/already_archived``, and ``…/<list name>``)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.session = ArchiveSession.of(crawler)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        code = request.meta.get(CODE_META)
        if not code:
            return request
        if self.session.refresh or not self.session.is_archived(code):
            return request
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("newsmirror/incremental/already_archived")
        list_name = request.meta.get("newsmirror_list")
        if list_name:
            stats.inc_value(f"newsmirror/incremental/already_archived/{list_name}")
        logger.debug("%s is already archived: not fetched", code)
        return None
