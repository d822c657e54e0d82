"""Incremental crawls: archived codes are never fetched again; refresh, rotation, the lock,
JOBDIR resume, and runs killed at random points."""

from __future__ import annotations

import os
import pickle
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from newsmirror import exitcodes
from newsmirror.archive.consistency import find_problems
from newsmirror.archive.listing import find_temp_files, post_files
from newsmirror.archive.lock import ArchiveLock
from newsmirror.incremental import (
    ArchiveSession,
    ArchiveSessionExtension,
    SkipArchivedMiddleware,
    as_bool,
)
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.sources.eastmoney import ListEntry
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.catalog import Catalog, UpstreamArticle
from newsmirror.testing.offline import project_settings_dict
from newsmirror.testing.server import UpstreamServer

from .archive_helpers import index_of, make_post, store_posts
from .conftest import REPO, crawl_eastmoney

TEXT = "/NewsData/GetNewsText.do"
ARCHIVED = "NW202205292395331423"
ENTRY = ListEntry(
    code=ARCHIVED,
    info_code=ARCHIVED,
    list_kind="media",
    title="标题",
    published_raw="2022-05-29 00:02:28",
    source_name="四川新闻网",
    digest="",
    original_url="",
)


# -- components ------------------------------------------------------------------------
def skip_middleware(tmp_path: Path, **spider_args: str) -> tuple[SkipArchivedMiddleware, dict]:
    settings = project_settings_dict({"ARCHIVE_DIR": str(tmp_path), "UPSTREAM_BASE": "http://h"})
    crawler = get_crawler(EastmoneySpider, settings)
    crawler.spider = EastmoneySpider.from_crawler(crawler, **spider_args)
    assert crawler.stats is not None
    return SkipArchivedMiddleware.from_crawler(crawler), crawler.stats.get_stats()


def text_request(code: str) -> Request:
    return Request(
        f"http://h/NewsData/GetNewsText.do?id={code}",
        meta={"newsmirror_code": code, "newsmirror_list": "media"},
    )


def test_requests_for_archived_codes_are_dropped(tmp_path: Path) -> None:
    store_posts(tmp_path, [make_post(ARCHIVED)])
    middleware, stats = skip_middleware(tmp_path)
    list_request = Request("http://h/web/webapi?type=45")
    new = text_request("NW202205292395331424")
    assert middleware.get_processed_request(list_request, None) is list_request
    assert middleware.get_processed_request(new, None) is new
    assert middleware.get_processed_request(text_request(ARCHIVED), None) is None
    assert stats["newsmirror/incremental/already_archived"] == 1
    assert stats["newsmirror/incremental/already_archived/media"] == 1
    middleware.session.close()


@pytest.mark.parametrize(("refresh", "kept"), [("1", True), ("true", True), ("0", False)])
def test_refresh_argument_fetches_archived_codes_again(
    tmp_path: Path, refresh: str, kept: bool
) -> None:
    store_posts(tmp_path, [make_post(ARCHIVED)])
    middleware, _ = skip_middleware(tmp_path, refresh=refresh)
    request = text_request(ARCHIVED)
    assert (middleware.get_processed_request(request, None) is request) is kept
    middleware.session.close()


def test_a_bad_refresh_argument_stops_the_crawl_before_it_starts(tmp_path: Path) -> None:
    crawler = get_crawler(EastmoneySpider, project_settings_dict({"ARCHIVE_DIR": str(tmp_path)}))
    crawler.spider = EastmoneySpider.from_crawler(crawler, refresh="maybe")
    with pytest.raises(ValueError, match="refresh must be 1 or 0"):
        ArchiveSessionExtension.from_crawler(crawler)
    assert as_bool("yes", "x") is True and as_bool(False, "x") is False


def test_one_session_per_crawler(tmp_path: Path) -> None:
    crawler = get_crawler(EastmoneySpider, project_settings_dict({"ARCHIVE_DIR": str(tmp_path)}))
    session = ArchiveSession.of(crawler)
    assert ArchiveSession.of(crawler) is session
    assert session.state is session.state
    session.close()
    session.close()
    assert not session.state_is_open


def test_requests_survive_a_jobdir_round_trip(tmp_path: Path) -> None:
    """JOBDIR queues pickle each request with its callback, errback and cb_kwargs."""
    crawler = get_crawler(EastmoneySpider, project_settings_dict({"UPSTREAM_BASE": "http://h"}))
    spider = EastmoneySpider.from_crawler(crawler)
    for request in [*spider.list_requests(), spider.text_request(ENTRY, "media")]:
        data = pickle.loads(pickle.dumps(request.to_dict(spider=spider), protocol=4))
        back = request_from_dict(data, spider=spider)
        assert (back.url, back.callback, back.errback) == (
            request.url,
            request.callback,
            request.errback,
        )
        assert back.cb_kwargs == request.cb_kwargs and back.meta == request.meta


