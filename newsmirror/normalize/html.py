"""Article HTML clean-up."""

from __future__ import annotations

FULLWIDTH_INDENT = "\u3000\u3000"


def clean_body(raw: str) -> str:
    """Remove the full-width paragraph indents the publishers put in every paragraph."""
    return raw.replace(FULLWIDTH_INDENT, "").strip()
