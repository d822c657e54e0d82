"""The old approach, rewritten for the benchmark: the design of the old generator.

The cron script newsmirror replaces was built like this, and so is this file: one
thread per list; each thread asks its list once with ``requests``, then for each
listed article asks ``GetNewsText.do`` and writes the post with one ``open``/``write``
(no temp file, no rename, no fsync, no index), refetching and rewriting every listed
article on every run. Its front matter is a string template, as the old one's was.
It is a baseline to compare with, not something to use::

    python benchmarks/old_generator.py --upstream http://127.0.0.1:8080 --out /tmp/old --count 100

It prints one JSON line at the end: ``{"articles": …, "requests": …, "failed": …}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

import requests

#: (list name, path and query, JSON key of the records, infoCode key, title, time, source)
LISTS = (
    ("media", "/web/webapi?type=45&newsid=1", "nodeList", "infocode", "title", "showtime", "from"),
    ("flash", "/web/webapi?type=102&newsid=1", "records", "infoCode", "title", "showtime", ""),
    *(
        (
            f"market{m}",
            f"/information/newmarket/web/webapi?marketType={m}",
            "record",
            "infoCode",
            "title",
            "datetime",
            "medianame",
        )
        for m in ("37", "38", "39")
    ),
)
TIMEOUT = 30


class Counter:
    """Thread-safe tallies of the run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.articles = self.requests = self.failed = 0

    def add(self, *, articles: int = 0, requests: int = 0, failed: int = 0) -> None:
        with self.lock:
            self.articles += articles
            self.requests += requests
            self.failed += failed


def crawl_list(spec: tuple[str, ...], upstream: str, out: Path, count: int, tally: Counter) -> None:
    """One list: the list request, then a text request and a file write per record."""
    _name, path, key, code_key, title_key, time_key, source_key = spec
    tally.add(requests=1)
    records: list[dict[str, Any]] = requests.get(
        f"{upstream}{path}&count={count}", timeout=TIMEOUT
    ).json()[key]
    for record in records:
        info_code = record[code_key]
        tally.add(requests=1)
        try:
            text = requests.get(
                f"{upstream}/NewsData/GetNewsText.do", params={"id": info_code}, timeout=TIMEOUT
            ).json()
        except (requests.RequestException, ValueError):
            tally.add(failed=1)
            continue
        shown = record[time_key]
        code = record.get("id") or info_code  # flash posts were named by their id
        source = record.get(source_key, "") if source_key else ""
        post = (
            f'---\nlayout: post\ntitle: "{record[title_key]}"\ndate: {shown} +0800\n'
            f"categories: {source}\n---\n{text.get('text') or text.get('content', '')}\n"
        )
        with open(out / f"{shown[:10]}-{code}.md", "w", encoding="utf-8") as handle:
            handle.write(post)
        tally.add(articles=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the fixture upstream's URL")
    parser.add_argument("--out", type=Path, required=True, help="folder to write posts into")
    parser.add_argument("--count", type=int, default=100, help="records asked per list")
    args = parser.parse_args(argv)
    out = args.out / "_posts"
    out.mkdir(parents=True, exist_ok=True)
    tally = Counter()
    threads = [
        threading.Thread(
            target=crawl_list, args=(spec, args.upstream.rstrip("/"), out, args.count, tally)
        )
        for spec in LISTS
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {"articles": tally.articles, "requests": tally.requests, "failed": tally.failed}
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
