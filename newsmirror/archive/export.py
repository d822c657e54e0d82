"""Export an existing archive as article records (``newsmirror export``).

One record per post of ``_posts/`` and ``old_post/``, in the schema of
``docs/items.schema.json``: the record the crawl's ``-O items.jsonl`` gave for the same
article, because :func:`newsmirror.archive.records.article_record` builds both. The
post gives the title, date, category, tags, body, digest and cited link; what it does
not show comes from the index's *recorded fields* (``.newsmirror/index.jsonl``, and the
journals of runs working or dead: a single run's, each worker's of a distributed run):
``list_kind``, the outlet (of flash posts above all), ``original_url``, ``aggregator``
and the near-duplicate link. Where the index has none, the reader's inferences apply
(``flash`` for ``emnews`` posts, the outlet from a ``<outlet>新闻`` tag, the link a
post shows); an ``aggregator`` recorded before it was recorded follows from the list
kind.

Read-only and offline: nothing in the archive is written, no lock is taken (a running
crawl is not disturbed; a post it moves while the export runs may be reported as
missing). Records stream: one post is read at a time; only the date, code and file of
each post are held, to put them in order (by publication time, then code).

A post that cannot give a valid record (unreadable front matter or date, no title,
list kind unknown …) is reported through ``on_problem`` and skipped; the others are
still exported.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from newsmirror.archive import reader
from newsmirror.archive.index import INDEX_NAME, IndexEntry, load_index
from newsmirror.archive.journal import Journal, journal_files
from newsmirror.archive.listing import post_files
from newsmirror.archive.paths import STATE_DIR
from newsmirror.archive.records import ArticleRecord, article_record, record_problem
from newsmirror.items import AGGREGATOR_EASTMONEY, EASTMONEY_LIST_KINDS

logger = logging.getLogger(__name__)

#: The index's full ``date`` form (a date-only value means the post's date is unreadable).
_POST_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"

#: The index's recorded fields a record uses.
_RECORDED = ("list_kind", "source", "original_url", "aggregator", "near_duplicate_of")
#: ``on_problem(file, reason)``: a post that was not exported, and why.
ProblemHandler = Callable[[str, str], None]


class NotExportable(ValueError):
    """A post that cannot give a valid article record."""


@dataclass(frozen=True, order=True)
class _Slot:
    """One post in export order."""

    date: str
    code: str
    file: str


def recorded_fields(root: Path) -> dict[str, IndexEntry]:
    """The index's entries by code, with the puts of every journal on top, oldest
    journal first (a single run's, the workers' of a distributed run, working or dead:
    as a start-up folds them), read without writing anything."""
    state = root / STATE_DIR
    parsed = load_index(state / INDEX_NAME)
    entries = dict(parsed.entries) if parsed is not None else {}
    for path in journal_files(state):
        entries.update(Journal(path, fsync=False).replay().puts)
    return entries


def record_from_post(file: str, text: str, recorded: IndexEntry | None) -> ArticleRecord:
    """The record of the post at ``file`` (relative path) holding ``text``, with the
    recorded fields of its index entry; raises :class:`NotExportable`."""
    try:
        parts = reader.parse_post(text)
    except reader.PostUnreadable as exc:
        raise NotExportable(f"front matter cannot be read: {exc}") from None
    known = {name: getattr(recorded, name) for name in _RECORDED} if recorded else {}
    entry = reader.entry_from_parts(file, parts, **known)
    try:
        published = datetime.strptime(entry.date, _POST_DATE_FORMAT)
    except ValueError:
        raise NotExportable(f"no readable date in the front matter ({entry.date!r})") from None
    aggregator = entry.aggregator
    if not aggregator and entry.list_kind in EASTMONEY_LIST_KINDS:
        aggregator = AGGREGATOR_EASTMONEY
    record = article_record(
        code=entry.code,
        title=entry.title,
        published=published,
        outlet=entry.source,
        aggregator=aggregator,
        original_url=entry.original_url,
        category=entry.category,
        tags=_tags(parts.meta.get("tags")),
        body_html=parts.body_html,
        digest=parts.digest,
        source_url=entry.url,
        list_kind=entry.list_kind,
        near_duplicate_of=entry.near_duplicate_of,
    )
    problem = record_problem(record)
    if problem:
        raise NotExportable(problem)
    return record


def export_records(root: Path, on_problem: ProblemHandler) -> Iterator[ArticleRecord]:
    """The record of every post under ``root``, by publication time then code."""
    recorded = recorded_fields(root)
    for slot in _plan(root, recorded):
        try:
            text = (root / slot.file).read_bytes().decode("utf-8")
            yield record_from_post(slot.file, text, recorded.get(slot.code))
        except (OSError, UnicodeDecodeError, NotExportable) as exc:
            on_problem(slot.file, _reason(exc))


def write_jsonl(records: Iterable[ArticleRecord], out: IO[bytes]) -> int:
    """Write one record per line (UTF-8, as the crawl's exporter writes them); returns
    how many."""
    count = 0
    for record in records:
        out.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        count += 1
    return count


def _plan(root: Path, recorded: dict[str, IndexEntry]) -> list[_Slot]:
    """Every post, one per code, in export order."""
    files_by_code: dict[str, list[str]] = defaultdict(list)
    for file, code in post_files(root).items():
        files_by_code[code].append(file)
    slots = []
    for code, files in files_by_code.items():
        entry = recorded.get(code)
        file = files[0] if len(files) == 1 else _pick_copy(root, files, entry)
        if entry is not None and entry.file == file and len(entry.date) > len("YYYY-MM-DD"):
            date = entry.date
        else:
            date = _read_date(root, file)
        slots.append(_Slot(date, code, file))
    return sorted(slots)


def _pick_copy(root: Path, files: list[str], entry: IndexEntry | None) -> str:
    """The post to export when one code has several files: the index's, else the
    newest (as a run's start-up picks it)."""
    if entry is not None and entry.file in files:
        chosen = entry.file
    else:
        chosen = max(sorted(files), key=lambda f: _mtime(root / f))
    logger.warning(
        "one code, several posts (newsmirror repair): %s; exporting %s",
        ", ".join(sorted(files)),
        chosen,
    )
    return chosen


def _read_date(root: Path, file: str) -> str:
    """The post's date for ordering a post the index does not know; its file name's day
    when unreadable (the export then reports it)."""
    try:
        return reader.entry_from_text(file, (root / file).read_bytes().decode("utf-8")).date
    except (OSError, UnicodeDecodeError, reader.PostUnreadable):
        return file.rsplit("/", 1)[-1][: len("YYYY-MM-DD")]


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def _tags(value: Any) -> list[str]:
    """Front-matter ``tags`` as a list (one tag is written as a plain scalar)."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return ["" if v is None else str(v) for v in values]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "gone (moved or removed while exporting?)"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 ({exc.reason} at byte {exc.start})"
    if isinstance(exc, OSError):
        return f"cannot be read: {exc.strerror or exc}"
    return str(exc)
