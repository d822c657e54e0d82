"""``newsmirror check``: validate every post, category page and the index (read-only).

One pass over the archive: each post is read once and checked by
:func:`~newsmirror.archive.postcheck.inspect_post` (front matter through the fast
loader of :mod:`~newsmirror.archive.metaload`; the HTML check only for bodies with
markup); the category and feed pages are judged against the posts that use them
(:mod:`~newsmirror.archive.categorycheck`); the index is compared with the posts by
:func:`newsmirror.archive.consistency.find_problems`. Nothing is written, no lock is
taken: a check can run beside a crawl (it then may see the crawl's journal).
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from newsmirror.archive import consistency, reader
from newsmirror.archive.categorycheck import (
    FEED_SUFFIX,
    PAGE_SUFFIX,
    CategoryFinding,
    PageInfo,
    check_categories,
)
from newsmirror.archive.consistency import Problem
from newsmirror.archive.frontmatter import FrontMatterError, split_document
from newsmirror.archive.index import POST_DIRS, IndexEntry
from newsmirror.archive.listing import is_temp_name
from newsmirror.archive.paths import CATEGORY_DIR, FEEDS_DIR, POST_NAME_RE
from newsmirror.archive.postcheck import PostInfo, inspect_post
from newsmirror.archive.problems import KINDS, ORDER, Severity

logger = logging.getLogger(__name__)

#: Where repair moves files it must not delete and cannot fix (Jekyll ignores ``_``
#: folders that are not its own; the folder is committed with the archive).
QUARANTINE_DIR = "_quarantine"
DEFAULT_SITE_BASE = "//finews.withounder.com"


@dataclass
class ArchiveScan:
    """Everything one pass over an archive found (read-only)."""

    root: Path
    posts: list[PostInfo] = field(default_factory=list)
    pages: dict[str, PageInfo] = field(default_factory=dict)
    feeds: dict[str, PageInfo] = field(default_factory=dict)
    categories: list[CategoryFinding] = field(default_factory=list)
    #: Problems of the archive as a whole (case clashes, index, quarantine).
    general: list[Problem] = field(default_factory=list)

    def problems(self) -> list[Problem]:
        found = [p for post in self.posts for p in post.problems]
        found += [f.problem for f in self.categories]
        found += self.general
        return sorted(set(found), key=lambda p: (ORDER[p.kind], p.path, p.detail))


@dataclass
class CheckReport:
    """The problems and notes of an archive, in report order."""

    root: Path
    posts: int
    pages: int
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if KINDS[p.kind].severity is Severity.PROBLEM]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if KINDS[p.kind].severity is Severity.NOTE]

    @property
    def clean(self) -> bool:
        return not self.errors

    def by_kind(self) -> dict[str, list[Problem]]:
        grouped: dict[str, list[Problem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.kind, []).append(problem)
        return grouped


def site_host(site_base: str) -> str:
    """``finews.withounder.com`` from ``//finews.withounder.com`` or ``https://…``."""
    base = site_base if "://" in site_base else "http:" + site_base
    return (urlsplit(base).hostname or "").lower()


def check_archive(
    root: Path, *, site_base: str = DEFAULT_SITE_BASE, pins: dict[str, str] | None = None
) -> CheckReport:
    """Check the archive at ``root`` (see the module docstring)."""
    scan = scan_archive(root, site_base=site_base, pins=pins)
    return CheckReport(root, len(scan.posts), len(scan.pages), scan.problems())


def scan_archive(
    root: Path, *, site_base: str = DEFAULT_SITE_BASE, pins: dict[str, str] | None = None
) -> ArchiveScan:
    """Read and check every post and page of ``root``."""
    scan = ArchiveScan(root)
    host = site_host(site_base)
    entries: dict[str, IndexEntry | Exception] = {}
    for folder in POST_DIRS:
        names = _names(root / folder)
        scan.general += _case_clashes(folder, names)
        for name in names:
            scan.posts.append(_post(root, f"{folder}/{name}", host, entries))
    _dateless_twins(scan.posts)
    scan.pages = _pages(root, CATEGORY_DIR, PAGE_SUFFIX)
    scan.feeds = _pages(root, FEEDS_DIR, FEED_SUFFIX)
    scan.general += _case_clashes(FEEDS_DIR, [f"{stem}{FEED_SUFFIX}" for stem in scan.feeds])
    used: dict[str, Counter[str]] = defaultdict(Counter)
    for post in scan.posts:
        if post.category is not None and post.tag is not None:
            used[post.category][post.tag] += 1
    scan.categories = check_categories(used, scan.pages, scan.feeds, pins=pins)
    scan.general += _index_problems(root, entries)
    scan.general += [
        Problem("quarantined", str(path.relative_to(root)))
        for path in sorted((root / QUARANTINE_DIR).rglob("*"))
        if path.is_file()
    ]
    return scan


