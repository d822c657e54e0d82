"""The one data contract between spiders, pipelines and the archive writer.

A spider fills the *raw* fields with what the upstream published, untouched. The
pipelines fill the *normalised* fields (and may rewrite the raw text fields in place
with their cleaned form). The archive writer reads only normalised fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: List kinds, as used by ``-a lists=`` and in the run summary.
LIST_MEDIA = "media"
LIST_FLASH = "flash"
LIST_MARKET = "market"
LIST_SHARE = "share"
#: Articles of a publisher archived directly (``list_name`` is the publisher's name).
LIST_PUBLISHER = "publisher"

#: The syndication service every eastmoney-family article passes through.
AGGREGATOR_EASTMONEY = "东方财富"
#: List kinds of the eastmoney-family lists and share pages (aggregator 东方财富).
EASTMONEY_LIST_KINDS = frozenset({LIST_MEDIA, LIST_FLASH, LIST_MARKET, LIST_SHARE})
#: Outlet whose category holds articles that name none (the list, body and digest).
UNKNOWN_SOURCE = "未知来源"


@dataclass
class Article:
    """One news article on its way into the archive."""

    #: Archive key, also the post's file name stem after the date: letters and digits
    #: only (``NW202205292395331423`` for media/market posts, the bare 18-digit id for
    #: flash posts, as the old archive named them).
    code: str
    #: Which list (or other entry point) the article was discovered through.
    list_kind: str
    #: The list's name in stats and the summary (``media``, ``flash``, ``market37`` …).
    list_name: str = ""
    #: Title as published (HTML entities and stray whitespace possible).
    title: str = ""
    #: Publication time as published (``2022-05-29 00:02:28``, Beijing time).
    published_raw: str = ""
    #: Name of the original outlet (never the aggregator): the list's
    #: ``from``/``medianame`` as published; AttributeSourcePipeline cleans it, or fills it
    #: from the body's attribution line or the flash digest's trailing credit. Empty when
    #: nothing names one. Flash news record it too, though their category is ``emnews``.
    source_name: str = ""
    #: Article HTML fragment as syndicated by the text API.
    body_html: str = ""
    #: Flash-list digest (``【标题】摘要……（来源）``); empty for other lists.
    digest: str = ""
    #: Link the post cites as its source (the share page, or ``url_w`` for flash news).
    source_url: str = ""
    #: The original publisher's URL where the upstream gives one (``url_w``); only an
    #: absolute http(s) URL survives AttributeSourcePipeline.
    original_url: str = ""
    #: The upstream ``infoCode`` the text API and share page are keyed by.
    info_code: str = ""
    #: The service the article was syndicated through.
    aggregator: str = AGGREGATOR_EASTMONEY
    #: When the article's response was received (timezone-aware); relative and yearless
    #: dates resolve against it. ``None``: ParsePublishedPipeline uses the crawl's start.
    fetched_at: datetime | None = None

    # -- filled by the pipelines -------------------------------------------------
    #: Timezone-aware publication time (Asia/Shanghai).
    published: datetime | None = None
    #: URL-safe category slug: ``emnews`` for flash news, else the outlet's pinyin.
    category: str = ""
    #: Display name of the category (``东财滚动新闻``, ``四川新闻网新闻``).
    category_title: str = ""
    #: Front-matter tags (the archive uses exactly one: the category title).
    tags: list[str] = field(default_factory=list)
    #: Near-duplicate fingerprint of the normalised title and text
    #: (:mod:`newsmirror.normalize.neardup`), recorded in the index.
    fingerprint: str = ""
    #: Code of the first copy of the same story when this article is a later copy
    #: (recorded in the index; in the front matter with ``NEAR_DUPLICATE_POLICY=tag``).
    near_duplicate_of: str = ""
