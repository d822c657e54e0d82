"""A post file taken apart into its raw pieces, and put back together byte for byte.

``newsmirror check`` looks at the pieces and ``newsmirror repair`` replaces some of
them, leaving every other byte as it was. The layout (docs/archive-format.md), read
as tolerantly as the old generator's posts need::

    <lead>---\\n<front-matter lines>---\\n<head><blocks joined by blank lines><trail>

The blocks are the ``> digest`` (flash posts), the article HTML (one or more blocks),
the source link ``<http…>`` and the back-links ``[返回…](…)``, each but the HTML
optional. ``lead`` is what comes before the opening fence (a blank line, a BOM:
Jekyll then ignores the front matter); ``head`` the blank lines the 2021 posts have
after the fence; ``trail`` the newlines at the end of the file. The pieces are split as
:func:`newsmirror.archive.reader.parse_post` splits them, so both agree on what the
article HTML is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import yaml

from newsmirror.archive.frontmatter import FENCE
from newsmirror.archive.metaload import load_meta

#: Allowed before the opening fence, to be reported and removed (nothing else is).
_LEAD = re.compile(r"[\s\ufeff]*")
_KEY_LINE = re.compile(r"(?P<key>[A-Za-z_][\w-]*):(?:[ \t]+(?P<value>.*?))?[ \t]*")
#: The source link block: ``<http…>``, or the old generator's empty ``<>``.
_LINK_BLOCK = re.compile(r"<(?:https?://[^<>\s]*)?>")
BACK_LINK_PREFIX = "[返回"


@dataclass(frozen=True)
class PostFile:
    """The pieces of one post file (see the module docstring).

    The body between ``head`` and ``trail`` is ``blocks`` joined by blank lines
    (``"\\n\\n"``); the first block may be the digest, the last ones the source link
    and the back-links, and the blocks between them are the article HTML.
    """

    lead: str
    meta_lines: tuple[str, ...]
    head: str
    blocks: tuple[str, ...]
    trail: str

    def text(self) -> str:
        """The file text these pieces make."""
        meta = "".join(line + "\n" for line in self.meta_lines)
        body = "\n\n".join(self.blocks)
        return f"{self.lead}{FENCE}\n{meta}{FENCE}\n{self.head}{body}{self.trail}"

    # -- where things are --------------------------------------------------------------
    @property
    def _digest_end(self) -> int:
        return 1 if self.blocks and self.blocks[0].startswith("> ") else 0

    @property
    def _back_links_at(self) -> int | None:
        n = len(self.blocks) - 1
        if n >= self._digest_end and self.blocks[n].startswith(BACK_LINK_PREFIX):
            return n
        return None

    @property
    def _link_at(self) -> int | None:
        back = self._back_links_at
        n = (len(self.blocks) if back is None else back) - 1
        if n >= self._digest_end and _LINK_BLOCK.fullmatch(self.blocks[n].strip()):
            return n
        return None

    @property
    def _html_span(self) -> tuple[int, int]:
        end = self._link_at
        if end is None:
            end = self._back_links_at
        return self._digest_end, len(self.blocks) if end is None else end

    @property
    def digest(self) -> str:
        """The ``> …`` digest block ("" when none)."""
        return self.blocks[0] if self._digest_end else ""

    @property
    def html(self) -> str:
        """The article HTML, as the blocks between the digest and the link hold it."""
        start, end = self._html_span
        return "\n\n".join(self.blocks[start:end])

    @property
    def link(self) -> str:
        """The source link block (``<http…>`` or ``<>``; "" when none)."""
        at = self._link_at
        return "" if at is None else self.blocks[at]

    @property
    def back_links(self) -> str:
        """The ``[返回…](…)`` block ("" when none)."""
        at = self._back_links_at
        return "" if at is None else self.blocks[at]

    # -- changed copies ----------------------------------------------------------------
    def with_meta_line(self, key: str, line: str) -> PostFile:
        """These pieces with the ``key:`` line replaced by ``line`` (added when absent)."""
        lines = list(self.meta_lines)
        for n, old in enumerate(lines):
            if line_key(old) == key:
                lines[n] = line
                break
        else:
            lines.append(line)
        return replace(self, meta_lines=tuple(lines))

    def with_html(self, html: str) -> PostFile:
        """The article HTML replaced (removed when ``html`` is empty)."""
        start, end = self._html_span
        middle = (html,) if html else ()
        return replace(self, blocks=self.blocks[:start] + middle + self.blocks[end:])

    def without_link(self) -> PostFile:
        at = self._link_at
        if at is None:
            return self
        return replace(self, blocks=self.blocks[:at] + self.blocks[at + 1 :])

    def with_back_links(self, block: str) -> PostFile:
        at = self._back_links_at
        if at is None:
            return replace(self, blocks=(*self.blocks, block))
        return replace(self, blocks=(*self.blocks[:at], block, *self.blocks[at + 1 :]))

    def meta_value(self, key: str) -> str | None:
        """The raw text after ``key:`` on its line (``None`` when there is no such line)."""
        for line in self.meta_lines:
            match = _KEY_LINE.fullmatch(line)
            if match is not None and match["key"] == key:
                return match["value"] or ""
        return None

    @property
    def raw_meta(self) -> str:
        return "".join(line + "\n" for line in self.meta_lines)


class NoFrontMatter(ValueError):
    """The file has no front matter (after blank lines), or it is not closed."""


def split_post(text: str) -> PostFile:
    """``text`` in pieces; :class:`NoFrontMatter` when it has no closed front matter."""
    lead = _LEAD.match(text)
    start = lead.end() if lead is not None else 0
    if not text.startswith(FENCE + "\n", start):
        raise NoFrontMatter("no front matter: the file does not start with '---'")
    begin = start + len(FENCE) + 1
    end = text.find("\n" + FENCE + "\n", begin - 1)
    if end == -1:
        if not text.endswith("\n" + FENCE) or len(text) - len(FENCE) - 1 < begin - 1:
            raise NoFrontMatter("the front matter is not closed by a '---' line")
        end = len(text) - len(FENCE) - 1
    meta_text = text[begin : end + 1]
    lines = tuple(meta_text[:-1].split("\n")) if meta_text else ()
    body = text[end + len(FENCE) + 2 :]
    core = body.rstrip("\n")
    stripped = core.lstrip("\n")
    head = core[: len(core) - len(stripped)]
    blocks = tuple(stripped.split("\n\n")) if stripped else ()
    return PostFile(text[:start], lines, head, blocks, body[len(core) :])


def line_key(line: str) -> str:
    """The key of a front-matter line (``""`` for a line that is not ``key: …``)."""
    match = _KEY_LINE.fullmatch(line)
    return match["key"] if match is not None else ""


def load_front_matter(post: PostFile) -> dict[str, Any]:
    """The front matter as YAML reads it; ``yaml.YAMLError`` or ``ValueError`` (not a
    mapping, an impossible date) when it cannot be read."""
    meta = load_meta(post.raw_meta)
    if not isinstance(meta, dict):
        raise ValueError("the front matter is not a mapping")
    return meta


def tolerant_front_matter(post: PostFile) -> dict[str, Any]:
    """What each ``key: value`` line says, read line by line, for front matter YAML
    cannot read: a double-quoted title is the raw text between its outer quotes (the
    old generator wrote titles unescaped); any other value is what YAML reads from it
    alone, or its raw text."""
    meta: dict[str, Any] = {}
    for line in post.meta_lines:
        match = _KEY_LINE.fullmatch(line)
        if match is None:
            continue
        key, value = match["key"], match["value"] or ""
        if key == "title":
            meta[key] = raw_title(value)
            continue
        try:
            meta[key] = yaml.safe_load(value) if value else None
        except (yaml.YAMLError, ValueError):
            meta[key] = value
    return meta


def raw_title(value: str) -> str:
    """The text between the outer double quotes of a title value (the value itself
    when it is not double-quoted)."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value
