"""The reports of ``newsmirror check`` and ``newsmirror repair``, as text or JSON.

Text groups problems by kind (the order of :mod:`newsmirror.archive.problems`), with
a count, what the kind means, what repair does about it, and up to ``examples``
files (all with ``verbose``). JSON lists every problem, for programs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from newsmirror.archive.check import QUARANTINE_DIR, CheckReport
from newsmirror.archive.consistency import Problem
from newsmirror.archive.problems import KINDS, ORDER
from newsmirror.archive.repair import RepairReport

DEFAULT_EXAMPLES = 5


def _grouped(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    groups: dict[str, list[Problem]] = {}
    for problem in sorted(problems, key=lambda p: (ORDER[p.kind], p.path, p.detail)):
        groups.setdefault(problem.kind, []).append(problem)
    return groups


def _item(problem: Problem) -> str:
    return problem.path + (f"  ({problem.detail})" if problem.detail else "")


def _kind_lines(problems: Iterable[Problem], examples: int | None, *, repair: bool) -> list[str]:
    lines = []
    for name, group in _grouped(problems).items():
        kind = KINDS[name]
        how = f" [{kind.repair.value}]" if repair else ""
        lines.append(f"{name}: {len(group)} — {kind.summary}{how}")
        shown = group if examples is None else group[:examples]
        lines += [f"  {_item(p)}" for p in shown]
        if len(shown) < len(group):
            lines.append(f"  … and {len(group) - len(shown)} more (--verbose lists them all)")
    return lines


def _json_kinds(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [
        {
            "kind": name,
            "severity": KINDS[name].severity.value,
            "repair": KINDS[name].repair.value,
            "summary": KINDS[name].summary,
            "count": len(group),
            "items": [{"path": p.path, "detail": p.detail} for p in group],
        }
        for name, group in _grouped(problems).items()
    ]


# -- check ---------------------------------------------------------------------------------
def check_text(report: CheckReport, *, examples: int | None = DEFAULT_EXAMPLES) -> str:
    """The human report; ``examples=None`` lists every file."""
    errors, notes = report.errors, report.notes
    lines = [f"newsmirror check {report.root}: {report.posts} posts, {report.pages} category pages"]
    note_text = f" ({len(notes)} note(s))" if notes else ""
    if errors:
        files = len({p.path for p in errors})
        kinds = len({p.kind for p in errors})
        lines.append(
            f"FAILED: {len(errors)} problem(s) of {kinds} kind(s) in {files} file(s){note_text}"
        )
    else:
        lines.append(f"OK: no problems{note_text}")
    if errors:
        lines += ["", *_kind_lines(errors, examples, repair=True)]
    if notes:
        lines += ["", "notes (accepted history, not failures):"]
        lines += _kind_lines(notes, examples, repair=False)
    if errors:
        lines += ["", "`newsmirror repair --dry-run ARCHIVE` shows what repair would change."]
    return "\n".join(lines)


def check_json(report: CheckReport) -> str:
    return json.dumps(
        {
            "archive": str(report.root),
            "clean": report.clean,
            "posts": report.posts,
            "category_pages": report.pages,
            "problems": len(report.errors),
            "notes": len(report.notes),
            "kinds": _json_kinds(report.problems),
        },
        ensure_ascii=False,
        indent=2,
    )


# -- repair --------------------------------------------------------------------------------
def repair_text(report: RepairReport, *, examples: int | None = DEFAULT_EXAMPLES) -> str:
    plan = report.plan
    be = "would be " if report.dry_run else ""
    title = f"newsmirror repair {report.root}" + (
        " (dry run: nothing changed)" if report.dry_run else ""
    )
    lines = [title]
    if report.nothing_to_do:
        lines.append("nothing to do")
    for line in report.start:
        lines.append(f"on opening: {line}")
    if plan.posts:
        renamed = [f for f in plan.posts if f.renamed]
        lines += ["", f"posts {be}rewritten: {len(plan.posts)} ({len(renamed)} renamed)"]
        lines += _indent(
            _kind_lines([p for f in plan.posts for p in f.fixed], examples, repair=False)
        )
        shown = renamed if examples is None else renamed[:examples]
        lines += [f"  renamed {f.old_file} -> {f.file}" for f in shown]
        if len(shown) < len(renamed):
            lines.append(f"  … and {len(renamed) - len(shown)} more renamed")
    if plan.quarantine:
        lines += [
            "",
            f"{'would move' if report.dry_run else 'moved'} aside for a human "
            f"({QUARANTINE_DIR}/, committed, ignored by Jekyll):",
        ]
        for moved in plan.quarantine:
            why = next((p.detail for p in moved.problems if p.kind == "name-no-date"), "")
            lines.append(f"  {moved.file} -> {moved.to}" + (f"  ({why})" if why else ""))
    if plan.pages:
        lines += ["", f"category and feed pages {be}written:"]
        lines += [f"  {_page_line(fix.action, fix.file, fix.title)}" for fix, _ in plan.pages]
    if plan.temp_files:
        lines += ["", f"temp files {be}removed: {len(plan.temp_files)}"]
        lines += [f"  {p.path}" for p in plan.temp_files[: examples or None]]
    index = Counter(p.kind for p in plan.index)
    if index or report.index_updated:
        found = ", ".join(f"{kind} {n}" for kind, n in sorted(index.items(), key=_by_order))
        done = (
            f"; {report.index_updated} line(s) re-read from their posts"
            if report.index_updated
            else ""
        )
        lines += ["", f"index {be}brought in step with the posts ({found or 'lines'}{done})"]
    if report.remaining:
        lines += ["", f"cannot fix ({len(report.remaining)}): a human must decide"]
        lines += _kind_lines(report.remaining, examples, repair=False)
    if report.notes:
        lines += ["", "notes (accepted history, not failures):"]
        lines += _kind_lines(report.notes, examples, repair=False)
    if not report.remaining:
        lines += [
            "",
            "the archive " + ("would then check clean" if report.dry_run else "checks clean"),
        ]
    return "\n".join(lines)


def repair_json(report: RepairReport) -> str:
    plan = report.plan
    return json.dumps(
        {
            "archive": str(report.root),
            "dry_run": report.dry_run,
            "nothing_to_do": report.nothing_to_do,
            "clean": report.clean,
            "on_opening": report.start,
            "posts": [
                {"file": f.old_file, "to": f.file, "fixed": sorted({p.kind for p in f.fixed})}
                for f in plan.posts
            ],
            "quarantined": [{"file": q.file, "to": q.to} for q in plan.quarantine],
            "pages": [
                {"action": fix.action, "file": fix.file, "title": fix.title, "fixes": problem.kind}
                for fix, problem in plan.pages
            ],
            "temp_files": [p.path for p in plan.temp_files],
            "index": _json_kinds(plan.index),
            "index_lines_reread": report.index_updated,
            "remaining": _json_kinds(report.remaining),
            "notes": _json_kinds(report.notes),
        },
        ensure_ascii=False,
        indent=2,
    )


def _page_line(action: str, file: str, title: str) -> str:
    if action == "create":
        return f"new {file} (title {title!r}) and its feed page"
    if action == "set-key":
        return f"{file}: its category key set to its file name"
    return f"{file}: title {title!r}" + (" (page rewritten)" if action == "rewrite" else "")


def _indent(lines: Sequence[str]) -> list[str]:
    return [f"  {line}" for line in lines]


def _by_order(item: tuple[str, int]) -> int:
    return ORDER[item[0]]
