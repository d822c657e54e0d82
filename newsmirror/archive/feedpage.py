"""The per-source Atom feed page ``feeds/<slug>.xml`` (front matter only).

Jekyll renders it through the site's ``feed`` layout (``init-site`` writes the layout)
into an Atom 1.0 document listing the source's newest posts; see docs/feeds.md.
"""

from __future__ import annotations

from newsmirror.archive.frontmatter import FENCE, yaml_line

#: The site layout that renders a feed page.
FEED_LAYOUT = "feed"


def render_feed_page(slug: str, title: str) -> str:
    """The feed page of category ``slug`` whose display name is ``title``
    (``四川新闻网新闻``): the same keys as its category page, another layout."""
    lines = [
        FENCE,
        yaml_line("layout", FEED_LAYOUT),
        yaml_line("title", title),
        yaml_line("category", slug),
        FENCE,
    ]
    return "\n".join(lines) + "\n"
