"""Source attribution: which outlet originally published an article.

Three roles are kept apart on an article: the *aggregator* that syndicated it (this
service, ``东方财富``), the *original outlet* (a newspaper, a site, a ministry …) and,
where the upstream gives one, the *original URL*. This module finds the outlet:

1. the list's own field (``from`` / ``medianame``), when it has one;
2. else the body's attribution line: ``（文章来源：X）``, ``(来源：X)`` at the end of a
   paragraph, or a paragraph that is only ``来源：X`` / ``文章来源：X``;
3. else, for flash news, the digest's trailing credit ``…。（X）`` / ``…。(X)`` /
   ``…。 （X）``, read conservatively (a short name right after the end of a sentence,
   not a parenthesis inside the text, not part of the headline).

Injected markup inside a name (``上海<span …><a …>证券</a></span>报``) is dropped, so the
name is the text a reader sees. Nothing here changes the body: the attribution
paragraph stays as published.
"""

from __future__ import annotations

import re
from enum import StrEnum

from lxml import etree
from lxml import html as lxml_html
from w3lib.html import replace_entities

from newsmirror.normalize.text import normalize_text

#: Longest outlet name accepted from an explicit ``来源：`` label.
MAX_LABELLED_NAME = 30
#: Longest outlet name accepted from a digest's bare trailing parenthesis.
MAX_TRAILING_NAME = 20

#: Elements whose boundaries end a line of text (a paragraph, a cell, a break …).
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "center", "dd", "div", "dl",
        "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
#: Elements whose text is never shown.
_INVISIBLE_TAGS = ("script", "style", "template", "noscript")

_LABEL = r"(?:文章|本文|新闻|稿件)?来源\s*[：:]\s*"
#: ``（文章来源：`` / ``(来源：`` opening an attribution inside a line.
_PAREN_LABEL = re.compile(r"[（(]\s*" + _LABEL)
#: A line that is nothing but ``来源：X``.
_BARE_LABEL = re.compile(r"^" + _LABEL + r"(?P<name>.+)$")
#: Credits of people that may follow the outlet on the same line.
_PERSON_CREDIT = re.compile(r"\s+(?:作者|记者|编辑|责任编辑|责编|通讯员)\s*[：:].*$")
#: A digest's last parenthesis, after the end of a sentence, with nothing after it.
_TRAILING_CREDIT = re.compile(r"(?<=[。！？!?…”」』\"'])\s*[（(](?P<name>[^（）()]+)[）)]\s*$")
#: Characters that make a parenthesis a phrase, not a name.
_SENTENCE_PUNCTUATION = re.compile(r"[。，、；：！？,;:!?【】\n]")
#: Parentheticals that close headlines and digests without naming anyone.
_NOT_AN_OUTLET = re.compile(
    r"^(?:附.*|图|组图|视频|全文|详情|完|待续|(?:持续)?更新.*|(?:记者|编辑|作者|通讯员|译).*)$"
)
_HAS_LETTER = re.compile(r"[^\W\d_]")
_LABEL_PREFIX = re.compile(r"^" + _LABEL)
_TAG_LIKE = re.compile(r"<[A-Za-z!/?]")


class SourceOrigin(StrEnum):
    """Where an article's outlet name was found."""

    LIST = "list"
    BODY = "body"
    DIGEST = "digest"
    NONE = "none"


def clean_source_name(raw: str) -> str:
    """An outlet name as a reader sees it: markup and entities resolved, whitespace
    normalised (NFC, runs collapsed), a leading ``来源：`` label and one pair of
    brackets wrapping the whole name removed. ``""`` when nothing is left."""
    text = _visible_text(raw) if _TAG_LIKE.search(raw) else replace_entities(raw)
    name = normalize_text(text).strip()
    name = _LABEL_PREFIX.sub("", name)
    if len(name) > 2 and name[0] in "（(" and name[-1] in "）)" and _balanced(name[1:-1]):
        name = name[1:-1].strip()
    return name.strip(" ：:，,。;；")


