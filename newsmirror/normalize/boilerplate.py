"""Boilerplate paragraphs: disclaimers and editor lines an operator wants out of bodies.

Rules are regular expressions searched in a paragraph's clean text, given per source
name (the outlet as published, e.g. ``财联社``) and for every source (``"*"``). The
attribution paragraph (``（文章来源：X）``) is never boilerplate: it names the source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: Key of the rules that apply to every source.
ALL_SOURCES = "*"

#: Applied to every source unless ``BOILERPLATE_PATTERNS`` says otherwise. Anchored at
#: the start of the paragraph so that an article *about* a statement is kept.
DEFAULT_PATTERNS: dict[str, list[str]] = {
    ALL_SOURCES: [
        # 免责声明：… / 【特别声明】… / (郑重声明：…)
        r"^[（(【\[]?\s*(?:免责|特别|郑重|风险)声明",
        # (声明：文章内容仅供参考，不构成投资建议。…) — bracketed, so a quoted 声明 stays
        r"^[（(【\[]\s*声明\s*[：:]",
        r"^[（(【\[]?\s*(?:本文|文章|以上)(?:内容)?仅供参考[，,。]?\s*不构成(?:任何)?投资建议",
        # 责任编辑：张三 / (责任编辑：张三)
        r"^[（(【\[]?\s*责任编辑\s*[：:]",
    ],
}

_ATTRIBUTION_LINE = re.compile(r"^[（(]\s*(?:文章)?来源\s*[：:].+[）)]$")


def is_attribution_line(text: str) -> bool:
    """Whether ``text`` is the ``（文章来源：X）`` paragraph (also ``(来源:X)``)."""
    return _ATTRIBUTION_LINE.match(text.strip()) is not None


class BoilerplateRules:
    """Compiled rules, looked up per source."""

    def __init__(self, patterns: Mapping[str, Iterable[str]] | None = None) -> None:
        """``patterns``: source name or ``"*"`` -> regexes. Raises ``ValueError``
        naming the source and pattern when one does not compile."""
        self._by_source: dict[str, tuple[re.Pattern[str], ...]] = {}
        for source, regexes in (patterns or {}).items():
            if isinstance(regexes, str):
                raise ValueError(
                    f"boilerplate patterns for {source!r} must be a list, not a string"
                )
            self._by_source[source] = tuple(_compile(source, p) for p in regexes)
        self._cache: dict[str, tuple[re.Pattern[str], ...]] = {}

    def for_source(self, source: str) -> tuple[re.Pattern[str], ...]:
        """The rules for every source followed by ``source``'s own."""
        rules = self._cache.get(source)
        if rules is None:
            rules = self._by_source.get(ALL_SOURCES, ())
            if source != ALL_SOURCES:
                rules += self._by_source.get(source, ())
            self._cache[source] = rules
        return rules

    def is_boilerplate(self, text: str, source: str = "") -> bool:
        """Whether a paragraph with this clean text is boilerplate for ``source``."""
        text = text.strip()
        if not text or is_attribution_line(text):
            return False
        return any(rule.search(text) for rule in self.for_source(source))


def _compile(source: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise ValueError(f"bad boilerplate pattern for {source!r}: {pattern!r} ({exc})") from exc
