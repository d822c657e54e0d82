"""Article codes: the only upstream value that becomes part of a URL and a file name."""

from __future__ import annotations

import re

#: Longest code accepted; real codes are 18 digits, optionally prefixed ``NW``.
MAX_CODE_LENGTH = 40

_CODE_RE = re.compile(r"[A-Za-z0-9]+")


def is_valid_code(code: object) -> bool:
    """True for a non-empty string of ASCII letters and digits, at most
    ``MAX_CODE_LENGTH`` long: safe in a URL query and as a file name."""
    return (
        isinstance(code, str)
        and 0 < len(code) <= MAX_CODE_LENGTH
        and _CODE_RE.fullmatch(code) is not None
    )


def strip_code_prefix(code: str) -> str:
    """``NW202205262391921712`` -> ``202205262391921712`` (leading letters removed)."""
    return code.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
