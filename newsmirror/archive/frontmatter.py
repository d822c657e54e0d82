"""YAML front matter: each scalar is emitted by the YAML library, never by templates."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import yaml

from newsmirror.archive.metaload import load_meta

FENCE = "---"
_WIDTH = 1 << 30  # never fold a scalar over several lines


class FrontMatterError(ValueError):
    """A document has no front matter, or it is not a YAML mapping."""


def yaml_quoted(value: str) -> str:
    """``value`` as a YAML double-quoted scalar on one line (how titles are written)."""
    dumped = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=_WIDTH)
    return dumped.rstrip("\n")


def yaml_line(key: str, value: Any) -> str:
    """``key: value`` with ``value`` plain where YAML reads it back unchanged, quoted
    otherwise (a slug ``123`` or a name with ``: `` is quoted)."""
    if isinstance(value, str):
        # Layouts, slugs and category titles repeat from post to post, and the YAML
        # emitter is a third of the cost of rendering one.
        return _yaml_line_of_text(key, value)
    return _yaml_line(key, value)


@functools.lru_cache(maxsize=4096)
def _yaml_line_of_text(key: str, value: str) -> str:
    return _yaml_line(key, value)


def _yaml_line(key: str, value: Any) -> str:
    if isinstance(value, str) and not value.isprintable():
        # Line breaks (\x85, \u2028 …) would be folded inside single quotes:
        # double quotes escape them, so the value reads back exactly.
        return f"{key}: {yaml_quoted(value)}"
    if isinstance(value, list) and not all(str(v).isprintable() for v in value):
        return f"{key}: [{', '.join(yaml_quoted(str(v)) for v in value)}]"
    dumped = yaml.safe_dump(
        {key: value}, allow_unicode=True, width=_WIDTH, default_flow_style=True, sort_keys=False
    )
    line = dumped.strip()
    if line.startswith("{") and line.endswith("}"):
        line = line[1:-1]
    if "\n" in line:
        raise ValueError(f"front-matter value for {key!r} does not fit on one line")
    return line


@dataclass(frozen=True)
class Document:
    """A file split into its front matter (parsed) and its body (verbatim)."""

    meta: dict[str, Any]
    raw_meta: str
    body: str


def split_document(text: str) -> Document:
    """Split ``---\\n<yaml>\\n---\\n<body>``; the fence must be at byte 0, as Jekyll wants."""
    if not text.startswith(FENCE + "\n"):
        raise FrontMatterError("front matter does not start at the first byte")
    end = text.find("\n" + FENCE + "\n", len(FENCE))
    if end == -1:
        if text.endswith("\n" + FENCE):
            end = len(text) - len(FENCE) - 1
        else:
            raise FrontMatterError("front matter is not closed")
    raw_meta = text[len(FENCE) + 1 : end + 1]
    body = text[end + len(FENCE) + 2 :]
    try:
        meta = load_meta(raw_meta)  # yaml.safe_load, fast for the archive's own lines
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter is not a mapping")
    return Document(meta=meta, raw_meta=raw_meta, body=body)
