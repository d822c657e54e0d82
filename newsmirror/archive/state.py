"""The archive's state for one run: which codes are archived, where, with what content.

:meth:`ArchiveState.open` takes the archive's lock, then makes the index agree with
the posts, cheaply: it lists the post folders by name, and reads only the posts the
index does not know, the ones a dead run's journal names, and the codes a merge left
with two lines. It never reads every post unless the index is missing. During the
run, each change is journaled after its post is on disk; :meth:`ArchiveState.close`
folds the journal into the sorted index and releases the lock.

``.newsmirror/`` holds the index (committed), the journal, the lock and its owner
file (local, git-ignored by the ``.gitignore`` written there).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType

from newsmirror.archive import reader
from newsmirror.archive.atomic import atomic_write_text
from newsmirror.archive.groupsync import GroupSync
from newsmirror.archive.index import INDEX_NAME, IndexEntry, load_index, write_index
from newsmirror.archive.journal import JOURNAL_NAME, Journal, journal_files
from newsmirror.archive.listing import post_files, remove_temp_files
from newsmirror.archive.lock import ArchiveLock
from newsmirror.archive.paths import STATE_DIR

logger = logging.getLogger(__name__)

STATE_GITIGNORE = (
    "# newsmirror: only the index belongs to the archive; the rest is one machine's state\n"
    "*\n!.gitignore\n!.gitattributes\n!index.jsonl\n"
)
STATE_GITATTRIBUTES = (
    "# Two runs' indexes merge line by line (newsmirror sorts the result again).\n"
    "index.jsonl merge=union\n"
)
#: Repaired paths named one by one in the log, before "and N more".
_LOG_PATHS = 10


@dataclass
class StartReport:
    """What :meth:`ArchiveState.open` found and repaired."""

    posts: int = 0
    index_missing: bool = False
    index_bad_lines: int = 0
    index_conflicts: int = 0
    index_unsorted: bool = False
    journal_found: bool = False
    journal_bad_lines: int = 0
    temp_files: list[str] = field(default_factory=list)
    #: Posts read because the index did not list them (or listed another file).
    indexed: list[str] = field(default_factory=list)
    #: Posts read again because a dead run's journal or a merge named them.
    rechecked: list[str] = field(default_factory=list)
    #: Index lines whose post no longer exists.
    gone: list[str] = field(default_factory=list)
    #: Codes with more than one post file (after removing a dead run's stale copy).
    duplicates: list[list[str]] = field(default_factory=list)
    #: Stale copies removed (a dead run's half-done move).
    removed: list[str] = field(default_factory=list)

    @property
    def posts_read(self) -> int:
        return len(self.indexed) + len(self.rechecked)

    @property
    def repaired(self) -> bool:
        return bool(
            self.index_missing
            or self.index_bad_lines
            or self.index_conflicts
            or self.index_unsorted
            or self.journal_found
            or self.temp_files
            or self.indexed
            or self.rechecked
            or self.gone
            or self.removed
        )

    def describe(self) -> list[str]:
        """One line per kind of repair."""
        out = []
        if self.index_missing:
            out.append("no readable index: rebuilt from the posts")
        if self.index_bad_lines:
            out.append(f"{self.index_bad_lines} unreadable index line(s) skipped")
        if self.index_conflicts:
            out.append(f"{self.index_conflicts} code(s) with conflicting index lines re-read")
        if self.index_unsorted:
            out.append("index lines out of order (a merge?): sorted")
        if self.journal_found:
            out.append("journal of an interrupted run folded into the index")
        for label, paths in (
            ("leftover temp file(s) removed", self.temp_files),
            ("post(s) missing from the index read", self.indexed),
            ("post(s) of an interrupted change read again", self.rechecked),
            ("index line(s) without a post dropped", self.gone),
            ("stale copy(ies) of a moved post removed", self.removed),
        ):
            if paths:
                shown = ", ".join(paths[:_LOG_PATHS])
                more = f" and {len(paths) - _LOG_PATHS} more" if len(paths) > _LOG_PATHS else ""
                out.append(f"{len(paths)} {label}: {shown}{more}")
        for files in self.duplicates:
            out.append(f"one code, several posts (left for repair): {', '.join(files)}")
        return out


class ArchiveState:
    """The index of an archive, held under its lock for one run."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        self.state_dir = root / STATE_DIR
        self.index_path = self.state_dir / INDEX_NAME
        self.journal = Journal(self.state_dir / JOURNAL_NAME, fsync=fsync)
        #: The folder and journal fsyncs of new posts, done for a group at a time.
        self.group = GroupSync(enabled=fsync)
        self.lock = ArchiveLock(self.state_dir)
        self.report = StartReport()
        self._entries: dict[str, IndexEntry] = {}
        self._dirty = False
        #: Other journals folded in at start-up (a dead distributed run's workers'),
        #: removed once the index holds them.
        self._leftover_journals: list[Path] = []

    # -- life cycle --------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path, *, fsync: bool = True) -> ArchiveState:
        """Lock the archive (or raise :class:`~newsmirror.archive.lock.ArchiveLocked`),
        then load and repair its index."""
        state = cls(root, fsync=fsync)
        state.state_dir.mkdir(parents=True, exist_ok=True)
        state.lock.acquire()
        try:
            state._write_state_files()
            state._reconcile()
        except BaseException:
            state.lock.release()
            raise
        return state

    def save(self) -> None:
        """Write the index if anything changed, then drop the journal it folds in."""
        self.group.flush()  # the posts the index will name are durable first
        if self._dirty or self.journal.exists() or self._leftover_journals:
            write_index(self.index_path, self._entries.values(), fsync=self.fsync)
            self.journal.remove()
            for path in self._leftover_journals:
                path.unlink(missing_ok=True)
            self._leftover_journals = []
            self._dirty = False

    def close(self) -> None:
        """Save and release the lock (idempotent)."""
        if not self.lock.held:
            return
        try:
            self.save()
        finally:
            self.lock.release()

    def __enter__(self) -> ArchiveState:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------
    def __contains__(self, code: object) -> bool:
        return code in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, code: str) -> IndexEntry | None:
        return self._entries.get(code)

    def entries(self) -> list[IndexEntry]:
        """All entries, sorted by code."""
        return [self._entries[c] for c in sorted(self._entries)]

    # -- changes (call only after the post is on disk, or before touching one) ----------
    def record(self, *entries: IndexEntry) -> None:
        """These entries' posts are on disk: journal them and update the index. The
        journal's fsync is left to the group commit (:attr:`group`)."""
        self.journal.put(*entries, sync=not self.group.enabled)
        self.group.owe(file=self.journal.path)
        for entry in entries:
            self._entries[entry.code] = entry
        self._dirty = True
        self.group.changed()

    def will_change(self, *files: str) -> None:
        """Journal, before it happens, that these existing posts are about to change
        (synced at once, with every line before it)."""
        self.journal.recheck(files)

    def forget(self, code: str) -> None:
        """The post of ``code`` was removed (after :meth:`will_change` named it)."""
        if self._entries.pop(code, None) is not None:
            self._dirty = True

    # -- start-up ----------------------------------------------------------------------
    def _write_state_files(self) -> None:
        for name, text in (
            (".gitignore", STATE_GITIGNORE),
            (".gitattributes", STATE_GITATTRIBUTES),
        ):
            path = self.state_dir / name
            try:
                if path.read_text(encoding="utf-8") == text:
                    continue
            except (FileNotFoundError, UnicodeDecodeError):
                pass
            atomic_write_text(path, text, fsync=self.fsync)

    def _reconcile(self) -> None:
        report = self.report
        report.temp_files = [str(p.relative_to(self.root)) for p in remove_temp_files(self.root)]
        conflicting, recheck = self._load()
        listing = post_files(self.root)
        self._match_posts(listing, conflicting, recheck)
        report.posts = len(self._entries)
        if report.index_missing and not listing and not report.journal_found:
            report.index_missing = False  # a new archive: nothing to repair
            self._dirty = True
            logger.info("archive %s: new archive, index started", self.root)
        else:
            self._dirty = report.repaired
        if report.repaired or report.duplicates:
            logger.warning(
                "archive %s: the index did not match the posts; repaired from the posts:\n  %s",
                self.root,
                "\n  ".join(report.describe()),
            )
        self.save()
        logger.info(
            "archive %s: %d posts indexed (%d post(s) read at start-up)",
            self.root,
            report.posts,
            report.posts_read,
        )

    def _load(self) -> tuple[set[str], set[str]]:
        """Index plus journal; returns the codes a merge left with differing lines and
        the files a dead run's journal names."""
        report = self.report
        parsed = load_index(self.index_path)
        conflicting: set[str] = set()
        if parsed is None:
            report.index_missing = True
        else:
            self._entries = parsed.entries
            report.index_bad_lines = len(parsed.bad_lines)
            report.index_conflicts = len(parsed.conflicting)
            report.index_unsorted = parsed.unsorted
            conflicting = parsed.conflicting
            for number, why in parsed.bad_lines[:_LOG_PATHS]:
                logger.warning("index %s line %d skipped: %s", self.index_path, number, why)
        # This run's journal, left by a dead run, and those a dead distributed run's
        # workers left (newsmirror.archive.shared), oldest first.
        recheck: set[str] = set()
        journals = journal_files(self.state_dir)
        self._leftover_journals = [p for p in journals if p != self.journal.path]
        for path in journals:
            replay = Journal(path, fsync=self.fsync).replay()
            report.journal_found = True
            report.journal_bad_lines += replay.bad_lines
            self._entries.update(replay.puts)
            recheck |= replay.recheck
        return conflicting, recheck

    def _match_posts(
        self, listing: dict[str, str], conflicting: set[str], recheck: set[str]
    ) -> None:
        """Make the entries agree with the post files' names, reading only the posts
        that are not indexed under their name or that the journal or a merge name."""
        report = self.report
        files_by_code: dict[str, list[str]] = defaultdict(list)
        for file, code in listing.items():
            files_by_code[code].append(file)
        previous = dict(self._entries)
        for code, entry in previous.items():
            if entry.file not in listing:
                report.gone.append(entry.file)
                del self._entries[code]
        for code in sorted(files_by_code):
            files = sorted(files_by_code[code])
            file = files[0] if len(files) == 1 else self._pick_copy(files, recheck)
            known = self._entries.get(code)
            if known is None or known.file != file:
                report.indexed.append(file)
            elif file in recheck or code in conflicting:
                report.rechecked.append(file)
            else:
                continue
            self._read(code, file, previous.get(code))

    def _pick_copy(self, files: list[str], recheck: set[str]) -> str:
        """The post to keep when one code has several files: the newest one. When all
        of them are a dead run's half-done move (named in its journal), the others are
        removed; otherwise they are left for ``newsmirror repair`` and reported."""
        newest = max(files, key=lambda f: ((self.root / f).stat().st_mtime_ns, f))
        if all(f in recheck for f in files):
            for stale in files:
                if stale != newest:
                    (self.root / stale).unlink(missing_ok=True)
                    self.report.removed.append(stale)
        else:
            self.report.duplicates.append(files)
        return newest

    def _read(self, code: str, file: str, previous: IndexEntry | None) -> None:
        try:
            fresh = reader.read_entry(self.root, file)
        except OSError as exc:
            logger.warning("post %s could not be read: %s", file, exc)
            return
        self._entries[code] = carry_over(fresh, previous)


def carry_over(fresh: IndexEntry, previous: IndexEntry | None) -> IndexEntry:
    """``fresh`` (read from the post) with the recorded fields of ``previous``: its
    list kind, source, original URL and aggregator when known, its fingerprint and
    near-duplicate link when the content is unchanged (a link the post shows wins)."""
    if previous is None:
        return fresh
    return replace(
        fresh,
        list_kind=previous.list_kind or fresh.list_kind,
        source=previous.source or fresh.source,
        original_url=previous.original_url or fresh.original_url,
        aggregator=previous.aggregator or fresh.aggregator,
        fingerprint=(
            previous.fingerprint
            if previous.content_hash == fresh.content_hash
            else fresh.fingerprint
        ),
        near_duplicate_of=fresh.near_duplicate_of
        or (previous.near_duplicate_of if previous.content_hash == fresh.content_hash else ""),
    )
