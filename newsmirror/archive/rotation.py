"""Rotation: posts older than a number of days move from ``_posts/`` to ``old_post/``.

As the old archive did, a post stays in ``_posts/`` for a few days. Rotation runs at
the end of a run, from the index alone (no post is read); each move is an atomic
rename, named in the journal before it happens and recorded after it, so the index
keeps knowing the post and its code is never fetched again.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta

from newsmirror.archive.atomic import atomic_move, fsync_dir
from newsmirror.archive.paths import OLD_POSTS_DIR, POSTS_DIR
from newsmirror.archive.state import ArchiveState

logger = logging.getLogger(__name__)


def rotation_cutoff(today: date, keep_days: int) -> str:
    """Posts dated before this ``YYYY-MM-DD`` day are rotated."""
    return (today - timedelta(days=keep_days)).isoformat()


def rotate(state: ArchiveState, keep_days: int, today: date) -> list[str]:
    """Move every post of ``_posts/`` dated more than ``keep_days`` days before
    ``today`` (Beijing date) to ``old_post/``; ``keep_days <= 0`` moves nothing.
    Returns the new paths."""
    if keep_days <= 0:
        return []
    cutoff = rotation_cutoff(today, keep_days)
    due = [e for e in state.entries() if e.folder == POSTS_DIR and e.day < cutoff]
    if not due:
        return []
    moves = [(e, replace(e, file=f"{OLD_POSTS_DIR}/{e.file.split('/', 1)[1]}")) for e in due]
    state.will_change(*(f for old, new in moves for f in (old.file, new.file)))
    for old, new in moves:
        atomic_move(state.root / old.file, state.root / new.file, fsync=False)
    if state.fsync:
        fsync_dir(state.root / POSTS_DIR)
        fsync_dir(state.root / OLD_POSTS_DIR)
    state.record(*(new for _, new in moves))
    logger.info("rotated %d post(s) dated before %s to %s/", len(moves), cutoff, OLD_POSTS_DIR)
    return [new.file for _, new in moves]
