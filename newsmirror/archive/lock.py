"""One run at a time: an exclusive lock on ``.newsmirror/lock`` for a run's lifetime.

The lock is an OS file lock (``flock`` on Unix, through the ``filelock`` library), so
the kernel releases it when the holder exits or is killed: a dead run never blocks the
next one. ``lock.owner`` says who holds it, for the message a refused run prints; it is
only informative (written after the lock is taken, possibly stale once released).
"""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from newsmirror.archive.atomic import atomic_write_text

logger = logging.getLogger(__name__)

LOCK_NAME = "lock"
OWNER_NAME = "lock.owner"


class ArchiveLocked(RuntimeError):
    """Another run holds the archive's lock."""

    def __init__(self, lock_path: Path, owner: str) -> None:
        self.lock_path = lock_path
        self.owner = owner
        held_by = f" by {owner}" if owner else ""
        super().__init__(f"archive is locked{held_by} ({lock_path}); another run is using it")


class ArchiveLock:
    """``with ArchiveLock(state_dir):`` or ``acquire()`` / ``release()``; never waits."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self.owner_path = state_dir / OWNER_NAME
        self._lock = FileLock(self.path, timeout=0, thread_local=False)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> None:
        """Take the lock or raise :class:`ArchiveLocked` at once."""
        try:
            self._lock.acquire()
        except Timeout:
            raise ArchiveLocked(self.path, self._read_owner()) from None
        owner = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        atomic_write_text(self.owner_path, json.dumps(owner) + "\n", fsync=False)

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()

    def _read_owner(self) -> str:
        return read_owner(self.owner_path)

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def read_owner(owner_path: Path) -> str:
    """Who holds the lock, from ``lock.owner`` ("" when unknown); a distributed run's
    workers (newsmirror.archive.shared) add which run."""
    try:
        owner = json.loads(owner_path.read_text(encoding="utf-8"))
        held_by = f"pid {owner['pid']} on {owner['host']} since {owner['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    run = owner.get("run")
    return f"{held_by} ({run})" if run else held_by
