"""Reading Eastmoney-family JSON answers defensively (pure: bytes in, raw fields out).

An upstream or a gateway in front of it may answer 200 with something that is not
the endpoint's document: an HTML error page, JSON of another shape, a list or text
with nothing in it. Each is raised as :class:`UnusableAnswer` with a short, stable
``kind`` (used in retry stats and the run summary) and a detail for the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from newsmirror.sources import eastmoney as source
from newsmirror.sources.encoding import decode_body

HTML_PAGE = "HTML page"
NOT_JSON = "not JSON"
WRONG_SHAPE = "wrong shape"
EMPTY_LIST = "empty list"
EMPTY_TEXT = "empty text"

#: The keys of a ``GetNewsText.do`` document; one of them must be present.
TEXT_KEYS = frozenset({"text", "content"})


class UnusableAnswer(source.UpstreamFormatError):
    """A 200 answer that is not the document its endpoint serves."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def read_json(body: bytes, content_type: str | bytes | None) -> Any:
    """The JSON document of an answer (any charset, see :mod:`.encoding`)."""
    text = decode_body(body, content_type)
    if text.lstrip().startswith("<"):
        raise UnusableAnswer(HTML_PAGE, repr(text.strip()[:80]))
    try:
        return source.load_json(text)
    except source.UpstreamFormatError as exc:
        raise UnusableAnswer(NOT_JSON, str(exc)) from None


def read_list(
    body: bytes, content_type: str | bytes | None, list_kind: str, *, expect_records: bool
) -> tuple[list[source.ListEntry], list[source.RejectedRecord]]:
    """Entries and rejected records of a list answer; with ``expect_records``, a list
    without a single record is unusable too."""
    payload = read_json(body, content_type)
    try:
        entries, rejected = source.parse_list(payload, list_kind)
    except source.UpstreamFormatError as exc:
        raise UnusableAnswer(WRONG_SHAPE, str(exc)) from None
    if expect_records and not entries and not rejected:
        raise UnusableAnswer(EMPTY_LIST)
    return entries, rejected


def read_text(
    body: bytes, content_type: str | bytes | None, list_kind: str, *, allow_empty: bool
) -> str:
    """The article HTML of a text answer; unless ``allow_empty``, an answer whose
    ``text`` and ``content`` are both empty is unusable too."""
    payload = read_json(body, content_type)
    if not isinstance(payload, Mapping):
        raise UnusableAnswer(WRONG_SHAPE, f"expected a JSON object, got {type(payload).__name__}")
    if not TEXT_KEYS & {str(key).lower() for key in payload}:
        raise UnusableAnswer(WRONG_SHAPE, "neither a text nor a content field")
    html = source.parse_text(payload, list_kind)
    if not html and not allow_empty:
        raise UnusableAnswer(EMPTY_TEXT)
    return html
