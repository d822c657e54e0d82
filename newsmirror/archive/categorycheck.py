"""Check category and feed pages against the posts that use them, and decide each fix.

A page's title is ``<source>新闻``; the posts of its category carry the same text as
their ``tags``, so the posts say what the title must be. A page no post uses is
judged by its title alone, as the crawl's slug registry judges it
(:class:`~newsmirror.normalize.slugs.SlugRegistry`): a title naming a source that could
not have this slug is old-generator history the next crawl takes over (a note).

Unsafe page names (the old generator's ``anxinguojizhengquan(xianggang).html``) are
never renamed and their posts never move: a post's category is part of its URL. The
fix is the page of the source's safe slug (``anxinguojizhengquan-xianggang.html``),
which new posts of that source use; the old page stays for its URL.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from newsmirror.archive.consistency import Problem
from newsmirror.archive.paths import CATEGORY_DIR, FEEDS_DIR
from newsmirror.normalize.slugs import (
    RESERVED_SLUGS,
    ExistingPage,
    SlugRegistry,
    category_slug,
    is_safe_slug,
    source_from_title,
)

PAGE_SUFFIX = ".html"
FEED_SUFFIX = ".xml"
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class PageInfo:
    """A category or feed page as read: ``title``/``key`` are ``None`` when its front
    matter cannot be read (``error`` says why)."""

    stem: str
    file: str
    title: str | None
    key: str | None
    error: str = ""


@dataclass(frozen=True)
class PageFix:
    """One change to a page: ``create`` (the category page and its feed page),
    ``retitle``, ``set-key`` (its ``category:`` line) or ``rewrite`` (a whole new page)."""

    action: str
    file: str
    slug: str
    title: str


@dataclass(frozen=True)
class CategoryFinding:
    problem: Problem
    fix: PageFix | None = None


def page_file(slug: str) -> str:
    return f"{CATEGORY_DIR}/{slug}{PAGE_SUFFIX}"


def feed_file(slug: str) -> str:
    return f"{FEEDS_DIR}/{slug}{FEED_SUFFIX}"


def safe_form(stem: str) -> str:
    """The safe slug an unsafe page name stands for (``""`` when there is none):
    every run of other characters becomes one ``-``, as :func:`category_slug` does."""
    slug = _UNSAFE_RUN.sub("-", stem).strip("-")
    return slug if is_safe_slug(slug) else ""


def check_categories(
    used: Mapping[str, Counter[str]],
    pages: Mapping[str, PageInfo],
    feeds: Mapping[str, PageInfo],
    *,
    pins: Mapping[str, str] | None = None,
) -> list[CategoryFinding]:
    """Findings for ``used`` (category -> its posts' tags, counted), the category
    ``pages`` and the ``feeds`` (both by file stem)."""
    findings: list[CategoryFinding] = []
    folded: dict[str, list[str]] = {}
    for stem in pages:
        folded.setdefault(stem.casefold(), []).append(stem)
    titles: dict[str, str] = {}  # stem -> the title the page has after repair

    for category, tags in sorted(used.items()):
        page = pages.get(category)
        if len(tags) > 1:
            said = ", ".join(f"{tag!r} ({n})" for tag, n in tags.most_common())
            file = page.file if page else page_file(category)
            findings.append(CategoryFinding(Problem("category-tags-disagree", file, said)))
            continue
        (tag,) = tags
        titles[category] = tag
        if page is None:
            findings.append(_missing(category, tag, sum(tags.values()), folded))
        elif page.title is None:
            fix = PageFix("rewrite", page.file, category, tag)
            findings.append(CategoryFinding(Problem("category-page-unreadable", page.file), fix))
        elif page.title != tag:
            detail = f"titled {page.title!r}; its posts say {tag!r}"
            fix = PageFix("retitle", page.file, category, tag)
            findings.append(CategoryFinding(Problem("category-page-title", page.file, detail), fix))

    unused = [page for stem, page in sorted(pages.items()) if stem not in used]
    unowned = _unowned(unused, pins)
    for page in unused:
        findings += _unused_page(page, unowned, titles)
    for page in pages.values():
        if page.title is not None and page.key != page.stem:
            detail = f"category: {page.key!r}"
            fix = PageFix("set-key", page.file, page.stem, page.title)
            findings.append(CategoryFinding(Problem("category-page-key", page.file, detail), fix))
        if not is_safe_slug(page.stem):
            findings.append(_unsafe_name(page, pages, used, folded, pins))
    for stems in folded.values():
        if len(stems) > 1:
            first, *others = sorted(stems)
            detail = ", ".join(page_file(s) for s in others)
            findings.append(CategoryFinding(Problem("case-clash", page_file(first), detail)))
    findings += _feeds(feeds, pages, titles)
    return findings


def _missing(category: str, tag: str, count: int, folded: dict[str, list[str]]) -> CategoryFinding:
    file = page_file(category)
    detail = f"{count} post(s), title {tag!r}"
    if not is_safe_slug(category):
        detail += "; not a safe slug: newsmirror writes no page of that name"
        return CategoryFinding(Problem("category-page-missing", file, detail))
    variants = folded.get(category.casefold(), [])
    if variants:
        detail += f"; would clash in case with {page_file(variants[0])}"
        return CategoryFinding(Problem("category-page-missing", file, detail))
    folded.setdefault(category.casefold(), []).append(category)
    return CategoryFinding(
        Problem("category-page-missing", file, detail), PageFix("create", file, category, tag)
    )


def _unowned(unused: list[PageInfo], pins: Mapping[str, str] | None) -> set[str]:
    """Stems of the safe, readable pages whose titles name a source that could not
    have their slug (as the crawl's registry sees them)."""
    existing = [
        ExistingPage(p.stem, p.title)
        for p in unused
        if p.title is not None and is_safe_slug(p.stem) and p.stem.casefold() not in RESERVED_SLUGS
    ]
    return set(SlugRegistry(existing, pins=pins).unowned_pages)


def _unused_page(
    page: PageInfo, unowned: set[str], titles: dict[str, str]
) -> list[CategoryFinding]:
    if page.title is None:
        return [CategoryFinding(Problem("category-page-unreadable", page.file, page.error))]
    titles[page.stem] = page.title
    reserved = RESERVED_SLUGS.get(page.stem.casefold())
    if reserved is not None and page.stem == page.stem.casefold():
        if page.title != reserved:
            titles[page.stem] = reserved
            detail = f"titled {page.title!r}; the {page.stem} page is {reserved!r}"
            fix = PageFix("retitle", page.file, page.stem, reserved)
            return [CategoryFinding(Problem("category-page-title", page.file, detail), fix)]
        return []
    if page.stem in unowned:
        detail = f"titled {page.title!r}"
        return [CategoryFinding(Problem("category-page-unowned", page.file, detail))]
    return []


def _unsafe_name(
    page: PageInfo,
    pages: Mapping[str, PageInfo],
    used: Mapping[str, Counter[str]],
    folded: dict[str, list[str]],
    pins: Mapping[str, str] | None,
) -> CategoryFinding:
    twin = safe_form(page.stem)
    if twin and twin in pages:
        return CategoryFinding(Problem("category-legacy-name", page.file, page_file(twin)))
    if not twin:
        detail = "it has no safe form"
        return CategoryFinding(Problem("category-name-unsafe", page.file, detail))
    twin_file = page_file(twin)
    clash = [s for s in folded.get(twin.casefold(), []) if s != twin]
    if clash:
        detail = f"its safe form {twin_file} would clash in case with {page_file(clash[0])}"
        return CategoryFinding(Problem("category-name-unsafe", page.file, detail))
    title = _twin_title(page, twin, used, pins)
    if title is None:
        detail = (
            f"safe form {twin_file}: its source is unknown (no post uses the page and its "
            f"title names another source)"
        )
        return CategoryFinding(Problem("category-name-unsafe", page.file, detail))
    folded.setdefault(twin.casefold(), []).append(twin)
    return CategoryFinding(
        Problem("category-name-unsafe", page.file, f"safe form {twin_file}"),
        PageFix("create", twin_file, twin, title),
    )


def _twin_title(
    page: PageInfo, twin: str, used: Mapping[str, Counter[str]], pins: Mapping[str, str] | None
) -> str | None:
    """The title of the safe twin: its posts' tag, else the page's own title when it
    names a source whose slug is the twin."""
    tags = used.get(page.stem)
    if tags:
        return next(iter(tags)) if len(tags) == 1 else None
    source = source_from_title(page.title or "")
    if source and twin in {category_slug(source), (pins or {}).get(source)}:
        return page.title
    return None


def _feeds(
    feeds: Mapping[str, PageInfo], pages: Mapping[str, PageInfo], titles: Mapping[str, str]
) -> list[CategoryFinding]:
    findings = []
    for stem, feed in sorted(feeds.items()):
        want = titles.get(stem)
        if want is None or stem not in pages or feed.title == want:
            continue
        detail = f"titled {feed.title!r}; its category page {want!r}"
        fix = PageFix("retitle", feed.file, stem, want)
        findings.append(CategoryFinding(Problem("feed-page-title", feed.file, detail), fix))
    return findings
