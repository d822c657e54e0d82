"""The archive index: one JSON line per archived article, sorted by code.

``.newsmirror/index.jsonl`` is committed with the archive. It is UTF-8 text, one
object per line with its keys always in the order of :class:`IndexEntry`, lines sorted
by code, so a run's change is a few added or changed lines, and git's ``union`` merge
driver (set by ``.newsmirror/.gitattributes``) merges two runs' indexes without
conflicts. A merged file may then be unsorted or hold two lines for one code:
:func:`parse_index` accepts that (and stray conflict markers), reports it, and the next
run writes the file sorted again. The posts stay the source of truth: see
:mod:`newsmirror.archive.state`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from newsmirror.archive.atomic import atomic_open
from newsmirror.archive.paths import OLD_POSTS_DIR, POST_NAME_RE, POSTS_DIR
from newsmirror.normalize.codes import is_valid_code

logger = logging.getLogger(__name__)

INDEX_NAME = "index.jsonl"
#: Folders that hold posts, as the index's ``file`` values start.
POST_DIRS = (POSTS_DIR, OLD_POSTS_DIR)
_CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the archive knows about one archived article.

    *Post fields* (``code`` … ``content_hash``) are read from the post itself
    (:mod:`newsmirror.archive.reader`) and must always agree with it. *Recorded
    fields* (``list_kind`` and the ones after it) are what the crawl knew; a post does
    not fully determine them, so a rebuild keeps them from the previous line for the
    same code, or infers what it can. ``newsmirror export`` takes them from here.
    Fields are only ever added at the end, with a default ("" = unknown), so older
    lines still read.
    """

    #: Archive code (the post's file-name stem after the date).
    code: str
    #: The post's path relative to the archive root, ``/``-separated
    #: (``_posts/2022-05-29-NW….md`` or ``old_post/…``).
    file: str
    #: Publication time as the archive writes it (``2022-05-29 00:02:28 +0800``), or
    #: only the file name's day (``2022-05-29``) when the post's date cannot be read.
    date: str
    #: Category slug (front-matter ``categories``).
    category: str
    #: Title (front-matter ``title``).
    title: str
    #: The link the post cites as its source: the original article for flash news,
    #: the share page otherwise ("" when none).
    url: str
    #: :func:`newsmirror.archive.reader.content_hash` of the post ("" for a post whose
    #: front matter cannot be read).
    content_hash: str
    #: Recorded: the list kind it was found through (``media``, ``flash``, ``market``,
    #: ``share``); "" when unknown.
    list_kind: str = ""
    #: Recorded: the original outlet's name ("" when unknown).
    source: str = ""
    #: Recorded: near-duplicate fingerprint of the post's text, ``mh1:<chars>:<base64>``
    #: (:mod:`newsmirror.normalize.neardup`); "" until computed.
    fingerprint: str = ""
    #: Recorded: the original publisher's http(s) URL (the item's ``original_url``),
    #: "" when none or unknown (lines written before it was recorded).
    original_url: str = ""
    #: Recorded: the syndication service (``东方财富``), "" when none (a publisher
    #: archived directly) or unknown (older lines; ``list_kind`` then tells).
    aggregator: str = ""
    #: Recorded: the code of the first copy of the same story when this article is a
    #: later copy (a near-duplicate, :mod:`newsmirror.archive.neardup`); "" otherwise.
    near_duplicate_of: str = ""

    def __post_init__(self) -> None:
        # An archive's index is held whole for a run (20,000 entries: ~20 MB): the
        # values shared by many entries are kept once (sys.intern), a flash post's
        # original URL (its cited link too) is not kept twice, and there are slots.
        for name in _SHARED_FIELDS:
            value = getattr(self, name)
            if type(value) is str:
                object.__setattr__(self, name, sys.intern(value))
        if self.original_url == self.url and self.original_url is not self.url:
            object.__setattr__(self, "original_url", self.url)

    def post_fields(self) -> tuple[str, ...]:
        """The fields that must agree with the post (see the class docstring)."""
        return (
            self.code,
            self.file,
            self.date,
            self.category,
            self.title,
            self.url,
            self.content_hash,
        )

    @property
    def folder(self) -> str:
        return self.file.split("/", 1)[0]

    @property
    def day(self) -> str:
        """``YYYY-MM-DD`` of the post (its file name's date)."""
        return self.date[:10]

    def as_dict(self) -> dict[str, str]:
        """The fields by name, in line order (``dataclasses.asdict`` without its deep
        copies: this is on the path of every index and journal line)."""
        return {key: getattr(self, key) for key in ENTRY_KEYS}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)


