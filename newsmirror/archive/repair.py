"""``newsmirror repair``: fix in place what ``newsmirror check`` reports and can be fixed.

A repair takes the archive's lock (a crawl cannot run meanwhile; a refused repair
raises :class:`~newsmirror.archive.lock.ArchiveLocked`), lets
:class:`~newsmirror.archive.state.ArchiveState` fold a dead run's journal, remove its
temp files and bring the index in step by name, then plans (:func:`plan_repair`, the
same read-only pass as a check) and applies the plan:

- posts: rewritten in place, or under their new name (a date that was empty or
  disagreed with the name), by the crawl's protocol: the change is journaled, the new
  file written atomically, the old name removed, the index entry recorded. A kill at
  any point leaves the old file, the new one, or both (the next start keeps the newer):
  never a partial post, never a post lost. Fixes in :mod:`newsmirror.archive.postfix`;
- a date-less post whose code already has a dated post is never deleted and never
  merged: it moves, unchanged, to ``_quarantine/<folder>/`` (committed, ignored by
  Jekyll) for a human to compare;
- category and feed pages: written or retitled atomically
  (:mod:`newsmirror.archive.categorycheck` decides);
- the index: every post whose line disagrees with it is read again and recorded.

A dry run (``dry_run=True``) plans only: it takes no lock and writes nothing, not even
the index, and reports what a repair would do. Repairing a repaired archive does
nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from newsmirror.archive import consistency, reader
from newsmirror.archive.atomic import atomic_move, atomic_write_text
from newsmirror.archive.categorycheck import PageFix
from newsmirror.archive.check import (
    DEFAULT_SITE_BASE,
    QUARANTINE_DIR,
    ArchiveScan,
    check_archive,
    scan_archive,
    site_host,
)
from newsmirror.archive.consistency import Problem
from newsmirror.archive.feedpage import render_feed_page
from newsmirror.archive.frontmatter import yaml_line
from newsmirror.archive.listing import post_files
from newsmirror.archive.paths import FEEDS_DIR, POST_NAME_RE
from newsmirror.archive.post import render_category_page
from newsmirror.archive.postfile import NoFrontMatter, split_post
from newsmirror.archive.postfix import PostFix, fix_post
from newsmirror.archive.problems import KINDS, Repair, Severity
from newsmirror.archive.state import ArchiveState, carry_over
from newsmirror.archive.writer import ArchiveWriter

logger = logging.getLogger(__name__)

#: Problems of the index that opening the state and re-reading posts fix.
_INDEX_KINDS = frozenset(
    {
        consistency.NO_INDEX,
        consistency.INDEX_LINE,
        consistency.INDEX_CONFLICT,
        consistency.INDEX_UNSORTED,
        consistency.JOURNAL,
        consistency.NOT_INDEXED,
        consistency.NO_POST,
        consistency.MISMATCH,
    }
)


@dataclass(frozen=True)
class Quarantine:
    """A post moved aside, unchanged: ``file`` -> ``to``, and why."""

    file: str
    to: str
    problems: list[Problem]


@dataclass
class RepairPlan:
    """What a repair of an archive does (made read-only; applied by :func:`repair_archive`)."""

    posts: list[PostFix] = field(default_factory=list)
    quarantine: list[Quarantine] = field(default_factory=list)
    pages: list[tuple[PageFix, Problem]] = field(default_factory=list)
    temp_files: list[Problem] = field(default_factory=list)
    index: list[Problem] = field(default_factory=list)
    #: Problems no change above fixes.
    unfixable: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @property
    def fixed(self) -> list[Problem]:
        """The problems the plan's changes fix."""
        found = [p for fix in self.posts for p in fix.fixed]
        found += [problem for _, problem in self.pages]
        return found + self.temp_files + self.index

    @property
    def empty(self) -> bool:
        return not (self.posts or self.quarantine or self.pages or self.temp_files or self.index)


@dataclass
class RepairReport:
    """What a repair did (or, dry, would do), and what it left."""

    root: Path
    dry_run: bool
    plan: RepairPlan
    #: What opening the archive repaired first (a dead run's journal, temp files …).
    start: list[str] = field(default_factory=list)
    #: Index lines written again from their posts after the changes.
    index_updated: int = 0
    #: Problems left: after a repair, a fresh check's; after a dry run, the plan's.
    remaining: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.remaining

    @property
    def nothing_to_do(self) -> bool:
        return self.plan.empty and not self.start and not self.index_updated


def repair_archive(
    root: Path,
    *,
    site_base: str = DEFAULT_SITE_BASE,
    dry_run: bool = False,
    fsync: bool = True,
    pins: dict[str, str] | None = None,
) -> RepairReport:
    """Repair the archive at ``root`` (see the module docstring)."""
    if dry_run:
        plan = plan_repair(root, site_base=site_base, pins=pins)
        return RepairReport(root, True, plan, remaining=plan.unfixable, notes=plan.notes)
    with ArchiveState.open(root, fsync=fsync) as state:
        start = state.report.describe()
        plan = plan_repair(root, site_base=site_base, pins=pins)
        _apply(root, plan, state, site_base=site_base, fsync=fsync)
        updated = sync_index(state)
    after = check_archive(root, site_base=site_base, pins=pins)
    return RepairReport(root, False, plan, start, updated, after.errors, after.notes)


