"""Render an article as a post in the archive's exact format (see docs/archive-format.md).

```
---
layout: post
title: "<title>"
date: 2022-05-29 00:02:28 +0800
categories: <slug>
tags: <category title>
---
[> <digest>\\n\\n]<body HTML>

<source URL>

[返回<category title>](<site>/category/<slug>.html)｜[返回首页](<site>/)
```
with no newline at the end of the file.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from w3lib.url import safe_url_string

from newsmirror.archive.frontmatter import FENCE, yaml_line, yaml_quoted
from newsmirror.normalize.dates import format_post_date
from newsmirror.normalize.liquid import LIQUID_BRACE, escape_liquid

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]])")
#: Front-matter key naming the first copy of the story a post repeats (written after
#: ``tags``, only by the ``tag`` near-duplicate policy; see docs/archive-format.md).
NEAR_DUPLICATE_KEY = "near_duplicate_of"


@dataclass(frozen=True)
class PostContent:
    """Everything a post shows, already normalised."""

    code: str
    title: str
    published: datetime
    category: str
    category_title: str
    tags: tuple[str, ...]
    body_html: str
    digest: str
    source_url: str
    #: Code of the first copy of the same story, shown in the front matter ("": none).
    near_duplicate_of: str = ""


def markdown_text(text: str) -> str:
    """Plain text made inert inside Markdown (link text, quotes): HTML and Markdown
    metacharacters escaped, and every ``{`` written as ``&#123;`` — that hides Liquid
    tags and kramdown's ``{: attribute lists}`` / ``{::extensions}``, which could
    otherwise add attributes (event handlers) to the element — so it renders as the
    same characters."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return escaped.replace("{", LIQUID_BRACE)


def autolink(url: str) -> str:
    """``<url>`` for an http(s) URL, percent-encoded so it cannot break out; "" otherwise."""
    if not url.lower().startswith(("http://", "https://")):
        return ""
    safe = safe_url_string(url.strip())
    safe = safe.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    return f"<{safe}>"


def back_links(site_base: str, category: str, category_title: str) -> str:
    site = site_base.rstrip("/")
    return (
        f"[返回{markdown_text(category_title)}]({site}/category/{category}.html)"
        f"｜[返回首页]({site}/)"
    )


def front_matter(post: PostContent, layout: str = "post") -> str:
    tags: str | list[str] = post.tags[0] if len(post.tags) == 1 else list(post.tags)
    lines = [
        FENCE,
        yaml_line("layout", layout),
        f"title: {yaml_quoted(post.title)}",
        f"date: {format_post_date(post.published)}",
        yaml_line("categories", post.category),
        yaml_line("tags", tags),
    ]
    if post.near_duplicate_of:
        lines.append(yaml_line(NEAR_DUPLICATE_KEY, post.near_duplicate_of))
    lines.append(FENCE)
    return "\n".join(lines) + "\n"


def render_post(post: PostContent, site_base: str) -> str:
    parts = []
    body = post.body_html.strip()
    if post.digest:
        parts.append("> " + markdown_text(post.digest))
    if body:
        # The body pipeline already escaped Liquid; escaping again is a no-op there and
        # keeps the site building if a body ever reaches the writer another way.
        parts.append(escape_liquid(body))
    link = autolink(post.source_url)
    if link:
        parts.append(link)
    parts.append(back_links(site_base, post.category, post.category_title))
    return front_matter(post) + "\n\n".join(parts)


def render_category_page(slug: str, title: str) -> str:
    """The page listing one source's posts (rendered by the site's ``category`` layout)."""
    return (
        "\n".join(
            [
                FENCE,
                "layout: category",
                yaml_line("title", title),
                yaml_line("category", slug),
                FENCE,
            ]
        )
        + "\n"
    )
