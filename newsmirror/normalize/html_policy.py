"""What an archived article body may hold, and how the service's injections look.

Shared by the cleaner (:mod:`newsmirror.normalize.html`) and the checker
(:mod:`newsmirror.normalize.html_check`), so the two never disagree.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

# -- the allow-list -------------------------------------------------------------------
HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
TABLE_TAGS = frozenset(
    {"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col"}
)
INLINE_TAGS = frozenset({"br", "strong", "b", "em", "i", "u", "sup", "sub", "img", "a"})
BLOCK_TAGS = frozenset(
    {"p", "blockquote", "ul", "ol", "li", "figure", "figcaption"} | HEADINGS | TABLE_TAGS
)
#: Every element an archived body may hold.
ALLOWED_TAGS = INLINE_TAGS | BLOCK_TAGS
#: Attributes per element; ``class`` and ``style`` are handled apart (below).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "img": {"src", "alt", "width", "height"},
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
#: The one class kept: the closing attribution paragraph (the archive's format has it).
ALLOWED_CLASSES: dict[str, set[str]] = {"p": {"em_media"}}
#: Elements that may carry ``style``, and the one property (with its values) kept there.
STYLED_TAGS = frozenset({"p", "li", "td", "th"} | HEADINGS)
TEXT_ALIGN_VALUES = frozenset({"left", "right", "center", "justify"})
URL_SCHEMES = frozenset({"http", "https"})
#: Added to every kept link.
LINK_REL = "nofollow noopener"

#: Removed together with their content: active content, embedded documents, form
#: controls and other elements whose text is not article text.
DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "noframes", "object", "embed",
        "applet", "noscript", "noembed", "template", "svg", "math", "textarea", "select",
        "button", "input", "title", "canvas", "audio", "video", "xmp",
    }
)  # fmt: skip
#: Flow containers that are not kept: a paragraph when they hold only inline content,
#: else unwrapped. (``center`` also centres: see the cleaner.)
CONTAINER_TAGS = frozenset(
    {
        "div", "center", "section", "article", "aside", "header", "footer", "nav", "main",
        "address", "hgroup", "details", "summary", "fieldset", "legend", "dl", "dt", "dd",
        "pre", "form",
    }
)  # fmt: skip
#: List containers the HTML parser treats like ``ul``.
LIST_ALIASES = frozenset({"menu", "dir"})

# -- the service's injections -----------------------------------------------------------
CHART_START = "EM_StockImg_Start"
CHART_END = "EM_StockImg_End"
#: Live K-line charts (the URLs carry a session token and show today's chart, not the
#: article's): also removed outside an ``EM_StockImg`` block.
CHART_HOSTS = frozenset({"webquoteklinepic.eastmoney.com"})

#: What an injection becomes: its text (``unwrap``) or nothing (``drop``).
UNWRAP = "unwrap"
DROP = "drop"

_STOCK_LINK_CLASSES = frozenset({"keytip", "infokey"})
_STOCK_SPAN_IDS = ("stock_", "bk_", "Info.")
_QUOTE_SPAN_IDS = ("quote_", "bkquote_")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


#: Characters no HTML document can hold (lxml refuses them): C0 controls other than
#: whitespace, lone surrogates and the non-characters U+FFFE/U+FFFF.
_UNPARSABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def parsable(html: str) -> str:
    """``html`` without the characters an HTML parser must refuse or replace."""
    return _UNPARSABLE.sub("", html)


def injection(el: HtmlElement) -> tuple[str, str] | None:
    """``(kind, action)`` when ``el`` is markup the service injected, else ``None``.

    Kinds: ``stock_link`` (a stock, sector or data-page link around article text),
    ``quote_placeholder`` (an empty span a script fills with live quotes),
    ``chart`` (a live chart image), ``hidden`` (an element nobody sees).
    """
    tag = el.tag
    if tag == "a":
        if not _STOCK_LINK_CLASSES.isdisjoint(el.classes):
            return "stock_link", UNWRAP
    elif tag == "span":
        ident = el.get("id") or ""
        if "em_stock_key_common" in el.classes or ident.startswith(_STOCK_SPAN_IDS):
            return "stock_link", UNWRAP
        if ident.startswith(_QUOTE_SPAN_IDS):
            return "quote_placeholder", DROP
    elif tag == "img" and url_host(el.get("src") or "") in CHART_HOSTS:
        return "chart", DROP
    if el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style") or ""):
        return "hidden", DROP
    return None


def is_chart_comment(text: str, marker: str) -> bool:
    """Whether a comment's text is the ``EM_StockImg`` start or end marker."""
    return text.strip() == marker


def text_align(style: str) -> str:
    """The ``text-align`` value kept from a ``style`` attribute, or ``""``."""
    value = ""
    for declaration in style.split(";"):
        name, _, raw = declaration.partition(":")
        if name.strip().lower() == "text-align":
            candidate = raw.strip().lower()
            value = candidate if candidate in TEXT_ALIGN_VALUES else ""
    return value


# -- URLs -------------------------------------------------------------------------------
#: What the URL standard strips before reading a scheme: ASCII tab and newlines
#: anywhere, C0 controls and spaces at the ends.
_URL_STRIPPED = re.compile(r"[\t\n\r]")
_URL_TRIM = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def url_scheme(url: str) -> str:
    """The scheme a browser would read from ``url`` (lower case), ``""`` when relative."""
    match = _SCHEME.match(_URL_TRIM.sub("", _URL_STRIPPED.sub("", url)))
    return match.group(1).lower() if match else ""


def url_host(url: str) -> str:
    """The host of an absolute (or scheme-relative) URL, lower case; ``""`` if none."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def absolute_http_url(url: str, base_url: str) -> str:
    """``url`` as an absolute http(s) URL (resolved against ``base_url`` when relative),
    or ``""`` when it is not one (another scheme, or relative without a usable base)."""
    url = url.strip()
    if not url:
        return ""
    scheme = url_scheme(url)
    if not scheme:
        if url_scheme(base_url) not in URL_SCHEMES:
            return ""
        try:
            url = urljoin(base_url.strip(), url)
        except ValueError:
            return ""
        scheme = url_scheme(url)
    if scheme not in URL_SCHEMES:
        return ""
    return url if url_host(url) else ""
