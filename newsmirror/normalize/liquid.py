"""Liquid safety: text that Jekyll's Liquid pass leaves alone and a browser renders unchanged.

Jekyll runs Liquid over every post body before Markdown, so ``{{`` or ``{%`` in an
article (or ``{% endraw %}`` closing a ``raw`` block around it) would break the
build or print site variables. Writing the brace as the character reference
``&#123;`` hides the tag opener from Liquid; HTML and Markdown both render it as
``{``.
"""

from __future__ import annotations

import re

#: Every ``{`` that would start a Liquid tag or output: one followed by ``{`` or ``%``.
#: In ``{{{`` the first two are escaped, so no ``{{`` is left for Liquid to see.
_TAG_OPENER = re.compile(r"\{(?=[{%])")
LIQUID_BRACE = "&#123;"


def escape_liquid(text: str) -> str:
    """Text (HTML or Markdown) with no ``{{`` or ``{%`` left; idempotent."""
    if "{" not in text:
        return text
    return _TAG_OPENER.sub(LIQUID_BRACE, text)


def has_liquid_markup(text: str) -> bool:
    """Whether ``text`` holds a Liquid tag or output opener (``{{`` or ``{%``)."""
    return _TAG_OPENER.search(text) is not None
