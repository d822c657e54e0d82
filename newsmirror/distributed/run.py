"""The Redis side of a distributed run: the run, its workers, claims, seed, idleness.

Keys (``<REDIS_KEY_PREFIX>:<spider>:…``, see :class:`RunKeys`):

- ``requests`` (sorted set) and ``dupefilter`` (set): scrapy-redis's frontier;
- ``run`` (hash): the run's ``id``, ``started`` (ms), ``seeded`` / ``seeded_by``,
  ``lost`` (workers that went away with work in flight), ``swept`` (``lost`` when the
  last sweep began), ``sweeps``, ``idle_since`` (ms; only while everyone is idle);
- ``workers`` (sorted set): worker -> lease expiry (ms). A worker renews its lease
  every third of ``REDIS_WORKER_LEASE``; one whose lease ran out is dead;
- ``idle`` (set): the workers with nothing to do;
- ``claims`` (hash): code -> the worker fetching and writing it;
- ``done`` (set): codes archived in this run;
- ``seed`` (list): the run's start requests, kept for sweeps;
- ``stats:<run id>`` (hash) and ``problems:<run id>`` (list): every worker's counters
  (summed) and problems, for the run-wide summary; kept a week;
- ``neardup:<run id>:…``: the near-duplicate lookup the workers share
  (:mod:`newsmirror.distributed.neardup`), many keys; deleted with the run's other keys
  when it ends (by name pattern, after them: the run id keeps a next run's apart).

Every decision is one Lua script, so it is atomic across workers; times are the
Redis server's (``TIME``), so the workers' clocks do not matter. A standalone Redis
(not Redis Cluster) is expected.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy_redis.connection import get_redis_from_settings

logger = logging.getLogger(__name__)

#: Request meta: the worker whose claim on the request's code it continues (a claimed
#: request's retries and follow-ups stay with that worker).
CLAIM_META = "newsmirror_claim"
#: How long a finished run's counters and problems stay in Redis (seconds).
RECORD_TTL = 7 * 24 * 3600
_RUN_ATTR = "_newsmirror_distributed_run"
#: Counters that are not additive across workers (set once per process).
_PER_PROCESS = ("newsmirror/index/",)


class Claim(StrEnum):
    """The answer to a claim on a code."""

    #: The code is this worker's now.
    CLAIMED = "claimed"
    #: ... taken over from a worker whose lease ran out.
    TAKEN_OVER = "taken_over"
    #: This worker holds it already.
    MINE = "mine"
    #: A live worker holds it.
    BUSY = "busy"
    #: Archived in this run.
    DONE = "done"

    @property
    def granted(self) -> bool:
        return self in (Claim.CLAIMED, Claim.TAKEN_OVER, Claim.MINE)


class Idle(StrEnum):
    """What an idle worker does next."""

    #: Requests wait in the frontier: take them.
    WORK = "work"
    #: Other workers are busy, or everyone has been idle for less than the timeout.
    WAIT = "wait"
    #: Everyone is idle but a worker went away with requests in flight: enqueue the
    #: run's seed again (this worker was chosen to).
    SWEEP = "sweep"
    #: Everyone has been idle for ``REDIS_IDLE_TIMEOUT``: stop.
    STOP = "stop"


#: The run's own keys, in the order the ``leave`` script takes them.
_KEY_NAMES = ("run", "workers", "idle", "requests", "claims", "done", "seed", "dupefilter")


@dataclass(frozen=True)
class RunKeys:
    """The Redis keys of one spider's distributed run (the module docstring says what
    each holds)."""

    #: ``<REDIS_KEY_PREFIX>:<spider>``
    base: str

    @classmethod
    def of(cls, prefix: str, spider: str) -> RunKeys:
        return cls(f"{prefix}:{spider}")

    def _key(self, name: str) -> str:
        return f"{self.base}:{name}"

    run = property(lambda self: self._key("run"))
    workers = property(lambda self: self._key("workers"))
    idle = property(lambda self: self._key("idle"))
    requests = property(lambda self: self._key("requests"))
    claims = property(lambda self: self._key("claims"))
    done = property(lambda self: self._key("done"))
    seed = property(lambda self: self._key("seed"))
    dupefilter = property(lambda self: self._key("dupefilter"))

    def stats(self, run_id: str) -> str:
        return self._key(f"stats:{run_id}")

    def problems(self, run_id: str) -> str:
        return self._key(f"problems:{run_id}")

    def coordination(self) -> list[str]:
        """The keys that live as long as the run (deleted when it ends), but for the
        near-duplicate lookup's (:meth:`neardup`)."""
        return [self._key(name) for name in _KEY_NAMES]

    def neardup(self, run_id: str) -> str:
        """The prefix of the run's near-duplicate lookup keys (``<base>:neardup:<run id>``)."""
        return self._key(f"neardup:{run_id}")


