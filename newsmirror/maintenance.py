"""``newsmirror check`` and ``newsmirror repair``: argument parsing and exit codes.

The work is :mod:`newsmirror.archive.check` and :mod:`newsmirror.archive.repair`;
this module reads the settings both need (``SITE_BASE``, the slug pins,
``ARCHIVE_FSYNC``) and turns reports into output and exit codes
(:mod:`newsmirror.exitcodes`):

- ``check``: 0 clean (notes allowed), 5 problems found, 2 no such folder;
- ``repair``: 0 the archive checks clean afterwards (a dry run: would), 5 problems
  are left that need a human (listed), 4 a crawl holds the archive, 2 no such folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from newsmirror import exitcodes

CHECK_HELP = "validate every post, category page and the index of an archive (read-only)"
REPAIR_HELP = "fix in place what `check` reports and can be fixed (--dry-run: only say what)"


def add_parsers(sub: Any) -> None:
    """Add ``check`` and ``repair`` to the ``newsmirror`` sub-command parsers."""
    check = sub.add_parser(
        "check",
        help=CHECK_HELP,
        description=CHECK_HELP + ". Exit code 0 when clean, 5 when problems were found.",
    )
    _common(check)
    check.set_defaults(func=cmd_check)

    repair = sub.add_parser(
        "repair",
        help=REPAIR_HELP,
        description=REPAIR_HELP
        + ". Takes the archive's lock; never deletes a post's content. Exit code 0 when "
        "the archive checks clean afterwards, 5 when problems need a human, 4 when a "
        "crawl holds the archive.",
    )
    repair.add_argument(
        "--dry-run", action="store_true", help="change nothing; print what would be done"
    )
    _common(repair)
    repair.set_defaults(func=cmd_repair)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archive", help="the archive folder (ARCHIVE_DIR)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="report format (%(default)s)"
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=5,
        metavar="N",
        help="files listed per kind of problem (default: %(default)s)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list every file")
    parser.add_argument(
        "--site-base",
        help="site root of the back-links; others are an old host (default: SITE_BASE)",
    )
    parser.add_argument(
        "--log-level", default="ERROR", help="log level of the archive code (%(default)s)"
    )


def _settings() -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsmirror.settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def _pins(settings: Any) -> dict[str, str]:
    """The operator's slug pins, as a crawl reads them (checked: ``SlugPinError``)."""
    from newsmirror.normalize.slugs import parse_pins, validate_pins

    pins: dict[str, str] = {}
    pins_file = settings.get("CATEGORY_SLUG_PINS_FILE")
    if pins_file:
        pins.update(parse_pins(Path(pins_file).read_text(encoding="utf-8")))
    pins.update(settings.getdict("CATEGORY_SLUG_PINS"))
    validate_pins(pins)
    return pins


def _prepare(args: argparse.Namespace, command: str) -> tuple[Path, str, dict[str, str]] | None:
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    root = Path(args.archive)
    if not root.is_dir():
        print(f"newsmirror {command}: {root} is not a folder", file=sys.stderr)
        return None
    settings = _settings()
    site_base = args.site_base or settings.get("SITE_BASE")
    try:
        pins = _pins(settings)
    except (OSError, ValueError) as exc:  # SlugPinError is a ValueError
        print(f"newsmirror {command}: bad slug pins: {exc}", file=sys.stderr)
        return None
    return root, site_base, pins


def _emit(text: str) -> None:
    """Print a report; a reader that went away (``| head``) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _examples(args: argparse.Namespace) -> int | None:
    return None if args.verbose else max(0, args.examples)


def cmd_check(args: argparse.Namespace) -> int:
    from newsmirror.archive.check import check_archive
    from newsmirror.archive.report import check_json, check_text

    prepared = _prepare(args, "check")
    if prepared is None:
        return exitcodes.USAGE
    root, site_base, pins = prepared
    report = check_archive(root, site_base=site_base, pins=pins)
    _emit(
        check_json(report)
        if args.format == "json"
        else check_text(report, examples=_examples(args))
    )
    return exitcodes.OK if report.clean else exitcodes.CHECK_FAILED


def cmd_repair(args: argparse.Namespace) -> int:
    from newsmirror.archive.lock import ArchiveLocked
    from newsmirror.archive.repair import repair_archive
    from newsmirror.archive.report import repair_json, repair_text

    prepared = _prepare(args, "repair")
    if prepared is None:
        return exitcodes.USAGE
    root, site_base, pins = prepared
    try:
        report = repair_archive(
            root,
            site_base=site_base,
            dry_run=args.dry_run,
            fsync=_settings().getbool("ARCHIVE_FSYNC", True),
            pins=pins,
        )
    except ArchiveLocked as exc:
        print(f"newsmirror repair: {exc}; nothing was done", file=sys.stderr)
        return exitcodes.LOCKED
    text = (
        repair_json(report)
        if args.format == "json"
        else repair_text(report, examples=_examples(args))
    )
    _emit(text)
    return exitcodes.OK if report.clean else exitcodes.CHECK_FAILED
