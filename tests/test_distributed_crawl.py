"""Two ``scrapy crawl eastmoney`` workers on one Redis frontier and one archive, as an
operator runs them: every article archived exactly once, both doing a real share, and
a worker killed mid-run and started again losing nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsmirror.archive.consistency import find_problems
from newsmirror.archive.listing import post_files
from newsmirror.testing.server import UpstreamServer

from .conftest import REPO
from .redis_server import RedisServer

pytestmark = pytest.mark.slow

TEXT = "/NewsData/GetNewsText.do"
#: Seconds every upstream answer is held back: long enough a crawl for two workers.
LATENCY = 0.1
#: Safety limit for a worker (not a timing assertion).
LIMIT = 240


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as server:
        yield server


def start_worker(
    upstream: UpstreamServer, archive: Path, redis_url: str, log: Path
) -> subprocess.Popen[bytes]:
    """One worker: the same command on every worker, its log in ``log``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    args = [
        sys.executable, "-m", "scrapy", "crawl", "eastmoney",
        "-s", f"UPSTREAM_BASE={upstream.url}",
        "-s", f"ARCHIVE_DIR={archive}",
        "-s", f"LIST_COUNT={len(upstream.catalog)}",
        "-s", f"REDIS_URL={redis_url}",
        "-s", "REDIS_IDLE_TIMEOUT=2",
        "-s", "REDIS_WORKER_LEASE=3",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "ARCHIVE_FSYNC=False",
    ]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def finish(proc: subprocess.Popen[bytes], log: Path) -> tuple[int, str]:
    """Wait for a worker to stop by itself; its exit code and log."""
    try:
        code = proc.wait(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"worker did not stop:\n{log.read_text(errors='replace')[-3000:]}")
    return code, log.read_text(encoding="utf-8", errors="replace")


def wait_for_posts(archive: Path, count: int, alive: Callable[[], bool]) -> None:
    """Until ``archive`` holds ``count`` posts (a safety limit only)."""
    deadline = time.monotonic() + LIMIT
    while len(post_files(archive)) < count:
        if not alive() or time.monotonic() > deadline:
            pytest.fail(f"the crawl stopped or stalled before {count} posts")
        time.sleep(0.01)


def stat(log: str, key: str) -> int:
    """A value of the stats dump at the end of a worker's log (0 when absent)."""
    match = re.search(rf"'{re.escape(key)}': (\d+)", log)
    return int(match.group(1)) if match else 0


def assert_archived_once(archive: Path, upstream: UpstreamServer) -> None:
    codes = Counter(post_files(archive).values())
    assert set(codes) == set(upstream.catalog.by_code)
    assert max(codes.values()) == 1
    assert find_problems(archive) == []


def test_two_workers_share_one_frontier_and_archive_every_article_once(
    upstream_factory: Callable[..., UpstreamServer], redis_server: RedisServer, tmp_path: Path
) -> None:
    upstream = upstream_factory(articles=2000, latency=LATENCY)
    total = len(upstream.catalog)
    archive = tmp_path / "archive"
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    procs = [start_worker(upstream, archive, redis_server.url, log) for log in logs]
    results = [finish(proc, log) for proc, log in zip(procs, logs, strict=True)]

    for code, log in results:
        assert code == 0, log[-3000:]
        assert "newsmirror summary (finished)" in log
    assert_archived_once(archive, upstream)
    assert upstream.hits[TEXT] == total  # no article was fetched twice

    shares = [stat(log, "newsmirror/archive/created") for _, log in results]
    assert sum(shares) == total
    assert min(shares) >= total // 4, shares
    seeded = [stat(log, "newsmirror/redis/seeded") for _, log in results]
    assert sorted(seeded) == [0, 5]  # one worker seeded the five lists, once
    # The run-wide summary: the last worker out saw every worker's counters.
    assert any(f"archived {total} new, 0 updated" in log for _, log in results)
    # The run is over: only its record (counters, problems) stays in Redis.
    left = {key.decode() for key in redis_server.client().keys("*")}
    assert all(":stats:" in key or ":problems:" in key for key in left), left


def test_a_worker_killed_mid_run_and_started_again_loses_nothing(
    upstream_factory: Callable[..., UpstreamServer], redis_server: RedisServer, tmp_path: Path
) -> None:
    upstream = upstream_factory(articles=2000, latency=LATENCY)
    total = len(upstream.catalog)
    archive = tmp_path / "archive"
    a = start_worker(upstream, archive, redis_server.url, tmp_path / "a.log")
    b = start_worker(upstream, archive, redis_server.url, tmp_path / "b.log")
    wait_for_posts(archive, total // 3, lambda: a.poll() is None and b.poll() is None)
    b.send_signal(signal.SIGKILL)  # in flight: its requests, claims, maybe a half write
    b.wait()
    again = start_worker(upstream, archive, redis_server.url, tmp_path / "b-again.log")
    results = [finish(a, tmp_path / "a.log"), finish(again, tmp_path / "b-again.log")]

    for code, log in results:
        assert code == 0, log[-3000:]
    assert_archived_once(archive, upstream)
    assert upstream.hits[TEXT] >= total
    # The killed worker's requests were recovered by sweeping the lists again.
    assert any("went away with requests in flight; sweeping" in log for _, log in results)
    assert sum(stat(log, "newsmirror/redis/sweeps") for _, log in results) >= 1
