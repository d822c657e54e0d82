"""Plain-text normalisation of titles, names and text nodes (Chinese-aware: NFC, never NFKC).

NFKC would fold the Chinese punctuation ``，：（）`` to ASCII; these functions keep
it as published and only touch what is invisible, ambiguous or indentation.
"""

from __future__ import annotations

import html
import re
import unicodedata

#: Zero-width characters and the byte-order mark: invisible, never content.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u180e"), None)
#: C0/C1 control characters except TAB, LF and CR (handled as whitespace).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
#: Spaces that are not U+0020 (NBSP, en/em spaces, thin spaces …) but not the
#: full-width ideographic space U+3000, which is handled as indentation.
_ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f]")
#: The full-width paragraph indent: two (or more) ideographic spaces.
_FULLWIDTH_INDENT = re.compile(r"\u3000{2,}")
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
#: A line break between two CJK characters is a wrap, not a space.
_CJK_WRAP = re.compile(rf"(?<=[{_HAN}])[ \t]*[\r\n\u2028\u2029\x85]+[ \t]*(?=[{_HAN}])")
_WHITESPACE = re.compile(r"[ \t\r\n\u2028\u2029\x85\x0b\x0c]+")
#: Full-width ASCII letters and digits (Ａ-Ｚ, ａ-ｚ, ０-９); punctuation is left alone.
_FULLWIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def fullwidth_alnum_to_ascii(text: str) -> str:
    """``ＡＢＣ１２３`` -> ``ABC123``; full-width punctuation such as ``：（）`` is kept."""
    return _FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)


def normalize_text(text: str, *, fullwidth_to_ascii: bool = False) -> str:
    """NFC; zero-width, BOM and control characters removed; odd spaces become plain
    spaces; full-width indents removed; whitespace runs collapsed to one space, and
    dropped entirely where a line break joins two CJK characters.

    Leading and trailing whitespace is kept (collapsed), so the function can be used
    on HTML text nodes; :func:`clean_title` trims.
    """
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    text = _CONTROL.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    text = _FULLWIDTH_INDENT.sub("", text)
    text = _CJK_WRAP.sub("", text)
    text = _WHITESPACE.sub(" ", text)
    if fullwidth_to_ascii:
        text = fullwidth_alnum_to_ascii(text)
    return text


def clean_title(raw: str, *, fullwidth_to_ascii: bool = False) -> str:
    """A title on one line: entities decoded once, normalised, trimmed.

    ``&amp;quot;`` becomes ``&quot;`` (what was published), never ``"``.
    """
    return normalize_text(html.unescape(raw), fullwidth_to_ascii=fullwidth_to_ascii).strip()


def clean_name(raw: str, *, fullwidth_to_ascii: bool = False) -> str:
    """A source name: like a title."""
    return clean_title(raw, fullwidth_to_ascii=fullwidth_to_ascii)
