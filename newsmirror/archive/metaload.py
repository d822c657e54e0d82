"""Load front matter fast: the archive's own line forms without YAML, anything else with it.

Reading front matter with PyYAML's pure-Python loader costs about 0.2 ms a post, which
dominates reading a 20,000-post archive (``newsmirror check``, an index rebuild).
Nearly every front-matter line in the archive has one of a few forms, which a regular
expression decides exactly:

- ``key: "text"`` where the text holds no ``"``, no ``\\`` and nothing YAML would
  fold or reject, or ``key: 'text'`` without ``'``: YAML reads exactly the text;
- ``key: plain`` where the value starts with a letter or digit, holds no ``#``, no
  ``:`` before a space, no tab or line break, does not end in a space or ``:``, and
  YAML's resolver makes it a string (not a number, boolean, null or timestamp): YAML
  reads exactly the value;
- ``date: YYYY-MM-DD HH:MM:SS`` (the old generator's zone-less form): a naive
  ``datetime``, as YAML's timestamp constructor makes it.

A document made only of such lines, with keys from :data:`FAST_KEYS`, is loaded
without YAML; any other document goes to ``yaml.safe_load`` unchanged, errors and all.
``tests/test_archive_metaload.py`` holds the two to the same result.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

#: Keys the fast path reads (posts, category and feed pages); others go to YAML.
FAST_KEYS = frozenset(
    {"layout", "title", "date", "categories", "tags", "category", "near_duplicate_of"}
)

# Characters YAML rejects, folds (line breaks) or treats specially anywhere in a scalar:
# C0/C1 controls (tab included), DEL, NEL, the Unicode line and paragraph separators,
# the BOM, surrogates and the two non-characters.
_AWKWARD = "\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff"
_QUOTED = re.compile(rf'"(?P<text>[^"\\{_AWKWARD}]*)"')
_SINGLE_QUOTED = re.compile(rf"'(?P<text>[^'{_AWKWARD}]*)'")
_PLAIN_CHAR = rf"(?:[^:#{_AWKWARD}]|:(?=[^\s{_AWKWARD}]))"
_PLAIN = re.compile(
    rf"(?![{_AWKWARD}])[0-9A-Za-z\u00a0-\U0010ffff](?:{_PLAIN_CHAR}*(?![\s:]){_PLAIN_CHAR})?"
)
_LINE = re.compile(r"(?P<key>[a-z_]+): (?P<value>.*)")
_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)")
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()


class _NotFast(Exception):
    """A line the fast path does not decide: YAML reads the document."""


def load_meta(raw: str) -> Any:
    """``yaml.safe_load(raw)``, without YAML when every line has an archive form."""
    try:
        return _load_fast(raw)
    except _NotFast:
        return yaml.safe_load(raw)


def _load_fast(raw: str) -> dict[str, Any]:
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise _NotFast
    meta: dict[str, Any] = {}
    for line in lines:
        match = _LINE.fullmatch(line)
        if match is None or match["key"] not in FAST_KEYS:
            raise _NotFast
        meta[match["key"]] = _value(match["value"])
    return meta


def _value(text: str) -> Any:
    quoted = _QUOTED.fullmatch(text) or _SINGLE_QUOTED.fullmatch(text)
    if quoted is not None:
        return quoted["text"]
    stamp = _TIMESTAMP.fullmatch(text)
    if stamp is not None:
        try:
            year, month, day, hour, minute, second = (int(part) for part in stamp.groups())
            return datetime(year, month, day, hour, minute, second)
        except ValueError:
            raise _NotFast from None  # YAML decides what an impossible date is
    if _PLAIN.fullmatch(text) and _RESOLVER.resolve(ScalarNode, text, (True, False)) == _STR_TAG:
        return text
    raise _NotFast
