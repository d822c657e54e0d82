"""newsshare and the publisher spiders under answers that are not what was asked for
(offline): the ``response_problem`` hook the retry middleware calls, and the reports
the run summary gets for every article or list lost."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsmirror.sources import pages
from newsmirror.sources.base import PageFields
from newsmirror.spiders.newsshare import NewsshareSpider
from newsmirror.spiders.publisher import CaijingdailySpider
from newsmirror.testing.catalog import Catalog
from newsmirror.testing.offline import OfflineCrawl, Reports
from newsmirror.testing.server import HTML_ERROR_PAGE, share_page
from newsmirror.testing.source_fixtures import build_response, load_fixture

LOCAL = "http://127.0.0.1:9"
CODE = "NW202205292395331423"
HTML = {"Content-Type": "text/html; charset=utf-8"}
BLANK_PAGE = "<html><body></body></html>"
FIXTURE = load_fixture("caijingdaily")
FEED = "https://www.caijingdaily.example/rss/finance.xml"
ARTICLE = "https://www.caijingdaily.example/news/2024/02/05/100231.html"


def answer(request: Request, body: str | bytes, headers: dict[str, str] | None = None) -> Response:
    """What the downloader builds for ``body`` (HtmlResponse, TextResponse or Response)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if headers is None:
        return Response(request.url, body=raw, request=request)
    cls = HtmlResponse if "html" in headers.get("Content-Type", "") else TextResponse
    return cls(request.url, body=raw, headers=headers, request=request, encoding="utf-8")


def failure(exc: Exception, request: Request) -> Failure:
    result = Failure(exc)
    result.request = request  # type: ignore[attr-defined]  # as Scrapy sets it
    return result


# -- the pure checks -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<!DOCTYPE html><html></html>", ""),
        ("\ufeff \n<?xml version='1.0'?><rss/>", ""),
        ('{"error": "busy"}', pages.NOT_MARKUP),
        ("Service busy", pages.NOT_MARKUP),
        ("", pages.NOT_MARKUP),
    ],
)
def test_markup_problem(text: str, problem: str) -> None:
    assert pages.markup_problem(text) == problem


@pytest.mark.parametrize(
    ("fields", "need_body", "problem"),
    [
        (PageFields("标题", "2022-05-29 00:02:28", "<p>正文</p>"), True, ""),
        (PageFields("标题", "2022-05-29 00:02:28", ""), False, ""),
        (PageFields("标题", "2022-05-29 00:02:28", " "), True, pages.NO_BODY),
        (PageFields("标题", "", "<p>正文</p>"), True, pages.NO_TIME),
        (PageFields(" ", "2022-05-29", "<p>正文</p>"), True, pages.NO_TITLE),
    ],
)
def test_article_problem(fields: PageFields, need_body: bool, problem: str) -> None:
    assert pages.article_problem(fields, need_body=need_body) == problem


# -- newsshare -------------------------------------------------------------------------------
def newsshare(tmp_path: Path, codes: str = CODE, **settings: Any) -> OfflineCrawl:
    base = {"UPSTREAM_BASE": LOCAL, "ARCHIVE_DIR": str(tmp_path / "archive"), **settings}
    return OfflineCrawl(NewsshareSpider, base, codes=codes)


def shared(code: str = CODE) -> str:
    return share_page(Catalog.build().by_code[code])


@pytest.mark.parametrize(
    ("body", "headers", "problem"),
    [
        (HTML_ERROR_PAGE, HTML, pages.NO_TIME),  # a gateway's page: a title, nothing else
        (BLANK_PAGE, HTML, pages.NO_TITLE),
        ('{"error": "busy"}', {"Content-Type": "application/json"}, pages.NOT_MARKUP),
        (b"\x89PNG\r\n\x1a\n", None, pages.NOT_TEXT),
        (shared(), HTML, ""),
        # Cut short after its head: title and time are there, the body comes from the API.
        (shared()[: len(shared()) // 2], HTML, ""),
    ],
)
def test_newsshare_judges_share_pages(
    tmp_path: Path, body: str | bytes, headers: dict[str, str] | None, problem: str
) -> None:
    crawl = newsshare(tmp_path)
    (share,) = crawl.spider.share_requests()
    assert crawl.spider.response_problem(share, answer(share, body, headers)) == problem


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('{"text": "", "content": ""}', "empty text"),
        ("<html><body>502 Bad Gateway</body></html>", "HTML page"),
        ("[1]", "wrong shape"),
        ('jQuery1({"text": "<p>x</p>"});', "not JSON"),
        ('{"text": "<p>正文</p>"}', ""),
    ],
)
def test_newsshare_judges_text_answers(tmp_path: Path, body: str, problem: str) -> None:
    crawl = newsshare(tmp_path)
    (share,) = crawl.spider.share_requests()
    (text,) = crawl.call(share, shared(), headers=HTML)
    json_headers = {"Content-Type": "application/json"}
    assert crawl.spider.response_problem(text, answer(text, body, json_headers)) == problem


