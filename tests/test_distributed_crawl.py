"""Two ``scrapy crawl eastmoney`` workers on one Redis frontier and one archive, as an
operator runs them: every article archived exactly once, both doing a real share, and
a worker killed mid-run and started again losing nothing; the copies of one story the
two workers archived linked to its first copy as a single run links them."""

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

import numpy as np
import pytest

from newsmirror.archive.consistency import find_problems
from newsmirror.archive.index import IndexEntry
from newsmirror.archive.listing import post_files
from newsmirror.normalize.neardup import NUM_PERM, Fingerprint, similarity
from newsmirror.testing.server import UpstreamServer

from .archive_helpers import index_of
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


def expected_links(entries: list[IndexEntry], threshold: float = 0.8) -> dict[str, str]:
    """Each code's first copy ("" for a first copy), found without the lookup: every
    pair of fingerprints compared, stories as the connected groups of near-duplicate
    pairs, each one's first copy its earliest published member, then smallest code."""
    usable = [(e, Fingerprint.parse(e.fingerprint)) for e in entries]
    prints = [(e, f) for e, f in usable if f is not None and f.chars >= 150 and f.signature]
    signatures = np.frombuffer(b"".join(f.signature for _, f in prints), np.uint8)
    signatures = signatures.reshape(-1, NUM_PERM)
    group = list(range(len(prints)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for i in range(len(prints)):
        agree = (signatures[i + 1 :] == signatures[i]).sum(axis=1)
        for j in np.nonzero(agree >= threshold * NUM_PERM * 0.9)[0] + i + 1:
            if similarity(prints[i][1], prints[j][1]) >= threshold:
                group[root(i)] = root(int(j))
    stories: dict[int, list[IndexEntry]] = {}
    for i, (entry, _) in enumerate(prints):
        stories.setdefault(root(i), []).append(entry)
    links = {e.code: "" for e in entries}
    for members in stories.values():
        first = min(members, key=lambda e: (e.date, e.code)).code
        links.update({e.code: first for e in members if e.code != first})
    return links


def assert_stories_linked(archive: Path, logs: list[str]) -> None:
    """Every later copy links to its story's first copy, whichever worker archived
    which copy; the last worker out re-checked the run's articles."""
    index = index_of(archive)
    expected = expected_links(list(index.values()))
    assert {c: e.near_duplicate_of for c, e in index.items()} == expected
    # The synthetic articles are copies of corpus stories: hundreds of links to check.
    assert sum(1 for first in expected.values() if first) >= 400
    assert sum(stat(log, "newsmirror/neardup/rechecked") for log in logs) >= len(index)


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
    assert_stories_linked(archive, [log for _, log in results])


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
    assert_stories_linked(archive, [log for _, log in results])
