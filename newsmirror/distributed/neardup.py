"""Near-duplicates across the workers of a distributed run: one lookup, in Redis.

A worker's view of the archive is the index as it joined plus what it writes itself
(:mod:`newsmirror.archive.shared`), so a lookup of its own would never compare two
copies of a story that two workers archive in the same run. :class:`RedisLookup` is
the :class:`~newsmirror.archive.neardup.FingerprintLookup` they share instead (same
``add`` and ``find``: the codes sharing a band key of
:func:`~newsmirror.normalize.neardup.band_keys`), under
``<REDIS_KEY_PREFIX>:<spider>:neardup:<run id>:`` (:meth:`RunKeys.neardup`):

- ``band:<band>:<hex>`` (set, one per band key): the codes with that band key;
- ``fingerprints`` (hash): code -> fingerprint, to confirm a candidate (similarity);
- ``dates`` (hash): code -> date as the index writes it, for the first-copy rule;
- ``new`` (hash): code -> list, the articles new to the archive in this run.

They live as long as the run: the worker that ends it deletes them
(:meth:`DistributedRun.leave`); the run id keeps a next run's keys apart.

**Seeding.** The lookup starts as the archive's index, loaded once per run by the
first worker that needs it (the run hash's ``neardup`` field, set atomically:
``seeding:<worker>``, then ``ready``), in pipelined batches; the others wait for it,
renewing their leases. A seeder whose lease runs out is taken over (adding is
idempotent).

**What is guaranteed.** Each worker decides as a single run does (:class:`SharedNearDuplicates`):
candidates from Redis, each confirmed on its fingerprint, dated from the index or
Redis; a candidate another worker archives counts once it is committed (the run's
``done`` set). So a copy archived after another worker committed an earlier copy is
linked (or, ``skip``, dropped) on arrival. Two copies archived at the same moment by
two workers may both be taken for the first copy, and a worker never rewrites a post
another worker archived in the run (a first copy arriving after its later copies on
another worker only links its own article). Those links are made right by the last
worker to leave the archive: with every journal folded in, it re-checks every code the
run archived against the whole index (:meth:`NearDuplicates.run_codes`,
``DetectNearDuplicatesPipeline.recheck``), so when a run's last worker has left, every
story the run touched links each later copy to the earliest published copy (then the
smallest code), exactly as a single run would; under ``skip`` later copies the run
wrote are removed. Until then, links of copies archived at the same moment may name
another copy, or none.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace

import redis

from newsmirror.archive.neardup import ArchivedCopy, NearDuplicates
from newsmirror.archive.state import ArchiveState
from newsmirror.distributed.run import _NOW, DistributedRun, _text
from newsmirror.normalize.neardup import Fingerprint, band_keys

logger = logging.getLogger(__name__)

#: Index entries per pipelined batch while seeding the lookup.
SEED_BATCH = 1000
#: The run hash's field saying where seeding is.
_FIELD = "neardup"
_SEEDING = "seeding:"
_READY = "ready"

# KEYS: run workers | ARGV: worker -> 'seed' (this worker seeds), 'wait' (a live worker
# seeds), 'ready', 'gone' (no run)
_BEGIN = _NOW + f"""
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local state = redis.call('HGET', KEYS[1], '{_FIELD}')
if state == '{_READY}' then return 'ready' end
if state and state ~= '{_SEEDING}' .. ARGV[1] then
  local expiry = redis.call('ZSCORE', KEYS[2], string.sub(state, {len(_SEEDING) + 1}))
  if expiry and tonumber(expiry) >= now then return 'wait' end
end
redis.call('HSET', KEYS[1], '{_FIELD}', '{_SEEDING}' .. ARGV[1])
return 'seed'
"""
# KEYS: run
_READY_SCRIPT = f"""
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], '{_FIELD}', '{_READY}')
return 1
"""


def _bands(value: str) -> list[str]:
    parsed = Fingerprint.parse(value)
    return band_keys(parsed) if parsed is not None else []


class RedisLookup:
    """:class:`~newsmirror.archive.neardup.FingerprintLookup` in Redis under ``base``
    (see the module docstring); ``done`` is the run's set of committed codes."""

    def __init__(self, server: redis.Redis, base: str, *, done: str = "") -> None:
        self.server = server
        self.base = base
        self.done = done
        self.fingerprints = f"{base}:fingerprints"
        self.dates = f"{base}:dates"
        self.new = f"{base}:new"

    def band(self, key: str) -> str:
        return f"{self.base}:band:{key}"

    def add(self, code: str, fingerprint: str, *, published: str = "", listed: str = "") -> None:
        """Remember ``code`` under the band keys of ``fingerprint``, with its date and,
        when new to the archive, its list (one transaction)."""
        with self.server.pipeline(transaction=True) as pipe:
            self._queue(pipe, code, fingerprint, published)
            if listed:
                pipe.hset(self.new, code, listed)
            pipe.execute()

    def _queue(
        self, pipe: redis.client.Pipeline, code: str, fingerprint: str, published: str
    ) -> None:
        bands = _bands(fingerprint)
        for key in bands:
            pipe.sadd(self.band(key), code)
        if bands:
            pipe.hset(self.fingerprints, code, fingerprint)
        if published:
            pipe.hset(self.dates, code, published)

    def find(self, fingerprint: str) -> list[str]:
        """Codes that share a band key with ``fingerprint`` (sorted)."""
        bands = _bands(fingerprint)
        if not bands:
            return []
        return sorted(_text(c) for c in self.server.sunion([self.band(k) for k in bands]))

    def seed(
        self,
        items: Iterable[tuple[str, str, str]],
        *,
        batch: int = SEED_BATCH,
        progress: Callable[[], None] | None = None,
    ) -> int:
        """Add ``(code, fingerprint, date)`` items, ``batch`` per pipelined round trip
        (``progress`` is called after each); how many."""
        count = 0
        pipe = self.server.pipeline(transaction=False)
        try:
            for code, fingerprint, published in items:
                self._queue(pipe, code, fingerprint, published)
                count += 1
                if count % batch == 0:
                    pipe.execute()
                    if progress is not None:
                        progress()
            pipe.execute()
        finally:
            pipe.reset()
        return count

    def describe(self, codes: Collection[str]) -> dict[str, tuple[str, str, bool]]:
        """code -> (fingerprint, date, committed in this run) for each of ``codes``
        ("" for what Redis does not hold)."""
        order = list(codes)
        if not order:
            return {}
        with self.server.pipeline(transaction=False) as pipe:
            pipe.hmget(self.fingerprints, order)
            pipe.hmget(self.dates, order)
            for code in order if self.done else ():
                pipe.sismember(self.done, code)
            prints, dates, *done = pipe.execute()
        committed = done or [False] * len(order)
        return {
            code: (_text(p) if p else "", _text(d) if d else "", bool(x))
            for code, p, d, x in zip(order, prints, dates, committed, strict=True)
        }

    def run_codes(self) -> dict[str, str]:
        """Every code committed in this run or accepted as new (-> its list when new)."""
        codes = dict.fromkeys((_text(c) for c in self.server.sscan_iter(self.done)), "")
        codes.update({_text(c): _text(v) for c, v in self.server.hgetall(self.new).items()})
        return codes


