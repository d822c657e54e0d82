"""One archive, several writers: the workers of a distributed run (``newsmirror.distributed``).

A single run holds ``.newsmirror/lock`` exclusively for its whole life
(:class:`~newsmirror.archive.lock.ArchiveLock`). A worker of a distributed run holds
it *shared* instead (``flock(LOCK_SH)`` on the same file), so:

- any number of workers work on the archive at once, and a single run (or a
  maintenance command) is refused while one does, as a worker is while a single run
  holds it (after waiting up to ``wait`` seconds, see :meth:`SharedArchiveState.open`);
- a worker that finds the archive free first *prepares* it exactly as a single run
  starts (exclusive lock: temp files removed, leftover journals folded, the index
  repaired from the posts), then shares it. Workers that join never write at start;
- each worker journals into its own file (``journal.<worker>.jsonl``): no two
  processes, maybe on two machines of a shared file system, append to one file;
- a worker that stops folds its own journal into ``index.jsonl`` under a short
  exclusive lock of its own (``index.lock``), re-reading the index first, so every
  fold adds to the others';
- the last one out finds the archive free again and closes it as a single run does
  (:meth:`SharedArchiveState.close`): what dead workers left (their journals, temp
  files) is repaired, and the end-of-run work (rotation) is done with no one else
  writing.

Posts are written atomically and a code's post has one name (its date and code), so a
post two workers both write ends up one file. Redis makes that rare: a code is claimed
before it is fetched and committed after it is written.

Locks are ``flock`` locks: on a shared file system they need one whose clients
support them (NFSv4, CephFS, …); distributed runs need Unix.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from newsmirror.archive import reader
from newsmirror.archive.atomic import atomic_write_text
from newsmirror.archive.index import load_index, write_index
from newsmirror.archive.journal import Journal, journal_files, worker_journal_name
from newsmirror.archive.lock import LOCK_NAME, OWNER_NAME, ArchiveLocked, read_owner
from newsmirror.archive.paths import POST_NAME_RE
from newsmirror.archive.state import ArchiveState, carry_over

logger = logging.getLogger(__name__)

#: The short exclusive lock under which a worker folds its journal into the index.
FOLD_LOCK_NAME = "index.lock"
#: How often a worker waiting for the archive tries again (seconds).
_RETRY = 0.1


class SharedLock:
    """A shared ``flock`` on ``.newsmirror/lock``: conflicts with a single run's
    exclusive one (the kernel releases it when the process dies)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self.owner_path = state_dir / OWNER_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, note: str) -> bool:
        """Take the lock shared if no one holds it exclusively; ``note`` goes to
        ``lock.owner`` (informative only, for the message a refused run prints)."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "run": note,
        }
        atomic_write_text(self.owner_path, json.dumps(owner) + "\n", fsync=False)
        return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class SharedArchiveState(ArchiveState):
    """One worker's view of an archive it shares with the other workers of a run.

    The view is the index and every journal as they were when the worker joined,
    plus what the worker itself writes; the others' later writes are known through
    Redis (``newsmirror.distributed``), not here.
    """

    def __init__(self, root: Path, worker: str, *, fsync: bool = True) -> None:
        super().__init__(root, fsync=fsync)
        self.worker = worker
        self.journal = Journal(self.state_dir / worker_journal_name(worker), fsync=fsync)
        self.shared_lock = SharedLock(self.state_dir)
        self.fold_lock_path = self.state_dir / FOLD_LOCK_NAME
        self.wait = 60.0
        #: This worker prepared the archive (it found no one else on it).
        self.prepared = False

    # -- life cycle --------------------------------------------------------------------
    @classmethod
    def open_shared(
        cls, root: Path, worker: str, *, fsync: bool = True, wait: float = 60.0
    ) -> SharedArchiveState:
        """Join the workers on the archive at ``root`` (preparing it first when no one
        is on it). While a single run holds it, or another worker prepares it, wait up
        to ``wait`` seconds, then raise :class:`ArchiveLocked`."""
        state = cls(root, worker, fsync=fsync)
        state.wait = wait
        state.state_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait
        while True:
            if not state.prepared:
                state._try_prepare()
            if state.shared_lock.try_acquire(f"distributed, worker {worker}"):
                break
            if time.monotonic() >= deadline:
                lock = state.shared_lock
                raise ArchiveLocked(lock.path, read_owner(lock.owner_path))
            time.sleep(_RETRY)
        try:
            state._load_view()
        except BaseException:
            state.shared_lock.release()
            raise
        return state

    def _try_prepare(self) -> None:
        """Open and close the archive as a single run would, if no one else is on it."""
        try:
            single = ArchiveState.open(self.root, fsync=self.fsync)
        except ArchiveLocked:
            return  # workers share it already (or a single run holds it)
        single.close()
        self.report = single.report
        self.prepared = True

    def _load_view(self) -> None:
        """The index plus every journal (the running workers' and dead ones'); writes
        nothing."""
        parsed = load_index(self.index_path)
        self._entries = dict(parsed.entries) if parsed is not None else {}
        for path in journal_files(self.state_dir):
            self._entries.update(Journal(path, fsync=False).replay().puts)
        self.report.posts = len(self._entries)
        logger.info(
            "archive %s: shared by a distributed run; %d posts known to worker %s",
            self.root,
            len(self._entries),
            self.worker,
        )

    def save(self) -> None:
        """Fold this worker's journal into the index (see :meth:`fold`)."""
        self.fold()

    def fold(self) -> None:
        """Merge this worker's journal into ``index.jsonl`` under the fold lock: the
        index is read again first (other workers fold too), then rewritten atomically.

        Rechecked posts (updated or moved in place) are read again. The journal is
        kept when the index cannot be read (the next single run or prepared start
        repairs the index from the posts).
        """
        self.group.flush()  # the posts the index will name are durable first
        if not self.journal.exists():
            return
        try:
            with FileLock(self.fold_lock_path, timeout=self.wait, thread_local=False):
                self._fold_locked()
        except Timeout:
            logger.warning(
                "worker %s: %s stayed locked for %gs; journal %s left for the next start",
                self.worker,
                self.fold_lock_path,
                self.wait,
                self.journal.path,
            )

    def _fold_locked(self) -> None:
        parsed = load_index(self.index_path)
        if parsed is None:
            logger.warning(
                "index %s unreadable: journal %s left for the next start to fold",
                self.index_path,
                self.journal.path,
            )
            return
        entries = dict(parsed.entries)
        replay = self.journal.replay()
        entries.update(replay.puts)
        for file in sorted(replay.recheck):
            match = POST_NAME_RE.fullmatch(file.rsplit("/", 1)[-1])
            if match is None:
                continue
            code = match.group("code")
            known = entries.get(code)
            if known is not None and (self.root / known.file).is_file():
                continue
            if (self.root / file).is_file():
                entries[code] = carry_over(reader.read_entry(self.root, file), known)
            elif known is not None and known.file == file:
                del entries[code]
        write_index(self.index_path, entries.values(), fsync=self.fsync)
        self.journal.remove()
        self._entries = entries
        logger.info(
            "worker %s: journal folded into %s (%d puts)",
            self.worker,
            self.index_path,
            len(replay.puts),
        )

    def close(self) -> None:
        """Fold this worker's journal and leave the archive (see :meth:`leave`)."""
        self.leave()

    def leave(self, when_alone: Callable[[ArchiveState], None] | None = None) -> bool:
        """Fold this worker's journal and leave the archive; if no one else is on it
        any more, open it as a single run (repairing what dead workers left), call
        ``when_alone`` with that state (rotation), and close it. Returns whether this
        worker was the last one on the archive. Idempotent."""
        if not self.shared_lock.held:
            return False
        try:
            self.fold()
        finally:
            self.shared_lock.release()
        try:
            single = ArchiveState.open(self.root, fsync=self.fsync)
        except ArchiveLocked:
            return False  # other workers are still on it: the last of them does this
        try:
            if when_alone is not None:
                when_alone(single)
        finally:
            single.close()
        logger.info("worker %s: last on archive %s; index written", self.worker, self.root)
        return True