def _names(folder: Path) -> list[str]:
    """Entries of a post folder that are not hidden (temp files are the index check's)."""
    try:
        return sorted(e.name for e in os.scandir(folder) if not e.name.startswith("."))
    except FileNotFoundError:
        return []


def _post(root: Path, file: str, host: str, entries: dict[str, IndexEntry | Exception]) -> PostInfo:
    """Check one post, reading it once: its index entry (or why it has none) goes
    into ``entries`` for the index comparison."""
    path = root / file
    if not path.is_file():
        info = PostInfo(file)
        info.add("file-name", "not a file")
        return info
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        info = PostInfo(file)
        info.add("unreadable-file", str(exc)[:200])
        entries[file] = exc if isinstance(exc, UnicodeDecodeError) else reader.PostUnreadable(exc)
        return info
    meta = None
    if POST_NAME_RE.fullmatch(file.rsplit("/", 1)[-1]):
        try:
            parts = reader.parse_post(text)
        except reader.PostUnreadable as exc:
            entries[file] = exc
        else:
            entries[file] = reader.entry_from_parts(file, parts)
            meta = parts.meta
    return inspect_post(file, text, site_host=host, meta=meta)


def _dateless_twins(posts: list[PostInfo]) -> None:
    """Name the dated post of each date-less one's code: repair will not rename onto it."""
    dated = {p.code: p.file for p in posts if p.code and "name-no-date" not in p.kinds}
    for post in posts:
        if "name-no-date" in post.kinds and post.code in dated:
            post.problems = [
                Problem(p.kind, p.path, f"a dated post of this code exists: {dated[post.code]}")
                if p.kind == "name-no-date"
                else p
                for p in post.problems
            ]


def _case_clashes(folder: str, names: list[str]) -> list[Problem]:
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        groups[name.casefold()].append(name)
    return [
        Problem("case-clash", f"{folder}/{first}", ", ".join(f"{folder}/{n}" for n in others))
        for first, *others in (sorted(g) for g in groups.values() if len(g) > 1)
    ]


def _pages(root: Path, folder: str, suffix: str) -> dict[str, PageInfo]:
    pages = {}
    for name in _names(root / folder):
        path = root / folder / name
        if not name.endswith(suffix) or is_temp_name(name) or not path.is_file():
            continue
        stem = name[: -len(suffix)]
        file = f"{folder}/{name}"
        try:
            meta = split_document(path.read_bytes().decode("utf-8")).meta
        except (OSError, UnicodeDecodeError, FrontMatterError, ValueError) as exc:
            pages[stem] = PageInfo(stem, file, None, None, str(exc)[:200])
            continue
        title, key = meta.get("title"), meta.get("category")
        pages[stem] = PageInfo(
            stem, file, "" if title is None else str(title), None if key is None else str(key)
        )
    return pages


def _index_problems(root: Path, entries: dict[str, IndexEntry | Exception]) -> list[Problem]:
    """The index compared with the posts (as the post checks read them); a post whose
    front matter cannot be read is reported by the post checks, with the reason, not
    again here."""

    def read(file: str) -> IndexEntry:
        known = entries.get(file)
        if known is None:  # a post that appeared after the scan
            return reader.entry_from_text(file, (root / file).read_bytes().decode("utf-8"))
        if isinstance(known, Exception):
            raise known
        return known

    problems = consistency.find_problems(root, read=read)
    if any(p.kind == consistency.NO_INDEX for p in problems):
        problems = [p for p in problems if p.kind != consistency.NOT_INDEXED]
    return [p for p in problems if p.kind != consistency.UNREADABLE]
