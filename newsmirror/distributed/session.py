"""The archive session of a distributed run's worker: a shared archive, checks in Redis.

``ArchiveSession.of`` makes one of these when ``REDIS_URL`` is set. Compared with a
single run's session:

- the archive is shared with the other workers (:mod:`newsmirror.archive.shared`):
  refused only while a single run holds it, after ``REDIS_ARCHIVE_WAIT`` seconds;
- "already archived" is the archive's index as this worker loaded it, *or* the run's
  ``done`` set in Redis (what the other workers archived since);
- a post is written only while this worker holds its code's claim, and the claim is
  committed (the code added to ``done``) once the post is on disk, so a worker killed
  in between leaves the code to be fetched again, never lost;
- near-duplicates are looked up in the run's shared lookup in Redis
  (:mod:`newsmirror.distributed.neardup`);
- closing folds this worker's journal, publishes its counters to the run's record and
  leaves the run; the last worker on the archive also re-checks the near-duplicates
  the run archived (:meth:`when_last_out`) and rotates old posts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from scrapy.crawler import Crawler

from newsmirror.archive.neardup import NearDuplicates
from newsmirror.archive.rotation import rotate
from newsmirror.archive.shared import SharedArchiveState
from newsmirror.archive.state import ArchiveState
from newsmirror.distributed.neardup import SharedNearDuplicates
from newsmirror.distributed.run import DistributedRun
from newsmirror.extensions import RunSummary
from newsmirror.incremental import ArchiveSession
from newsmirror.normalize.dates import SHANGHAI


class SharedArchiveSession(ArchiveSession):
    """See the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.run = DistributedRun.of(crawler)
        self.wait = crawler.settings.getfloat("REDIS_ARCHIVE_WAIT", 60.0)
        self._last_out: list[Callable[[ArchiveState], None]] = []

    def open_state(self) -> ArchiveState:
        return SharedArchiveState.open_shared(
            self.root, self.run.worker, fsync=self.fsync, wait=self.wait
        )

    def is_archived(self, code: str) -> bool:
        return code in self.state or self.run.is_done(code)

    def may_write(self, code: str) -> bool:
        return self.run.claim(code).granted

    def written(self, code: str) -> None:
        self.run.commit(code)

    def near_duplicates(
        self, state: ArchiveState, *, threshold: float, min_chars: int
    ) -> NearDuplicates:
        return SharedNearDuplicates(state, self.run, threshold=threshold, min_chars=min_chars)

    def when_last_out(self, task: Callable[[ArchiveState], None]) -> None:
        self._last_out.append(task)

    def close(self) -> None:
        """Fold the journal and leave the archive (rotating if last on it), then
        publish this worker's counters and leave the run."""
        state, self._state = self._state, None
        self._closed = True
        if state is None:
            return
        assert isinstance(state, SharedArchiveState)
        try:
            state.leave(when_alone=self._alone)
        finally:
            if self.run.joined:
                self.publish()
                self.run.leave()

    def publish(self) -> None:
        """Add this worker's counters and problems so far to the run's record."""
        assert self.crawler.stats is not None
        summary = self.crawler.get_extension(RunSummary)
        problems = summary.problems if summary is not None else []
        self.run.publish(self.crawler.stats.get_stats(), [asdict(p) for p in problems])

    def _alone(self, state: ArchiveState) -> None:
        """The last worker on the archive: the tasks of :meth:`when_last_out`, then
        rotation."""
        try:
            for task in self._last_out:
                task(state)
        finally:
            self._rotate(state)

    def _rotate(self, state: ArchiveState) -> None:
        moved = rotate(state, self.keep_days, datetime.now(SHANGHAI).date())
        if moved:
            self.set_stat("archive/rotated", len(moved))

