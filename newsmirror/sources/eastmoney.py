"""Extraction for the Eastmoney-family syndication API (pure: JSON in, raw fields out).

The service spells the same field several ways across endpoints and over the years
(``infoCode``/``infocode``, ``showtime``/``datetime``, ``from``/``medianame``,
``text``/``content``). Everything here accepts every spelling, case-insensitively.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from newsmirror.items import LIST_FLASH, LIST_MARKET, LIST_MEDIA
from newsmirror.normalize.codes import is_valid_code, strip_code_prefix

#: Keys under which each list endpoint returns its records.
RECORD_CONTAINERS = ("nodeList", "records", "record", "data", "list")

CODE_FIELDS = ("infoCode", "infocode", "info_code", "code")
TITLE_FIELDS = ("title", "simtitle")
TIME_FIELDS = ("showtime", "datetime", "showTime", "publishtime", "time")
SOURCE_FIELDS = ("from", "medianame", "mediaName", "source")
DIGEST_FIELDS = ("digest", "simdigest")
URL_FIELDS = ("url_w", "url", "url_m")
#: Which text field each list kind reads first (the old mirror's choice), then the other.
TEXT_FIELDS = {LIST_FLASH: ("content", "text")}
DEFAULT_TEXT_FIELDS = ("text", "content")


class UpstreamFormatError(ValueError):
    """A response is not the JSON document the endpoint serves."""


@dataclass(frozen=True)
class ListEntry:
    """One article as announced by a list endpoint, fields as published."""

    code: str
    info_code: str
    list_kind: str
    title: str
    published_raw: str
    source_name: str
    digest: str
    original_url: str


@dataclass(frozen=True)
class RejectedRecord:
    """A list record that cannot become a request, with the reason."""

    code: str
    reason: str


def field(record: Mapping[str, Any], names: Iterable[str]) -> str:
    """First non-empty value among ``names``, matched case-insensitively, as a string."""
    lowered = {str(k).lower(): v for k, v in record.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value)
        if text.strip():
            return text
    return ""


def load_json(body: str | bytes) -> Any:
    """Decode a JSON response, raising :class:`UpstreamFormatError` on anything else."""
    try:
        return json.loads(body)
    except (ValueError, TypeError) as exc:
        raise UpstreamFormatError(f"not JSON: {exc}") from None


def list_records(payload: Any) -> list[Any]:
    """The record list of a list-endpoint document."""
    if not isinstance(payload, Mapping):
        raise UpstreamFormatError(f"expected a JSON object, got {type(payload).__name__}")
    lowered = {str(k).lower(): v for k, v in payload.items()}
    for key in RECORD_CONTAINERS:
        records = lowered.get(key.lower())
        if records is None:
            continue
        if not isinstance(records, list):
            raise UpstreamFormatError(f"{key!r} is {type(records).__name__}, not a list")
        return records
    raise UpstreamFormatError(f"no record list (looked for {', '.join(RECORD_CONTAINERS)})")


def archive_code(record: Mapping[str, Any], list_kind: str) -> tuple[str, str]:
    """``(archive code, infoCode)`` of a record.

    Flash posts are archived under the bare numeric ``id`` (``202205262391921712``),
    media and market posts under the ``infoCode`` (``NW202205292395331423``): the
    old archive's file names, kept so existing links stay valid.
    """
    info_code = field(record, CODE_FIELDS).strip()
    if list_kind == LIST_FLASH:
        bare = field(record, ("id",)).strip() or strip_code_prefix(info_code)
        return bare, info_code or bare
    return info_code, info_code


def parse_list(payload: Any, list_kind: str) -> tuple[list[ListEntry], list[RejectedRecord]]:
    """Entries of a list document, and the records rejected with their reason."""
    if list_kind not in (LIST_MEDIA, LIST_FLASH, LIST_MARKET):
        raise ValueError(f"unknown list kind {list_kind!r}")
    entries: list[ListEntry] = []
    rejected: list[RejectedRecord] = []
    for record in list_records(payload):
        if not isinstance(record, Mapping):
            rejected.append(RejectedRecord("?", f"record is {type(record).__name__}"))
            continue
        code, info_code = archive_code(record, list_kind)
        if not is_valid_code(code) or not is_valid_code(info_code):
            shown = (code or info_code)[:60]
            rejected.append(RejectedRecord(repr(shown), "missing or malformed code"))
            continue
        entries.append(
            ListEntry(
                code=code,
                info_code=info_code,
                list_kind=list_kind,
                title=field(record, TITLE_FIELDS),
                published_raw=field(record, TIME_FIELDS),
                source_name=field(record, SOURCE_FIELDS),
                digest=field(record, DIGEST_FIELDS) if list_kind == LIST_FLASH else "",
                original_url=field(record, URL_FIELDS),
            )
        )
    return entries, rejected


def parse_text(payload: Any, list_kind: str) -> str:
    """The article HTML of a ``GetNewsText.do`` document ("" when both keys are empty)."""
    if not isinstance(payload, Mapping):
        raise UpstreamFormatError(f"expected a JSON object, got {type(payload).__name__}")
    return field(payload, TEXT_FIELDS.get(list_kind, DEFAULT_TEXT_FIELDS))


def digest_text(digest: str) -> str:
    """The digest without its ``【标题】`` lead: the part after the last ``】``."""
    return digest.rsplit("】", 1)[-1].strip()