# -- Lua -------------------------------------------------------------------------------
# KEYS[1..3] are always run, workers, idle where ``prune`` is used.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""
_PRUNE = """
local function prune()
  local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
  local lost = 0
  for _, w in ipairs(dead) do
    if redis.call('SREM', KEYS[3], w) == 0 then lost = lost + 1 end
    redis.call('ZREM', KEYS[2], w)
  end
  if lost > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('HINCRBY', KEYS[1], 'lost', lost)
  end
end
prune()
"""
_NEW_RUN = """
local function new_run(id)
  redis.call('HSET', KEYS[1], 'id', id, 'started', now, 'lost', 0, 'swept', 0,
             'sweeps', 0, 'seeded', 0)
end
"""
# KEYS: run workers idle | ARGV: worker lease_ms new_run_id
_JOIN = _NOW + _PRUNE + _NEW_RUN + """
local started = 0
if redis.call('EXISTS', KEYS[1]) == 0 then new_run(ARGV[3]); started = 1 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], 'idle_since')
return {started, redis.call('HGET', KEYS[1], 'id')}
"""
# KEYS: run workers idle | ARGV: worker lease_ms -> 1 renewed, 0 re-registered (had been
# declared dead), -1 the run is over
_HEARTBEAT = _NOW + _PRUNE + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local known = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
if known then return 1 end
return 0
"""
# KEYS: run seed requests | ARGV: new_run_id worker (score data)... -> 1 seeded, 0 already
_SEED = _NOW + _NEW_RUN + """
if redis.call('EXISTS', KEYS[1]) == 0 then new_run(ARGV[1]) end
if redis.call('HGET', KEYS[1], 'seeded') == '1' then return 0 end
for i = 3, #ARGV, 2 do
  redis.call('RPUSH', KEYS[2], ARGV[i + 1])
  redis.call('ZADD', KEYS[3], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'seeded', 1, 'seeded_by', ARGV[2])
return 1
"""
# KEYS: requests idle run | ARGV: worker -> the request, the worker marked busy
_POP = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], 'idle_since')
return popped[1]
"""
# KEYS: done claims workers | ARGV: code worker
_CLAIM = _NOW + """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'done' end
local holder = redis.call('HGET', KEYS[2], ARGV[1])
if holder == ARGV[2] then return 'mine' end
if holder then
  local expiry = redis.call('ZSCORE', KEYS[3], holder)
  if expiry and tonumber(expiry) >= now then return 'busy' end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if holder then return 'taken_over' end
return 'claimed'
"""
# KEYS: done claims | ARGV: code worker
_COMMIT = """
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
"""
# KEYS: run workers idle requests | ARGV: worker lease_ms timeout_ms
_IDLE = _NOW + _PRUNE + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 'stop' end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[4]) > 0 then
  redis.call('HDEL', KEYS[1], 'idle_since')
  return 'work'
end
for _, w in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if redis.call('SISMEMBER', KEYS[3], w) == 0 then
    redis.call('HDEL', KEYS[1], 'idle_since')
    return 'wait'
  end
end
local lost = tonumber(redis.call('HGET', KEYS[1], 'lost') or 0)
if lost > tonumber(redis.call('HGET', KEYS[1], 'swept') or 0) then
  redis.call('HSET', KEYS[1], 'swept', lost)
  redis.call('HINCRBY', KEYS[1], 'sweeps', 1)
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[1], 'idle_since')
  return 'sweep'
end
local since = redis.call('HGET', KEYS[1], 'idle_since')
if not since then
  redis.call('HSET', KEYS[1], 'idle_since', now)
  since = now
end
if now - tonumber(since) >= tonumber(ARGV[3]) then return 'stop' end
return 'wait'
"""
# KEYS: the coordination keys (run workers idle requests …) | ARGV: worker drained
# -> {1 if the run ended, run id}
_LEAVE = _NOW + _PRUNE + """
local was_idle = redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, ''} end
local id = redis.call('HGET', KEYS[1], 'id')
if ARGV[2] ~= '1' then
  if was_idle == 0 then redis.call('HINCRBY', KEYS[1], 'lost', 1) end
  return {0, id}
