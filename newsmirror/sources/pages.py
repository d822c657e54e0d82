"""Telling an article page or an index document from what else a server may answer
with status 200 (pure: text or fields in, a problem out).

A gateway in front of a site may answer 200 with its own error page, a blank page or
a JSON error; a page may come back cut short. Each check returns ``""`` for a usable
answer, else a short, stable problem (retry stats and the run summary use it), like
:class:`newsmirror.sources.answers.UnusableAnswer` does for the JSON API.

An article page is usable when it holds a title and a publication time: every real
share or article page states both (declared queries, else the page's standard
metadata), while error and blank pages state neither. A page whose article comes
from it alone (a publisher's) must hold a body too.
"""

from __future__ import annotations

from typing import Protocol

NOT_TEXT = "not text"
NOT_MARKUP = "not an HTML or XML document"
NO_TITLE = "no title"
NO_TIME = "no publication time"
NO_BODY = "no body"
NO_LINKS = "no links"

#: Characters a document may start with before its first tag.
_LEADING = "\ufeff \t\r\n"


class ArticleFields(Protocol):
    """What a page object read from an article page (``PageFields``, ``ShareFields``)."""

    @property
    def title(self) -> str: ...

    @property
    def published_raw(self) -> str: ...

    @property
    def body_html(self) -> str: ...


def markup_problem(text: str) -> str:
    """``""`` when ``text`` is an HTML or XML document (its first character, after a
    BOM and whitespace, is ``<``), else :data:`NOT_MARKUP` (JSON, plain text, nothing)."""
    return "" if text.lstrip(_LEADING).startswith("<") else NOT_MARKUP


def article_problem(fields: ArticleFields, *, need_body: bool) -> str:
    """``""`` when a page's fields make an article page, else what is missing."""
    if not fields.title.strip():
        return NO_TITLE
    if not fields.published_raw.strip():
        return NO_TIME
    if need_body and not fields.body_html.strip():
        return NO_BODY
    return ""