#: Fields whose few values repeat across the entries (interned).
_SHARED_FIELDS = ("category", "list_kind", "source", "aggregator")
#: JSON keys in line order.
ENTRY_KEYS = tuple(f.name for f in fields(IndexEntry))
_REQUIRED_KEYS = ENTRY_KEYS[:7]


class IndexLineError(ValueError):
    """A line that is not a valid index entry."""


def entry_from_mapping(data: Mapping[str, Any]) -> IndexEntry:
    """An entry from a decoded JSON object; unknown keys are ignored (newer schema)."""
    missing = [k for k in _REQUIRED_KEYS if k not in data]
    if missing:
        raise IndexLineError(f"missing {', '.join(missing)}")
    values = {k: data.get(k, "") for k in ENTRY_KEYS}
    bad = [k for k, v in values.items() if not isinstance(v, str)]
    if bad:
        raise IndexLineError(f"not text: {', '.join(bad)}")
    entry = IndexEntry(**values)
    problem = file_problem(entry.code, entry.file)
    if problem:
        raise IndexLineError(problem)
    return entry


def file_problem(code: str, file: str) -> str:
    """Why ``file`` cannot be the post of ``code`` ("" when it can)."""
    if not is_valid_code(code):
        return f"invalid code {code!r}"
    folder, _, name = file.partition("/")
    match = POST_NAME_RE.fullmatch(name)
    if folder not in POST_DIRS or match is None:
        return f"not a post path: {file!r}"
    if match.group("code") != code:
        return f"file {file!r} is not named after code {code!r}"
    return ""


@dataclass
class ParsedIndex:
    """An index file's entries by code, and what was wrong with the file."""

    entries: dict[str, IndexEntry]
    #: ``(line number, reason)`` of lines that were skipped.
    bad_lines: list[tuple[int, str]]
    #: Codes that had more than one differing line (the last one read is kept).
    conflicting: set[str]
    #: Lines were not strictly sorted by code (or a code repeated identically).
    unsorted: bool

    @property
    def clean(self) -> bool:
        return not (self.bad_lines or self.conflicting or self.unsorted)


def parse_index(text: str) -> ParsedIndex:
    """Parse index text, tolerating what merges and crashes leave behind."""
    # Split on "\n" only: titles may hold U+2028 and other characters that
    # str.splitlines() would treat as line breaks.
    return parse_index_lines(text.split("\n"))


def parse_index_lines(lines: Iterable[str]) -> ParsedIndex:
    """:func:`parse_index` of the file's lines, split on ``"\\n"`` (with or without it)."""
    parsed = ParsedIndex({}, [], set(), False)
    previous = ""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line.startswith(_CONFLICT_MARKERS):
            parsed.bad_lines.append((number, "merge conflict marker"))
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise IndexLineError("not a JSON object")
            entry = entry_from_mapping(data)
        except (ValueError, IndexLineError) as exc:
            parsed.bad_lines.append((number, str(exc)[:200]))
            continue
        if entry.code <= previous:
            parsed.unsorted = True
        previous = max(previous, entry.code)
        known = parsed.entries.get(entry.code)
        if known is not None and known != entry:
            parsed.conflicting.add(entry.code)
        parsed.entries[entry.code] = entry
    return parsed


def load_index(path: Path) -> ParsedIndex | None:
    """The index at ``path``, or ``None`` when there is none (or it is not UTF-8).

    Read a line at a time (a binary file splits on ``b"\\n"`` only), so the file's
    text is never held whole next to its entries: that peak stayed in the run's RSS."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        try:
            return parse_index_lines(line.decode("utf-8") for line in handle)
        except UnicodeDecodeError as exc:
            logger.warning(
                "index %s is not UTF-8 (%s); it will be rebuilt from the posts", path, exc
            )
            return None


def render_index(entries: Iterable[IndexEntry]) -> str:
    """Index text: one line per entry, sorted by code, ending with a newline."""
    lines = [e.to_json() for e in sorted(entries, key=lambda e: e.code)]
    return "".join(line + "\n" for line in lines)


def write_index(path: Path, entries: Iterable[IndexEntry], *, fsync: bool = True) -> None:
    """Replace the index at ``path`` atomically with :func:`render_index`'s text,
    written a line at a time: the text of a large index (and its lines, and its bytes)
    is never held whole, a peak that stayed in a run's RSS."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, fsync=fsync) as out:
        for entry in sorted(entries, key=lambda e: e.code):
            out.write(entry.to_json().encode("utf-8") + b"\n")
