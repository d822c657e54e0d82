"""Plain-text normalisation of titles, names and text nodes (Chinese-aware: NFC, never NFKC).

NFKC would fold the Chinese punctuation ``，：（）`` to ASCII; these functions keep
it as published and only touch what is invisible, ambiguous or indentation:

- NFC; zero-width characters, BOMs, bidi controls, soft hyphens, C0/C1 control
  characters, lone surrogates and noncharacters removed (a zero-width joiner inside an
  emoji sequence is kept);
- NBSP and the other Unicode spaces become U+0020;
- whitespace runs collapse to one space, and vanish where a line break joins two CJK
  characters (a wrap, not a word gap) or where they hold a full-width indent ``　　``;
- a single ideographic space U+3000 between CJK text is kept, between Latin text it
  becomes a plain space;
- optionally, full-width Latin letters and digits become ASCII and Traditional
  characters become Simplified (OpenCC ``t2s``).

A single ASCII space the publisher put between sentences (``。 吉利德``) is kept.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

#: Invisible format characters that are never content here: zero-width space and
#: non-joiner, LRM/RLM and the bidi embeddings/overrides/isolates (also a spoofing
#: vector), word joiner and invisible operators, soft hyphen, Mongolian vowel
#: separator, BOM / zero-width no-break space.
_INVISIBLE = re.compile(
    r"[\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
_PICTOGRAPH = r"\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
#: A zero-width joiner is removed unless it joins two emoji (``👨‍👩‍👧``).
_STRAY_ZWJ = re.compile(
    rf"(?<![{_PICTOGRAPH}\ufe0f\U0001f3fb-\U0001f3ff])\u200d|\u200d(?![{_PICTOGRAPH}])"
)
#: C0/C1 control characters except the ones treated as whitespace (TAB, LF, VT, FF,
#: CR, NEL); lone surrogates (JSON's ``"\ud800"`` decodes to one; UTF-8 cannot encode
#: it, so no file can hold it); the noncharacters U+FDD0-U+FDEF, U+FFFE and U+FFFF
#: (neither XML, hence the Atom feeds, nor YAML may hold the last two).
_CONTROL = re.compile(
    r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
#: Spaces that are not U+0020 (NBSP, en/em/thin/hair spaces …), except the
#: ideographic space U+3000, which CJK typography uses on purpose.
_ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f]")
_IDEOGRAPHIC_SPACE = "\u3000"
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
_WHITESPACE_RUN = re.compile(r"[ \t\n\r\x0b\x0c\x85\u2028\u2029\u3000]+")
#: Characters written without spaces between them: Han (BMP and supplementary
#: planes), kana, bopomofo, CJK symbols and punctuation, full-width forms, and the
#: general punctuation Chinese text uses (curly quotes, ``—``, ``…``).
_CJK = re.compile(
    r"[\u2014\u2018\u2019\u201c\u201d\u2026\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff"
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U000323af]"
)
#: Full-width ASCII letters and digits (Ａ-Ｚ, ａ-ｚ, ０-９); punctuation is left alone.
_FULLWIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def fullwidth_alnum_to_ascii(text: str) -> str:
    """``ＡＢＣ１２３`` -> ``ABC123``; full-width punctuation such as ``：（）`` is kept."""
    return _FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> Callable[[str], str]:
    """OpenCC's ``t2s`` converter, loaded on first use (only when the setting is on).

    The dictionaries OpenCC marks as producing characters many fonts lack are left
    out; the standard table still maps some rare characters to supplementary-plane
    ones (``錤`` -> ``𫓹`` U+2B4F9).
    """
    import opencc

    converter = opencc.OpenCC("t2s", include_tofu_risk_dictionaries=False)
    return converter.convert


def traditional_to_simplified(text: str) -> str:
    """Traditional Chinese characters -> Simplified (``內银`` -> ``内银``); punctuation,
    Latin text and characters that are already Simplified are unchanged."""
    return _traditional_to_simplified()(text) if text else text


def _is_cjk(char: str) -> bool:
    return bool(char) and _CJK.match(char) is not None


def _collapse(match: re.Match[str]) -> str:
    """One whitespace run -> what replaces it, judged by the characters around it."""
    run, text = match.group(), match.string
    before = text[match.start() - 1] if match.start() else ""
    after = text[match.end()] if match.end() < len(text) else ""
    joins_cjk = _is_cjk(before) and _is_cjk(after)
    if _IDEOGRAPHIC_SPACE * 2 in run:
        # A full-width paragraph indent: never content at either end of the text,
        # nothing between CJK text, one space between Latin words.
        return "" if not before or not after or joins_cjk else " "
    if any(c in _LINE_BREAKS for c in run):
        return "" if joins_cjk else " "
    if run == _IDEOGRAPHIC_SPACE:
        latin = before and after and not _is_cjk(before) and not _is_cjk(after)
        return " " if latin else run
    return " "


def normalize_text(
    text: str, *, fullwidth_to_ascii: bool = False, to_simplified: bool = False
) -> str:
    """Clean a piece of running text as described in the module docstring.

    Leading and trailing whitespace is kept (collapsed to one space) so that the
    function can be used on HTML text nodes; :func:`clean_title` trims.
    """
    text = _INVISIBLE.sub("", text)
    text = _STRAY_ZWJ.sub("", text)
    text = _CONTROL.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    if fullwidth_to_ascii:
        text = fullwidth_alnum_to_ascii(text)
    if to_simplified:
        text = traditional_to_simplified(text)
    # NFC after the removals: a mark that followed a removed character composes too.
    text = unicodedata.normalize("NFC", text)
    return _WHITESPACE_RUN.sub(_collapse, text)


def clean_title(raw: str, *, fullwidth_to_ascii: bool = False, to_simplified: bool = False) -> str:
    """A title on one line: entities decoded once, normalised, trimmed.

    ``&amp;quot;`` becomes ``&quot;`` (what was published), never ``"``.
    """
    text = normalize_text(
        html.unescape(raw), fullwidth_to_ascii=fullwidth_to_ascii, to_simplified=to_simplified
    )
    return text.strip()


def clean_name(raw: str, *, fullwidth_to_ascii: bool = False, to_simplified: bool = False) -> str:
    """A source name: like a title."""
    return clean_title(raw, fullwidth_to_ascii=fullwidth_to_ascii, to_simplified=to_simplified)
