"""Distributed runs, piece by piece, against a real redis-server: the run and its
workers, the seed, claims, idleness and sweeps, the run's record, the frontier
scheduler, the addon and ``newsmirror seed``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from newsmirror import cli
from newsmirror.archive.consistency import find_problems
from newsmirror.archive.listing import post_files
from newsmirror.distributed.components import ClaimCarryMiddleware
from newsmirror.distributed.run import CLAIM_META, Claim, DistributedRun, Idle, RunKeys
from newsmirror.distributed.scheduler import FrontierScheduler
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.catalog import Catalog
from newsmirror.testing.offline import OfflineCrawl, project_settings_dict

from .redis_server import RedisServer

CODE = "NW202205292395331423"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def client(redis_server: RedisServer) -> redis.Redis:
    return redis_server.client()


KEYS = RunKeys.of("test", "eastmoney")


def worker(client: redis.Redis, name: str, *, idle_timeout: float = 0.0) -> DistributedRun:
    return DistributedRun(client, KEYS, name, lease=60.0, idle_timeout=idle_timeout)


def lease_runs_out(client: redis.Redis, run: DistributedRun) -> None:
    """As if ``run``'s worker had stopped renewing its lease long ago."""
    client.zadd(KEYS.workers, {run.worker: 0})


# -- the run, its workers, its seed -------------------------------------------------------
def test_the_first_worker_starts_the_run_the_others_join_it(client: redis.Redis) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    assert a.join() is True
    assert b.join() is False
    assert a.run_id and a.run_id == b.run_id
    assert sorted(a.live_workers()) == ["a", "b"]
    assert a.state()["id"] == a.run_id


def test_a_run_is_seeded_once_and_keeps_its_seed_for_sweeps(client: redis.Redis) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    assert a.seed([(b"list-1", -10), (b"list-2", -10)]) is True
    assert b.seed([(b"other", 0)]) is False
    assert a.state()["seeded_by"] == "a"
    assert b.seed_requests() == [b"list-1", b"list-2"]
    assert client.zcard(KEYS.requests) == 2
    assert {b.pop(KEYS.requests), b.pop(KEYS.requests)} == {b"list-1", b"list-2"}
    assert b.pop(KEYS.requests) is None


def test_seeding_without_workers_starts_the_run(client: redis.Redis) -> None:
    seeder = worker(client, "seeder")
    assert seeder.seed([(b"x", 0)]) is True
    joining = worker(client, "a")
    assert joining.join() is False  # the seeded run exists: it is joined, not started
    assert joining.seed([(b"y", 0)]) is False


# -- claims ------------------------------------------------------------------------------
def test_two_workers_never_hold_one_code(client: redis.Redis) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    assert a.claim(CODE) is Claim.CLAIMED
    assert b.claim(CODE) is Claim.BUSY
    assert a.claim(CODE) is Claim.MINE and a.claim(CODE).granted
    assert not b.claim(CODE).granted
    assert not a.is_done(CODE)
    a.commit(CODE)
    assert b.is_done(CODE) and a.is_done(CODE)
    assert b.claim(CODE) is Claim.DONE
    assert a.claim(CODE) is Claim.DONE  # even its old holder does not write it again
    assert client.hget(KEYS.claims, CODE) is None


def test_the_claim_of_a_dead_worker_is_taken_over(client: redis.Redis) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    assert a.claim(CODE) is Claim.CLAIMED
    lease_runs_out(client, a)
    assert b.claim(CODE) is Claim.TAKEN_OVER
    # a was only slow: it comes back, but the code is b's now and it must not write it.
    a.heartbeat()
    assert a.claim(CODE) is Claim.BUSY
    b.commit(CODE)
    assert a.claim(CODE) is Claim.DONE


# -- idleness, sweeps, leaving -----------------------------------------------------------
def test_a_worker_waits_while_others_work_and_everyone_stops_together(
    client: redis.Redis,
) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    a.seed([(b"list", 0)])
    assert a.idle() is Idle.WORK  # the seed waits in the frontier
    assert b.pop(KEYS.requests) == b"list"  # b is busy with it now
    assert a.idle() is Idle.WAIT
    assert b.idle() is Idle.STOP  # everyone idle, nothing left: (timeout 0) stop
    assert a.idle() is Idle.STOP


def test_the_run_stops_only_after_the_idle_timeout(client: redis.Redis) -> None:
    a = worker(client, "a", idle_timeout=3600)
    a.join()
    assert a.idle() is Idle.WAIT
    client.hset(KEYS.run, "idle_since", 0)  # as if everyone had been idle for an hour
    assert a.idle() is Idle.STOP


