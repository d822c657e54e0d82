"""HTML fragments cut out of a page: an element's inner HTML, minus unwanted parts."""

from __future__ import annotations

import copy
import html
from collections.abc import Sequence

from parsel import Selector

from newsmirror.sources.query import Query, is_element


def inner_html(element: Selector, drop: Sequence[Query] = ()) -> str:
    """The HTML inside ``element`` as published, without the nodes ``drop`` selects.

    The page itself is not changed (the element is copied before anything is dropped).
    Text between child elements is re-escaped, so ``a &lt; b`` stays ``a &lt; b``.
    """
    if drop:
        element = Selector(root=copy.deepcopy(element.root), type="html")
        for q in drop:
            for found in q.select(element):
                if is_element(found) and found.root.getparent() is not None:
                    found.drop()
    parts = []
    for node in element.xpath("node()"):
        if is_element(node):
            parts.append(str(node.get()))
        elif isinstance(node.root, str):
            parts.append(html.escape(node.root, quote=False))
    return "".join(parts).strip()