# -- end to end ------------------------------------------------------------------------
def stat(log: str, key: str) -> int | None:
    """A value of the stats dump at the end of a crawl's log."""
    match = re.search(rf"'{re.escape(key)}': (\d+)", log)
    return int(match.group(1)) if match else None


def archived_codes(archive: Path) -> Counter[str]:
    """How many post files each code has."""
    return Counter(post_files(archive).values())


def assert_consistent(archive: Path, catalog: Catalog) -> None:
    """Every article archived exactly once, no temp file or journal, index == posts."""
    codes = archived_codes(archive)
    assert set(codes) == set(catalog.by_code)
    assert max(codes.values()) == 1
    assert find_temp_files(archive) == []
    assert not (archive / ".newsmirror" / "journal.jsonl").exists()
    assert find_problems(archive) == []
    assert set(index_of(archive)) == set(catalog.by_code)


@pytest.mark.slow
def test_a_second_run_fetches_no_article_text(upstream_factory, archive_dir: Path) -> None:
    upstream: UpstreamServer = upstream_factory(articles=300)
    first = crawl_eastmoney(upstream, archive_dir)
    assert first.returncode == 0, first.log[-3000:]
    assert upstream.hits[TEXT] == 420
    assert_consistent(archive_dir, upstream.catalog)

    second = crawl_eastmoney(upstream, archive_dir)
    assert second.returncode == 0, second.log[-3000:]
    assert upstream.hits[TEXT] == 420  # not one more
    assert stat(second.log, "newsmirror/incremental/already_archived") == 420
    assert stat(second.log, "newsmirror/index/read_at_start") == 0
    assert stat(second.log, "downloader/request_count") == 5  # the five lists
    assert "archived 0 new, 0 updated, 0 unchanged" in second.log
    assert "already archived 420" in second.log
    assert "list market38: ok, listed 60, archived 0 new" in second.log
    assert_consistent(archive_dir, upstream.catalog)


def changed(article: UpstreamArticle, **fields: str) -> UpstreamArticle:
    return replace(article, **fields)


@pytest.mark.slow
def test_rotation_then_refresh_updates_changed_articles_where_they_are(
    upstream_factory: Callable[..., UpstreamServer], archive_dir: Path
) -> None:
    catalog = Catalog.build(0)
    # The corpus has no market news; share links must not depend on the server's port.
    fixed = ("-a", "lists=media,flash", "-s", "UPSTREAM_SHARE_BASE=http://finews.zning.xyz")
    today = datetime.now(SHANGHAI).date()
    keep = (today - date(2022, 3, 1)).days  # 2021-12 … 2022-02 rotate, 2022-05/06 stay
    first = crawl_eastmoney(
        upstream_factory(catalog=catalog), archive_dir, *fixed, "-s", f"ROTATE_KEEP_DAYS={keep}"
    )
    assert first.returncode == 0, first.log[-3000:]
    old = {p.name for p in (archive_dir / "old_post").iterdir()}
    new = {p.name for p in (archive_dir / "_posts").iterdir()}
    assert (len(old), len(new)) == (111, 9)
    assert stat(first.log, "newsmirror/archive/rotated") == 111
    assert_consistent(archive_dir, catalog)

    articles = sorted(catalog.by_code.values(), key=lambda a: a.code)
    flash_2021 = next(a for a in articles if a.kind == "flash" and a.showtime < "2022")
    media = [a for a in articles if a.kind == "media" and a.showtime >= "2022-05"]
    edited, redated = media[0], media[1]
    new_day = "2022-06-10 " + redated.showtime[11:]
    updates = {
        flash_2021.code: changed(flash_2021, body=flash_2021.body + "<p>更正一</p>"),
        edited.code: changed(edited, body=edited.body + "<p>更正二</p>"),
        redated.code: changed(redated, showtime=new_day),
    }
    upstream = upstream_factory(catalog=Catalog([updates.get(a.code, a) for a in articles]))
    mtimes = {p: p.stat().st_mtime_ns for p in archive_dir.rglob("*.md")}

    # Without refresh nothing is fetched, rotated posts included.
    second = crawl_eastmoney(upstream, archive_dir, *fixed)
    assert second.returncode == 0, second.log[-3000:]
    assert upstream.hits[TEXT] == 0
    assert "already archived 120" in second.log

    third = crawl_eastmoney(upstream, archive_dir, *fixed, "-a", "refresh=1")
    assert third.returncode == 0, third.log[-3000:]
    assert upstream.hits[TEXT] == 120
    assert "archived 0 new, 3 updated, 117 unchanged" in third.log
    for code in updates:
        assert f"article {code} changed" in third.log
    flash_post = archive_dir / "old_post" / f"{flash_2021.showtime[:10]}-{flash_2021.code}.md"
    assert "更正一" in flash_post.read_text(encoding="utf-8")
    assert "更正二" in (
        archive_dir / "_posts" / f"{edited.showtime[:10]}-{edited.code}.md"
    ).read_text(encoding="utf-8")
    assert not (archive_dir / "_posts" / f"{redated.showtime[:10]}-{redated.code}.md").exists()
    assert (archive_dir / "_posts" / f"2022-06-10-{redated.code}.md").is_file()
    touched = {p for p in mtimes if p.exists() and p.stat().st_mtime_ns != mtimes[p]}
    assert {p.stem.split("-", 3)[3] for p in touched} == {flash_2021.code, edited.code}
    assert_consistent(archive_dir, upstream.catalog)


