"""Plain-text normalisation of titles and names (Chinese-aware: NFC, never NFKC)."""

from __future__ import annotations

import html
import re
import unicodedata

_SPACES = re.compile(r"\s+")


def clean_title(raw: str) -> str:
    """A title on one line: entities decoded once, NFC, whitespace collapsed, trimmed."""
    text = unicodedata.normalize("NFC", html.unescape(raw))
    return _SPACES.sub(" ", text).strip()


def clean_name(raw: str) -> str:
    """A source name: like a title."""
    return clean_title(raw)
