"""ParsePublishedPipeline through the whole pipeline chain: the date policy end to end
(the code fallback, the drop, the fetch time, DATE_MAX_FUTURE_HOURS)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem

from newsmirror.archive.frontmatter import split_document
from newsmirror.items import LIST_MEDIA, Article
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.pipelines import ParsePublishedPipeline
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import OfflineCrawl

FETCHED = datetime(2022, 5, 29, 12, 0, tzinfo=SHANGHAI)
CODE = "NW202205292395331423"


def crawl_for(tmp_path: Path, **settings: Any) -> OfflineCrawl:
    base = {"UPSTREAM_BASE": "http://127.0.0.1:9", "ARCHIVE_DIR": str(tmp_path / "archive")}
    return OfflineCrawl(EastmoneySpider, {**base, **settings}, lists="media")


def article(published_raw: str, code: str = CODE, **fields: Any) -> Article:
    values: dict[str, Any] = {
        "code": code,
        "list_kind": LIST_MEDIA,
        "list_name": LIST_MEDIA,
        "title": "胡斌：纵深推进川渝人社合作",
        "published_raw": published_raw,
        "source_name": "四川新闻网",
        "body_html": "<p>正文</p>",
        "fetched_at": FETCHED,
    }
    values.update(fields)
    return Article(**values)


def posts(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "archive" / "_posts"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}


def date_pipeline(crawl: OfflineCrawl) -> ParsePublishedPipeline:
    (stage,) = [p for p in crawl.pipelines if isinstance(p, ParsePublishedPipeline)]
    return stage


@pytest.mark.parametrize(
    ("raw", "name", "front_matter_date"),
    [
        ("2022-05-29 00:02:28", f"2022-05-29-{CODE}.md", "2022-05-29 00:02:28 +0800"),
        # a UTC time: the file name's date is the Beijing date too
        ("2022-05-28T16:02:28Z", f"2022-05-29-{CODE}.md", "2022-05-29 00:02:28 +0800"),
        ("2022-05-28T15:59:59Z", f"2022-05-28-{CODE}.md", "2022-05-28 23:59:59 +0800"),
        ("昨天 23:50", f"2022-05-28-{CODE}.md", "2022-05-28 23:50:00 +0800"),
        ("3小时前", f"2022-05-29-{CODE}.md", "2022-05-29 09:00:00 +0800"),
        ("12-31 23:50", f"2021-12-31-{CODE}.md", "2021-12-31 23:50:00 +0800"),
    ],
)
def test_usable_dates_name_and_date_the_post(
    tmp_path: Path, raw: str, name: str, front_matter_date: str
) -> None:
    crawl = crawl_for(tmp_path)
    crawl.process(article(raw))
    (written,) = posts(tmp_path).items()
    assert written[0] == name
    assert f"\ndate: {front_matter_date}\n" in written[1]
    assert split_document(written[1]).meta["title"] == "胡斌：纵深推进川渝人社合作"
    assert "newsmirror/date/fallback_code" not in crawl.stats


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("2022-05-31 00:02:28", "future"),
        ("2022-02-30 00:02:28", "impossible"),
        ("1980-05-29 00:02:28", "too_old"),
        ("发布于五月", "unrecognised"),
    ],
)
def test_an_unusable_date_falls_back_to_the_codes_day(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, raw: str, reason: str
) -> None:
    crawl = crawl_for(tmp_path)
    with caplog.at_level(logging.WARNING, logger="newsmirror.pipelines"):
        item = crawl.process(article(raw))
    assert item.published.isoformat() == "2022-05-29T00:00:00+08:00"
    (written,) = posts(tmp_path).items()
    assert written[0] == f"2022-05-29-{CODE}.md"
    assert "\ndate: 2022-05-29 00:00:00 +0800\n" in written[1]
    assert crawl.stats["newsmirror/date/fallback_code"] == 1
    assert crawl.stats[f"newsmirror/date/rejected/{reason}"] == 1
    assert CODE in caplog.text and repr(raw) in caplog.text and "code" in caplog.text


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2099-05-29 00:02:28", "NWXYZ2395331423"),  # no date in the code
        ("not a date", "NW202202302395331423"),  # 30 February in the code
        ("", "NW202206152395331423"),  # the code's day is in the future too
    ],
)
def test_no_usable_date_anywhere_drops_the_article(tmp_path: Path, raw: str, code: str) -> None:
    crawl = crawl_for(tmp_path)
    with pytest.raises(DropItem, match="no usable date") as dropped:
        crawl.process(article(raw, code=code))
    assert repr(code) in str(dropped.value)
    assert crawl.stats["newsmirror/date/unusable"] == 1
    assert "newsmirror/date/fallback_code" not in crawl.stats
    assert list((tmp_path / "archive").rglob("*.md")) == []


def test_an_article_without_fetch_time_uses_the_crawls_start(tmp_path: Path) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    crawl = crawl_for(tmp_path)
    started_at = date_pipeline(crawl).started_at
    assert started_at >= before and started_at.utcoffset() == timedelta(0)
    item = crawl.process(article("3分钟前", fetched_at=None))
    assert item.published == started_at.replace(microsecond=0) - timedelta(minutes=3)
    assert item.published.utcoffset() == timedelta(hours=8)


def test_relative_dates_use_the_items_fetch_time(tmp_path: Path) -> None:
    crawl = crawl_for(tmp_path)
    item = crawl.process(article("刚刚", fetched_at=datetime(2022, 5, 28, 20, 0, 5, tzinfo=UTC)))
    assert item.published.isoformat() == "2022-05-29T04:00:05+08:00"


@pytest.mark.parametrize(
    ("hours", "raw", "fallback"),
    [
        ("24", "2022-05-30 11:00:00", False),
        ("0", "2022-05-29 12:00:00", False),
        ("0", "2022-05-29 12:00:01", True),
        ("0.5", "2022-05-29 12:29:00", False),
        ("48", "2022-05-31 11:00:00", False),
    ],
)
def test_date_max_future_hours_setting(
    tmp_path: Path, hours: str, raw: str, fallback: bool
) -> None:
    crawl = crawl_for(tmp_path, DATE_MAX_FUTURE_HOURS=hours)
    crawl.process(article(raw))
    assert ("newsmirror/date/fallback_code" in crawl.stats) is fallback


def test_a_negative_date_max_future_hours_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DATE_MAX_FUTURE_HOURS"):
        crawl_for(tmp_path, DATE_MAX_FUTURE_HOURS=-1)
