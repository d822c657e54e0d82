"""Fix one post's text and name in memory (pure): what ``newsmirror repair`` writes.

Only the pieces that are wrong change (:mod:`newsmirror.archive.postfile` keeps every
other byte), and nothing of the article is dropped but what the old generator or the
upstream service got wrong:

- bytes before the front matter, and newlines after the last line, go;
- a title line that does not read back as its text is re-emitted by the YAML library
  with the raw text between its quotes as the title;
- a date without ``+0800`` gets it, one in another form is rewritten in Beijing time,
  an empty one is the code's day at ``00:00:00 +0800`` (as a crawl dates an article
  with an unusable time, docs/archive-format.md "Dates"); the file name then follows
  the date;
- an empty source link ``<>`` goes; relative or old-host back-links become the
  archive's back-links (to the post's own category page, on ``SITE_BASE``);
- the article HTML with injected or unsafe markup is cleaned by the crawl's cleaner
  (:class:`~newsmirror.normalize.html.BodyCleaner`) *without* boilerplate rules, so no
  paragraph of text is removed; Liquid openers are escaped in every block.

What is still wrong afterwards is reported by checking the result again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import yaml

from newsmirror.archive.consistency import Problem
from newsmirror.archive.frontmatter import yaml_quoted
from newsmirror.archive.post import back_links
from newsmirror.archive.postcheck import (
    inspect_post,
    name_parts,
    read_date,
    title_problem,
)
from newsmirror.archive.postfile import (
    NoFrontMatter,
    PostFile,
    line_key,
    load_front_matter,
    raw_title,
    split_post,
    tolerant_front_matter,
)
from newsmirror.normalize.dates import SHANGHAI, date_from_code, format_post_date
from newsmirror.normalize.html import BodyCleaner
from newsmirror.normalize.liquid import escape_liquid

#: The crawl's cleaner without boilerplate rules: an archived post keeps all its text.
_CLEANER = BodyCleaner({})
_BODY_KINDS = frozenset({"body-unsafe", "body-injected"})
_LINK_KINDS = frozenset({"backlink-relative", "backlink-old-host"})


@dataclass(frozen=True)
class PostFix:
    """A post after fixing: its new text and path, what was fixed, what was not."""

    old_file: str
    file: str
    text: str
    fixed: list[Problem]
    remaining: list[Problem]

    @property
    def renamed(self) -> bool:
        return self.file != self.old_file


def fix_post(
    file: str, text: str, *, site_base: str, site_host: str, rename: bool = True
) -> PostFix:
    """Fix the post at ``file`` (relative path) holding ``text``. With ``rename``
    false the file keeps its name (its target exists), and a wrong name stays."""
    before = inspect_post(file, text, site_host=site_host)
    kinds = before.kinds
    try:
        post = split_post(text)
    except NoFrontMatter:
        return PostFix(file, file, text, [], before.problems)
    post = replace(post, lead="", trail="")
    post, meta = _fix_title(post)
    _, code, _ = name_parts(file)
    post, published = _fix_date(post, meta, code)
    post = _fix_body(post, kinds, meta, site_base)
    new_file = file
    if rename and published is not None and code:
        folder = file.rsplit("/", 1)[0]
        new_file = f"{folder}/{published.astimezone(SHANGHAI):%Y-%m-%d}-{code}.md"
    new_text = post.text()
    after = inspect_post(new_file, new_text, site_host=site_host)
    remaining = after.kinds
    fixed = [p for p in before.problems if p.kind not in remaining]
    return PostFix(file, new_file, new_text, fixed, after.problems)


def _fix_title(post: PostFile) -> tuple[PostFile, dict[str, Any]]:
    """Re-emit the title line when YAML cannot read the front matter or reads another
    title than the raw text between its quotes."""
    title_line = post.meta_value("title")
    try:
        meta = load_front_matter(post)
    except (yaml.YAMLError, ValueError):
        if title_line is None:
            return post, tolerant_front_matter(post)
        fixed = post.with_meta_line("title", f"title: {yaml_quoted(raw_title(title_line))}")
        try:
            return fixed, load_front_matter(fixed)
        except (yaml.YAMLError, ValueError):
            return post, tolerant_front_matter(post)
    kind, text = title_problem(post, meta)
    if kind == "title-escaping":
        post = post.with_meta_line("title", f"title: {yaml_quoted(text)}")
        meta = {**meta, "title": text}
    return post, meta


def _fix_date(post: PostFile, meta: dict[str, Any], code: str) -> tuple[PostFile, Any]:
    """The date line in the archive's form; returns the post and its time (``None``
    when it cannot be known)."""
    reading = read_date(meta.get("date"))
    value = reading.value
    if reading.problem == "date-empty" and code:
        value = date_from_code(code)
    if value is None:
        return post, None
    line = f"date: {format_post_date(value)}"
    if post.meta_value("date") is None:
        post = _insert_after(post, "title", line)
    elif reading.problem:
        post = post.with_meta_line("date", line)
    return post, value


def _insert_after(post: PostFile, key: str, line: str) -> PostFile:
    lines = list(post.meta_lines)
    at = next((n + 1 for n, old in enumerate(lines) if line_key(old) == key), len(lines))
    lines.insert(at, line)
    return replace(post, meta_lines=tuple(lines))


def _fix_body(post: PostFile, kinds: set[str], meta: dict[str, Any], site_base: str) -> PostFile:
    if post.link.strip() == "<>":
        post = post.without_link()
    if kinds & _BODY_KINDS:
        base_url = post.link.strip()[1:-1]
        post = post.with_html(_CLEANER.clean(post.html, base_url=base_url).html)
    if "body-liquid" in kinds:
        post = replace(post, blocks=tuple(escape_liquid(block) for block in post.blocks))
    category, tags = meta.get("categories"), meta.get("tags")
    if isinstance(tags, list):
        tags = tags[0] if tags else None
    if kinds & _LINK_KINDS and isinstance(category, str) and isinstance(tags, str) and tags:
        post = post.with_back_links(back_links(site_base, category, tags))
    return post
