"""CPU and wall time per article of each stage of the real item path, offline.

The eastmoney spider's callbacks and every ``ITEM_PIPELINES`` stage (the project's
own classes, built from the project's settings by
:class:`newsmirror.testing.offline.OfflineCrawl`) run on the fixture upstream's
articles: the bundled corpus (``newsmirror/testing/data/articles.jsonl``) plus
synthetic clones. Each stage of each article is timed on its own with
``time.process_time_ns`` (CPU of this process) and ``time.perf_counter_ns`` (wall:
the difference is waiting, mostly fsync). Nothing reaches the network::

    python benchmarks/profile_pipelines.py                 # corpus + 880 clones
    python benchmarks/profile_pipelines.py --clones 4880 --no-fsync --json out.json

The archive is written into a temporary folder with the project's defaults
(``ARCHIVE_FSYNC`` on unless ``--no-fsync``).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem

from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.catalog import Catalog
from newsmirror.testing.offline import OfflineCrawl

#: JSON key holding a list's records, by list name (as the upstream spells them).
CONTAINERS = {
    "media": "nodeList",
    "flash": "records",
    "market37": "record",
    "market38": "record",
    "market39": "record",
}
SPIDER_STAGE = "spider: parse_text"
TOTAL_STAGE = "pipelines, total"


def percentile(values: list[int], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return float(ordered[rank])


def list_body(catalog: Catalog, list_name: str) -> str:
    """The list answer the fixture upstream gives for ``list_name`` (every article)."""
    records = [a.list_record() for a in catalog.lists[list_name]]
    return json.dumps({CONTAINERS[list_name]: records}, ensure_ascii=False)


def profile(clones: int, *, fsync: bool, archive: Path) -> dict[str, Any]:
    """Run every article of a corpus + ``clones`` catalog through the spider and the
    pipelines; return the timings (ns) per stage and per article."""
    catalog = Catalog.build(clones)
    settings = {
        "UPSTREAM_BASE": "http://127.0.0.1:9",  # never contacted: answers are built here
        "ARCHIVE_DIR": str(archive),
        "ARCHIVE_FSYNC": fsync,
        "LIST_COUNT": len(catalog),
    }
    crawl = OfflineCrawl(EastmoneySpider, settings)
    spider = crawl.spider
    assert isinstance(spider, EastmoneySpider)
    cpu: dict[str, list[int]] = defaultdict(list)
    wall: dict[str, list[int]] = defaultdict(list)
    order = [SPIDER_STAGE, *(type(p).__name__ for p in crawl.pipelines), TOTAL_STAGE]
    dropped = 0
    for list_request in spider.list_requests():
        name = list_request.meta["newsmirror_list"]
        for text_request in crawl.call(list_request, list_body(catalog, name)):
            document = catalog.text_for(text_request.url.rsplit("=", 1)[1])
            body = json.dumps(document, ensure_ascii=False)
            c0, w0 = time.process_time_ns(), time.perf_counter_ns()
            items = crawl.call(text_request, body)
            cpu[SPIDER_STAGE].append(time.process_time_ns() - c0)
            wall[SPIDER_STAGE].append(time.perf_counter_ns() - w0)
            for item in items:
                total_cpu = total_wall = 0
                for pipeline in crawl.pipelines:
                    stage = type(pipeline).__name__
                    c0, w0 = time.process_time_ns(), time.perf_counter_ns()
                    try:
                        item = pipeline.process_item(item)
                    except DropItem:
                        dropped += 1
                        break
                    finally:
                        spent_cpu = time.process_time_ns() - c0
                        spent_wall = time.perf_counter_ns() - w0
                        cpu[stage].append(spent_cpu)
                        wall[stage].append(spent_wall)
                        total_cpu += spent_cpu
                        total_wall += spent_wall
                cpu[TOTAL_STAGE].append(total_cpu)
                wall[TOTAL_STAGE].append(total_wall)
    crawl.close()
    return {"order": order, "cpu": cpu, "wall": wall, "dropped": dropped, "articles": len(catalog)}


def report(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per stage: median and p95 CPU and wall time in ms, share of the CPU."""
    rows = []
    total_cpu = sum(sum(result["cpu"][s]) for s in result["order"][:-1])
    for stage in result["order"]:
        cpu, wall = result["cpu"][stage], result["wall"][stage]
        if not cpu:
            continue
        rows.append(
            {
                "stage": stage,
                "n": len(cpu),
                "cpu_median_ms": statistics.median(cpu) / 1e6,
                "cpu_p95_ms": percentile(cpu, 0.95) / 1e6,
                "wall_median_ms": statistics.median(wall) / 1e6,
                "wall_p95_ms": percentile(wall, 0.95) / 1e6,
                "cpu_share": sum(cpu) / total_cpu if stage != TOTAL_STAGE else None,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], title: str) -> None:
    print(title)
    header = f"{'stage':<34} {'n':>6} {'CPU med':>8} {'CPU p95':>8} {'wall med':>9} "
    print(header + f"{'wall p95':>9} {'CPU share':>9}")
    for row in rows:
        share = "" if row["cpu_share"] is None else f"{row['cpu_share']:.0%}"
        print(
            f"{row['stage']:<34} {row['n']:>6} {row['cpu_median_ms']:>8.3f} "
            f"{row['cpu_p95_ms']:>8.3f} {row['wall_median_ms']:>9.3f} "
            f"{row['wall_p95_ms']:>9.3f} {share:>9}"
        )
    print("(milliseconds per article; CPU share of the spider and pipeline stages)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clones", type=int, default=880, help="synthetic clones (default 880)")
    parser.add_argument("--no-fsync", action="store_true", help="ARCHIVE_FSYNC=False")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="nm-profile-") as tmp:
        result = profile(args.clones, fsync=not args.no_fsync, archive=Path(tmp) / "archive")
    rows = report(result)
    changed = " (setting changed: ARCHIVE_FSYNC=False)" if args.no_fsync else ""
    print_table(
        rows,
        f"pipelines per article: {result['articles']} articles (corpus + {args.clones} "
        f"clones), {result['dropped']} dropped{changed}",
    )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
