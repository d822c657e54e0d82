"""New posts written in worker threads (newsmirror.archive_writes) while the pipelines go
on: the archive ends exactly as when every write is made in place, even when a
near-duplicate decision needs a post that is still being written."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem

from newsmirror.archive import store as store_module
from newsmirror.archive.listing import post_files
from newsmirror.archive_writes import BackgroundWrites
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import OfflineCrawl

from .archive_helpers import index_of
from .test_pipeline_neardup import FIRST, LATER, article, post_meta


def test_writes_go_to_threads_only_inside_a_running_loop() -> None:
    writes = BackgroundWrites(2)
    assert not writes.available()  # no loop: written in place

    async def inside() -> tuple[bool, bool]:
        return writes.available(), BackgroundWrites(0).available()

    assert asyncio.run(inside()) == (True, False)
    with pytest.raises(ValueError, match="ARCHIVE_WRITE_THREADS"):
        BackgroundWrites(-1)


def test_a_write_runs_in_a_worker_thread_and_is_pending_until_done() -> None:
    writes = BackgroundWrites(2)
    release = threading.Event()
    threads: list[str] = []

    def write() -> None:
        threads.append(threading.current_thread().name)
        release.wait(5)

    async def scenario() -> list[bool]:
        task = asyncio.ensure_future(writes.write("A", write))
        await asyncio.sleep(0.05)
        seen = [writes.pending("A"), writes.pending_of(["B", "A"]) == ["A"]]
        release.set()
        await writes.wait(["A", "B"])
        await task
        return [*seen, writes.pending("A")]

    assert asyncio.run(scenario()) == [True, True, False]
    writes.close()
    assert threads and threads[0].startswith("nm-write")


def test_a_failed_write_raises_for_its_item_but_not_for_those_waiting_on_it() -> None:
    writes = BackgroundWrites(1)

    def broken() -> None:
        time.sleep(0.05)
        raise OSError("disk full")

    async def scenario() -> str:
        task = asyncio.ensure_future(writes.write("A", broken))
        await asyncio.sleep(0)
        await writes.wait(["A"])  # no error here
        try:
            await task
        except OSError as exc:
            return str(exc)
        return "no error"

    assert asyncio.run(scenario()) == "disk full"
    writes.close()


class SlowWrites:
    """Post files take ``delay`` seconds in their worker thread (a slow disk)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, delay: float) -> None:
        real = store_module.write_post_file
        self.threads: set[str] = set()

        def slow(path: Path, text: str, *, fsync: bool) -> None:
            self.threads.add(threading.current_thread().name)
            time.sleep(delay)
            real(path, text, fsync=fsync)

        monkeypatch.setattr("newsmirror.pipelines.write_post_file", slow)


def crawl(archive: Path, policy: str) -> OfflineCrawl:
    return OfflineCrawl(
        EastmoneySpider,
        {
            "ARCHIVE_DIR": str(archive),
            "UPSTREAM_BASE": "http://127.0.0.1:9",
            "NEAR_DUPLICATE_POLICY": policy,
        },
    )


def run_together(run: OfflineCrawl, *codes: str) -> list[Any]:
    """The articles enter the pipelines one after the other without waiting for each
    other, as items of several responses do in a crawl."""

    async def scenario() -> list[Any]:
        tasks = []
        for code in codes:
            tasks.append(asyncio.ensure_future(run.process_async(article(code))))
            await asyncio.sleep(0)  # the earlier one is now writing in its thread
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(scenario())
    run.close()
    return results


@pytest.mark.parametrize("policy", ["keep", "tag", "skip"])
def test_a_first_copy_arriving_while_its_later_copy_is_written_settles_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    # Reference: one item after the other, every write in place.
    reference = crawl(tmp_path / "ref", policy)
    for code in (LATER, FIRST):
        reference.process(article(code))
    reference.close()

    slow = SlowWrites(monkeypatch, 0.3)
    run = crawl(tmp_path / "threads", policy)
    waits: list[list[str]] = []
    real_wait = BackgroundWrites.wait

    async def recording_wait(self: BackgroundWrites, codes: list[str]) -> None:
        waits.append(list(codes))
        await real_wait(self, codes)

    monkeypatch.setattr(BackgroundWrites, "wait", recording_wait)
    results = run_together(run, LATER, FIRST)

    assert not [r for r in results if isinstance(r, BaseException)]
    assert any(t.startswith("nm-write") for t in slow.threads)
    assert [LATER] in waits  # FIRST's decision waited for LATER's post
    ref, threads = tmp_path / "ref", tmp_path / "threads"
    assert sorted(post_files(threads).values()) == sorted(post_files(ref).values())
    assert index_of(threads) == index_of(ref)
    for code in post_files(ref).values():
        assert post_meta(threads, code) == post_meta(ref, code)
    for key in ("newsmirror/archive/created", "newsmirror/neardup/relinked"):
        assert run.stats.get(key) == reference.stats.get(key), key


def test_the_same_code_twice_at_once_is_written_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SlowWrites(monkeypatch, 0.2)
    run = crawl(tmp_path, "keep")
    results = run_together(run, FIRST, FIRST)
    assert not [r for r in results if isinstance(r, (BaseException, DropItem))]
    assert list(post_files(tmp_path).values()) == [FIRST]
    assert run.stats["newsmirror/archive/created"] == 1
    assert run.stats["newsmirror/archive/unchanged"] == 1
