"""The plain text of an article body (near-duplicate detection, JSON export)."""

from __future__ import annotations

from lxml import etree
from lxml.html import HTMLParser, fragment_fromstring

from newsmirror.normalize.html_policy import parsable
from newsmirror.normalize.text import normalize_text

_PARSER = HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True, no_network=True)
#: Elements that end a line of text.
_LINE_ELEMENTS = frozenset(
    {
        "p", "div", "center", "section", "article", "header", "footer", "aside", "address",
        "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption",
        "table", "caption", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br",
    }
)  # fmt: skip
#: Elements whose content is not text a reader sees.
_SKIPPED = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg"})
_CELLS = frozenset({"td", "th"})


def html_to_text(body_html: str) -> str:
    """One line per paragraph (list item, table row, line break), entities decoded,
    text normalised, blank lines dropped; cells of a row are joined by a space."""
    if not body_html.strip():
        return ""
    root = fragment_fromstring(parsable(body_html), create_parent="div", parser=_PARSER)
    lines: list[str] = []
    line: list[str] = []

    def end_line() -> None:
        text = normalize_text("".join(line)).strip()
        if text:
            lines.append(text)
        line.clear()

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIPPED:
                walker.skip_subtree()
                continue
            if tag in _LINE_ELEMENTS:
                end_line()
            line.append(el.text or "")
            continue
        if tag in _LINE_ELEMENTS:
            end_line()
        elif tag in _CELLS:
            line.append(" ")
        if el is not root:
            line.append(el.tail or "")
    end_line()
    return "\n".join(lines)