def test_newsshare_does_not_judge_other_requests(tmp_path: Path) -> None:
    crawl = newsshare(tmp_path)
    robots = Request(f"{LOCAL}/robots.txt")
    assert crawl.spider.response_problem(robots, answer(robots, "", HTML)) == ""


def test_a_share_page_still_unusable_after_retries_is_a_failed_article(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawl = newsshare(tmp_path)
    reports = Reports(crawl)
    (share,) = crawl.spider.share_requests()
    with caplog.at_level(logging.ERROR):
        assert crawl.call(share, HTML_ERROR_PAGE, headers=HTML) == []
    assert reports.seen == [
        (
            "article_failed",
            {
                "code": CODE,
                "list_name": "share",
                "reason": "unusable share page: no publication time",
            },
        )
    ]
    assert crawl.stats["newsmirror/article/failed"] == 1
    assert crawl.stats["newsmirror/list/share/failed_articles"] == 1
    assert f"article {CODE}: share page" in caplog.text


def test_a_share_page_that_cannot_be_fetched_is_reported_with_its_status(tmp_path: Path) -> None:
    crawl = newsshare(tmp_path)
    reports = Reports(crawl)
    (share,) = crawl.spider.share_requests()
    gone = Response(share.url, status=404, request=share)
    crawl.spider.share_failed(failure(HttpError(gone, "Ignoring non-200 response"), share))
    assert reports.seen == [
        ("article_failed", {"code": CODE, "list_name": "share", "reason": "404 Not Found"})
    ]
    assert crawl.stats["newsmirror/article/failed"] == 1


def test_rejected_inputs_are_reported_as_skipped(tmp_path: Path) -> None:
    crawl = newsshare(tmp_path, codes=f"{CODE},../etc/passwd,NW1\u0000")
    reports = Reports(crawl)
    assert [r.meta["newsmirror_code"] for r in crawl.spider.share_requests()] == [CODE]
    reason = "input rejected: missing or malformed code"
    assert reports.seen == [
        ("article_skipped", {"code": "'../etc/passwd'", "list_name": "share", "reason": reason}),
        ("article_skipped", {"code": "'NW1\\x00'", "list_name": "share", "reason": reason}),
    ]
    assert crawl.stats["newsmirror/article/requested"] == 1


def test_newsshare_skips_an_article_over_item_max_bytes(tmp_path: Path) -> None:
    crawl = newsshare(tmp_path, ITEM_MAX_BYTES=2000)
    reports = Reports(crawl)
    (share,) = crawl.spider.share_requests()
    (text,) = crawl.call(share, shared(), headers=HTML)
    assert crawl.call(text, json.dumps({"text": "<p>" + "长" * 1000 + "</p>"})) == []
    ((name, report),) = reports.seen
    assert (name, report["code"]) == ("article_skipped", CODE)
    assert report["reason"].startswith("too large: ")
    assert crawl.stats["newsmirror/spider/dropped/too_large"] == 1


# -- publishers ------------------------------------------------------------------------------
def publisher(tmp_path: Path) -> OfflineCrawl:
    return OfflineCrawl(CaijingdailySpider, {"ARCHIVE_DIR": str(tmp_path / "archive")})


def stored(request: Request) -> Response:
    entry = FIXTURE.responses[request.url]
    return build_response(request, entry, FIXTURE.body(entry))


def article_request(crawl: OfflineCrawl) -> Request:
    (index,) = crawl.spider.index_requests()
    requests = list(index.callback(stored(index)))
    return next(r for r in requests if r.url == ARTICLE)


@pytest.mark.parametrize(
    ("body", "headers", "problem"),
    [
        (None, None, ""),  # the stored feed
        (HTML_ERROR_PAGE, HTML, pages.NO_LINKS),
        ('{"error": "busy"}', {"Content-Type": "application/json"}, pages.NOT_MARKUP),
        (b"\x00\x01", None, pages.NOT_TEXT),
    ],
)
def test_publishers_judge_index_documents(
    tmp_path: Path, body: str | None, headers: dict[str, str] | None, problem: str
) -> None:
    crawl = publisher(tmp_path)
    (index,) = crawl.spider.index_requests()
    assert index.url == FEED
    response = stored(index) if body is None else answer(index, body, headers)
    assert crawl.spider.response_problem(index, response) == problem


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (None, ""),  # the stored article page
        (HTML_ERROR_PAGE, pages.NO_TIME),
        (BLANK_PAGE, pages.NO_TITLE),
        (
            '<html><head><meta property="og:title" content="标题">'
            '<meta property="article:published_time" content="2024-02-05T09:30:00+08:00">'
            "</head><body></body></html>",
            pages.NO_BODY,
        ),
    ],
)
def test_publishers_judge_article_pages(tmp_path: Path, body: str | None, problem: str) -> None:
    crawl = publisher(tmp_path)
    request = article_request(crawl)
    response = stored(request) if body is None else answer(request, body, HTML)
    assert crawl.spider.response_problem(request, response) == problem
    robots = Request("https://www.caijingdaily.example/robots.txt")
    assert crawl.spider.response_problem(robots, answer(robots, "", HTML)) == ""


