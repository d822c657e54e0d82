"""The base of every source: a page object, and a publisher declaration.

:class:`ArticlePage` is a page object: the text of one article page in, the raw fields
of the article out, with no I/O, testable without a crawl. A subclass declares, per
field, CSS or XPath queries as typed class attributes; whatever it does not declare,
or whose query finds nothing on a page, falls back to the page's standard metadata
(:mod:`newsmirror.sources.metadata`) and, for the body, to a main-content extractor
(:mod:`newsmirror.sources.maincontent`). A field can also be given a method of its own
by overriding :meth:`ArticlePage.title` (or another field method).

:class:`Publisher` declares one news site that is not the Eastmoney service: its
name and outlet, the real base URL, where its articles are listed (feeds, sitemaps or
list pages), which links are articles, how an article's archive code is made from its
URL, and which page object reads its pages. ``newsmirror/spiders/publisher.py`` makes a
spider of every publisher found in :mod:`newsmirror.sources.publishers`. One hook,
:meth:`Publisher.entry_filter`, may narrow what is crawled (like Scrapy's
``SitemapSpider.sitemap_filter``).

See docs/adding-a-source.md for a walk-through.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from parsel import Selector

from newsmirror.normalize.codes import MAX_CODE_LENGTH, is_valid_code
from newsmirror.sources.discovery import Entry
from newsmirror.sources.fragment import inner_html
from newsmirror.sources.maincontent import main_content_html
from newsmirror.sources.metadata import standard_published, standard_title
from newsmirror.sources.query import Query, QuerySpec, as_queries, first_element, first_text

#: Spider names a publisher may have: lowercase ASCII, digits and ``_``.
NAME_RE = re.compile(r"[a-z][a-z0-9_]{1,30}")
#: The longest code prefix (so that prefix + 16 hex digits fits ``MAX_CODE_LENGTH``).
MAX_CODE_PREFIX = MAX_CODE_LENGTH - 16 - 8
#: Hex digits of the URL hash used as code when a publisher declares no pattern.
CODE_HASH_DIGITS = 16


class SourceDeclarationError(ValueError):
    """A page object or publisher declares something unusable; says which and why."""


@dataclass(frozen=True)
class PageFields:
    """The raw fields one article page yields, as published."""

    title: str
    published_raw: str
    body_html: str


class ArticlePage:
    """One article page: text in, raw fields out.

    Declared queries (each a :func:`~newsmirror.sources.query.css` /
    :func:`~newsmirror.sources.query.xpath` query, text — CSS unless it starts with
    ``xpath:`` — or a tuple of them tried in order):

    - ``title_query``: the title (an element's text or a string query).
    - ``published_query``: the publication time as written (``::attr(datetime)`` …).
    - ``body_query``: the element holding the article; the body is its inner HTML.
    - ``drop_query``: elements removed from the body (ads, "related" boxes, share bars).

    ``queries=`` replaces declared queries for one page (e.g. from a setting).
    """

    #: Names of the declared queries (``<name>_query`` class attributes); a subclass
    #: reading more fields extends it.
    query_fields: ClassVar[tuple[str, ...]] = ("title", "published", "body", "drop")
    title_query: ClassVar[QuerySpec] = None
    published_query: ClassVar[QuerySpec] = None
    body_query: ClassVar[QuerySpec] = None
    drop_query: ClassVar[QuerySpec] = None

    #: The declared queries, checked and translated once per class.
    compiled: ClassVar[dict[str, tuple[Query, ...]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.compiled = cls.compile_queries(
            {name: getattr(cls, f"{name}_query", None) for name in cls.query_fields},
            cls.__name__,
        )

    @classmethod
    def compile_queries(
        cls, declared: Mapping[str, QuerySpec], owner: str
    ) -> dict[str, tuple[Query, ...]]:
        """Check and translate declared queries, naming the one that is broken."""
        unknown = set(declared) - set(cls.query_fields)
        if unknown:
            raise SourceDeclarationError(
                f"{owner}: unknown field(s) {', '.join(sorted(unknown))}; "
                f"fields are {', '.join(cls.query_fields)}"
            )
        compiled = {}
        for name, spec in declared.items():
            try:
                compiled[name] = as_queries(spec, f"{owner}.{name}_query")
            except ValueError as exc:
                raise SourceDeclarationError(f"{owner}.{name}_query: {exc}") from None
        return compiled

    def __init__(
        self, html: str, url: str = "", queries: Mapping[str, QuerySpec] | None = None
    ) -> None:
        self.html = html
        self.url = url
        self.selector = Selector(text=html, base_url=url or None)
        self.queries = {name: type(self).compiled.get(name, ()) for name in self.query_fields}
        if queries:
            self.queries.update(self.compile_queries(queries, type(self).__name__))

    # -- one small method per field; override one to read a field another way ----------
    def title(self) -> str:
        """The title: the declared query, else the page's standard metadata."""
        return first_text(self.selector, self.queries["title"]) or standard_title(self.selector)

    def published_raw(self) -> str:
        """The publication time as written: the declared query, else standard metadata."""
        return first_text(self.selector, self.queries["published"]) or standard_published(
            self.selector
        )

    def body_html(self) -> str:
        """The article HTML: the declared element's inner HTML, else the main content."""
        element = first_element(self.selector, self.queries["body"])
        if element is not None:
            body = inner_html(element, self.queries["drop"])
            if body:
                return body
        return main_content_html(self.html, title=self.title())

    def fields(self) -> PageFields:
        return PageFields(
            title=self.title(), published_raw=self.published_raw(), body_html=self.body_html()
        )


class Publisher:
    """A news site archived directly (not through the Eastmoney service).

    Subclasses set the class attributes below; a class without ``name`` is a base for
    other publishers and is not crawled.
    """

    #: Spider name and archive ``list_name``: lowercase ASCII (``caijingdaily``).
    name: ClassVar[str] = ""
    #: The outlet as readers know it (``财经日报``): the category of every post.
    outlet: ClassVar[str] = ""
    #: The real site, without trailing slash. ``PUBLISHER_BASES`` / ``PUBLISHER_BASE``
    #: point the spider elsewhere (a mirror, the fixture server).
    base_url: ClassVar[str] = ""
    #: Where articles are listed, as paths under the base (``/rss/finance.xml``).
    #: Feeds, sitemaps and list pages are told apart by their content.
    index_paths: ClassVar[tuple[str, ...]] = ()
    #: On HTML list pages: the query selecting article links.
    list_links: ClassVar[QuerySpec] = None
    #: Regular expression an article's path (with query, relative to the base) must
    #: match in full; other links of the index documents are ignored.
    article_paths: ClassVar[str] = r"/.+"
    #: Letters prefixed to every archive code of this publisher (``CJRB``).
    code_prefix: ClassVar[str] = ""
    #: Regular expression searched in the article path; its groups, joined, follow the
    #: prefix in the archive code. Empty: a hash of the path is used.
    code_pattern: ClassVar[str] = ""
    #: The page object reading this publisher's article pages.
    page: ClassVar[type[ArticlePage]] = ArticlePage

    link_queries: ClassVar[tuple[Query, ...]] = ()
    _article_re: ClassVar[re.Pattern[str]]
    _code_re: ClassVar[re.Pattern[str] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            cls._check_declaration()

    @classmethod
    def _check_declaration(cls) -> None:
        def fail(attribute: str, problem: str) -> SourceDeclarationError:
            return SourceDeclarationError(f"{cls.__name__}.{attribute}: {problem}")

        if not NAME_RE.fullmatch(cls.name):
            raise fail("name", f"{cls.name!r} is not a lowercase ASCII id (a-z, 0-9, _)")
        if not cls.outlet.strip():
            raise fail("outlet", "the outlet's name is required (it becomes the category)")
        if not re.match(r"https?://[^/\s]+(/\S*)?$", cls.base_url):
            raise fail("base_url", f"{cls.base_url!r} is not an http(s) URL")
        if cls.base_url.endswith("/"):
            raise fail("base_url", "drop the trailing slash")
        if not cls.index_paths or isinstance(cls.index_paths, str):
            raise fail("index_paths", "give a tuple of feed, sitemap or list-page paths")
        if not (cls.code_prefix.isascii() and cls.code_prefix.isalpha()):
            raise fail("code_prefix", "ASCII letters only (it starts every archive code)")
        if len(cls.code_prefix) > MAX_CODE_PREFIX:
            raise fail("code_prefix", f"at most {MAX_CODE_PREFIX} letters")
        if not (isinstance(cls.page, type) and issubclass(cls.page, ArticlePage)):
            raise fail("page", "must be an ArticlePage subclass")
        for attribute in ("article_paths", "code_pattern"):
            try:
                re.compile(getattr(cls, attribute))
            except re.error as exc:
                raise fail(attribute, f"bad regular expression: {exc}") from None
        try:
            cls.link_queries = as_queries(cls.list_links, f"{cls.__name__}.list_links")
        except ValueError as exc:
            raise fail("list_links", str(exc)) from None
        cls._article_re = re.compile(cls.article_paths)
        cls._code_re = re.compile(cls.code_pattern) if cls.code_pattern else None

    # -- discovery -----------------------------------------------------------------------
    @classmethod
    def relative_path(cls, url: str, base: str) -> str | None:
        """``url`` relative to ``base`` (``/2024/0205/123.html``), or ``None`` when the
        URL is not under ``base``."""
        if not url.startswith(base + "/"):
            return None
        return url[len(base) :]

    @classmethod
    def is_article(cls, path: str) -> bool:
        """Whether a path under the base is an article page of this publisher."""
        return cls._article_re.fullmatch(path) is not None

    @classmethod
    def code_for(cls, path: str) -> str:
        """The archive code of the article at ``path`` ("" when ``code_pattern`` does not
        match it): the prefix then the pattern's groups, or a hash of the path."""
        if cls._code_re is None:
            digest = hashlib.sha1(path.encode("utf-8")).hexdigest()[:CODE_HASH_DIGITS]
            code = f"{cls.code_prefix}{digest}"
        else:
            match = cls._code_re.search(path)
            if match is None:
                return ""
            code = cls.code_prefix + ("".join(g or "" for g in match.groups()) or match.group())
        return code if is_valid_code(code) else ""

    @classmethod
    def entry_filter(cls, entries: list[Entry]) -> Iterable[Entry]:
        """The hook: which of an index document's article entries to crawl.

        Receives the entries that are on the base and match ``article_paths``, in
        document order, with what the index says of them (``title``,
        ``published_raw``). Override it to skip some (sponsored posts, a section) or to
        reorder them; the default keeps them all.
        """
        return entries
