"""财经日报 (Caijing Daily): the example publisher, a fictional Chinese financial daily.

Articles are listed in an RSS feed and live at ``/news/YYYY/MM/DD/<id>.html``. The
2023 article template is read with the queries below; pages of older templates and
special reports fall back to their standard metadata and to main-content extraction.
Stored pages: ``newsmirror/testing/data/sources/caijingdaily/``.
"""

from __future__ import annotations

from newsmirror.sources.base import ArticlePage, Publisher
from newsmirror.sources.query import css


class CaijingdailyPage(ArticlePage):
    """An article page of the 2023 template."""

    title_query = css("div.article-header h1.article-title")
    published_query = css("div.article-meta span.pubtime")
    body_query = css("div.article-content")
    drop_query = (css("div.ad-slot"), css("div.related-news"), css("div.share-bar"))


class Caijingdaily(Publisher):
    name = "caijingdaily"
    outlet = "财经日报"
    base_url = "https://www.caijingdaily.example"
    index_paths = ("/rss/finance.xml",)
    article_paths = r"/news/\d{4}/\d{2}/\d{2}/\d+\.html"
    code_prefix = "CJRB"
    code_pattern = r"/news/(\d{4})/(\d{2})/(\d{2})/(\d+)\.html$"
    page = CaijingdailyPage