def test_a_worker_lost_while_busy_makes_the_run_sweep_once(client: redis.Redis) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    a.seed([(b"list", 0)])
    assert b.pop(KEYS.requests) == b"list"  # b is busy when it dies
    lease_runs_out(client, b)
    assert a.idle() is Idle.SWEEP  # b's requests are lost: a sweeps
    assert a.state()["lost"] == "1" and a.state()["sweeps"] == "1"
    assert a.live_workers() == ["a"]
    assert a.idle() is Idle.STOP  # one sweep per loss


def test_a_worker_lost_while_idle_loses_nothing(client: redis.Redis) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    assert b.idle() is Idle.WAIT
    lease_runs_out(client, b)
    assert a.idle() is Idle.STOP
    assert a.state()["lost"] == "0"


def test_the_last_worker_out_ends_the_run_and_its_keys_go(client: redis.Redis) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    a.seed([(b"list", 0)])
    assert b.pop(KEYS.requests) == b"list"
    a.claim(CODE), a.commit(CODE)
    a.publish({"newsmirror/archive/created": 1})
    assert a.idle() is Idle.WAIT and b.idle() is Idle.STOP and a.idle() is Idle.STOP
    a.drained = b.drained = True
    assert a.leave() is False  # b is still in
    assert b.leave() is True
    assert not any(client.exists(key) for key in KEYS.coordination())
    assert a.totals() == {"newsmirror/archive/created": 1}  # the record stays, a week
    assert 0 < client.ttl(KEYS.stats(a.run_id)) <= 7 * 24 * 3600


def test_a_worker_stopped_before_the_end_keeps_the_run_for_a_resume(
    client: redis.Redis,
) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    a.seed([(b"list", 0), (b"list-2", 0)])
    assert a.pop(KEYS.requests) == b"list"
    assert a.leave() is False  # stopped (not drained) with work in flight
    assert b.state()["lost"] == "1"
    b.drained = True
    assert b.leave() is False  # the frontier is not empty and the loss is not swept
    c = worker(client, "c")
    assert c.join() is False  # a worker started later resumes the same run
    assert c.state()["id"] == a.run_id
    assert c.pop(KEYS.requests) == b"list-2"
    assert c.idle() is Idle.SWEEP


def test_the_record_sums_every_workers_counters_and_problems(client: redis.Redis) -> None:
    a, b = worker(client, "a"), worker(client, "b")
    a.join(), b.join()
    problem = {"outcome": "failed", "list_name": "media", "reason": "503", "code": CODE}
    a.publish({"newsmirror/archive/created": 3, "newsmirror/index/posts": 10, "x": 1}, [problem])
    b.publish({"newsmirror/archive/created": 2, "newsmirror/article/failed": 1})
    a.publish({"newsmirror/archive/created": 5}, [problem])  # only what changed is added
    assert a.totals() == {"newsmirror/archive/created": 7, "newsmirror/article/failed": 1}
    assert b.problems() == [problem]


# -- the frontier scheduler -----------------------------------------------------------------
def scheduler(redis_server: RedisServer, tmp_path: Path) -> FrontierScheduler:
    settings = project_settings_dict(
        {"REDIS_URL": redis_server.url, "ARCHIVE_DIR": str(tmp_path), "UPSTREAM_BASE": "http://h"}
    )
    crawler = get_crawler(EastmoneySpider, settings)
    crawler.spider = EastmoneySpider.from_crawler(crawler)
    built = FrontierScheduler.from_crawler(crawler)
    built.open(crawler.spider)
    assert built.run is not None
    built.run.join()
    return built


def text_request(code: str = CODE, list_name: str = "media") -> Request:
    return Request(
        f"http://h/NewsData/GetNewsText.do?id={code}",
        meta={"newsmirror_code": code, "newsmirror_list": list_name},
        dont_filter=True,
    )