class SharedNearDuplicates(NearDuplicates):
    """One worker's :class:`NearDuplicates` on the run's :class:`RedisLookup` (see the
    module docstring). Without a run to share (the worker did not join, or the run is
    over) it is a single process's, on this worker's view of the archive."""

    def __init__(
        self,
        state: ArchiveState,
        run: DistributedRun,
        *,
        threshold: float = 0.8,
        min_chars: int = 150,
        poll: float = 0.1,
    ) -> None:
        self.run = run
        self.store: RedisLookup | None = None
        if run.joined and not run.left and run.run_id:
            self.store = RedisLookup(
                run.server, run.keys.neardup(run.run_id), done=run.keys.done
            )
        super().__init__(state, threshold=threshold, min_chars=min_chars, lookup=self.store)
        self.poll = poll
        #: Fingerprints this worker seeded the run's lookup with (0: another one did).
        self.seeded = 0
        register = run.server.register_script
        self._begin = register(_BEGIN)
        self._ready = register(_READY_SCRIPT)

    def load(self) -> None:
        """Learn the archive's links and seed the run's lookup from the index, unless
        another worker has (or is: wait for it)."""
        if self.store is None:
            super().load()
            return
        self._loaded = True
        verdict = self._begin_seeding()
        if verdict == "gone":
            logger.warning(
                "run %s is over: near-duplicates of worker %s are compared with its own "
                "view of the archive only",
                self.run.run_id,
                self.run.worker,
            )
            self.store = self._lookup = None
            super().load()
        elif verdict == _READY:
            self._scan(fill=False)
        else:
            usable = self._scan(fill=True)
            items = ((code, str(value), self._date_of(code)) for code, value in usable)
            self.seeded = self.store.seed(items, progress=self.run.heartbeat)
            self._ready(keys=[self.run.keys.run])
            logger.info(
                "near-duplicates: worker %s seeded run %s's lookup with %d fingerprint(s)",
                self.run.worker,
                self.run.run_id,
                self.seeded,
            )

    def _begin_seeding(self) -> str:
        """``seed``, ``ready`` or ``gone``, after waiting while another worker seeds."""
        waited = False
        while True:
            keys = [self.run.keys.run, self.run.keys.workers]
            verdict = _text(self._begin(keys=keys, args=[self.run.worker]))
            if verdict != "wait":
                return verdict
            if not waited:
                logger.info(
                    "near-duplicates: worker %s waits for another worker to seed run %s's "
                    "lookup",
                    self.run.worker,
                    self.run.run_id,
                )
                waited = True
            self.run.heartbeat()
            time.sleep(self.poll)

    def _progress(self) -> None:
        self.run.heartbeat()

    def _date_of(self, code: str) -> str:
        entry = self.state.get(code)
        return entry.date if entry is not None else ""

    def describe(self, codes: Collection[str]) -> dict[str, ArchivedCopy]:
        """This worker's index for what it holds, Redis for what it lacks: codes other
        workers committed in this run, fingerprints it has not computed."""
        known = super().describe(codes)
        if self.store is None:
            return known
        ask = [
            c for c in codes if c not in known or Fingerprint.parse(known[c].fingerprint) is None
        ]
        for code, (value, published, done) in self.store.describe(ask).items():
            if code in known:
                if value:
                    known[code] = replace(known[code], fingerprint=value)
            elif done and published:
                known[code] = ArchivedCopy(value, published, "")
        return known

    def accept(
        self, code: str, value: str, first: str = "", *, date: str = "", listed: str = ""
    ) -> None:
        if not self._loaded:
            self.load()
        if self.store is None:
            super().accept(code, value, first, date=date, listed=listed)
            return
        usable = value if self._long_enough(value) else ""
        self.store.add(code, usable, published=date, listed=listed)
        self._joined(code, first)

    def run_codes(self) -> dict[str, str]:
        return self.store.run_codes() if self.store is not None else {}
