"""The run summary: what a scheduled run did, read from the crawl stats.

Counts come from the stats (``newsmirror/...`` keys); the details of what went wrong
(which code, which list, why) come as :class:`Problem` records collected by the
``RunSummary`` extension. :func:`exit_code` turns a summary into the process's exit
code; the JSON report (``SUMMARY_FILE``) is :meth:`RunSummary.to_json`.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from newsmirror import exitcodes

logger = logging.getLogger(__name__)

ARCHIVE_RESULTS = ("created", "updated", "unchanged")
#: Close reason of a run that went through to the end.
FINISHED = "finished"
#: Problem lines shown in the log; the JSON report has all of them.
MAX_PROBLEM_LINES = 50
#: Problem outcomes.
FAILED = "failed"
SKIPPED = "skipped"
LIST_FAILED = "list failed"


@dataclass(frozen=True)
class Problem:
    """One thing that did not make it into the archive, and why."""

    outcome: str  # failed | skipped | list failed
    list_name: str
    reason: str
    code: str = ""

    def line(self) -> str:
        if self.outcome == LIST_FAILED:
            return f"  list {self.list_name} failed: {self.reason}"
        return f"  {self.outcome} {self.code} ({self.list_name}): {self.reason}"


@dataclass
class ListSummary:
    """One list's fate in a run."""

    listed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Listed articles not fetched because the archive already holds them.
    already_archived: int = 0
    fetched: bool = False
    failed: bool = False
    #: Records refused (no safe code, not an object).
    rejected: int = 0
    #: Articles of this list whose text could not be had.
    failed_articles: int = 0

    @property
    def state(self) -> str:
        return "FAILED" if self.failed else ("ok" if self.fetched else "not fetched")

    @property
    def ok(self) -> bool:
        return self.fetched and not self.failed


@dataclass
class RunSummary:
    lists: dict[str, ListSummary] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    already_archived: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    #: Close reason (``finished``, ``shutdown``, ``archive_locked`` ...).
    reason: str = FINISHED
    #: Articles whose text was requested.
    requested: int = 0
    retries: int = 0
    #: Requests given up after their last retry.
    gave_up: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(self.dropped.values())

    @property
    def failure_ratio(self) -> float:
        """Failed articles per article fetched (requested, not already archived)."""
        fetched = self.requested - self.already_archived
        return self.failed / fetched if fetched > 0 else float(self.failed > 0)

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line."""
        out = [
            f"archived {self.created} new, {self.updated} updated, {self.unchanged} unchanged; "
            f"skipped {self.skipped}; failed {self.failed}; "
            f"already archived {self.already_archived}; "
            f"retries {self.retries} (gave up {self.gave_up})"
        ]
        out += [f"  skipped {n}: {reason}" for reason, n in sorted(self.dropped.items())]
        out += [
            f"  list {name}: {lst.state}, listed {lst.listed}, archived {lst.created} new, "
            f"{lst.updated} updated, {lst.unchanged} unchanged, "
            f"{lst.already_archived} already archived, failed {lst.failed_articles}"
            for name, lst in sorted(self.lists.items())
        ]
        out += [problem.line() for problem in self.problems[:MAX_PROBLEM_LINES]]
        if len(self.problems) > MAX_PROBLEM_LINES:
            more = len(self.problems) - MAX_PROBLEM_LINES
            out.append(f"  ... and {more} more (all of them in SUMMARY_FILE)")
        return out

    def to_json(self, exit_code: int | None = None) -> dict[str, Any]:
        """The JSON report: every count, every list, every problem."""
        counts = ("created", "updated", "unchanged", "already_archived")
        return {
            "reason": self.reason,
            "exit_code": exit_code,
            "archived": {name: getattr(self, name) for name in counts},
            "skipped": dict(sorted(self.dropped.items())),
            "requested": self.requested,
            "failed": self.failed,
            "retries": self.retries,
            "gave_up": self.gave_up,
            "lists": {
                name: {"state": lst.state, **asdict(lst)}
                for name, lst in sorted(self.lists.items())
            },
            "problems": [asdict(problem) for problem in self.problems],
        }


def summarize(
    stats: Mapping[str, Any], problems: Iterable[Problem] = (), reason: str | None = None
) -> RunSummary:
    """Build the summary from a crawl's stats (``newsmirror/...`` keys), the problems
    reported during the run and its close reason (default: the stats' ``finish_reason``)."""
    summary = RunSummary(
        reason=reason or str(stats.get("finish_reason") or FINISHED), problems=list(problems)
    )
    lists: dict[str, ListSummary] = defaultdict(ListSummary)
    for key, value in stats.items():
        if not key.startswith("newsmirror/") or not isinstance(value, int):
            continue
        parts = key.split("/")[1:]
        match parts:
            case ["list", name, "requested"]:
                lists.setdefault(name, ListSummary())  # in the summary, fetched or not
            case ["list", name, "listed"]:
                lists[name].listed += value
            case ["list", name, "rejected"]:
                lists[name].rejected += value
            case ["list", name, "failed_articles"]:
                lists[name].failed_articles += value
            case ["list", name, "ok"]:
                lists[name].fetched = True
            case ["list", name, "failed"]:
                lists[name].failed = True
            case ["archive", result] if result in ARCHIVE_RESULTS:
                setattr(summary, result, getattr(summary, result) + value)
            case ["archive", result, name] if result in ARCHIVE_RESULTS:
                setattr(lists[name], result, getattr(lists[name], result) + value)
            case [_, "dropped", reason]:
                summary.dropped[reason] = summary.dropped.get(reason, 0) + value
            case ["article", "failed"]:
                summary.failed += value
            case ["article", "requested"]:
                summary.requested += value
            case ["retry", "count"]:
                summary.retries += value
            case ["retry", "max_reached"]:
                summary.gave_up += value
            case ["incremental", "already_archived"]:
                summary.already_archived += value
            case ["incremental", "already_archived", name]:
                lists[name].already_archived += value
    summary.lists = dict(lists)
    return summary


def exit_code(summary: RunSummary, *, max_failure_ratio: float) -> int:
    """The process exit code a run's summary calls for (see ``newsmirror.exitcodes``):
    LOCKED when another run held the archive; INCOMPLETE when the run did not finish,
    a list could not be used, or more than ``max_failure_ratio`` of the articles
    failed; else OK."""
    if summary.reason == exitcodes.REASON_LOCKED:
        return exitcodes.LOCKED
    if summary.reason != FINISHED:
        return exitcodes.INCOMPLETE
    if any(not lst.ok for lst in summary.lists.values()):
        return exitcodes.INCOMPLETE
    if summary.failure_ratio > max_failure_ratio:
        return exitcodes.INCOMPLETE
    return exitcodes.OK


def listed_in_report(path: str | Path | None) -> dict[str, int]:
    """``{list: records listed}`` from a previous run's JSON report ({} when there is
    none or it cannot be read)."""
    if not path:
        return {}
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        return {
            str(name): int(lst.get("listed", 0))
            for name, lst in report.get("lists", {}).items()
            if isinstance(lst, Mapping)
        }
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        logger.warning("previous run report %s is unreadable, ignored: %s", path, exc)
        return {}