end
local lost = tonumber(redis.call('HGET', KEYS[1], 'lost') or 0)
local swept = tonumber(redis.call('HGET', KEYS[1], 'swept') or 0)
if redis.call('ZCARD', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[4]) == 0 and lost <= swept then
  redis.call('DEL', unpack(KEYS))
  return {1, id}
end
return {0, id}
"""


def new_worker_id() -> str:
    """``<host>-<pid>-<random>``: unique, and usable in a file name."""
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


class DistributedRun:
    """This worker's membership in the distributed run of one spider.

    ``lease`` and ``idle_timeout`` are seconds. Get the crawler's with :meth:`of`.
    """

    def __init__(
        self,
        server: redis.Redis,
        keys: RunKeys,
        worker: str | None = None,
        *,
        lease: float = 30.0,
        idle_timeout: float = 30.0,
    ) -> None:
        if lease <= 0 or idle_timeout < 0:
            raise ValueError("REDIS_WORKER_LEASE must be > 0 and REDIS_IDLE_TIMEOUT >= 0")
        self.server = server
        self.keys = keys
        self.worker = worker or new_worker_id()
        self.lease = lease
        self.idle_timeout = idle_timeout
        self.run_id = ""
        self.joined = False
        self.left = False
        #: This worker stopped because the run went idle (nothing of its own in flight).
        self.drained = False
        self._published: dict[str, int] = {}
        self._published_problems = 0
        register = server.register_script
        self._join = register(_JOIN)
        self._heartbeat = register(_HEARTBEAT)
        self._seed = register(_SEED)
        self._pop = register(_POP)
        self._claim = register(_CLAIM)
        self._commit = register(_COMMIT)
        self._idle = register(_IDLE)
        self._leave = register(_LEAVE)

    @classmethod
    def from_settings(cls, settings: BaseSettings, spider: str) -> DistributedRun:
        return cls(
            get_redis_from_settings(settings),
            RunKeys.of(settings.get("REDIS_KEY_PREFIX") or "newsmirror", spider),
            lease=settings.getfloat("REDIS_WORKER_LEASE", 30.0),
            idle_timeout=settings.getfloat("REDIS_IDLE_TIMEOUT", 30.0),
        )

    @classmethod
    def of(cls, crawler: Crawler) -> DistributedRun:
        """The crawler's run membership, created on first use."""
        run = getattr(crawler, _RUN_ATTR, None)
        if not isinstance(run, DistributedRun):
            run = cls.from_settings(crawler.settings, crawler.spidercls.name)
            setattr(crawler, _RUN_ATTR, run)
        return run

    @property
    def _lease_ms(self) -> int:
        return int(self.lease * 1000)

    @property
    def _base3(self) -> list[str]:
        return [self.keys.run, self.keys.workers, self.keys.idle]

    # -- membership ----------------------------------------------------------------------
    def join(self) -> bool:
        """Register this worker (starting a run when there is none); True when it
        started the run."""
        started, run_id = self._join(
            keys=self._base3, args=[self.worker, self._lease_ms, secrets.token_hex(6)]
        )
        self.run_id = _text(run_id)
        self.joined, self.left = True, False
        return bool(started)

    def heartbeat(self) -> None:
        """Renew this worker's lease (and find workers whose lease ran out)."""
        if not self.joined or self.left:
            return
        answer = int(self._heartbeat(keys=self._base3, args=[self.worker, self._lease_ms]))
        if answer == 0:
            logger.warning(
                "worker %s had been taken for dead (lease of %gs ran out); registered again",
                self.worker,
                self.lease,
            )
        elif answer < 0:
            logger.warning("run %s is over; worker %s is on its own", self.run_id, self.worker)

    def leave(self) -> bool:
        """Leave the run; True when this worker ended it (the last one out, with the
        frontier empty and every loss swept): the run's keys are then deleted."""
        if not self.joined or self.left:
            return False
        ended, run_id = self._leave(
            keys=self.keys.coordination(), args=[self.worker, "1" if self.drained else "0"]
        )
        self.left = True
        if ended:
            self.drop_keys(self.keys.neardup(_text(run_id)))
            logger.info("run %s is complete: its Redis keys are removed", _text(run_id))
        return bool(ended)

    def drop_keys(self, prefix: str) -> int:
        """Delete every key under ``prefix`` (``<prefix>:…``); how many."""
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + ":*"
        dropped = 0
        batch: list[Any] = []
        for key in self.server.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                dropped += int(self.server.unlink(*batch))
                batch.clear()
        if batch:
            dropped += int(self.server.unlink(*batch))
        return dropped

    # -- the frontier --------------------------------------------------------------------
    def seed(self, requests: Sequence[tuple[bytes, float]]) -> bool:
        """Seed the run with ``(serialized request, score)`` pairs, unless it has been
        seeded already (True when these were used)."""
        args: list[Any] = [secrets.token_hex(6), self.worker]
        for data, score in requests:
            args += [score, data]
        return bool(self._seed(keys=[self.keys.run, self.keys.seed, self.keys.requests], args=args))

    def seed_requests(self) -> list[bytes]:
        """The run's seed, as it was stored."""
        return [_bytes(data) for data in self.server.lrange(self.keys.seed, 0, -1)]

    def pop(self, queue_key: str) -> bytes | None:
        """The next serialized request of the frontier (this worker is then busy)."""
        data = self._pop(keys=[queue_key, self.keys.idle, self.keys.run], args=[self.worker])
        return _bytes(data) if data is not None else None

    def idle(self) -> Idle:
        """This worker has nothing to do: what next (see :class:`Idle`)."""
        answer = self._idle(
            keys=[*self._base3, self.keys.requests],
            args=[self.worker, self._lease_ms, int(self.idle_timeout * 1000)],
        )
        return Idle(_text(answer))

    # -- codes ---------------------------------------------------------------------------
    def claim(self, code: str) -> Claim:
        """Claim ``code`` for this worker (see :class:`Claim`)."""
        answer = self._claim(
            keys=[self.keys.done, self.keys.claims, self.keys.workers], args=[code, self.worker]
        )
        return Claim(_text(answer))

    def commit(self, code: str) -> None:
        """``code`` is archived: no worker fetches it again in this run."""
        self._commit(keys=[self.keys.done, self.keys.claims], args=[code, self.worker])

    def is_done(self, code: str) -> bool:
        return bool(self.server.sismember(self.keys.done, code))

    # -- the record ----------------------------------------------------------------------
    def publish(self, stats: Mapping[str, Any], problems: Sequence[Mapping[str, Any]] = ()) -> None:
        """Add what changed in this worker's ``newsmirror/…`` counters, and its new
        problems, to the run's record."""
        if not self.run_id:
            return
        deltas = {}
        for key, value in stats.items():
            if (
                key.startswith("newsmirror/")
                and not key.startswith(_PER_PROCESS)
                and isinstance(value, int)
                and not isinstance(value, bool)
            ):
                delta = value - self._published.get(key, 0)
                if delta:
                    deltas[key] = delta
        fresh = list(problems[self._published_problems :])
        if not deltas and not fresh:
            return
        stats_key, problems_key = self.keys.stats(self.run_id), self.keys.problems(self.run_id)
        with self.server.pipeline() as pipe:
            for key, delta in deltas.items():
                pipe.hincrby(stats_key, key, delta)
            if fresh:
                pipe.rpush(problems_key, *(json.dumps(p, ensure_ascii=False) for p in fresh))
            pipe.expire(stats_key, RECORD_TTL)
            pipe.expire(problems_key, RECORD_TTL)
            pipe.execute()
        for key, delta in deltas.items():
            self._published[key] = self._published.get(key, 0) + delta
        self._published_problems += len(fresh)

    def totals(self) -> dict[str, int]:
        """The run's counters, summed over the workers (as published so far)."""
        raw = self.server.hgetall(self.keys.stats(self.run_id))
        return {_text(k): int(v) for k, v in raw.items()}

    def problems(self) -> list[dict[str, Any]]:
        """Every worker's problems (as published so far)."""
        raw = self.server.lrange(self.keys.problems(self.run_id), 0, -1)
        return [json.loads(_text(item)) for item in raw]

    def state(self) -> dict[str, str]:
        """The ``run`` hash (empty when no run is going)."""
        return {_text(k): _text(v) for k, v in self.server.hgetall(self.keys.run).items()}

    def live_workers(self) -> list[str]:
        return [_text(w) for w in self.server.zrange(self.keys.workers, 0, -1)]

