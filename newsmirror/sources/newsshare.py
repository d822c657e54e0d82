"""The Eastmoney-family share page ``…/html_News/NewsShare.html?infoCode=<code>``.

Pure: page text in, raw fields out. The share page carries what the text API lacks:
title, publication time and source name, next to a body. Its markup is undocumented
and has changed over the years, so every field is read with queries that the
``NEWSSHARE_SELECTORS`` setting can replace, backed by the standard fallbacks of
:class:`~newsmirror.sources.base.ArticlePage` (``og:title`` / JSON-LD / ``<h1>`` /
``<title>``; ``article:published_time`` / JSON-LD / ``<time datetime>``), and, for the
source, by the body's ``（文章来源：…）`` line.

Also here: which operator inputs (share URLs, bare codes) name which article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from newsmirror.normalize.attribution import attribution_from_body
from newsmirror.normalize.codes import is_valid_code
from newsmirror.sources.base import ArticlePage
from newsmirror.sources.query import QuerySpec, css, first_text

#: Path of the share page under ``UPSTREAM_SHARE_BASE``.
SHARE_PATH = "/html_News/NewsShare.html"
#: The label a source element starts with (``来源：四川新闻网``).
_SOURCE_LABEL = re.compile(r"^\s*(?:文章|新闻|本文)?来源\s*[：:]\s*")


def share_url(share_base: str, info_code: str) -> str:
    """The share page of an article."""
    return f"{share_base}{SHARE_PATH}?{urlencode({'infoCode': info_code})}"


@dataclass(frozen=True)
class ShareFields:
    """The raw fields of a share page, as published."""

    title: str
    published_raw: str
    source_name: str
    body_html: str


class SharePage(ArticlePage):
    """A share page. Declared queries match the current page (``div.newsContent``)."""

    query_fields: ClassVar[tuple[str, ...]] = (*ArticlePage.query_fields, "source")

    title_query = (css("div.newsContent h1"), css("h1.title"))
    published_query = (css("div.newsContent .info time::attr(datetime)"), css(".info time"))
    source_query: ClassVar[QuerySpec] = (css("div.newsContent .info .source"), css(".source"))
    body_query = (css("#ContentBody"), css("div.newsContent .body"))

    def source_name(self) -> str:
        """The source element's text without its ``来源：`` label, else the outlet named
        by the page body's ``（文章来源：…）`` line."""
        labelled = first_text(self.selector, self.queries["source"])
        name = _SOURCE_LABEL.sub("", labelled)
        return name if name.strip() else attribution_from_body(self.body_html())

    def share_fields(self) -> ShareFields:
        return ShareFields(
            title=self.title(),
            published_raw=self.published_raw(),
            source_name=self.source_name(),
            body_html=self.body_html(),
        )


# -- operator input ---------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedInput:
    """An input line that names no article, with the reason."""

    given: str
    reason: str


def input_lines(text: str) -> list[str]:
    """Entries of a ``from_file`` list: one per line; ``#`` starts a comment."""
    entries = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [entry for entry in entries if entry]


def split_argument(value: str | None) -> list[str]:
    """Entries of a comma-separated spider argument."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def code_from_share_url(url: str, share_base: str) -> str | None:
    """The ``infoCode`` of a share URL on ``share_base``; ``None`` when the URL is on
    another host or path. (The code is returned as given, valid or not.)"""
    parts, base = urlsplit(url), urlsplit(share_base)
    same_site = (parts.scheme.lower(), parts.netloc.lower()) == (
        base.scheme.lower(),
        base.netloc.lower(),
    )
    if not same_site or parts.path != base.path.rstrip("/") + SHARE_PATH:
        return None
    query = {key.lower(): value for key, value in parse_qsl(parts.query)}
    return query.get("infocode", "").strip()


def parse_inputs(entries: Iterable[str], share_base: str) -> tuple[list[str], list[RejectedInput]]:
    """Archive codes named by share URLs or bare codes, in order, each once; and the
    entries rejected (another site, no or malformed code), with the reason."""
    codes: list[str] = []
    rejected: list[RejectedInput] = []
    for given in entries:
        if "://" in given:
            code = code_from_share_url(given, share_base)
            if code is None:
                rejected.append(
                    RejectedInput(given, f"not a share page on {share_base}{SHARE_PATH}")
                )
                continue
        else:
            code = given
        if not is_valid_code(code):
            rejected.append(RejectedInput(given, "missing or malformed code"))
        elif code not in codes:
            codes.append(code)
    return codes, rejected
