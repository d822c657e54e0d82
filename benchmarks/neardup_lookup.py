"""What near-duplicate detection costs a run on a large archive.

Makes ``--posts`` index entries with synthetic fingerprints (random signatures, a
tenth of them copies of another entry's story), then times, in one process:

- ``build``: the start of a run, :meth:`NearDuplicates.load` (no fingerprint missing):
  the in-memory lookup and the links, from the index's entries;
- ``check``: :meth:`NearDuplicates.check` of ``--queries`` new articles, half of them
  copies of archived stories, per article;
- ``fingerprint``: one fingerprint of a 3,500-character article.

::

    python benchmarks/neardup_lookup.py --posts 100000

It prints one JSON line. Timing is here, never in the tests.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from newsmirror.archive.index import IndexEntry
from newsmirror.archive.neardup import NearDuplicates
from newsmirror.archive.state import ArchiveState
from newsmirror.normalize.neardup import NUM_PERM, Fingerprint, fingerprint


def entries(count: int, rng: random.Random) -> list[IndexEntry]:
    made: list[IndexEntry] = []
    for i in range(count):
        code = f"NW{20220101 + i // 1000:08d}{i:010d}"
        if made and rng.random() < 0.1:  # a copy of an earlier story, a few bytes differ
            sig = bytearray(Fingerprint.parse(rng.choice(made).fingerprint).signature)  # type: ignore[union-attr]
            for _ in range(3):
                sig[rng.randrange(NUM_PERM)] = rng.randrange(256)
        else:
            sig = bytearray(rng.randbytes(NUM_PERM))
        made.append(
            IndexEntry(
                code=code,
                file=f"_posts/2022-01-01-{code}.md",
                date=f"2022-01-01 00:00:{i % 60:02d} +0800",
                category="c",
                title="t",
                url="",
                content_hash="0" * 16,
                fingerprint=str(Fingerprint(1000, bytes(sig))),
            )
        )
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    made = entries(args.posts, rng)
    with tempfile.TemporaryDirectory() as tmp:
        state = ArchiveState(Path(tmp))  # never opened: an index in memory only
        state._entries = {e.code: e for e in made}  # a benchmark's shortcut

        started = time.perf_counter()
        copies = NearDuplicates(state)
        copies.load()
        build = time.perf_counter() - started

        queries = []
        for i in range(args.queries):
            if i % 2:
                queries.append(rng.choice(made).fingerprint)
            else:
                queries.append(str(Fingerprint(1000, rng.randbytes(NUM_PERM))))
        started = time.perf_counter()
        found = sum(copies.check(f"NW9{i:019d}", q, "2023").found for i, q in enumerate(queries))
        check = (time.perf_counter() - started) / len(queries)

    text = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(3500))
    started = time.perf_counter()
    fingerprint(text)
    one = time.perf_counter() - started
    print(
        json.dumps(
            {
                "posts": args.posts,
                "build_seconds": round(build, 3),
                "check_ms": round(check * 1000, 3),
                "queries_found": found,
                "fingerprint_ms": round(one * 1000, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
