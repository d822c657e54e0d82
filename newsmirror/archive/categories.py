"""Reading an archive's category pages: the durable record of which slugs are taken."""

from __future__ import annotations

import logging
from pathlib import Path

from newsmirror.archive.frontmatter import FrontMatterError, split_document
from newsmirror.archive.paths import CATEGORY_DIR, is_safe_slug
from newsmirror.normalize.slugs import ExistingPage

logger = logging.getLogger(__name__)

PAGE_SUFFIX = ".html"


def read_category_pages(root: Path) -> list[ExistingPage]:
    """Every ``category/<slug>.html`` under ``root`` with its front-matter title, by slug.

    The file name is the slug (it is the page's URL). Pages whose names are not safe
    slugs (the old generator's ``Career In touxingPEVC.html``) are skipped: no slug
    made now can equal them. A page that cannot be read still takes its slug, with an
    empty title (so nobody owns it until a source whose slug it is takes it over).
    """
    folder = root / CATEGORY_DIR
    if not folder.is_dir():
        return []
    pages = []
    for path in sorted(folder.iterdir()):
        if not path.name.endswith(PAGE_SUFFIX) or not path.is_file():
            continue
        slug = path.name[: -len(PAGE_SUFFIX)]
        if not is_safe_slug(slug):
            logger.debug("category page %s: not a safe slug, ignored", path.name)
            continue
        pages.append(ExistingPage(slug=slug, title=_page_title(path)))
    return pages


def _page_title(path: Path) -> str:
    try:
        meta = split_document(path.read_text(encoding="utf-8")).meta
    except (OSError, UnicodeDecodeError, FrontMatterError) as exc:
        logger.warning("category page %s is unreadable: %s", path, exc)
        return ""
    title = meta.get("title")
    category = meta.get("category")
    if category is not None and str(category) != path.name[: -len(PAGE_SUFFIX)]:
        logger.warning("category page %s says category %r", path, category)
    return title if isinstance(title, str) else ""
