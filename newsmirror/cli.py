"""The ``newsmirror`` command: tools around the Scrapy project.

The crawl itself is ``scrapy crawl eastmoney`` (see the README); this command adds
what Scrapy does not: a self-contained demo, the site skeleton, the export of an
existing archive's records, and archive maintenance (``check``, ``repair``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from newsmirror.maintenance import add_parsers as add_maintenance_parsers

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

    from newsmirror.extensions import crawl_exit_code, crawl_summary
    from newsmirror.spiders.eastmoney import EastmoneySpider
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
    print("\n".join(crawl_summary(crawler).lines()))
    print(f"archive: {out}  ({out / '_posts'})")
    return crawl_exit_code(crawler)  # as `scrapy crawl` (newsmirror.exitcodes)


def cmd_init_site(args: argparse.Namespace) -> int:
    """Write a Jekyll site skeleton into an archive, keeping the files it already has."""
    from scrapy.settings import BaseSettings

    from newsmirror.archive.site import SiteConfigError, init_site

    settings = _project_settings({})
    assert isinstance(settings, BaseSettings)
    root = Path(args.archive)
    if not root.is_dir():
        print(f"newsmirror init-site: {root} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = init_site(
            root,
            title=args.title if args.title is not None else settings.get("SITE_TITLE"),
            url=args.url if args.url is not None else settings.get("SITE_BASE"),
            fsync=settings.getbool("ARCHIVE_FSYNC", True),
        )
    except SiteConfigError as exc:
        print(f"newsmirror init-site: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for path in report.written:
        print(f"wrote {path}")
    for path in report.kept:
        print(f"kept  {path} (exists, not overwritten)")
    print(
        f"feed pages: {len(report.feeds_written)} written, {len(report.feeds_kept)} kept, "
        f"{len(report.skipped)} skipped"
    )
    for path, reason in report.skipped:
        print(f"  no feed page for {path}: {reason}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write an archive's article records (logic in newsmirror/archive/export.py).

    Exit codes: 0 every post exported; 3 (``exitcodes.INCOMPLETE``) some posts could
    not be, each named on standard error, the others exported; 2 no such folder; 1 the
    output could not be written.
    """
    from newsmirror.archive.atomic import atomic_open
    from newsmirror.archive.export import export_records, write_jsonl
    from newsmirror.exitcodes import INCOMPLETE

    root = Path(args.archive)
    if not root.is_dir():
        print(f"newsmirror export: {root} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    problems = 0

    def report(file: str, reason: str) -> None:
        nonlocal problems
        problems += 1
        print(f"newsmirror export: {file}: not exported: {reason}", file=sys.stderr)

    records = export_records(root, report)
    try:
        if args.output:
            with atomic_open(Path(args.output)) as out:
                count = write_jsonl(records, out)
        else:
            count = write_jsonl(records, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): no traceback, and no second error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:
        print(f"newsmirror export: cannot write {args.output}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    failed = f", {problems} post(s) not exported" if problems else ""
    print(f"newsmirror export: {count} record(s){failed}", file=sys.stderr)
    return INCOMPLETE if problems else EXIT_OK


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

    site = sub.add_parser(
        "init-site",
        help="write a Jekyll site skeleton (config, layouts, home page) into an archive",
    )
    site.add_argument("archive", help="the archive folder")
    site.add_argument("--title", help="site title (default: the SITE_TITLE setting)")
    site.add_argument(
        "--url", help="absolute site URL for links in feeds (default: the SITE_BASE setting)"
    )
    site.set_defaults(func=cmd_init_site)

    export = sub.add_parser(
        "export",
        help="write an archive's article records, as a crawl's -O items.jsonl (docs/feeds.md)",
    )
    export.add_argument("archive", help="the archive folder")
    export.add_argument(
        "--format",
        choices=("jsonl", "jsonlines"),
        default="jsonl",
        help="JSON Lines, one record per post (the only format; default: %(default)s)",
    )
    export.add_argument(
        "-o", "--output", help="write to this file (replaced atomically) instead of stdout"
    )
    export.set_defaults(func=cmd_export)

    add_maintenance_parsers(sub)  # check, repair (newsmirror/maintenance.py)

    source = sub.add_parser(
        "new-source",
        help="write the module and fixture folder of a new publisher (docs/adding-a-source.md)",
    )
    source.add_argument("name", help="spider name: lowercase ASCII, digits, _")
    source.add_argument("--outlet", default="", help="the outlet's name (its category)")
    source.add_argument("--base-url", default="", help="the publisher's site, e.g. https://…")
    source.set_defaults(func=cmd_new_source)

    seed = sub.add_parser(
        "seed",
        help="seed a distributed run's frontier in Redis with a spider's start requests "
        "(a backfill: lists, or codes/share URLs for newsshare)",
    )
    seed.add_argument("spider", help="the spider whose start requests seed the run")
    seed.add_argument("--redis", help="the run's Redis server (default: the REDIS_URL setting)")
    seed.add_argument(
        "-a",
        dest="spider_args",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="spider argument, as for scrapy crawl (-a from_file=codes.txt)",
    )
    seed.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="setting, as for scrapy crawl (-s LIST_COUNT=500)",
    )
    seed.set_defaults(func=cmd_seed)
    return parser


def cmd_seed(args: argparse.Namespace) -> int:
    """Seed a distributed run (logic in newsmirror/distributed/seed.py)."""
    from newsmirror.distributed.seed import parse_pairs, project_settings, seed_run

    try:
        overrides: dict[str, object] = dict(parse_pairs(args.settings, "-s"))
        if args.redis:
            overrides["REDIS_URL"] = args.redis
        outcome = seed_run(
            args.spider, project_settings(overrides), parse_pairs(args.spider_args, "-a")
        )
    except (KeyError, ValueError) as exc:
        print(f"newsmirror seed: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not outcome.seeded:
        print(
            f"run {outcome.run_id} has a seed already: the {outcome.requests} request(s) "
            f"were not used ({outcome.waiting} waiting in {outcome.frontier})"
        )
        return EXIT_FAILED
    print(
        f"run {outcome.run_id} seeded with {outcome.requests} request(s); "
        f"{outcome.waiting} waiting in {outcome.frontier}"
    )
    return EXIT_OK


def cmd_new_source(args: argparse.Namespace) -> int:
    """Scaffold a new publisher (logic in newsmirror/scaffold.py)."""
    from scrapy.spiderloader import SpiderLoader

    from newsmirror.scaffold import ScaffoldError, new_source

    taken = frozenset(SpiderLoader.from_settings(_project_settings({})).list())  # type: ignore[arg-type]
    try:
        made = new_source(args.name, outlet=args.outlet, base_url=args.base_url, taken=taken)
    except ScaffoldError as exc:
        print(f"newsmirror new-source: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {made.module}\nwrote {made.fixture}\nwrote {made.expected}")
    print("next: docs/adding-a-source.md, step 2")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
