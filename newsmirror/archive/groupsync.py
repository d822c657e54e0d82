"""Group commit: the fsyncs that make new posts durable, done once for many posts.

Making one new post durable takes three fsyncs: the post's data before its rename,
the folder after it (the rename), the journal after its line is appended. On this
project's virtual disks each costs 0.1–0.2 ms of kernel time on the crawl's only
thread, which is most of what writing a post costs. The data fsync stays per post
(a post must never appear under its name before its bytes are on disk), but the
folder and journal fsyncs of a group of posts are done together by :meth:`flush`:
once :data:`DEFAULT_MAX_POSTS` posts wait, when the oldest has waited
:data:`DEFAULT_MAX_DELAY` seconds (the writer schedules a timer for that), and always
before the index is written or an existing post is rewritten.

What this changes: after a *power loss or kernel crash* (not a killed process: its
writes are in the page cache and reach the disk anyway), the posts of the last
unflushed group may be missing, or their journal lines may name posts that are not
there. Start-up already repairs both (a post the index does not know is read; an index
line whose post is gone is dropped), and the missing articles are fetched again by the
next run: nothing archived earlier is lost, nothing torn is ever served.
"""

from __future__ import annotations

import time
from pathlib import Path

from newsmirror.archive.atomic import fsync_dir, fsync_file

#: Posts written before their folder and journal fsyncs are done for all of them.
DEFAULT_MAX_POSTS = 64
#: Seconds a written post may wait for its group's fsyncs.
DEFAULT_MAX_DELAY = 0.2


class GroupSync:
    """Folders and files whose durability is owed, synced together by :meth:`flush`."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        max_posts: int = DEFAULT_MAX_POSTS,
        max_delay: float = DEFAULT_MAX_DELAY,
    ) -> None:
        if max_posts < 1 or max_delay < 0:
            raise ValueError("max_posts must be ≥ 1 and max_delay ≥ 0")
        #: False when fsync is off altogether (``ARCHIVE_FSYNC = False``): nothing is owed.
        self.enabled = enabled
        self.max_posts = max_posts
        self.max_delay = max_delay
        self._folders: set[Path] = set()
        self._files: set[Path] = set()
        self._posts = 0
        self._since: float | None = None
        #: Groups flushed so far (for the run's stats and the tests).
        self.flushes = 0

    @property
    def pending(self) -> int:
        """Posts written since the last flush."""
        return self._posts

    def owe(self, *, folder: Path | None = None, file: Path | None = None) -> None:
        """Note a rename into ``folder`` and an append to ``file`` still to be synced."""
        if not self.enabled:
            return
        if folder is not None:
            self._folders.add(folder)
        if file is not None:
            self._files.add(file)

    def changed(self) -> None:
        """One more post (or journal line) waits for the group's fsyncs; flushes when
        the group is full or its oldest change has waited long enough."""
        if not self.enabled:
            return
        self._posts += 1
        if self._since is None:
            self._since = time.monotonic()
        if self.due():
            self.flush()

    def due(self) -> bool:
        if self._since is None:
            return False
        return self._posts >= self.max_posts or (
            time.monotonic() - self._since >= self.max_delay
        )

    def flush(self) -> None:
        """Sync every owed folder (the renames), then every owed file (the journal
        lines that name the renamed posts)."""
        if not (self._folders or self._files):
            self._posts, self._since = 0, None
            return
        folders, files = sorted(self._folders), sorted(self._files)
        self._folders, self._files = set(), set()
        self._posts, self._since = 0, None
        for folder in folders:
            fsync_dir(folder)
        for file in files:
            fsync_file(file)
        self.flushes += 1
