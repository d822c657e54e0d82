"""The archive writer: the only component that writes posts and category pages."""

from __future__ import annotations

import enum
import logging
from pathlib import Path

from newsmirror.archive.atomic import atomic_write_text
from newsmirror.archive.feedpage import render_feed_page
from newsmirror.archive.paths import category_path, feed_path, post_path
from newsmirror.archive.post import PostContent, render_category_page, render_post

logger = logging.getLogger(__name__)


class WriteResult(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class ArchiveWriter:
    """Writes posts under ``root`` atomically; rewrites a file only when it changes."""

    def __init__(self, root: Path, site_base: str, *, fsync: bool = True) -> None:
        self.root = root
        self.site_base = site_base
        self.fsync = fsync
        self._category_pages: dict[str, str] = {}

    def post_path(self, post: PostContent) -> Path:
        """Where ``post`` lives; override to change the archive's layout."""
        return post_path(self.root, post.code, post.published)

    def write_post(self, post: PostContent) -> tuple[Path, WriteResult]:
        path = self.post_path(post)
        text = render_post(post, self.site_base)
        result = self._write_if_changed(path, text)
        self.ensure_category_page(post.category, post.category_title)
        return path, result

    def ensure_category_page(self, slug: str, title: str) -> WriteResult:
        """Write ``category/<slug>.html`` and its feed page ``feeds/<slug>.xml``
        unless they already say exactly this; the result is the category page's."""
        if self._category_pages.get(slug) == title:
            return WriteResult.UNCHANGED
        result = self._write_if_changed(
            category_path(self.root, slug), render_category_page(slug, title)
        )
        self._write_if_changed(feed_path(self.root, slug), render_feed_page(slug, title))
        self._category_pages[slug] = title
        return result

    def _write_if_changed(self, path: Path, text: str) -> WriteResult:
        try:
            existing = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            atomic_write_text(path, text, fsync=self.fsync)
            return WriteResult.CREATED
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("rewriting unreadable %s: %s", path, exc)
            existing = None
        if existing == text:
            return WriteResult.UNCHANGED
        atomic_write_text(path, text, fsync=self.fsync)
        return WriteResult.UPDATED
