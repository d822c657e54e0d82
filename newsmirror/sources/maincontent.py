"""The main content of an article page, found by a maintained extractor (trafilatura).

Used when a source declares no body query, or its query finds nothing: trafilatura
separates the article from navigation, teasers and footers, offline and without
configuration, in its balanced default mode (asking for recall brings navigation and
bylines back on older templates), keeping formatting, tables, images and links. Its
HTML output is reduced to the fragment inside ``<body>``, without a
leading heading that repeats the title.
"""

from __future__ import annotations

import logging

from parsel import Selector

from newsmirror.sources.fragment import inner_html
from newsmirror.sources.query import text_of

logger = logging.getLogger(__name__)

_HEADINGS = frozenset({"h1", "h2", "h3"})


def main_content_html(page_html: str, title: str = "") -> str:
    """The article body of a whole HTML page as an HTML fragment ("" if none is found).

    A first heading whose text is part of ``title`` is left out (it is the title).
    """
    import trafilatura  # imported here: it is slow to import and only needed as a fallback

    extracted = trafilatura.extract(
        page_html,
        output_format="html",
        include_tables=True,
        include_images=True,
        include_links=True,
        include_comments=False,
        include_formatting=True,
        with_metadata=False,
    )
    if not extracted:
        logger.debug("trafilatura found no main content")
        return ""
    body = Selector(text=extracted).css("body")
    if not body:
        return ""
    first = body[0].xpath("*[1]")
    if first and first[0].root.tag in _HEADINGS:
        heading = "".join(text_of(first[0]).split())
        if heading and heading in "".join(title.split()):
            first[0].drop()
    return inner_html(body[0])
