"""``scrapy crawl eastmoney`` against a misbehaving fixture upstream (issue 5's done-when).

Retry delays, timeouts and sizes are shrunk by settings so the runs stay fast; the
fault plans are seeded, so every run sees the same faults.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newsmirror import exitcodes
from newsmirror.archive.atomic import leftover_temp_files
from newsmirror.archive.paths import POST_NAME_RE
from newsmirror.testing.catalog import Catalog
from newsmirror.testing.faults import REASON_FAILS, REASON_OVERSIZE, TRANSIENT, Faults
from newsmirror.testing.server import UpstreamServer

from .conftest import crawl_eastmoney, run_scrapy

pytestmark = pytest.mark.slow

#: Quick retries, and a timeout well under the slow answers' delay.
FAST = {
    "RETRY_BACKOFF_BASE": "0.05",
    "RETRY_BACKOFF_MAX": "2",  # above the upstream's Retry-After: 1
    "DOWNLOAD_TIMEOUT": "1",
    "DOWNLOAD_MAXSIZE": "200000",
    "AUTOTHROTTLE_MAX_DELAY": "0.2",
    "ARCHIVE_FSYNC": "False",
    "PROGRESS_INTERVAL": "1",
}

MIXED = Faults(
    seed=11,
    error=0.10,
    invalid_json=0.05,
    slow=0.05,
    drop=0.03,
    truncate=0.03,
    html=0.03,
    empty=0.03,
    gbk=0.2,
    oversize=0.01,
    duplicates=0.05,
    fail_rate=0.02,
    slow_delay=3.0,
    retry_after=1,
    oversize_bytes=300_000,
)


def settings_args(report: Path, **extra: str) -> list[str]:
    values = {**FAST, "SUMMARY_FILE": str(report), **extra}
    return [arg for name, value in values.items() for arg in ("-s", f"{name}={value}")]


def archived_codes(archive: Path) -> Counter[str]:
    """How many posts each code has anywhere in the archive."""
    found = (POST_NAME_RE.fullmatch(p.name) for p in archive.rglob("*.md"))
    return Counter(m.group("code") for m in found if m)


def problems(report: dict[str, Any], outcome: str) -> dict[str, str]:
    """``{code (or list): reason}`` of the report's problems with this outcome."""
    found = [p for p in report["problems"] if p["outcome"] == outcome]
    return {p["code"] or p["list_name"]: p["reason"] for p in found}


def test_every_article_the_upstream_eventually_serves_is_archived_exactly_once(
    upstream_factory, archive_dir: Path, tmp_path: Path
) -> None:
    upstream: UpstreamServer = upstream_factory(articles=500, faults=MIXED)
    report_path = tmp_path / "report.json"
    result = crawl_eastmoney(upstream, archive_dir, *settings_args(report_path), timeout=240)
    log = result.log

    # The plan really did misbehave in every way.
    assert set(upstream.injected) == {*TRANSIENT, "gbk", "permanent"}, upstream.injected
    unservable = upstream.unservable_codes()
    assert {REASON_FAILS, REASON_OVERSIZE} == set(unservable.values())

    counts = archived_codes(archive_dir)
    assert set(counts) == set(upstream.catalog.by_code) - set(unservable)
    assert set(counts.values()) == {1}
    assert len(counts) >= 500
    assert leftover_temp_files(archive_dir) == []

    report = json.loads(report_path.read_text(encoding="utf-8"))
    failed = problems(report, "failed")
    assert set(failed) == set(unservable)
    for code, why in unservable.items():
        expected = "503 Service Unavailable" if why == REASON_FAILS else "larger than download max"
        assert expected in failed[code], (code, failed[code])
        assert f"  failed {code} (" in log  # 23 of them: all in the log too
    assert report["failed"] == len(unservable) and report["skipped"] == {}
    assert report["archived"]["created"] == len(counts)
    assert all(lst["state"] == "ok" for lst in report["lists"].values())
    assert report["retries"] > 50 and report["exit_code"] == exitcodes.OK

    assert result.returncode == exitcodes.OK, log[-3000:]
    assert "progress: archived 0 (0.0/min)" in log  # the first line, at open
    assert "answered 429 Too Many Requests: its download delay goes from" in log
    assert "'newsmirror/spider/duplicate_in_run':" in log
    assert "Traceback" not in log


def test_a_list_that_fails_for_good_exits_3_and_the_others_are_archived(
    upstream_factory, archive_dir: Path, tmp_path: Path
) -> None:
    plan = Faults(seed=2, error=0.05, fail_lists=frozenset({"market38"}))
    upstream: UpstreamServer = upstream_factory(articles=100, faults=plan)
    report_path = tmp_path / "report.json"
    result = crawl_eastmoney(upstream, archive_dir, *settings_args(report_path), timeout=120)

    assert result.returncode == exitcodes.INCOMPLETE, result.log[-3000:]
    catalog = upstream.catalog
    others = {code for name, arts in catalog.lists.items() if name != "market38" for code in
              (a.code for a in arts)}  # fmt: skip
    assert set(archived_codes(archive_dir)) == others
    assert "list market38: FAILED, listed 0" in result.log
    assert "  list market38 failed: 503 Service Unavailable" in result.log
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["exit_code"] == exitcodes.INCOMPLETE
    assert problems(report, "list failed") == {"market38": "503 Service Unavailable"}
    assert {n: lst["state"] for n, lst in report["lists"].items()} == {
        "media": "ok", "flash": "ok", "market37": "ok", "market38": "FAILED", "market39": "ok"
    }  # fmt: skip


def test_too_many_failed_articles_exit_3(
    upstream_factory, archive_dir: Path, tmp_path: Path
) -> None:
    media = [a.code for a in Catalog.build().lists["media"]]
    upstream: UpstreamServer = upstream_factory(faults=Faults(fail_codes=frozenset(media[:2])))
    args = settings_args(tmp_path / "report.json", MAX_FAILURE_RATIO="0.2")
    result = crawl_eastmoney(upstream, archive_dir, "-a", "lists=media", *args, timeout=120)
    assert "skipped 0; failed 2;" in result.log
    assert result.returncode == exitcodes.INCOMPLETE, result.log[-3000:]  # 2 of 8 > 20 %
    assert set(archived_codes(archive_dir)) == set(media[2:])


def test_a_crawl_that_cannot_start_keeps_scrapys_exit_code_1() -> None:
    result = run_scrapy("crawl", "eastmoney", "-a", "lists=rss", timeout=60)
    assert result.returncode == exitcodes.ERROR
    assert "unknown list(s) rss" in result.log