# -- planning (read-only) ------------------------------------------------------------------
def plan_repair(
    root: Path, *, site_base: str = DEFAULT_SITE_BASE, pins: dict[str, str] | None = None
) -> RepairPlan:
    """Everything a repair would change, decided from one read-only pass."""
    scan = scan_archive(root, site_base=site_base, pins=pins)
    plan = RepairPlan()
    _plan_posts(root, scan, plan, site_base)
    for finding in scan.categories:
        if finding.fix is not None:
            plan.pages.append((finding.fix, finding.problem))
        else:
            _leave(plan, finding.problem)
    for problem in scan.general:
        if problem.kind == consistency.TEMP_FILE:
            plan.temp_files.append(problem)
        elif problem.kind in _INDEX_KINDS:
            plan.index.append(problem)
        else:
            _leave(plan, problem)
    return plan


def _leave(plan: RepairPlan, problem: Problem) -> None:
    if KINDS[problem.kind].severity is Severity.NOTE:
        plan.notes.append(problem)
    else:
        plan.unfixable.append(problem)


def _plan_posts(root: Path, scan: ArchiveScan, plan: RepairPlan, site_base: str) -> None:
    host = site_host(site_base)
    taken = {post.file for post in scan.posts}
    dated = {p.code for p in scan.posts if p.code and "name-no-date" not in p.kinds}
    for info in scan.posts:
        if not any(KINDS[p.kind].repair is not Repair.HUMAN for p in info.problems):
            for problem in info.problems:
                _leave(plan, problem)
            continue
        if "name-no-date" in info.kinds and info.code in dated:
            to = _quarantine_path(root, info.file)
            plan.quarantine.append(Quarantine(info.file, to, info.problems))
            continue
        text = (root / info.file).read_bytes().decode("utf-8")
        fix = fix_post(info.file, text, site_base=site_base, site_host=host)
        if fix.renamed and fix.file in taken:
            fix = fix_post(info.file, text, site_base=site_base, site_host=host, rename=False)
        if fix.renamed:
            taken.add(fix.file)
        if fix.text != text or fix.renamed:
            plan.posts.append(fix)
        plan.unfixable += fix.remaining


def _quarantine_path(root: Path, file: str) -> str:
    """``_quarantine/<file>``, or ``…/<stem>.<n>.md`` when that is taken."""
    target = f"{QUARANTINE_DIR}/{file}"
    stem, dot, suffix = target.rpartition(".")
    n = 1
    while (root / target).exists():
        n += 1
        target = f"{stem}.{n}{dot}{suffix}"
    return target


# -- applying ------------------------------------------------------------------------------
def _apply(
    root: Path, plan: RepairPlan, state: ArchiveState, *, site_base: str, fsync: bool
) -> None:
    for problem in plan.temp_files:
        (root / problem.path).unlink(missing_ok=True)
    for moved in plan.quarantine:
        atomic_move(root / moved.file, root / moved.to, fsync=fsync)
        logger.warning("moved %s to %s for a human to compare", moved.file, moved.to)
    for fix in plan.posts:
        _write_post(root, fix, state, fsync=fsync)
    writer = ArchiveWriter(root, site_base, fsync=fsync)
    for page_fix, _ in plan.pages:
        _write_page(root, page_fix, writer, fsync=fsync)


def _write_post(root: Path, fix: PostFix, state: ArchiveState, *, fsync: bool) -> None:
    """As a crawl updates a post: journal, write the new file, drop the old name, record."""
    if fix.renamed:
        state.will_change(fix.old_file, fix.file)
    else:
        state.will_change(fix.file)
    atomic_write_text(root / fix.file, fix.text, fsync=fsync)
    if fix.renamed:
        (root / fix.old_file).unlink(missing_ok=True)
    if POST_NAME_RE.fullmatch(fix.file.rsplit("/", 1)[-1]):
        fresh = reader.entry_from_text(fix.file, fix.text)
        known = state.get(fresh.code)
        previous = known if known is not None and known.file == fix.old_file else None
        state.record(carry_over(fresh, previous))


def _write_page(root: Path, fix: PageFix, writer: ArchiveWriter, *, fsync: bool) -> None:
    path = root / fix.file
    feed = fix.file.startswith(f"{FEEDS_DIR}/")
    if fix.action == "create":
        writer.ensure_category_page(fix.slug, fix.title)
        return
    if fix.action == "rewrite":
        text = (
            render_feed_page(fix.slug, fix.title)
            if feed
            else render_category_page(fix.slug, fix.title)
        )
        atomic_write_text(path, text, fsync=fsync)
        return
    key, value = ("title", fix.title) if fix.action == "retitle" else ("category", fix.slug)
    try:
        page = split_post(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, NoFrontMatter) as exc:
        logger.warning("page %s changed meanwhile, left alone: %s", fix.file, exc)
        return
    atomic_write_text(path, page.with_meta_line(key, yaml_line(key, value)).text(), fsync=fsync)


def sync_index(state: ArchiveState) -> int:
    """Record every post whose index line disagrees with it (read again); returns how
    many lines changed. The state already indexes every post file by name."""
    updated = 0
    for file, code in sorted(post_files(state.root).items()):
        known = state.get(code)
        if known is None or known.file != file:
            continue
        try:
            fresh = reader.read_entry(state.root, file)
        except OSError as exc:
            logger.warning("post %s could not be read: %s", file, exc)
            continue
        if fresh.post_fields() != known.post_fields():
            state.record(carry_over(fresh, known))
            updated += 1
    return updated
