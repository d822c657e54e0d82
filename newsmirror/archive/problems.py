"""The kinds of problem ``newsmirror check`` reports, and what ``newsmirror repair`` does
about each. The one table both commands, their reports and the docs follow.

A *problem* fails the check (exit code 5); a *note* is old-generator history the
check shows but accepts (docs/operations.md, "Checking and repairing an archive").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from newsmirror.archive import consistency


class Severity(enum.StrEnum):
    PROBLEM = "problem"
    NOTE = "note"


class Repair(enum.StrEnum):
    """What ``newsmirror repair`` does about a kind."""

    #: Always fixed in place.
    FIXES = "repair fixes it"
    #: Fixed when the archive holds what the fix needs (the detail says what is missing).
    TRIES = "repair fixes it when it can"
    #: Left for a human: fixing it would lose content or break a published URL.
    HUMAN = "needs a human"
    #: Nothing to do (notes).
    NONE = "nothing to do"


@dataclass(frozen=True)
class Kind:
    name: str
    severity: Severity
    repair: Repair
    summary: str


_P, _N = Severity.PROBLEM, Severity.NOTE
_KINDS = [
    # -- a post's file ------------------------------------------------------------------
    Kind("file-name", _P, Repair.HUMAN, "file name is not <YYYY-MM-DD>-<code>.md with a safe code"),
    Kind("unreadable-file", _P, Repair.HUMAN, "the file cannot be read as UTF-8 text"),
    Kind("name-no-date", _P, Repair.FIXES,
         "file name has no date (the old '-<code>.md'): Jekyll does not build it"),
    Kind("front-matter-not-at-start", _P, Repair.FIXES,
         "something (a blank line) comes before the front matter: Jekyll ignores it"),
    Kind("front-matter-missing", _P, Repair.HUMAN, "no front matter, or it is not closed"),
    Kind("front-matter-yaml", _P, Repair.TRIES,
         "front matter is not valid YAML (an unescaped title)"),
    Kind("missing-key", _P, Repair.TRIES, "front matter lacks a required key"),
    Kind("title-empty", _P, Repair.HUMAN, "title is empty"),
    Kind("title-escaping", _P, Repair.FIXES,
         "the title line does not read back as its text (written unescaped, or not a string)"),
    Kind("date-empty", _P, Repair.TRIES, "date is empty (the old 'date:  +0800')"),
    Kind("date-no-zone", _P, Repair.FIXES, "date has no '+0800'"),
    Kind("date-format", _P, Repair.TRIES, "date is not 'YYYY-MM-DD HH:MM:SS +0800'"),
    Kind("date-name-mismatch", _P, Repair.TRIES, "the file name's day is not the date's day"),
    Kind("trailing-newline", _P, Repair.FIXES, "the file ends with a newline"),
    # -- a post's body ------------------------------------------------------------------
    Kind("body-unsafe", _P, Repair.FIXES,
         "the body holds unsafe markup (scripts, event handlers, frames, bad URLs)"),
    Kind("body-injected", _P, Repair.FIXES,
         "the body holds the service's injected markup (stock links, charts, hidden parts)"),
    Kind("body-liquid", _P, Repair.FIXES, "the body holds a Liquid opener ({{ or {%)"),
    Kind("empty-link", _P, Repair.FIXES, "an empty source link '<>'"),
    Kind("backlink-relative", _P, Repair.TRIES,
         "a back-link is relative ('./', '../'): it breaks with the page's depth"),
    Kind("backlink-old-host", _P, Repair.TRIES, "a back-link points at another host"),
    # -- the archive as a whole ---------------------------------------------------------
    Kind("case-clash", _P, Repair.HUMAN,
         "file names that differ only in case (one file on macOS and Windows)"),
    Kind("category-page-missing", _P, Repair.TRIES, "posts use a category that has no page"),
    Kind("category-page-title", _P, Repair.FIXES,
         "a category page's title is not its posts' category title"),
    Kind("category-page-unreadable", _P, Repair.TRIES, "a category page's front matter is broken"),
    Kind("category-page-key", _P, Repair.FIXES,
         "a category page's 'category' is not its file name"),
    Kind("category-tags-disagree", _P, Repair.HUMAN,
         "the posts of one category give it different titles (tags)"),
    Kind("category-name-unsafe", _P, Repair.TRIES,
         "a category page's file name is not a safe slug (spaces, brackets)"),
    Kind("feed-page-title", _P, Repair.FIXES, "a feed page's title is not its category page's"),
    # -- the index (newsmirror.archive.consistency) -------------------------------------
    Kind(consistency.NO_INDEX, _P, Repair.FIXES, "the archive has no readable index"),
    Kind(consistency.INDEX_LINE, _P, Repair.FIXES, "an index line cannot be read"),
    Kind(consistency.INDEX_CONFLICT, _P, Repair.FIXES, "a code has differing index lines"),
    Kind(consistency.INDEX_UNSORTED, _P, Repair.FIXES, "index lines are out of order"),
    Kind(consistency.JOURNAL, _P, Repair.FIXES,
         "a run's journal is left over (a run died, or one is running)"),
    Kind(consistency.TEMP_FILE, _P, Repair.FIXES, "a temp file a killed run left"),
    Kind(consistency.NOT_INDEXED, _P, Repair.FIXES, "a post is not in the index"),
    Kind(consistency.NO_POST, _P, Repair.FIXES, "an index line names no post"),
    Kind(consistency.MISMATCH, _P, Repair.FIXES, "an index line disagrees with its post"),
    Kind(consistency.DUPLICATE, _P, Repair.HUMAN,
         "one code has several posts (in _posts/ and old_post/, or under two dates)"),
    # -- notes: accepted history ---------------------------------------------------------
    Kind("category-page-unowned", _N, Repair.NONE,
         "no post uses this page and its title names a source that could not have its "
         "slug; the source whose slug it is takes it over on its first post"),
    Kind("category-legacy-name", _N, Repair.NONE,
         "an unsafe page name kept for its URL; the source's safe page exists"),
    Kind("quarantined", _N, Repair.NONE, "a file repair moved aside, waiting for a human"),
]  # fmt: skip

KINDS: dict[str, Kind] = {kind.name: kind for kind in _KINDS}
#: Report order.
ORDER: dict[str, int] = {kind.name: n for n, kind in enumerate(_KINDS)}


def kind(name: str) -> Kind:
    return KINDS[name]
