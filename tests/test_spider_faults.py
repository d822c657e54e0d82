"""The eastmoney spider under hostile input and upstream faults (offline, no network)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsmirror.items import Article
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import OfflineCrawl, Reports

LOCAL = "http://127.0.0.1:9"
JSON = {"Content-Type": "application/json"}
SAFE = re.compile(r"[A-Za-z0-9]+")


def offline(tmp_path: Path, lists: str = "media", **settings: Any) -> OfflineCrawl:
    base = {"UPSTREAM_BASE": LOCAL, "ARCHIVE_DIR": str(tmp_path / "archive"), "LIST_COUNT": 50}
    return OfflineCrawl(EastmoneySpider, {**base, **settings}, lists=lists)


def media_list(*records: Any) -> str:
    return json.dumps({"nodeList": list(records)}, ensure_ascii=False)


def record(code: Any, title: str = "标题") -> dict[str, Any]:
    return {"infocode": code, "title": title, "showtime": "2022-05-29 00:02:28", "from": "新华社"}


def start_requests(spider: EastmoneySpider) -> list[Request]:
    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


# -- codes ---------------------------------------------------------------------------------
HOSTILE_CODES = [
    "../../etc/passwd",
    "NW1/../../x",
    "NW1?id=2&x=y",
    "NW1%2F..%2F",
    "NW1 2",
    "NW1\n2",
    "NW１２３",  # full-width digits
    "NW" + "1" * 60,
    "",
    None,
    ["NW1"],
    {"code": "NW1"},
]


def test_hostile_codes_never_reach_a_url(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    crawl = offline(tmp_path)
    reports = Reports(crawl)
    body = media_list(record("NW202205292395331423"), *map(record, HOSTILE_CODES), record(12345))
    with caplog.at_level(logging.WARNING):
        requests = crawl.call(crawl.spider.list_requests()[0], body)
    ids = [parse_qs(urlsplit(r.url).query)["id"] for r in requests]
    assert ids == [["NW202205292395331423"], ["12345"]]
    assert all(SAFE.fullmatch(r.meta["newsmirror_code"]) for r in requests)
    assert crawl.stats["newsmirror/list/media/rejected"] == len(HOSTILE_CODES)
    assert crawl.stats["newsmirror/list/media/listed"] == 2
    skipped = [kw for name, kw in reports.seen if name == "article_skipped"]
    assert len(skipped) == len(HOSTILE_CODES)
    assert all(kw["reason"] == "record rejected: missing or malformed code" for kw in skipped)
    assert "'../../etc/passwd'" in caplog.text
    assert max(len(line) for line in caplog.text.splitlines()) < 300  # long codes are cut


def test_records_that_are_not_objects_are_skipped_and_the_rest_go_on(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    body = media_list("a string", 42, None, [1, 2], record("NW1"))
    requests = crawl.call(crawl.spider.list_requests()[0], body)
    assert [r.meta["newsmirror_code"] for r in requests] == ["NW1"]
    assert crawl.stats["newsmirror/list/media/rejected"] == 4


# -- answers that are not what the endpoint serves ----------------------------------------------
def answer(request: Request, body: str | bytes, headers: dict[str, str] | None = None) -> Response:
    raw = body.encode() if isinstance(body, str) else body
    return Response(request.url, body=raw, headers=headers or JSON, request=request)


def test_response_problem_names_what_is_wrong_per_endpoint(tmp_path: Path) -> None:
    crawl = offline(tmp_path, lists="media,flash")
    spider = crawl.spider
    media_req, flash_req = spider.list_requests()
    media_text = crawl.call(media_req, media_list(record("NW1")))[0]
    flash_text = crawl.call(flash_req, '{"records": [{"id": "2", "infoCode": "NW2"}]}')[0]
    problem = spider.response_problem
    assert problem(media_req, answer(media_req, "<html>502</html>")) == "HTML page"
    assert problem(media_req, answer(media_req, '{"nodeList": []}')) == "empty list"
    assert problem(media_req, answer(media_req, media_list(record("NW1")))) == ""
    assert problem(media_text, answer(media_text, '{"text": "", "content": ""}')) == "empty text"
    assert problem(media_text, answer(media_text, "{}")) == "wrong shape"
    assert problem(media_text, answer(media_text, '{"text": "<p>x</p>"}')) == ""
    # A flash article may be its digest alone.
    assert problem(flash_text, answer(flash_text, '{"text": "", "content": ""}')) == ""


def test_an_empty_list_is_accepted_without_history(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawl = offline(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert crawl.call(crawl.spider.list_requests()[0], media_list()) == []
    assert crawl.stats["newsmirror/list/media/ok"] == 1
    assert "list media is empty" in caplog.text


def test_an_empty_list_fails_when_it_had_records_in_the_previous_run(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"lists": {"media": {"listed": 8}, "flash": {"listed": 0}}}))
    crawl = offline(tmp_path, lists="media,flash", SUMMARY_FILE=str(report))
    reports = Reports(crawl)
    media_req, flash_req = start_requests(crawl.spider)
    assert crawl.stats["newsmirror/list/media/requested"] == 1
    assert crawl.call(media_req, media_list()) == []
    assert crawl.call(flash_req, '{"records": []}') == []
    assert crawl.stats["newsmirror/list/media/failed"] == 1
    assert "newsmirror/list/media/ok" not in crawl.stats
    assert crawl.stats["newsmirror/list/flash/ok"] == 1  # it was empty before too
    assert reports.seen == [
        ("list_failed", {"list_name": "media", "reason": "unusable answer: empty list"})
    ]


def test_an_empty_list_fails_when_it_had_records_earlier_in_this_run(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    request = crawl.spider.list_requests()[0]
    assert len(crawl.call(request, media_list(record("NW1")))) == 1
    assert crawl.call(request, media_list()) == []
    assert crawl.stats["newsmirror/list/media/failed"] == 1


def test_a_list_longer_than_asked_is_cut_to_list_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawl = offline(tmp_path, LIST_COUNT=3)
    body = media_list(*(record(f"NW{i}") for i in range(10)))
    with caplog.at_level(logging.WARNING):
        requests = crawl.call(crawl.spider.list_requests()[0], body)
    assert [r.meta["newsmirror_code"] for r in requests] == ["NW0", "NW1", "NW2"]
    assert "10 records for 3 asked" in caplog.text


def test_an_unusable_text_is_a_failed_article_with_its_code(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    reports = Reports(crawl)
    (text_req,) = crawl.call(crawl.spider.list_requests()[0], media_list(record("NW7")))
    assert crawl.call(text_req, "<html><body>502 Bad Gateway</body></html>") == []
    assert crawl.stats["newsmirror/article/failed"] == 1
    assert crawl.stats["newsmirror/list/media/failed_articles"] == 1
    ((name, kwargs),) = reports.seen
    assert name == "article_failed" and kwargs["code"] == "NW7" and kwargs["list_name"] == "media"
    assert kwargs["reason"].startswith("unusable text: HTML page")


def test_gbk_text_without_charset_header_makes_a_correct_item(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    (text_req,) = crawl.call(crawl.spider.list_requests()[0], media_list(record("NW7")))
    body = json.dumps({"text": "<p>巨化股份公告</p>"}, ensure_ascii=False).encode("gbk")
    (item,) = crawl.call(text_req, body, headers={"Content-Type": "application/json"})
    assert isinstance(item, Article) and item.body_html == "<p>巨化股份公告</p>"


def test_an_item_over_item_max_bytes_is_skipped_with_its_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawl = offline(tmp_path, ITEM_MAX_BYTES=1000)
    reports = Reports(crawl)
    (small_req, big_req) = crawl.call(
        crawl.spider.list_requests()[0], media_list(record("NW1"), record("NW2"))
    )
    assert len(crawl.call(small_req, json.dumps({"text": "<p>短</p>"}))) == 1
    with caplog.at_level(logging.WARNING):
        assert crawl.call(big_req, json.dumps({"text": "<p>" + "长" * 400 + "</p>"})) == []
    assert crawl.stats["newsmirror/spider/dropped/too_large"] == 1
    ((name, kwargs),) = reports.seen
    assert (name, kwargs["code"]) == ("article_skipped", "NW2")
    assert re.fullmatch(r"too large: 1\d{3} bytes, ITEM_MAX_BYTES is 1000", kwargs["reason"])
    assert "article NW2: skipped, too large" in caplog.text


def test_fetch_failures_carry_a_short_reason(tmp_path: Path) -> None:
    crawl = offline(tmp_path)
    reports = Reports(crawl)
    list_req = crawl.spider.list_requests()[0]
    (text_req,) = crawl.call(list_req, media_list(record("NW7")))
    gone = Response(text_req.url, status=503, request=text_req)
    crawl.spider.text_failed(_failure(HttpError(gone, "Ignoring non-200 response"), text_req))
    crawl.spider.list_failed(_failure(DownloadTimeoutError("took longer than 1 s"), list_req))
    status_line, timeout = "503 Service Unavailable", "DownloadTimeoutError: took longer than 1 s"
    assert reports.seen == [
        ("article_failed", {"code": "NW7", "list_name": "media", "reason": status_line}),
        ("list_failed", {"list_name": "media", "reason": timeout}),
    ]
    assert crawl.stats["newsmirror/list/media/failed"] == 1


def _failure(exc: Exception, request: Request) -> Failure:
    failure = Failure(exc)
    failure.request = request  # type: ignore[attr-defined]  # as Scrapy sets it
    return failure