def test_a_publisher_article_still_unusable_after_retries_is_a_failed_article(
    tmp_path: Path,
) -> None:
    crawl = publisher(tmp_path)
    reports = Reports(crawl)
    request = article_request(crawl)
    assert list(request.callback(answer(request, HTML_ERROR_PAGE, HTML))) == []
    code = request.meta["newsmirror_code"]
    reason = "unusable article page: no publication time"
    assert reports.seen == [
        ("article_failed", {"code": code, "list_name": "caijingdaily", "reason": reason})
    ]
    assert crawl.stats["newsmirror/article/failed"] == 1
    assert crawl.stats["newsmirror/article/requested"] == 4


def test_a_publisher_article_that_cannot_be_fetched_is_reported(tmp_path: Path) -> None:
    crawl = publisher(tmp_path)
    reports = Reports(crawl)
    request = article_request(crawl)
    gone = Response(request.url, status=503, request=request)
    crawl.spider.article_failed(failure(HttpError(gone, "Ignoring non-200 response"), request))
    ((name, report),) = reports.seen
    assert name == "article_failed" and report["reason"] == "503 Service Unavailable"
    assert report["code"] == request.meta["newsmirror_code"]


def test_an_unusable_or_unreachable_index_fails_the_list(tmp_path: Path) -> None:
    crawl = publisher(tmp_path)
    reports = Reports(crawl)
    (index,) = crawl.spider.index_requests()
    assert list(index.callback(answer(index, '{"error": 1}', {"Content-Type": "text/json"}))) == []
    gone = Response(index.url, status=500, request=index)
    crawl.spider.index_failed(failure(HttpError(gone, "Ignoring non-200 response"), index))
    assert reports.seen == [
        (
            "list_failed",
            {
                "list_name": "caijingdaily",
                "reason": f"unusable index {FEED}: {pages.NOT_MARKUP}",
            },
        ),
        (
            "list_failed",
            {"list_name": "caijingdaily", "reason": f"index {FEED}: 500 Internal Server Error"},
        ),
    ]
    assert crawl.stats["newsmirror/list/caijingdaily/failed"] == 2


def test_an_index_without_links_is_logged_and_the_list_is_ok(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    crawl = publisher(tmp_path)
    reports = Reports(crawl)
    (index,) = crawl.spider.index_requests()
    with caplog.at_level(logging.WARNING):
        assert list(index.callback(answer(index, HTML_ERROR_PAGE, HTML))) == []
    assert "has no links" in caplog.text
    assert reports.seen == []
    assert crawl.stats["newsmirror/list/caijingdaily/ok"] == 1
