"""New post files written in worker threads, so the crawl's thread never waits on the disk.

Creating a post costs a file creation, an fsync of its data and a rename: system
calls that wait for the disk (0.3–1 ms each on a virtual disk) and hold the reactor,
the crawl's only thread, for all that time. :class:`BackgroundWrites` runs them in a
small thread pool (the GIL is released while they wait) while the reactor goes on
with the next downloads and items; the item's pipeline coroutine waits for its own
file, then journals and indexes it on the reactor thread, as before. Everything that
touches shared state — the index, the journal, near-duplicate decisions — stays on
the reactor thread; a worker thread only writes one new file through a temp file and
a rename (:func:`newsmirror.archive.store.write_post_file`).

Only *new* posts are written this way. Updates, moves and removals of archived posts
stay synchronous, and a stage about to touch an archived post first waits for that
code's write (:meth:`BackgroundWrites.wait`): a near-duplicate decision whose
candidate copies are still being written (the copies it weighs are read from the
index) waits for those writes and is taken again. Without a running asyncio loop (the
offline test harness, a non-asyncio reactor) every write is made in place.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

#: Worker threads. Two let the disk merge concurrent fsyncs into one journal commit (a
#: slow disk); more only contend for the GIL with the reactor thread (a 5,000-article
#: crawl on the 2-core benchmark machine: 1-2 threads ~14.1-14.5 s, 4 threads ~14.7 s,
#: none 17.3 s).
DEFAULT_THREADS = 2


class BackgroundWrites:
    """The new post files being written in worker threads, by archive code."""

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        if threads < 0:
            raise ValueError("ARCHIVE_WRITE_THREADS must be 0 (no threads) or more")
        self.threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._pending: dict[str, asyncio.Future[None]] = {}

    def available(self) -> bool:
        """Whether writes can go to a thread now: threads are configured and this is
        the reactor's running asyncio loop."""
        if not self.threads:
            return False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def pending(self, code: str) -> bool:
        """Whether the post of ``code`` is being written."""
        return code in self._pending

    def pending_of(self, codes: Iterable[str]) -> list[str]:
        """Those of ``codes`` whose posts are being written."""
        return [code for code in codes if code in self._pending]

    async def wait(self, codes: Iterable[str]) -> None:
        """Until the writes of ``codes`` (those being written) have ended, successfully
        or not: their failures are their own items' errors, not the caller's."""
        futures = [self._pending[code] for code in codes if code in self._pending]
        if futures:
            await asyncio.wait(futures)

    async def after(self, codes: Iterable[str], redo: Callable[[], T | Awaitable[T]]) -> T:
        """Wait for the writes of ``codes`` (:meth:`wait`), then call ``redo`` (a stage
        taking its decision again, which may have to wait once more)."""
        await self.wait(codes)
        result = redo()
        return await result if inspect.isawaitable(result) else result

    async def write(self, code: str, write: Callable[[], None]) -> None:
        """Call ``write`` (which creates the post of ``code``) in a worker thread; its
        error, if any, is raised here."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="nm-write")
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, write)
        self._pending[code] = future
        try:
            await future
        finally:
            if self._pending.get(code) is future:
                del self._pending[code]

    def close(self) -> None:
        """Wait for the threads to finish what they were given, then stop them."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