def test_the_scheduler_hands_out_a_code_to_one_worker_only(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    a, b = scheduler(redis_server, tmp_path), scheduler(redis_server, tmp_path)
    assert a.run is not None and b.run is not None
    a.enqueue_request(text_request())
    b.enqueue_request(text_request(list_name="market37"))  # the same code in two lists
    assert a.has_pending_requests() and b.has_pending_requests()
    taken = a.next_request()
    assert taken is not None and taken.meta[CLAIM_META] == a.run.worker
    assert b.next_request() is None  # the copy is dropped: a holds the code
    assert not b.has_pending_requests()
    assert b.stats is not None
    assert b.stats.get_value("newsmirror/redis/claim/busy") == 1

    # A retry of a's request (same meta) stays with a, not in Redis.
    assert a.enqueue_request(taken.replace(dont_filter=True))
    assert len(a.queue) == 0 and a.has_pending_requests()
    assert a.next_request() is not None
    a.run.commit(CODE)
    b.enqueue_request(text_request())
    assert b.next_request() is None
    assert b.stats.get_value("newsmirror/incremental/already_archived/media") == 1


def test_the_scheduler_round_trips_requests_through_redis(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    a = scheduler(redis_server, tmp_path)
    spider = a.spider
    assert isinstance(spider, EastmoneySpider)
    for request in spider.list_requests():
        a.enqueue_request(request)
    out = [a.next_request() for _ in range(5)]
    assert a.next_request() is None
    assert sorted(r.url for r in out if r is not None) == sorted(
        r.url for r in spider.list_requests()
    )
    for request in out:
        assert request is not None
        assert request.callback == spider.parse_list and request.errback == spider.list_failed
        assert request.cb_kwargs == {"list_kind": request.meta["newsmirror_kind"]}


def test_a_claimed_requests_follow_up_for_its_code_keeps_the_claim() -> None:
    carry = ClaimCarryMiddleware(get_crawler(EastmoneySpider, project_settings_dict()))
    share = Request("http://h/share", meta={"newsmirror_code": CODE, CLAIM_META: "w1"})
    response = HtmlResponse(share.url, body=b"<html></html>", request=share)
    follow_up = Request("http://h/text", meta={"newsmirror_code": CODE})
    other = Request("http://h/text2", meta={"newsmirror_code": "NW1"})
    assert carry.get_processed_request(follow_up, response).meta[CLAIM_META] == "w1"
    assert CLAIM_META not in carry.get_processed_request(other, response).meta
    start = Request("http://h/list")
    assert CLAIM_META not in carry.get_processed_request(start, None).meta


def test_a_worker_writes_a_post_only_while_it_holds_the_claim(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    catalog = Catalog.build()
    media = {a.code: a for a in catalog.lists["media"][:2]}
    archive = tmp_path / "archive"
    settings = {
        "UPSTREAM_BASE": "http://127.0.0.1:9",
        "ARCHIVE_DIR": str(archive),
        "ARCHIVE_FSYNC": False,
        "REDIS_URL": redis_server.url,
    }
    crawl = OfflineCrawl(EastmoneySpider, settings, lists="media")
    listing = {"nodeList": [a.list_record() for a in media.values()]}
    requests = crawl.call(crawl.spider.list_requests()[0], json.dumps(listing))
    items = {
        r.meta["newsmirror_code"]: crawl.call(
            r, json.dumps(catalog.text_for(media[r.meta["newsmirror_code"]].info_code))
        )[0]
        for r in requests
    }
    taken, free = sorted(items)
    other = DistributedRun(redis_server.client(), RunKeys.of("newsmirror", "eastmoney"), "other")
    other.join()
    assert other.claim(taken) is Claim.CLAIMED
    with pytest.raises(DropItem, match="another worker of the distributed run archives it"):
        crawl.process(items[taken])
    crawl.process(items[free])
    assert other.claim(free) is Claim.DONE  # committed once its post was on disk
    crawl.close()
    assert list(post_files(archive).values()) == [free]
    assert find_problems(archive) == []


# -- the addon and newsmirror seed ---------------------------------------------------------
def test_without_redis_url_nothing_changes() -> None:
    crawler = get_crawler(EastmoneySpider, project_settings_dict())
    assert crawler.settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert not crawler.addons.addons


def test_with_redis_url_the_crawl_runs_on_the_redis_frontier(redis_server: RedisServer) -> None:
    crawler = get_crawler(
        EastmoneySpider, project_settings_dict({"REDIS_URL": redis_server.url})
    )
    settings = crawler.settings
    assert settings["SCHEDULER"] == "newsmirror.distributed.scheduler.FrontierScheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    assert settings["SCHEDULER_QUEUE_KEY"] == "newsmirror:%(spider)s:requests"
    extensions = settings.getdict("EXTENSIONS")
    assert "newsmirror.extensions.RunSummary" not in extensions


def test_newsmirror_seed_seeds_a_backfill_once(
    redis_server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text("# 补档\nNW1\nNW2\n", encoding="utf-8")
    args = ["seed", "newsshare", "--redis", redis_server.url, "-a", f"from_file={codes}"]
    assert cli.main([*args, "-s", "UPSTREAM_BASE=http://h"]) == 0
    assert "seeded with 2 request(s); 2 waiting in newsmirror:newsshare:requests" in (
        capsys.readouterr().out
    )
    assert cli.main([*args, "-s", "UPSTREAM_BASE=http://h"]) == 1
    assert "has a seed already" in capsys.readouterr().out
    client = redis_server.client()
    assert client.zcard("newsmirror:newsshare:requests") == 2
    assert client.llen("newsmirror:newsshare:seed") == 2
    assert cli.main(["seed", "newsshare", "-a", "codes=NW1"]) == 2  # no Redis server given
