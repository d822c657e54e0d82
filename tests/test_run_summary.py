"""The run summary, its JSON report, the exit-code rules and the progress line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from newsmirror import exitcodes
from newsmirror.progress import progress_line
from newsmirror.summary import Problem, exit_code, listed_in_report, summarize

OK_LISTS = {
    "newsmirror/list/media/requested": 1,
    "newsmirror/list/media/ok": 1,
    "newsmirror/list/media/listed": 90,
    "newsmirror/list/flash/requested": 1,
    "newsmirror/list/flash/ok": 1,
    "newsmirror/list/flash/listed": 10,
    "newsmirror/article/requested": 100,
}


def code_for(stats: dict[str, Any], reason: str = "finished", ratio: float = 0.1) -> int:
    return exit_code(summarize(stats, reason=reason), max_failure_ratio=ratio)


@pytest.mark.parametrize(
    ("extra", "reason", "expected"),
    [
        ({}, "finished", exitcodes.OK),
        ({"newsmirror/article/failed": 10}, "finished", exitcodes.OK),  # 10 % is allowed
        ({"newsmirror/article/failed": 11}, "finished", exitcodes.INCOMPLETE),
        ({"newsmirror/list/flash/failed": 1}, "finished", exitcodes.INCOMPLETE),
        ({"newsmirror/list/market37/requested": 1}, "finished", exitcodes.INCOMPLETE),
        ({}, "shutdown", exitcodes.INCOMPLETE),
        ({}, "closespider_timeout", exitcodes.INCOMPLETE),
        ({"newsmirror/list/flash/failed": 1}, exitcodes.REASON_LOCKED, exitcodes.LOCKED),
    ],
)
def test_exit_code_rules(extra: dict[str, int], reason: str, expected: int) -> None:
    assert code_for({**OK_LISTS, **extra}, reason) == expected


def test_articles_already_archived_do_not_dilute_the_failure_ratio() -> None:
    stats = {**OK_LISTS, "newsmirror/incremental/already_archived": 90}
    assert code_for({**stats, "newsmirror/article/failed": 1}) == exitcodes.OK
    assert code_for({**stats, "newsmirror/article/failed": 2}) == exitcodes.INCOMPLETE


def test_failures_without_any_request_are_over_any_ratio() -> None:
    assert code_for({"newsmirror/article/failed": 1}, ratio=0.99) == exitcodes.INCOMPLETE
    assert code_for({}, ratio=0.0) == exitcodes.OK


def test_the_finish_reason_comes_from_the_stats_by_default() -> None:
    assert summarize({"finish_reason": "shutdown"}).reason == "shutdown"
    assert summarize({}).reason == "finished"


def test_summary_counts_retries_skips_and_failures_per_list() -> None:
    stats = {
        **OK_LISTS,
        "newsmirror/list/flash/failed": 1,
        "newsmirror/list/flash/failed_articles": 2,
        "newsmirror/list/media/rejected": 3,
        "newsmirror/archive/created": 80,
        "newsmirror/archive/created/media": 80,
        "newsmirror/validate/dropped/no_body": 2,
        "newsmirror/spider/dropped/too_large": 1,
        "newsmirror/article/failed": 2,
        "newsmirror/retry/count": 17,
        "newsmirror/retry/max_reached": 2,
    }
    problems = [Problem("failed", "flash", "503 Service Unavailable", "2022")]
    summary = summarize(stats, problems)
    assert (summary.retries, summary.gave_up, summary.failed) == (17, 2, 2)
    assert summary.dropped == {"no_body": 2, "too_large": 1}
    assert summary.lists["flash"].state == "FAILED"  # failed wins over fetched
    assert summary.lists["media"].rejected == 3
    lines = summary.lines()
    assert "skipped 3; failed 2;" in lines[0] and "retries 17 (gave up 2)" in lines[0]
    assert "  list flash: FAILED, listed 10" in "\n".join(lines)
    assert lines[-1] == "  failed 2022 (flash): 503 Service Unavailable"


def test_problem_lines_are_capped_in_the_log_but_not_in_the_report() -> None:
    problems = [Problem("failed", "media", "x", f"NW{i}") for i in range(60)]
    summary = summarize(OK_LISTS, problems)
    assert summary.lines()[-1] == "  ... and 10 more (all of them in SUMMARY_FILE)"
    assert len(summary.to_json()["problems"]) == 60


def test_the_json_report_round_trips_through_listed_in_report(tmp_path: Path) -> None:
    summary = summarize({**OK_LISTS, "newsmirror/list/flash/failed": 1})
    summary.problems.append(Problem("list failed", "flash", "503 Service Unavailable"))
    report = summary.to_json(exit_code=3)
    assert report["exit_code"] == 3 and report["reason"] == "finished"
    assert report["lists"]["flash"]["state"] == "FAILED"
    assert report["problems"] == [
        {"outcome": "list failed", "list_name": "flash", "reason": "503 Service Unavailable",
         "code": ""}
    ]  # fmt: skip
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    assert listed_in_report(path) == {"flash": 10, "media": 90}


@pytest.mark.parametrize("content", [None, "", "not json", "[1, 2]", '{"lists": 3}'])
def test_a_missing_or_broken_report_gives_no_history(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    assert listed_in_report(path) == {}
    assert listed_in_report(None) == {}


def test_progress_line_counts_archived_rate_and_requests_left() -> None:
    stats = {
        "newsmirror/archive/created": 50,
        "newsmirror/archive/unchanged": 10,
        "newsmirror/article/failed": 2,
        "newsmirror/retry/count": 7,
    }
    assert progress_line(stats, elapsed=30.0, queued=48, in_flight=16) == (
        "progress: archived 60 (120.0/min), failed 2, retries 7; "
        "requests left 64 (48 queued, 16 in flight)"
    )
    assert progress_line({}, elapsed=0.0, queued=0, in_flight=0).startswith(
        "progress: archived 0 (0.0/min)"
    )


# -- the extension -----------------------------------------------------------------------------
def summary_extension(tmp_path: Path, **settings: Any) -> tuple[Any, Any]:
    from newsmirror.extensions import RunSummary
    from newsmirror.spiders.eastmoney import EastmoneySpider
    from newsmirror.testing.offline import OfflineCrawl

    base = {"UPSTREAM_BASE": "http://127.0.0.1:9", "ARCHIVE_DIR": str(tmp_path / "archive")}
    crawl = OfflineCrawl(EastmoneySpider, {**base, **settings}, lists="media")
    return crawl, crawl.crawler.get_extension(RunSummary)  # as EXTENSIONS set it up


def test_errors_scrapy_caught_become_failed_articles_and_lists(tmp_path: Path) -> None:
    from scrapy import signals as scrapy_signals
    from scrapy.exceptions import DropItem
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from newsmirror.items import Article

    crawl, ext = summary_extension(tmp_path)
    def send(signal: object, **kwargs: Any) -> None:
        crawl.crawler.signals.send_catch_log(signal, spider=crawl.spider, **kwargs)

    list_req = crawl.spider.list_requests()[0]
    (text_req,) = crawl.call(list_req, '{"nodeList": [{"infocode": "NW7", "title": "t"}]}')
    item = Article(code="NW8", list_kind="media", list_name="media")
    text_answer = Response(text_req.url, request=text_req)
    send(scrapy_signals.spider_error, failure=Failure(KeyError("x")), response=text_answer)
    list_answer = Response(list_req.url, request=list_req)
    send(scrapy_signals.spider_error, failure=Failure(TypeError("y")), response=list_answer)
    send(scrapy_signals.item_error, item=item, response=None, failure=Failure(OSError("z")))
    send(scrapy_signals.item_dropped, item=item, response=None, exception=DropItem("no body"))
    ext.spider_closed("finished")
    summary = ext.summary
    assert summary.failed == 2 and summary.lists["media"].state == "FAILED"
    assert [(p.outcome, p.code, p.reason) for p in summary.problems] == [
        ("failed", "NW7", "spider error: KeyError: 'x'"),
        ("list failed", "", "spider error: TypeError: y"),
        ("failed", "NW8", "pipeline error: OSError: z"),
        ("skipped", "NW8", "no body"),
    ]


def test_the_report_file_is_written_atomically_with_the_exit_code(tmp_path: Path) -> None:
    from newsmirror.archive.atomic import leftover_temp_files

    report = tmp_path / "out" / "run.json"
    crawl, ext = summary_extension(tmp_path, SUMMARY_FILE=str(report), MAX_FAILURE_RATIO=0.5)
    crawl.call(crawl.spider.list_requests()[0], '{"nodeList": [{"infocode": "NW7"}]}')
    crawl.crawler.stats.inc_value("newsmirror/article/failed")
    ext.spider_closed("finished")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["exit_code"] == exitcodes.INCOMPLETE  # 1 failed of 1 fetched
    assert data["lists"]["media"]["listed"] == 1
    assert leftover_temp_files(report.parent) == []
