"""Compare an archive's index with its posts, reading every post (offline, read-only).

This is the full comparison ``newsmirror check`` reports; a normal run never does it
(:class:`~newsmirror.archive.state.ArchiveState` compares names only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsmirror.archive import reader
from newsmirror.archive.index import ENTRY_KEYS, INDEX_NAME, IndexEntry, load_index
from newsmirror.archive.journal import journal_files
from newsmirror.archive.listing import find_temp_files, post_files
from newsmirror.archive.paths import STATE_DIR

#: Problem kinds, in the order they are reported.
NO_INDEX = "no-index"
INDEX_LINE = "index-line"
INDEX_CONFLICT = "index-conflict"
INDEX_UNSORTED = "index-unsorted"
JOURNAL = "journal"
TEMP_FILE = "temp-file"
NOT_INDEXED = "not-indexed"
NO_POST = "no-post"
MISMATCH = "mismatch"
DUPLICATE = "duplicate"
UNREADABLE = "unreadable-post"


@dataclass(frozen=True, order=True)
class Problem:
    """One disagreement between the index and the posts."""

    kind: str
    path: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}" + (f" ({self.detail})" if self.detail else "")


def find_problems(
    root: Path, *, read: Callable[[str], IndexEntry] | None = None
) -> list[Problem]:
    """Every disagreement between ``root``'s index and its posts ([] when consistent).

    Post fields of each index line must equal what the post says (recorded fields are
    not compared); a post whose front matter cannot be read is reported, and its line
    must be the file-name-only entry a rebuild makes. ``read`` gives a post's entry
    from its relative path (raising as :func:`reader.entry_from_text` does) when the
    caller has read the posts already (``newsmirror check``); by default each is read.
    """
    problems: list[Problem] = []
    index_path = root / STATE_DIR / INDEX_NAME
    parsed = load_index(index_path)
    entries = {} if parsed is None else parsed.entries
    if parsed is None:
        problems.append(Problem(NO_INDEX, str(index_path.relative_to(root))))
    else:
        problems += [Problem(INDEX_LINE, f"{INDEX_NAME}:{n}", why) for n, why in parsed.bad_lines]
        problems += [Problem(INDEX_CONFLICT, code) for code in sorted(parsed.conflicting)]
        if parsed.unsorted:
            problems.append(Problem(INDEX_UNSORTED, INDEX_NAME))
    problems += [
        Problem(JOURNAL, f"{STATE_DIR}/{path.name}", "a run died or is running")
        for path in journal_files(root / STATE_DIR)
    ]
    problems += [Problem(TEMP_FILE, str(p.relative_to(root))) for p in find_temp_files(root)]

    listing = post_files(root)
    files_by_code: dict[str, list[str]] = defaultdict(list)
    for file, code in sorted(listing.items()):
        files_by_code[code].append(file)
        entry = entries.get(code)
        if entry is None or entry.file != file:
            if entry is None or entry.file not in listing:
                problems.append(Problem(NOT_INDEXED, file))
            continue
        try:
            actual = (
                read(file)
                if read is not None
                else reader.entry_from_text(file, (root / file).read_bytes().decode("utf-8"))
            )
        except (reader.PostUnreadable, UnicodeDecodeError) as exc:
            problems.append(Problem(UNREADABLE, file, str(exc)[:200]))
            actual = reader.entry_from_name(file)
        if actual.post_fields() != entry.post_fields():
            differ = [
                f"{k}: index {getattr(entry, k)!r}, post {getattr(actual, k)!r}"
                for k in ENTRY_KEYS[:7]
                if getattr(entry, k) != getattr(actual, k)
            ]
            problems.append(Problem(MISMATCH, file, "; ".join(differ)[:500]))
    problems += [
        Problem(NO_POST, entry.file) for entry in entries.values() if entry.file not in listing
    ]
    problems += [
        Problem(DUPLICATE, files[0], "same code: " + ", ".join(files[1:]))
        for files in files_by_code.values()
        if len(files) > 1
    ]
    return sorted(problems)
