"""Where a publisher lists its articles: RSS/Atom feeds, (news) sitemaps, list pages.

Pure: the text of one such document in, the article links it announces out. The kind
of document is read from the document itself (its root element), so a publisher only
says *where* its index documents are, not what they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from newsmirror.sources.query import Query, text_of

#: Root elements of the XML index documents understood, by kind.
FEED_ROOTS = frozenset({"rss", "RDF", "feed"})
SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})


@dataclass(frozen=True)
class Entry:
    """An article link announced by an index document, with what it says about it."""

    url: str
    title: str = ""
    published_raw: str = ""


@dataclass(frozen=True)
class Discovered:
    """What one index document announces."""

    #: ``feed``, ``sitemap``, ``sitemapindex`` or ``list``.
    kind: str
    entries: list[Entry] = field(default_factory=list)
    #: Further index documents to read (the children of a sitemap index).
    indexes: list[str] = field(default_factory=list)


def discover(text: str, url: str, list_links: Sequence[Query] = ()) -> Discovered:
    """The article links of a feed, sitemap, sitemap index or HTML list page.

    Relative links are resolved against ``url``. On an HTML page, ``list_links`` select
    the links (``a.headline::attr(href)``); without them a list page yields nothing.
    """
    root = _xml_root(text)
    if root is not None:
        name = etree.QName(root.root).localname
        if name in FEED_ROOTS:
            return Discovered("feed", _feed_entries(root, url))
        if name == "urlset":
            return Discovered("sitemap", _sitemap_entries(root, url))
        if name == "sitemapindex":
            locs = [_text(s, "loc") for s in root.xpath("//sitemap")]
            return Discovered("sitemapindex", indexes=[urljoin(url, loc) for loc in locs if loc])
    page = Selector(text=text, base_url=url)
    links: list[Entry] = []
    for q in list_links:
        for found in q.select(page):
            href = text_of(found).strip()
            if href and not href.startswith(("#", "javascript:", "mailto:")):
                links.append(Entry(urljoin(url, href)))
    return Discovered("list", _unique(links))


def _xml_root(text: str) -> Selector | None:
    """The document as namespace-free XML if it is a feed or sitemap, else ``None``."""
    head = text.lstrip("\ufeff \t\r\n")[:512].lower()
    if not head.startswith(("<?xml", "<rss", "<feed", "<urlset", "<sitemapindex", "<rdf")):
        return None
    selector = Selector(text=text, type="xml")
    if not isinstance(selector.root, etree._Element):
        return None
    name = etree.QName(selector.root).localname
    if name not in FEED_ROOTS | SITEMAP_ROOTS:
        return None
    selector.remove_namespaces()
    return selector


def _text(node: Selector, path: str) -> str:
    return str(node.xpath(f"string({path})").get() or "").strip()


def _feed_entries(root: Selector, url: str) -> list[Entry]:
    entries = []
    for item in root.xpath("//item"):  # RSS 0.9x, 1.0 (RDF) and 2.0
        link = _text(item, "link")
        guid = item.xpath("guid[not(@isPermaLink='false')]")
        if not link and guid:
            link = _text(item, "guid")
        published = _text(item, "pubDate") or _text(item, "date")
        if link:
            entries.append(Entry(urljoin(url, link), _text(item, "title"), published))
    for item in root.xpath("//entry"):  # Atom
        hrefs = item.xpath("link[not(@rel) or @rel='alternate']/@href").getall()
        published = _text(item, "published") or _text(item, "updated")
        if hrefs:
            entries.append(Entry(urljoin(url, hrefs[0].strip()), _text(item, "title"), published))
    return _unique(entries)


def _sitemap_entries(root: Selector, url: str) -> list[Entry]:
    entries = []
    for node in root.xpath("//url"):
        loc = _text(node, "loc")
        published = _text(node, "news/publication_date") or _text(node, "lastmod")
        if loc:
            entries.append(Entry(urljoin(url, loc), _text(node, "news/title"), published))
    return _unique(entries)


def _unique(entries: list[Entry]) -> list[Entry]:
    """Entries in document order, each URL once (the first mention wins)."""
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry.url not in seen:
            seen.add(entry.url)
            out.append(entry)
    return out
