"""The run journal: what a run changed since the index was last written.

``.newsmirror/journal.jsonl`` is append-only and local (git-ignored). Each line is
written right after the change it describes is on disk:

- ``{"put": {<index entry>}}`` after a post was written or moved (its fsync may be
  left to the run's group commit, :mod:`newsmirror.archive.groupsync`);
- ``{"recheck": ["<file>", …]}`` *before* an existing post is rewritten, moved or
  removed, so that a run killed in the middle leaves the names of the posts to read
  again.

The index is folded from the journal at the end of a run and, when a run died, at the
next start. A torn last line (a kill during the append) is ignored: the post it
described is found by comparing the post folders with the index.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmirror.archive.index import IndexEntry, IndexLineError, entry_from_mapping

logger = logging.getLogger(__name__)

JOURNAL_NAME = "journal.jsonl"
#: A distributed run's workers each journal into their own file (``journal.<worker>.jsonl``),
#: so no two processes, maybe on two machines, ever append to one file.
_WORKER_JOURNAL = re.compile(r"journal\.[A-Za-z0-9._-]+\.jsonl")


@dataclass
class Replay:
    """A journal read back, in order."""

    #: Entries by code, the last ``put`` of each code.
    puts: dict[str, IndexEntry] = field(default_factory=dict)
    #: Files named by ``recheck`` records.
    recheck: set[str] = field(default_factory=set)
    #: Lines that could not be read (a torn last line after a kill).
    bad_lines: int = 0


class Journal:
    """Appends records to the journal file; opens it for each record, so no file
    handle outlives a call."""

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = path
        self.fsync = fsync

    def put(self, *entries: IndexEntry, sync: bool = True) -> None:
        """Journal these entries; ``sync=False`` leaves the fsync to the caller (a
        group commit syncs the file once for many lines)."""
        self._append(*({"put": e.as_dict()} for e in entries), sync=sync)

    def recheck(self, files: Iterable[str]) -> None:
        """Always synced: the line must be on disk before the posts it names change."""
        self._append({"recheck": sorted(set(files))})

    def _append(self, *records: dict[str, Any], sync: bool = True) -> None:
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            while data:
                data = data[os.write(fd, data) :]
            if self.fsync and sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def exists(self) -> bool:
        return self.path.exists()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def replay(self) -> Replay:
        """The records of the journal file (empty when there is none)."""
        replay = Replay()
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return replay
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8"))
                if "put" in record:
                    entry = entry_from_mapping(record["put"])
                    replay.puts[entry.code] = entry
                elif "recheck" in record:
                    replay.recheck.update(str(f) for f in record["recheck"])
                else:
                    raise IndexLineError("unknown record")
            except (ValueError, TypeError, IndexLineError) as exc:
                logger.debug("journal %s: skipped a line: %s", self.path, exc)
                replay.bad_lines += 1
        return replay


def worker_journal_name(worker: str) -> str:
    """The journal file name of a distributed run's worker (ids: letters, digits, ``._-``)."""
    name = f"journal.{worker}.jsonl"
    if _WORKER_JOURNAL.fullmatch(name) is None:
        raise ValueError(f"unusable worker id {worker!r}")
    return name


def journal_files(state_dir: Path) -> list[Path]:
    """Every journal in ``state_dir``, a single run's and the workers', oldest first."""
    try:
        names = [
            e.name
            for e in os.scandir(state_dir)
            if e.is_file() and (e.name == JOURNAL_NAME or _WORKER_JOURNAL.fullmatch(e.name))
        ]
    except FileNotFoundError:
        return []
    paths = [state_dir / name for name in names]

    def age(path: Path) -> tuple[int, str]:
        try:
            return path.stat().st_mtime_ns, path.name
        except FileNotFoundError:  # folded away meanwhile
            return 0, path.name

    return sorted(paths, key=age)
