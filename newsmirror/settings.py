"""Scrapy settings for newsmirror, and newsmirror's own settings with their defaults.

Every newsmirror setting is listed in the README's settings table and can be
overridden on the command line with ``-s NAME=VALUE``.
"""

from __future__ import annotations

BOT_NAME = "newsmirror"

SPIDER_MODULES = ["newsmirror.spiders"]
NEWSPIDER_MODULE = "newsmirror.spiders"

# --- newsmirror: where the upstream lives -----------------------------------------
# Empty means "not given": UPSTREAM_BASE, when set, fills every empty one; the
# real hosts the old generator used fill the rest (see newsmirror/config.py).
UPSTREAM_BASE = ""
UPSTREAM_LIST_BASE = ""
UPSTREAM_MARKET_BASE = ""
UPSTREAM_TEXT_BASE = ""
UPSTREAM_SHARE_BASE = ""
#: Articles asked of each list.
LIST_COUNT = 100

# --- newsmirror: the archive ---------------------------------------------------------
ARCHIVE_DIR = "./archive"
#: Site root used in the posts' back-links (scheme-relative, as the old archive).
SITE_BASE = "//finews.withounder.com"
#: fsync each post before it is renamed into place (survives power loss, not only kills).
ARCHIVE_FSYNC = True

# --- politeness -------------------------------------------------------------------------
# The upstream is a JSON API with no robots.txt of its own; identify honestly.
ROBOTSTXT_OBEY = False
USER_AGENT = "newsmirror/0.1 (+https://github.com/newsmirror/newsmirror)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 8.0
RETRY_ENABLED = True
RETRY_TIMES = 3
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- processing -------------------------------------------------------------------------
# Scrapy's default (100) caps items in flight per response; the list responses fan out
# into many text requests, each yielding one item, so this does not limit us.
ITEM_PIPELINES = {
    "newsmirror.pipelines.NormalizeTextPipeline": 100,
    "newsmirror.pipelines.CleanBodyPipeline": 200,
    "newsmirror.pipelines.ParsePublishedPipeline": 300,
    "newsmirror.pipelines.AttributeSourcePipeline": 400,
    "newsmirror.pipelines.ValidateArticlePipeline": 500,
    "newsmirror.pipelines.WriteArchivePipeline": 900,
}

EXTENSIONS = {
    "newsmirror.extensions.RunSummary": 500,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
