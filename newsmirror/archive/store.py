"""Writing articles into an indexed archive: create, update in place, or leave alone.

The order of every change is what makes a kill at any point harmless: a post is
written atomically, *then* journaled; an existing post is first named in the journal
(``recheck``), then rewritten or moved. See :mod:`newsmirror.archive.journal`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from newsmirror.archive.atomic import atomic_write_text
from newsmirror.archive.index import ENTRY_KEYS, IndexEntry
from newsmirror.archive.paths import POSTS_DIR, post_name
from newsmirror.archive.post import PostContent, render_post
from newsmirror.archive.reader import entry_from_text
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.writer import ArchiveWriter, WriteResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedPost:
    """What storing one post will do, decided before any file is touched."""

    post: PostContent
    #: The post's path relative to the archive root.
    file: str
    text: str
    entry: IndexEntry
    existing: IndexEntry | None
    newly_linked: bool

    @property
    def creates(self) -> bool:
        """A new code: the post file is created, nothing existing is touched."""
        return self.existing is None


class ArchiveStore:
    """Writes posts through ``writer`` and keeps ``state``'s index in step.

    A code is archived once. An indexed post is rewritten only when the article
    changed (:func:`changed`), in its folder (a post rotated to ``old_post/`` stays
    there), under a new name when its date changed; it is then never left twice.
    """

    def __init__(self, writer: ArchiveWriter, state: ArchiveState) -> None:
        self.writer = writer
        self.state = state

    @property
    def root(self) -> Path:
        return self.state.root

    def store(self, post: PostContent, **recorded: str) -> tuple[Path, WriteResult]:
        """Archive ``post``; ``recorded`` are the index's recorded fields, the keyword
        arguments of :meth:`plan`.

        A post that shows a new ``near_duplicate_of`` link is rewritten even when the
        article did not change."""
        return self.apply(self.plan(post, **recorded))

    def plan(
        self,
        post: PostContent,
        *,
        list_kind: str = "",
        source: str = "",
        fingerprint: str = "",
        original_url: str = "",
        aggregator: str = "",
        near_duplicate_of: str = "",
    ) -> PlannedPost:
        """Render ``post`` and decide what storing it does (see :meth:`store`)."""
        existing = self.state.get(post.code)
        folder = existing.folder if existing is not None else POSTS_DIR
        file = f"{folder}/{post_name(post.code, post.published)}"
        text = render_post(post, self.writer.site_base)
        entry = entry_from_text(
            file,
            text,
            list_kind=list_kind,
            source=source,
            fingerprint=fingerprint,
            original_url=original_url,
            aggregator=aggregator,
            near_duplicate_of=near_duplicate_of,
        )
        newly_linked = bool(post.near_duplicate_of) and (
            existing is not None and existing.near_duplicate_of != post.near_duplicate_of
        )
        return PlannedPost(post, file, text, entry, existing, newly_linked)

    def apply(self, plan: PlannedPost) -> tuple[Path, WriteResult]:
        """Store a planned post: create, update in place (or move), or leave alone."""
        existing, entry, text = plan.existing, plan.entry, plan.text
        if existing is None:
            write_post_file(self.root / plan.file, text, fsync=self.writer.fsync)
            return self.created(plan)
        if not changed(existing, entry) and not plan.newly_linked:
            filled = fill_recorded(existing, entry)
            if filled != existing:
                self.state.record(filled)
            result = WriteResult.UNCHANGED
        else:
            self._update(existing, entry, text)
            result = WriteResult.UPDATED
        self.writer.ensure_category_page(plan.post.category, plan.post.category_title)
        return self.root / plan.file, result

    def created(self, plan: PlannedPost) -> tuple[Path, WriteResult]:
        """A planned new post's file is on disk (:func:`write_post_file`, maybe in
        another thread): journal it, index it, and owe its folder's fsync to the
        state's group commit."""
        path = self.root / plan.file
        self.state.group.owe(folder=path.parent)
        self.state.record(plan.entry)
        self.writer.ensure_category_page(plan.post.category, plan.post.category_title)
        return path, WriteResult.CREATED

    def _update(self, existing: IndexEntry, entry: IndexEntry, text: str) -> None:
        self.state.will_change(existing.file, entry.file)
        path = self.root / entry.file
        write_post_file(path, text, fsync=self.writer.fsync)
        self.state.group.owe(folder=path.parent)
        if existing.file != entry.file:
            (self.root / existing.file).unlink(missing_ok=True)
        self.state.record(entry)
        keys = [*ENTRY_KEYS[:7], "near_duplicate_of"]
        differ = [k for k in keys if getattr(existing, k) != getattr(entry, k)]
        if existing.file != entry.file:
            logger.info(
                "article %s changed (%s): moved %s -> %s",
                entry.code,
                ", ".join(differ),
                existing.file,
                entry.file,
            )
        else:
            logger.info(
                "article %s changed (%s): updated %s", entry.code, ", ".join(differ), entry.file
            )


def write_post_file(path: Path, text: str, *, fsync: bool) -> None:
    """Write a post atomically, its data synced before the rename; the folder's fsync
    is left to the group commit (:mod:`newsmirror.archive.groupsync`). Touches no
    shared state: safe to run in a worker thread."""
    atomic_write_text(path, text, fsync=fsync, sync_dir=False)


def changed(existing: IndexEntry, fresh: IndexEntry) -> bool:
    """Whether the article changed: its content hash (title, digest, body) or its
    date. A different link, category or site base alone does not rewrite a post."""
    return existing.content_hash != fresh.content_hash or existing.date != fresh.date


def fill_recorded(existing: IndexEntry, fresh: IndexEntry) -> IndexEntry:
    """``existing`` with the recorded fields it lacks (after a rebuild) taken from
    ``fresh``."""
    return replace(
        existing,
        list_kind=existing.list_kind or fresh.list_kind,
        source=existing.source or fresh.source,
        fingerprint=existing.fingerprint or fresh.fingerprint,
        original_url=existing.original_url or fresh.original_url,
        aggregator=existing.aggregator or fresh.aggregator,
        near_duplicate_of=fresh.near_duplicate_of or existing.near_duplicate_of,
    )
