"""Read posts back: the facts the index keeps about each post, and its content hash.

The writer derives a post's index entry from the text it has just rendered, with the
same function a rebuild applies to the file (:func:`entry_from_text`), so the index
and the posts agree by construction.

Content hash: the first 16 hex digits of the SHA-256 of the UTF-8 JSON array
``[title, digest, body_html]`` (no spaces, non-ASCII kept), where ``title`` is the
front-matter title, ``digest`` the flash digest (the ``> …`` quote, unescaped; "" for
other posts) and ``body_html`` the article HTML as the post holds it (stripped). It
changes exactly when what the post says about the article changes; dates, links and
categories are compared as separate fields.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from newsmirror.archive.frontmatter import FrontMatterError, split_document
from newsmirror.archive.index import IndexEntry
from newsmirror.archive.paths import POST_NAME_RE
from newsmirror.archive.post import NEAR_DUPLICATE_KEY
from newsmirror.normalize.codes import is_valid_code
from newsmirror.normalize.dates import SHANGHAI, format_post_date

logger = logging.getLogger(__name__)

#: Length of the hex content hash (64 bits: collisions are not a concern at archive scale).
HASH_HEX_DIGITS = 16
#: Category of flash posts (their outlet is not in the front matter).
FLASH_CATEGORY = "emnews"
_TITLE_SUFFIX = "新闻"
_LINK_RE = re.compile(r"<https?://[^<>\s]*>")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_\[\]])")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S")


class PostUnreadable(ValueError):
    """A post whose front matter cannot be read (old-generator posts, damaged files)."""


@dataclass(frozen=True)
class PostParts:
    """What a post file says, read back."""

    meta: dict[str, Any]
    digest: str
    body_html: str
    source_url: str


def content_hash(title: str, body_html: str, digest: str) -> str:
    """The content hash of an article (see the module docstring)."""
    payload = json.dumps([title, digest, body_html], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:HASH_HEX_DIGITS]


def unescape_markdown_text(text: str) -> str:
    """Inverse of :func:`newsmirror.archive.post.markdown_text`."""
    return html.unescape(_MARKDOWN_ESCAPE.sub(r"\1", text))


def parse_post(text: str) -> PostParts:
    """Split a post into front matter, digest, article HTML and cited link.

    The layout is ``[> digest\\n\\n]<html>[\\n\\n<link>]\\n\\n[返回…]…`` (see
    :func:`newsmirror.archive.post.render_post`); old-generator posts read as well
    as their layout allows.
    """
    try:
        document = split_document(text)
    except FrontMatterError as exc:
        raise PostUnreadable(str(exc)) from None
    body = document.body
    digest = ""
    if body.startswith("> "):
        quote, _, body = body.partition("\n\n")
        digest = unescape_markdown_text(quote[2:])
    head, sep, last = body.rpartition("\n\n")
    if last.startswith("[返回"):
        body = head if sep else ""
    head, sep, last = body.rpartition("\n\n")
    source_url = ""
    if _LINK_RE.fullmatch(last.strip()):
        source_url = last.strip()[1:-1]
        body = head if sep else ""
    return PostParts(
        meta=document.meta, digest=digest, body_html=body.strip(), source_url=source_url
    )


def entry_from_text(
    file: str,
    text: str,
    *,
    list_kind: str = "",
    source: str = "",
    fingerprint: str = "",
    original_url: str = "",
    aggregator: str = "",
    near_duplicate_of: str = "",
) -> IndexEntry:
    """The index entry of the post at ``file`` (relative path) holding ``text``.

    Recorded fields are taken from the arguments; when ``list_kind``, ``source`` or
    ``near_duplicate_of`` is empty, what the post shows is used (flash posts are
    ``flash``; other posts name their outlet in their tag ``<outlet>新闻``; a tagged
    later copy names its first copy in ``near_duplicate_of``).
    """
    return entry_from_parts(
        file,
        parse_post(text),
        list_kind=list_kind,
        source=source,
        fingerprint=fingerprint,
        original_url=original_url,
        aggregator=aggregator,
        near_duplicate_of=near_duplicate_of,
    )


def entry_from_parts(
    file: str,
    parts: PostParts,
    *,
    list_kind: str = "",
    source: str = "",
    fingerprint: str = "",
    original_url: str = "",
    aggregator: str = "",
    near_duplicate_of: str = "",
) -> IndexEntry:
    """:func:`entry_from_text` of a post already split by :func:`parse_post`."""
    code, day = _name_parts(file)
    meta = parts.meta
    title = _text(meta.get("title"))
    category = _text(meta.get("categories"))
    tags = meta.get("tags")
    tag = _text(tags[0] if isinstance(tags, list) and tags else tags)
    if not source and category != FLASH_CATEGORY and tag.endswith(_TITLE_SUFFIX):
        source = tag[: -len(_TITLE_SUFFIX)]
    if not list_kind and category == FLASH_CATEGORY:
        list_kind = "flash"
    if not near_duplicate_of:
        shown = _text(meta.get(NEAR_DUPLICATE_KEY))
        near_duplicate_of = shown if is_valid_code(shown) else ""
    return IndexEntry(
        code=code,
        file=file,
        date=_post_date(meta.get("date"), day),
        category=category,
        title=title,
        url=parts.source_url,
        content_hash=content_hash(title, parts.body_html, parts.digest),
        list_kind=list_kind,
        source=source,
        fingerprint=fingerprint,
        original_url=original_url,
        aggregator=aggregator,
        near_duplicate_of=near_duplicate_of,
    )


def entry_from_name(file: str, *, list_kind: str = "", source: str = "") -> IndexEntry:
    """What the file name alone says: for posts whose front matter cannot be read.

    Such a post is still archived (its code is never fetched again unless refreshed,
    which rewrites it); its empty hash differs from any real one.
    """
    code, day = _name_parts(file)
    return IndexEntry(
        code=code,
        file=file,
        date=day,
        category="",
        title="",
        url="",
        content_hash="",
        list_kind=list_kind,
        source=source,
    )


def read_entry(root: Path, file: str) -> IndexEntry:
    """Read the post at ``root/file``; an unreadable post is indexed by its name and
    logged. Raises ``OSError`` when the file cannot be read at all (e.g. it is gone)."""
    raw = (root / file).read_bytes()
    try:
        return entry_from_text(file, raw.decode("utf-8"))
    except (PostUnreadable, UnicodeDecodeError) as exc:
        logger.warning("post %s cannot be read (%s); indexed by its file name only", file, exc)
        return entry_from_name(file)


def _name_parts(file: str) -> tuple[str, str]:
    match = POST_NAME_RE.fullmatch(file.rsplit("/", 1)[-1])
    if match is None:
        raise ValueError(f"not a post file name: {file!r}")
    return match.group("code"), match.group("date")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _post_date(value: Any, day: str) -> str:
    """The front-matter date in the archive's form, else the file name's day.

    YAML reads a zone-less ``2021-12-08 12:58:23`` (old posts) as a datetime and the
    archive's ``… +0800`` as a string; both are Beijing time. Only these forms are
    read: the index records the post, it does not interpret upstream dates.
    """
    published: datetime | None = None
    if isinstance(value, datetime):
        published = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    elif isinstance(value, date):
        return value.isoformat()
    elif isinstance(value, str):
        published = _strptime(value.strip())
    return format_post_date(published) if published is not None else day


def _strptime(text: str) -> datetime | None:
    for form in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, form)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    return None
