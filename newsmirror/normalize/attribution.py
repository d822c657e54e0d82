"""Source attribution: which outlet published an article."""

from __future__ import annotations

import re

from w3lib.html import remove_tags

_ATTRIBUTION = re.compile(r"[（(]\s*(?:文章)?来源[：:]\s*(?P<name>[^）)]+?)\s*[）)]")


def attribution_from_body(body_html: str) -> str:
    """The outlet named by the body's ``（文章来源：X）`` line, injected markup stripped."""
    matches = list(_ATTRIBUTION.finditer(remove_tags(body_html)))
    return matches[-1].group("name").strip() if matches else ""
