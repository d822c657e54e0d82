"""``scrapy crawl newsshare`` against a misbehaving fixture upstream.

Share pages that come back as a gateway's error page or a blank page with status 200
are retried like a 5xx and never archived; what is lost for good is in the run report
with its code and reason. Retry delays and timeouts are shrunk by settings; the fault
plans are seeded, so every run sees the same faults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from newsmirror import exitcodes
from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.paths import POST_NAME_RE
from newsmirror.normalize.text import clean_title
from newsmirror.testing.catalog import Catalog, UpstreamArticle
from newsmirror.testing.faults import Faults
from newsmirror.testing.server import SHARE_PATH, UpstreamServer

from .conftest import run_scrapy

pytestmark = pytest.mark.slow

FAST = {
    "RETRY_BACKOFF_BASE": "0.05",
    "RETRY_BACKOFF_MAX": "2",
    "DOWNLOAD_TIMEOUT": "1",
    "AUTOTHROTTLE_MAX_DELAY": "0.2",
    "ARCHIVE_FSYNC": "False",
}
#: Codes the upstream does not know (their share page answers 404).
UNKNOWN = ["NW202206159999999991", "NW202206159999999992"]
REJECTED = "../etc/passwd"
#: What a share page that never comes back usable is reported as, by its fault.
LOST_REASONS = {
    "html": "unusable share page: no publication time",  # the gateway's page has a title
    "empty": "unusable share page: no title",
}


def share_key(code: str) -> str:
    """The fault plan's key of a code's share page URL."""
    return f"{SHARE_PATH}?{urlencode({'infoCode': code})}"


def crawl_newsshare(upstream: UpstreamServer, tmp_path: Path) -> tuple[dict[str, Any], str, int]:
    """Crawl every article of ``upstream`` by code, plus unknown and malformed codes;
    returns the run report, the log and the exit code."""
    codes = [a.code for a in upstream.catalog.by_code.values() if a.code.startswith("NW")]
    listing = tmp_path / "codes.txt"
    listing.write_text("\n".join([*codes, *UNKNOWN, REJECTED]) + "\n", encoding="utf-8")
    report = tmp_path / "report.json"
    values = {**FAST, "UPSTREAM_BASE": upstream.url, "ARCHIVE_DIR": str(tmp_path / "archive"),
              "SUMMARY_FILE": str(report)}  # fmt: skip
    settings = [arg for name, value in values.items() for arg in ("-s", f"{name}={value}")]
    result = run_scrapy("crawl", "newsshare", "-a", f"from_file={listing}", *settings, timeout=120)
    return json.loads(report.read_text(encoding="utf-8")), result.log, result.returncode


def archived(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Front matter of every post, by code."""
    found = {}
    for path in (tmp_path / "archive" / "_posts").glob("*.md"):
        match = POST_NAME_RE.fullmatch(path.name)
        assert match is not None
        found[match.group("code")] = split_document(path.read_text(encoding="utf-8")).meta
    return found


def problems(report: dict[str, Any], outcome: str) -> dict[str, str]:
    return {p["code"]: p["reason"] for p in report["problems"] if p["outcome"] == outcome}


def share_articles(catalog: Catalog) -> dict[str, UpstreamArticle]:
    return {code: a for code, a in catalog.by_code.items() if code.startswith("NW")}


def test_share_pages_answered_with_error_pages_are_retried_never_archived(
    upstream_factory, tmp_path: Path
) -> None:
    plan = Faults(seed=4, html=0.2, empty=0.15, error=0.1, invalid_json=0.1, truncate=0.05, gbk=0.3)
    upstream: UpstreamServer = upstream_factory(articles=60, faults=plan)
    articles = share_articles(upstream.catalog)
    hit = {c for c in articles if plan.transient(share_key(c), 1) in LOST_REASONS}
    assert len(hit) >= 10  # the plan does hit share pages
    report, log, returncode = crawl_newsshare(upstream, tmp_path)

    posts = archived(tmp_path)
    assert set(posts) == set(articles)
    for code, meta in posts.items():
        assert meta["title"] == clean_title(articles[code].title, fullwidth_to_ascii=True), code
    assert problems(report, "failed") == dict.fromkeys(UNKNOWN, "404 Not Found")
    assert problems(report, "skipped") == {
        repr(REJECTED): "input rejected: missing or malformed code"
    }
    for code in UNKNOWN:
        assert f"  failed {code} (share): 404 Not Found" in log
    assert "'newsmirror/retry/reason_count/unusable answer: no publication time'" in log
    assert "'newsmirror/retry/reason_count/unusable answer: no title'" in log
    assert "502 Bad Gateway" not in {meta["title"] for meta in posts.values()}
    assert returncode == exitcodes.OK, log[-3000:]  # 2 lost of 58: within the ratio


def test_share_pages_that_stay_unusable_are_reported_with_code_and_reason(
    upstream_factory, tmp_path: Path
) -> None:
    plan = Faults(seed=4, html=0.1, empty=0.1, attempts=10)  # more than RETRY_TIMES + 1
    upstream: UpstreamServer = upstream_factory(articles=60, faults=plan)
    articles = share_articles(upstream.catalog)
    lost = {
        code: LOST_REASONS[fault]
        for code in articles
        if (fault := plan.transient(share_key(code), 1)) in LOST_REASONS
    }
    assert set(lost.values()) == set(LOST_REASONS.values())
    report, log, returncode = crawl_newsshare(upstream, tmp_path)

    # A text answer that stays unusable falls back to the share page's body: not lost.
    assert set(archived(tmp_path)) == set(articles) - set(lost)
    assert problems(report, "failed") == {**lost, **dict.fromkeys(UNKNOWN, "404 Not Found")}
    assert report["failed"] == len(lost) + len(UNKNOWN)
    assert "body_from_share_page" in log
    assert returncode == exitcodes.INCOMPLETE  # over MAX_FAILURE_RATIO
