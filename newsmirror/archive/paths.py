"""Where things live in an archive. The only place that builds archive paths."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from newsmirror.normalize.codes import is_valid_code
from newsmirror.normalize.dates import SHANGHAI

POSTS_DIR = "_posts"
OLD_POSTS_DIR = "old_post"
CATEGORY_DIR = "category"
#: Per-source Atom feed pages (``feeds/<slug>.xml``), rendered by the site's ``feed`` layout.
FEEDS_DIR = "feeds"
STATE_DIR = ".newsmirror"

_SLUG_RE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
#: ``2022-05-29-NW202205292395331423.md``
POST_NAME_RE = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})-(?P<code>[A-Za-z0-9]+)\.md")


class UnsafePathError(ValueError):
    """A value that would make an unsafe file name reached the archive."""


def post_name(code: str, published: datetime) -> str:
    """``<YYYY-MM-DD>-<code>.md`` with the date in Beijing time."""
    if not is_valid_code(code):
        raise UnsafePathError(f"unsafe article code {code!r}")
    return f"{published.astimezone(SHANGHAI):%Y-%m-%d}-{code}.md"


def post_path(root: Path, code: str, published: datetime) -> Path:
    return root / POSTS_DIR / post_name(code, published)


def is_safe_slug(slug: str) -> bool:
    return len(slug) <= 200 and _SLUG_RE.fullmatch(slug) is not None


def category_path(root: Path, slug: str) -> Path:
    if not is_safe_slug(slug):
        raise UnsafePathError(f"unsafe category slug {slug!r}")
    return root / CATEGORY_DIR / f"{slug}.html"


def feed_path(root: Path, slug: str) -> Path:
    """``feeds/<slug>.xml``: the page Jekyll renders as the source's Atom feed."""
    if not is_safe_slug(slug):
        raise UnsafePathError(f"unsafe category slug {slug!r}")
    return root / FEEDS_DIR / f"{slug}.xml"
