"""Near-duplicates across the workers of a distributed run, against a real redis-server:
the Redis lookup against the in-memory one, seeding once per run, the keys' lifetime,
and two workers archiving two copies of one story in every order (and at the same
moment), settled by the last worker out."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy.exceptions import DropItem

from newsmirror.archive.listing import post_files
from newsmirror.archive.neardup import MemoryLookup
from newsmirror.archive.shared import SharedArchiveState
from newsmirror.distributed.neardup import RedisLookup, SharedNearDuplicates
from newsmirror.distributed.run import DistributedRun, RunKeys
from newsmirror.incremental import ArchiveSession
from newsmirror.normalize.neardup import NUM_PERM, Fingerprint, fingerprint, fingerprint_text
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.summary import summarize
from newsmirror.testing.catalog import corpus_articles
from newsmirror.testing.offline import OfflineCrawl

from .archive_helpers import index_of, make_post, store_posts
from .redis_server import RedisServer
from .test_pipeline_neardup import FIRST, LATER, article

KEYS = RunKeys.of("test", "eastmoney")
#: A story long enough to compare.
STORY = "<p>" + "中国人民银行发布二〇二二年第一季度货币政策执行报告，强调稳健的货币政策。" * 6
STORY += "</p>"
#: Its fingerprint, as a post titled 央行报告 holding it has it.
STORY_PRINT = str(fingerprint(fingerprint_text("央行报告", STORY, "")))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def client(redis_server: RedisServer) -> redis.Redis:
    return redis_server.client()


def worker(client: redis.Redis, name: str) -> DistributedRun:
    run = DistributedRun(client, KEYS, name, lease=60.0, idle_timeout=0.0)
    run.join()
    return run


# -- the lookup ------------------------------------------------------------------------
def sample_prints() -> dict[str, str]:
    """Corpus fingerprints plus random signatures over few byte values (many shared
    band keys, so the comparison means something), and unusable values."""
    rng = random.Random(8)
    prints = {a.code: str(fingerprint(a.title + a.body + a.digest)) for a in corpus_articles()}
    for i in range(300):
        sig = bytes(rng.choice(b"ab") for _ in range(NUM_PERM))
        prints[f"NW2022{i:014d}"] = str(Fingerprint(500, sig))
    prints.update({"NW1": "", "NW2": "mh1:3:", "NW3": "damaged"})
    return prints


def test_the_redis_lookup_finds_what_the_memory_lookup_finds(client: redis.Redis) -> None:
    prints = list(sample_prints().items())
    built, added = prints[:250], prints[250:]
    memory = MemoryLookup(built)
    shared = RedisLookup(client, "test:neardup:run1")
    assert shared.seed(((c, v, "2022-05-30 00:00:00 +0800") for c, v in built), batch=7) == 250
    for code, value in added:
        memory.add(code, value)
        shared.add(code, value)
    found = 0
    for _, value in prints:
        assert shared.find(value) == memory.find(value)
        found += len(memory.find(value)) > 1
    assert found > 100  # most values share band keys with others
    assert shared.find("") == [] and shared.find("mh1:3:") == []
    # Only the band sets, the fingerprints and the dates, all under the lookup's prefix.
    keys = {k.decode() for k in client.keys("*")}
    assert all(k.startswith("test:neardup:run1:") for k in keys)
    assert {"test:neardup:run1:fingerprints", "test:neardup:run1:dates"} < keys


def test_describe_gives_fingerprint_date_and_whether_committed(client: redis.Redis) -> None:
    value = STORY_PRINT
    lookup = RedisLookup(client, "test:neardup:run1", done="test:done")
    lookup.add("NW10", value, published="2022-05-30 17:33:09 +0800", listed="media")
    client.sadd("test:done", "NW10")
    lookup.add("NW11", value)
    assert lookup.describe(["NW10", "NW11", "NW12"]) == {
        "NW10": (value, "2022-05-30 17:33:09 +0800", True),
        "NW11": (value, "", False),
        "NW12": ("", "", False),
    }
    assert lookup.run_codes() == {"NW10": "media"}


# -- seeding, once per run -------------------------------------------------------------
def archive_with_story(root: Path) -> None:
    post = make_post("NW202205302396506117", "2022-05-30 17:33:09", title="央行报告", body=STORY)
    store_posts(root, [post])


def test_the_first_worker_seeds_the_lookup_the_others_use_it(
    client: redis.Redis, tmp_path: Path
) -> None:
    archive_with_story(tmp_path)
    a, b = worker(client, "a"), worker(client, "b")
    state_a = SharedArchiveState.open_shared(tmp_path, "a", fsync=False)
    state_b = SharedArchiveState.open_shared(tmp_path, "b", fsync=False)
    first = SharedNearDuplicates(state_a, a)
    first.load()
    assert first.seeded == 1
    assert a.state()["neardup"] == "ready"
    second = SharedNearDuplicates(state_b, b)
    verdict = second.check("NW202205302396999999", STORY_PRINT, "2022-05-31 00:00:00 +0800")
    assert second.seeded == 0  # seeded once
    assert verdict.first == "NW202205302396506117"
    state_b.leave(), state_a.leave()


def test_a_worker_waits_while_another_seeds_and_takes_over_a_dead_seeder(
    client: redis.Redis, tmp_path: Path
) -> None:
    archive_with_story(tmp_path)
    a, b = worker(client, "a"), worker(client, "b")
    state = SharedArchiveState.open_shared(tmp_path, "b", fsync=False)
    client.hset(KEYS.run, "neardup", "seeding:a")  # a, alive, is seeding
    waiting = SharedNearDuplicates(state, b, poll=0.0)
    beats: list[str] = []

    def heartbeat() -> None:  # while b waits, a finishes
        beats.append("beat")
        client.hset(KEYS.run, "neardup", "ready")

    b.heartbeat = heartbeat  # type: ignore[method-assign]
    waiting.load()
    assert beats == ["beat"] and waiting.seeded == 0

    client.hset(KEYS.run, "neardup", "seeding:a")
    client.zadd(KEYS.workers, {"a": 0})  # a's lease ran out while seeding
    takeover = SharedNearDuplicates(state, b)
    takeover.load()
    assert takeover.seeded == 1 and a.state()["neardup"] == "ready"
    state.leave()


def test_the_lookup_lives_as_long_as_the_run(client: redis.Redis, tmp_path: Path) -> None:
    archive_with_story(tmp_path)
    a = worker(client, "a")
    state = SharedArchiveState.open_shared(tmp_path, "a", fsync=False)
    SharedNearDuplicates(state, a).load()
    prefix = KEYS.neardup(a.run_id)
    assert client.keys(f"{prefix}:*")
    client.set(f"{KEYS.neardup('another-run')}:fingerprints", "x")  # a next run's
    state.leave()
    a.drained = True
    assert a.leave() is True
    assert client.keys(f"{prefix}:*") == []
    assert client.exists(f"{KEYS.neardup('another-run')}:fingerprints")


# -- two workers, one story ------------------------------------------------------------
class Worker:
    """One offline worker of the run at ``redis_url`` on ``archive``."""

    def __init__(self, archive: Path, redis_url: str, policy: str) -> None:
        settings: dict[str, Any] = {
            "ARCHIVE_DIR": str(archive),
            "ARCHIVE_FSYNC": False,
            "UPSTREAM_BASE": "http://127.0.0.1:9",
            "REDIS_URL": redis_url,
            "NEAR_DUPLICATE_POLICY": policy,
        }
        self.crawl = OfflineCrawl(EastmoneySpider, settings)
        self.run = DistributedRun.of(self.crawl.crawler)
        self.run.join()
        # As the worker starts: its view of the archive is what was on it then.
        ArchiveSession.of(self.crawl.crawler).state  # noqa: B018

    def feed(self, code: str) -> str:
        """Process the article; why it was dropped ("" when archived)."""
        try:
            self.crawl.process(article(code))
        except DropItem as exc:
            return str(exc)
        return ""

    def close(self) -> None:
        self.crawl.close()


@pytest.fixture
def workers(redis_server: RedisServer, tmp_path: Path) -> Any:
    def make(policy: str = "keep") -> tuple[Worker, Worker]:
        url = redis_server.url
        return Worker(tmp_path, url, policy), Worker(tmp_path, url, policy)

    return make


def links(archive: Path) -> dict[str, str]:
    return {c: e.near_duplicate_of for c, e in index_of(archive).items()}


def test_a_later_copy_after_another_workers_first_copy_is_linked_on_arrival(
    workers: Any, tmp_path: Path
) -> None:
    a, b = workers("keep")
    assert a.feed(FIRST) == ""
    assert b.feed(LATER) == ""  # b's view of the archive does not hold FIRST: Redis does
    assert b.crawl.stats["newsmirror/neardup/linked"] == 1
    a.close(), b.close()
    assert links(tmp_path) == {FIRST: "", LATER: FIRST}


def test_skip_drops_a_later_copy_after_another_workers_first_copy(
    workers: Any, tmp_path: Path
) -> None:
    a, b = workers("skip")
    a.feed(FIRST)
    assert f"near-duplicate of {FIRST!r}" in b.feed(LATER)
    a.close(), b.close()
    assert set(post_files(tmp_path).values()) == {FIRST}


@pytest.mark.parametrize("last_out", ["first", "later"])
def test_a_first_copy_after_another_workers_later_copy_is_settled_by_the_last_out(
    workers: Any, tmp_path: Path, last_out: str
) -> None:
    a, b = workers("tag")
    a.feed(LATER)
    assert b.feed(FIRST) == ""
    # b may not change a post a archived in the run: left for the end.
    assert b.crawl.stats["newsmirror/neardup/deferred"] == 1
    assert "newsmirror/neardup/relinked" not in b.crawl.stats
    closing = [a, b] if last_out == "first" else [b, a]
    for one in closing:
        one.close()
    assert links(tmp_path) == {FIRST: "", LATER: FIRST}
    [later_file] = [f for f, c in post_files(tmp_path).items() if c == LATER]
    assert f"near_duplicate_of: {FIRST!r}" in (tmp_path / later_file).read_text("utf-8")
    last = closing[-1].crawl.stats
    assert last["newsmirror/neardup/rechecked"] == 2
    assert last["newsmirror/neardup/relinked"] == 1
    assert closing[0].crawl.stats.get("newsmirror/neardup/rechecked", 0) == 0  # not last


def test_copies_archived_at_the_same_moment_end_linked_and_skip_removes_one(
    workers: Any, redis_server: RedisServer, tmp_path: Path
) -> None:
    a, b = workers("skip")
    assert a.feed(FIRST) == ""
    # b decides while a is still writing FIRST (not committed yet): it sees no copy.
    client = redis_server.client()
    done = a.run.keys.done
    client.srem(done, FIRST)
    assert b.feed(LATER) == ""
    client.sadd(done, FIRST)
    assert set(post_files(tmp_path).values()) == {FIRST, LATER}
    a.close(), b.close()
    assert set(post_files(tmp_path).values()) == {FIRST}
    assert set(index_of(tmp_path)) == {FIRST}
    # The run's record: LATER counted created by b, then taken back by the last out.
    stats = [a.crawl.stats, b.crawl.stats]
    totals = {
        key: sum(s.get(key, 0) for s in stats)
        for key in ("newsmirror/archive/created", "newsmirror/archive/created/media")
    }
    assert totals == {"newsmirror/archive/created": 1, "newsmirror/archive/created/media": 0}
    assert summarize(b.crawl.stats).dropped == {"near_duplicate": 1}
