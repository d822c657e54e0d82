"""The run summary: what a scheduled run did, read from the crawl stats."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ARCHIVE_RESULTS = ("created", "updated", "unchanged")


@dataclass
class ListSummary:
    """One list's fate in a run."""

    listed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    fetched: bool = False
    failed: bool = False

    @property
    def state(self) -> str:
        return "ok" if self.fetched else ("FAILED" if self.failed else "not fetched")


@dataclass
class RunSummary:
    lists: dict[str, ListSummary] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    @property
    def skipped(self) -> int:
        return sum(self.dropped.values())

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line."""
        out = [
            f"archived {self.created} new, {self.updated} updated, {self.unchanged} unchanged; "
            f"skipped {self.skipped}; failed {self.failed}"
        ]
        out += [f"  skipped {n}: {reason}" for reason, n in sorted(self.dropped.items())]
        out += [
            f"  list {name}: {lst.state}, listed {lst.listed}, archived {lst.created} new, "
            f"{lst.updated} updated, {lst.unchanged} unchanged"
            for name, lst in sorted(self.lists.items())
        ]
        return out


def summarize(stats: Mapping[str, Any]) -> RunSummary:
    """Build the summary from a crawl's stats (``newsmirror/...`` keys)."""
    summary = RunSummary()
    lists: dict[str, ListSummary] = defaultdict(ListSummary)
    for key, value in stats.items():
        if not key.startswith("newsmirror/") or not isinstance(value, int):
            continue
        parts = key.split("/")[1:]
        match parts:
            case ["list", name, "listed"]:
                lists[name].listed += value
            case ["list", name, "ok"]:
                lists[name].fetched = True
            case ["list", name, "failed"]:
                lists[name].failed = True
            case ["archive", result] if result in ARCHIVE_RESULTS:
                setattr(summary, result, getattr(summary, result) + value)
            case ["archive", result, name] if result in ARCHIVE_RESULTS:
                setattr(lists[name], result, getattr(lists[name], result) + value)
            case ["validate", "dropped", reason]:
                summary.dropped[reason] = summary.dropped.get(reason, 0) + value
            case ["article", "failed"]:
                summary.failed += value
    summary.lists = dict(lists)
    return summary