@pytest.mark.slow
def test_a_run_is_refused_while_another_holds_the_archive(
    upstream: UpstreamServer, archive_dir: Path
) -> None:
    state_dir = archive_dir / ".newsmirror"
    state_dir.mkdir(parents=True)
    with ArchiveLock(state_dir):  # this test process plays the other run
        result = crawl_eastmoney(upstream, archive_dir)
    assert result.returncode == exitcodes.LOCKED, result.log[-3000:]
    assert f"archive is locked by pid {os.getpid()} on " in result.log
    assert "this run does nothing (exit code 4)" in result.log
    assert "Spider closed (archive_locked)" in result.log
    assert sum(upstream.hits.values()) == 0
    assert stat(result.log, "downloader/request_count") is None
    assert not (archive_dir / "_posts").exists()


def start_crawl(
    upstream: UpstreamServer, archive: Path, log: Path, *extra: str
) -> subprocess.Popen:
    """``scrapy crawl eastmoney`` in the background, its log in ``log``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    args = [
        sys.executable, "-m", "scrapy", "crawl", "eastmoney",
        "-s", f"UPSTREAM_BASE={upstream.url}",
        "-s", f"ARCHIVE_DIR={archive}",
        "-s", f"LIST_COUNT={max(100, len(upstream.catalog))}",
        *extra,
    ]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for_posts(proc: subprocess.Popen, archive: Path, count: int, limit: float = 120) -> None:
    """Until ``archive`` holds ``count`` posts or ``proc`` exits (a safety limit only)."""
    deadline = time.monotonic() + limit
    while proc.poll() is None and len(post_files(archive)) < count:
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the crawl did not reach {count} posts")
        time.sleep(0.002)


@pytest.mark.slow
def test_a_jobdir_run_stopped_and_resumed_archives_everything_once(
    upstream_factory: Callable[..., UpstreamServer], archive_dir: Path, tmp_path: Path
) -> None:
    upstream = upstream_factory(articles=100)
    jobdir = tmp_path / "job"
    log = tmp_path / "first.log"
    slow = ("-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.02")
    proc = start_crawl(upstream, archive_dir, log, "-s", f"JOBDIR={jobdir}", *slow)
    wait_for_posts(proc, archive_dir, 40)
    proc.send_signal(signal.SIGINT)  # once: Scrapy stops gracefully and keeps its queue
    proc.wait(timeout=120)
    first = log.read_text(encoding="utf-8")
    assert "shutting down gracefully" in first
    assert "Spider closed (shutdown)" in first
    assert "Unable to serialize" not in first
    stopped_at = len(post_files(archive_dir))
    assert 40 <= stopped_at < 220

    second = crawl_eastmoney(upstream, archive_dir, "-s", f"JOBDIR={jobdir}")
    assert second.returncode == 0, second.log[-3000:]
    assert re.search(r"Resuming crawl \((\d+) requests scheduled", second.log)
    assert stat(second.log, "newsmirror/index/posts") == stopped_at
    assert_consistent(archive_dir, upstream.catalog)


@pytest.mark.slow
def test_runs_killed_at_random_points_leave_every_article_archived_once(
    upstream_factory: Callable[..., UpstreamServer], archive_dir: Path, tmp_path: Path
) -> None:
    upstream = upstream_factory(articles=300)
    seed = int(os.environ.get("NEWSMIRROR_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    slow = ("-s", "CONCURRENT_REQUESTS=2", "-s", "DOWNLOAD_DELAY=0.005")
    kills = 0
    for round_ in range(4):
        target = len(post_files(archive_dir)) + rng.randint(1, 80)
        proc = start_crawl(upstream, archive_dir, tmp_path / f"run{round_}.log", *slow)
        wait_for_posts(proc, archive_dir, target)
        time.sleep(rng.uniform(0, 0.02))  # land anywhere between or inside writes
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
    assert kills >= 3, f"seed {seed}: the runs ended before they could be killed"
    before = len(post_files(archive_dir))
    assert 0 < before < 420, f"seed {seed}"

    final = crawl_eastmoney(upstream, archive_dir)
    assert final.returncode == 0, f"seed {seed}\n" + final.log[-3000:]
    assert f"archived {420 - before} new, 0 updated" in final.log, f"seed {seed}"
    assert f"already archived {before}" in final.log, f"seed {seed}"
    assert_consistent(archive_dir, upstream.catalog)