def attribution_from_body(body_html: str) -> str:
    """The outlet named by the body's last attribution line, or ``""``.

    ``<p class="em_media">（文章来源：上海<span …>证券</span>报）</p>`` -> ``上海证券报``.
    ``图片来源：…`` and ``数据来源：…`` credit something else and are not read.
    """
    for line in reversed(_text_lines(body_html)):
        name = _labelled_name(line)
        if name:
            return name
    return ""


def attribution_from_digest(digest: str, title: str = "") -> str:
    """The outlet credited at the very end of a flash digest, or ``""``.

    ``…年均增长8.4%。（央视新闻客户端）`` -> ``央视新闻客户端``. Only a short name in
    parentheses right after the end of a sentence counts: ``…(四氟丙烯)制冷剂。`` and
    ``…哪些股？（附名单）`` (also the end of its headline ``title``), ``…。（完）`` and
    ``…。（记者 张三）`` do not.
    """
    text = normalize_text(digest).strip()
    match = _TRAILING_CREDIT.search(text)
    if not match:
        return ""
    parenthesis = match.group().strip()
    if title and normalize_text(title).strip().endswith(parenthesis):
        return ""
    name = clean_source_name(match.group("name"))
    if len(name) < 2 or _NOT_AN_OUTLET.match(name):
        return ""
    return name if _plausible_name(name, MAX_TRAILING_NAME) else ""


def resolve_source(
    listed: str, body_html: str, digest: str = "", title: str = ""
) -> tuple[str, SourceOrigin]:
    """The article's outlet and where it was found, in order of trust: the list's
    field, the body's attribution line, the digest's trailing credit."""
    name = clean_source_name(listed)
    if name:
        return name, SourceOrigin.LIST
    name = attribution_from_body(body_html)
    if name:
        return name, SourceOrigin.BODY
    name = attribution_from_digest(digest, title)
    if name:
        return name, SourceOrigin.DIGEST
    return "", SourceOrigin.NONE


def clean_original_url(raw: str) -> str:
    """The original publisher's URL if it is an absolute http(s) URL, else ``""``."""
    url = raw.strip()
    if re.match(r"(?i)^https?://[^\s/?#]+", url) and not re.search(r"\s", url):
        return url
    return ""


# -- helpers -------------------------------------------------------------------------------


def _labelled_name(line: str) -> str:
    """The name in ``…（文章来源：X）`` ending ``line``, or in a line ``来源：X``."""
    openings = list(_PAREN_LABEL.finditer(line))
    if openings:
        rest = line[openings[-1].end() :].rstrip()
        if rest[-1:] in ("）", ")"):
            name = clean_source_name(rest[:-1])
            if _balanced(name) and _plausible_name(name, MAX_LABELLED_NAME):
                return name
    bare = _BARE_LABEL.match(line)
    if bare:
        name = clean_source_name(_PERSON_CREDIT.sub("", bare.group("name")))
        if _plausible_name(name, MAX_LABELLED_NAME):
            return name
    return ""


def _plausible_name(name: str, limit: int) -> bool:
    """Short, holds a letter (Han or Latin), and is not a phrase or sentence."""
    return (
        0 < len(name) <= limit
        and _HAS_LETTER.search(name) is not None
        and _SENTENCE_PUNCTUATION.search(name) is None
        and name.isprintable()
    )


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in "（(":
            depth += 1
        elif char in "）)":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _text_lines(body_html: str) -> list[str]:
    """The visible text of an HTML fragment, one normalised line per block."""
    text = _visible_text(body_html, keep_blocks=True)
    lines = (normalize_text(line).strip() for line in text.split("\n"))
    return [line for line in lines if line]


def _visible_text(fragment: str, *, keep_blocks: bool = False) -> str:
    """Text of an HTML fragment: tags dropped (inline ones without a trace), entities
    decoded, comments and scripts removed; block boundaries become ``\\n`` if asked."""
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for element in list(root.iter(*_INVISIBLE_TAGS)):
        element.drop_tree()
    if keep_blocks:
        for element in root.iter(tag=etree.Element):
            if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
                element.text = "\n" + (element.text or "")
                element.tail = "\n" + (element.tail or "")
    return str(root.text_content())
