"""The ``newsmirror`` command: tools around the Scrapy project.

The crawl itself is ``scrapy crawl eastmoney`` (see the README); this command adds
what Scrapy does not: a self-contained demo, and (in later issues) archive
maintenance.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

#: Exit codes shared by every sub-command.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _project_settings(overrides: dict[str, object]) -> object:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsmirror.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def cmd_demo(args: argparse.Namespace) -> int:
    """Crawl the embedded fixture upstream into ``--out`` and print a summary."""
    from scrapy.crawler import CrawlerProcess

    from newsmirror.spiders.eastmoney import EastmoneySpider
    from newsmirror.summary import summarize
    from newsmirror.testing.server import UpstreamServer

    out = Path(args.out).resolve()
    with UpstreamServer(articles=args.articles) as upstream:
        print(f"demo upstream: {upstream.url} serving {len(upstream.catalog)} articles")
        settings = _project_settings(
            {
                "UPSTREAM_BASE": upstream.url,
                "ARCHIVE_DIR": str(out),
                "LIST_COUNT": max(100, len(upstream.catalog)),
                "LOG_LEVEL": args.log_level,
            }
        )
        process = CrawlerProcess(settings)  # type: ignore[arg-type]
        crawler = process.create_crawler(EastmoneySpider)
        process.crawl(crawler)
        process.start()
    assert crawler.stats is not None
    summary = summarize(crawler.stats.get_stats())
    print("\n".join(summary.lines()))
    print(f"archive: {out}  ({out / '_posts'})")
    failed_lists = [name for name, lst in summary.lists.items() if not lst.fetched]
    return EXIT_FAILED if failed_lists or summary.failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsmirror", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="crawl the embedded demo upstream into an archive")
    demo.add_argument("--out", default="demo-archive", help="archive folder (default: %(default)s)")
    demo.add_argument(
        "--articles", type=int, default=100, help="synthetic articles besides the corpus"
    )
    demo.add_argument("--log-level", default="WARNING", help="Scrapy log level")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
