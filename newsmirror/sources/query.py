"""Field queries: CSS or XPath, translated and checked once, run on parsel selectors.

A query selects either elements (``h1.title``, ``//div[@id="body"]``) or strings
(``time::attr(datetime)``, ``//h1/text()``). :func:`first_text` reads the first
non-blank result: the full visible text of a selected element, or the string as it
is. :func:`first_element` returns the first selected element.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from lxml import etree
from parsel import Selector
from parsel.csstranslator import css2xpath

XPATH_PREFIX = "xpath:"


class QueryError(ValueError):
    """A CSS or XPath query that does not parse."""


@dataclass(frozen=True)
class Query:
    """One CSS or XPath query, kept with its XPath translation."""

    kind: Literal["css", "xpath"]
    source: str
    xpath: str

    def __str__(self) -> str:
        return self.source if self.kind == "css" else f"{XPATH_PREFIX}{self.source}"

    def select(self, selector: Selector) -> list[Selector]:
        return list(selector.xpath(self.xpath))


#: What a field declaration may hold: one query, several (tried in order), or none.
#: Text is CSS unless it starts with ``xpath:``.
QuerySpec: TypeAlias = Query | str | Sequence[Query | str] | None


def css(query: str) -> Query:
    """A CSS query (parsel's ``::text`` and ``::attr(name)`` allowed)."""
    try:
        translated = css2xpath(query)
    except Exception as exc:  # cssselect raises several unrelated types
        raise QueryError(f"bad CSS query {query!r}: {exc}") from None
    return _checked(Query("css", query, translated))


def xpath(query: str) -> Query:
    """An XPath 1.0 query."""
    return _checked(Query("xpath", query, query))


def query(text: str) -> Query:
    """A query written as text (settings, JSON): ``xpath:…`` is XPath, anything else CSS."""
    if text.startswith(XPATH_PREFIX):
        return xpath(text[len(XPATH_PREFIX) :])
    return css(text)


def as_queries(value: object, what: str = "query") -> tuple[Query, ...]:
    """A field declaration (``Query``, text, a sequence of either, or ``None``) as a tuple."""
    if value is None:
        return ()
    if isinstance(value, Query):
        return (value,)
    if isinstance(value, str):
        return (query(value),)
    if isinstance(value, Iterable):
        out: list[Query] = []
        for item in value:
            out.extend(as_queries(item, what))
        return tuple(out)
    raise QueryError(f"{what}: expected a query or a list of queries, got {type(value).__name__}")


def _checked(q: Query) -> Query:
    try:
        etree.XPath(q.xpath)
    except etree.XPathSyntaxError as exc:
        raise QueryError(f"bad {q.kind} query {q.source!r}: {exc}") from None
    return q


def is_element(selector: Selector) -> bool:
    """True when ``selector`` holds an element (not a string or attribute value)."""
    return isinstance(selector.root, etree._Element)


def text_of(selector: Selector) -> str:
    """The visible text of an element, or the string a query selected."""
    if is_element(selector):
        return str(selector.xpath("string()").get() or "")
    return str(selector.get() or "")


def first_text(selector: Selector, queries: Sequence[Query]) -> str:
    """The first non-blank result of the first query that has one ("" if none)."""
    for q in queries:
        for found in q.select(selector):
            text = text_of(found)
            if text.strip():
                return text
    return ""


def first_element(selector: Selector, queries: Sequence[Query]) -> Selector | None:
    """The first element selected by the first query that selects one."""
    for q in queries:
        for found in q.select(selector):
            if is_element(found):
                return found
    return None
