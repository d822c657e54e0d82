"""``newsmirror init-site``: give an archive a minimal, self-contained Jekyll site.

The skeleton (``site_template/``, package data) is a ``_config.yml``, the layouts the
archive's pages name (``default``, ``post``, ``category``, ``feed``), a home page and a
``.gitignore`` for Jekyll's output. It needs nothing but Debian's ``jekyll`` package:
no theme, no plugin. Existing files are never overwritten, so an operator's edits
survive a second run; the report says which files were kept.

It also writes the feed page ``feeds/<slug>.xml`` of every existing category page
that has none (the archive writer writes it for categories it creates).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from newsmirror.archive.atomic import atomic_write_text
from newsmirror.archive.feedpage import render_feed_page
from newsmirror.archive.frontmatter import FrontMatterError, split_document, yaml_line
from newsmirror.archive.paths import CATEGORY_DIR, UnsafePathError, feed_path

logger = logging.getLogger(__name__)

TEMPLATE_PACKAGE = "newsmirror.archive"
TEMPLATE_DIR = "site_template"

#: (path in the archive, template file): the files ``init-site`` writes.
SKELETON: tuple[tuple[str, str], ...] = (
    ("_config.yml", "_config.yml"),
    ("_layouts/default.html", "_layouts/default.html"),
    ("_layouts/post.html", "_layouts/post.html"),
    ("_layouts/category.html", "_layouts/category.html"),
    ("_layouts/feed.xml", "_layouts/feed.xml"),
    ("index.html", "index.html"),
    (".gitignore", "gitignore"),
)


class SiteConfigError(ValueError):
    """The site URL or title cannot be used in ``_config.yml``."""


@dataclass
class SiteInitReport:
    """What ``init-site`` did, path by path (paths relative to the archive)."""

    #: Skeleton files written, and those kept because they already existed.
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    #: Feed pages written for existing category pages, and those that existed.
    feeds_written: list[Path] = field(default_factory=list)
    feeds_kept: list[Path] = field(default_factory=list)
    #: Category pages that got no feed page, with the reason.
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def template_text(name: str) -> str:
    """A skeleton file as shipped in the package."""
    return (
        resources.files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_DIR, name).read_text(encoding="utf-8")
    )


def split_site_url(url: str) -> tuple[str, str]:
    """Jekyll's ``url`` and ``baseurl`` for a site root.

    ``//finews.withounder.com`` (``SITE_BASE``'s scheme-relative form) ->
    ``("https://finews.withounder.com", "")``; ``https://example.org/news/`` ->
    ``("https://example.org", "/news")``. Feeds need an absolute URL, so anything
    without a host is refused.
    """
    text = url.strip()
    if text.startswith("//"):
        text = "https:" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SiteConfigError(f"site URL must be an absolute http(s) URL, got {url!r}")
    if parts.query or parts.fragment:
        raise SiteConfigError(f"site URL must not have a query or fragment, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def render_config(title: str, url: str) -> str:
    """``_config.yml``: the shipped template plus the site's title, url and baseurl,
    each emitted by the YAML library."""
    if not title.strip():
        raise SiteConfigError("the site title is empty")
    site_url, baseurl = split_site_url(url)
    identity = [
        "",
        "# The site's identity (newsmirror init-site --title / --url).",
        yaml_line("title", title),
        yaml_line("url", site_url),
        yaml_line("baseurl", baseurl),
    ]
    return template_text("_config.yml").rstrip("\n") + "\n" + "\n".join(identity) + "\n"


def init_site(root: Path, *, title: str, url: str, fsync: bool = True) -> SiteInitReport:
    """Write the site skeleton into the archive at ``root``, keeping existing files."""
    config = render_config(title, url)  # validate before writing anything
    report = SiteInitReport()
    for target, template in SKELETON:
        path = root / target
        if path.exists():
            report.kept.append(Path(target))
            continue
        text = config if target == "_config.yml" else template_text(template)
        atomic_write_text(path, text, fsync=fsync)
        report.written.append(Path(target))
    _add_feed_pages(root, report, fsync=fsync)
    return report


def _add_feed_pages(root: Path, report: SiteInitReport, *, fsync: bool) -> None:
    """A feed page for each category page that has none."""
    for page in sorted((root / CATEGORY_DIR).glob("*.html")):
        relative = page.relative_to(root)
        try:
            meta = split_document(page.read_text(encoding="utf-8")).meta
        except (OSError, UnicodeDecodeError, FrontMatterError) as exc:
            report.skipped.append((relative, f"unreadable: {exc}"))
            continue
        slug, title = meta.get("category"), meta.get("title")
        if not isinstance(slug, str) or not isinstance(title, str):
            report.skipped.append((relative, "no category or title in its front matter"))
            continue
        try:
            path = feed_path(root, slug)
        except UnsafePathError:
            report.skipped.append((relative, f"category {slug!r} is not a safe slug"))
            continue
        if path.exists():
            report.feeds_kept.append(path.relative_to(root))
            continue
        atomic_write_text(path, render_feed_page(slug, title), fsync=fsync)
        report.feeds_written.append(path.relative_to(root))
    for relative, reason in report.skipped:
        logger.warning("no feed page for %s: %s", relative, reason)
