"""Find injected or unsafe markup in an article body (for checking an existing archive).

Reports what :func:`~newsmirror.normalize.html.clean_body` would have removed because
it is dangerous or the service injected it, never mere style (``<br />``,
``<center>``): a body the cleaner wrote always passes.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree
from lxml.html import HtmlElement, HTMLParser, fragment_fromstring

from newsmirror.normalize import html_policy as policy
from newsmirror.normalize.liquid import has_liquid_markup

_PARSER = HTMLParser(remove_comments=False, remove_pis=False, huge_tree=True, no_network=True)

#: Elements that run code, embed other documents, submit data or restyle the page.
UNSAFE_ELEMENTS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "form", "input", "button", "textarea", "select", "svg", "math", "link", "meta",
        "base", "template", "portal", "noscript",
    }
)  # fmt: skip
#: Attributes that hold a URL a browser may load or navigate to.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "background", "poster", "data", "xlink:href",
     "lowsrc", "dynsrc", "cite", "longdesc", "ping", "codebase", "manifest"}
)  # fmt: skip
#: Schemes a link or image in a body may use (``mailto:`` is harmless, if not kept).
SAFE_SCHEMES = policy.URL_SCHEMES | {"mailto"}
_SCRIPTED_STYLE = re.compile(
    r"expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding|@import|url\s*\(",
    re.IGNORECASE,
)
_INJECTION_NAMES = {
    "stock_link": "stock or sector link",
    "quote_placeholder": "quote placeholder",
    "chart": "live chart image",
    "hidden": "hidden element",
}


def find_unsafe_markup(body_html: str) -> list[str]:
    """What is wrong with ``body_html``, one message per kind of finding (``(xN)`` when
    it occurs N > 1 times), in order of first occurrence; ``[]`` for a clean body.

    Messages start with ``unsafe:`` (markup that can run code, load or submit
    something, or break the site build) or ``injected:`` (the service's markup).
    """
    found: Counter[str] = Counter()
    if has_liquid_markup(body_html):
        found["unsafe: Liquid tag opener ({{ or {%)"] += 1
    if body_html.strip():
        root = fragment_fromstring(policy.parsable(body_html), create_parent="div", parser=_PARSER)
        for el in root.iter():
            if el is not root:
                _check(el, found)
    return [message if n == 1 else f"{message} (x{n})" for message, n in found.items()]


def has_unsafe_markup(body_html: str) -> bool:
    """Whether :func:`find_unsafe_markup` finds anything."""
    return bool(find_unsafe_markup(body_html))


def _check(el: HtmlElement, found: Counter[str]) -> None:
    if isinstance(el, etree._Comment):
        text = el.text or ""
        if policy.is_chart_comment(text, policy.CHART_START):
            found["injected: EM_StockImg chart block"] += 1
        elif text.lstrip().startswith("["):
            found["unsafe: conditional comment"] += 1
        return
    if not isinstance(el.tag, str):  # processing instruction
        found["unsafe: processing instruction"] += 1
        return
    tag = el.tag.lower()
    if tag in UNSAFE_ELEMENTS:
        found[f"unsafe: <{tag}> element"] += 1
    for name, value in el.attrib.items():
        attr = name.lower()
        if attr.startswith("on"):
            found[f"unsafe: event handler {attr}= on <{tag}>"] += 1
        elif attr == "srcdoc":
            found[f"unsafe: srcdoc= on <{tag}>"] += 1
        elif attr == "style" and _SCRIPTED_STYLE.search(value):
            found[f"unsafe: scripted or loading style on <{tag}>"] += 1
        elif attr in URL_ATTRIBUTES or attr == "srcset":
            scheme = policy.url_scheme(value)
            if scheme and scheme not in SAFE_SCHEMES:
                found[f"unsafe: {scheme}: URL in <{tag} {attr}=>"] += 1
    injection = policy.injection(el)
    if injection is not None and not _inside_same_injection(el, injection[0]):
        found[f"injected: {_INJECTION_NAMES[injection[0]]}"] += 1


def _inside_same_injection(el: HtmlElement, kind: str) -> bool:
    """``span#stock_… > a.keytip`` is one stock link, not two."""
    parent = el.getparent()
    if parent is None:
        return False
    found = policy.injection(parent)
    return found is not None and found[0] == kind
