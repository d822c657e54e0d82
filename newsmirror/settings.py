"""Scrapy settings for newsmirror, and newsmirror's own settings with their defaults.

Every newsmirror setting is listed in the README's settings table and can be
overridden on the command line with ``-s NAME=VALUE``.
"""

from __future__ import annotations

from newsmirror.normalize import boilerplate as _boilerplate

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
#: Share-page queries replacing the newsshare spider's declared ones, field -> CSS
#: queries ("xpath:…" for XPath), tried in order before the standard fallbacks; fields:
#: title, published, source, body, drop (newsmirror/sources/newsshare.py).
NEWSSHARE_SELECTORS: dict[str, list[str]] = {}

# --- newsmirror: publishers archived directly (newsmirror/sources/publishers/) ----------
#: Publisher name -> base URL, instead of the real site its module declares.
PUBLISHER_BASES: dict[str, str] = {}
#: Every publisher not in PUBLISHER_BASES is reached at <PUBLISHER_BASE>/publisher/<name>
#: (the fixture server's layout); empty: the real sites.
PUBLISHER_BASE = ""

# --- newsmirror: the archive ---------------------------------------------------------
ARCHIVE_DIR = "./archive"
#: Site root used in the posts' back-links (scheme-relative, as the old archive).
SITE_BASE = "//finews.withounder.com"
#: The Jekyll site's title (``newsmirror init-site`` writes it into ``_config.yml``).
SITE_TITLE = "金融消息"
#: fsync each post before it is renamed into place (survives power loss, not only kills).
ARCHIVE_FSYNC = True
#: Worker threads that write new post files while the crawl goes on (0: write them on
#: the crawl's thread). See newsmirror/archive_writes.py.
ARCHIVE_WRITE_THREADS = 2
#: Fetch articles that are already archived again (also ``-a refresh=1``); a changed
#: one is updated in place, an unchanged one is left alone.
ARCHIVE_REFRESH = False
#: At the end of a run, posts dated more than this many days ago move from _posts/ to
#: old_post/ (0: never).
ROTATE_KEEP_DAYS = 0

# --- newsmirror: near-duplicates (newsmirror/normalize/neardup.py, archive/neardup.py) ---
#: A later copy of a story already archived under another code: "keep" (archive it, the
#: index links it to the first copy), "skip" (do not archive it) or "tag" (archive it with
#: "near_duplicate_of: <first copy>" in its front matter). First copy: earliest published,
#: then smallest code.
NEAR_DUPLICATE_POLICY = "keep"
#: Least estimated similarity (Jaccard of 4-character shingles, 0-1) of two copies.
NEAR_DUPLICATE_THRESHOLD = 0.8
#: Texts with fewer letters and digits (title and text together) are never declared
#: near-duplicates: one-sentence flash items differing in a figure are different news.
NEAR_DUPLICATE_MIN_CHARS = 150

# --- newsmirror: category slugs (newsmirror/normalize/slugs.py) -----------------------
#: Operator-pinned slugs, source name -> slug, for a wrong pinyin reading ({"重庆日报":
#: "chongqingribao"}); these win over CATEGORY_SLUG_PINS_FILE.
CATEGORY_SLUG_PINS: dict[str, str] = {}
#: Optional TSV file of pins, one "<source name><TAB><slug>" a line ("#" comments).
CATEGORY_SLUG_PINS_FILE = ""

# --- newsmirror: text and dates (newsmirror/normalize/text.py, dates.py) ---------------
#: Full-width Latin letters and digits (ＡＢＣ１２３) become ASCII; punctuation is kept.
TEXT_FULLWIDTH_TO_ASCII = True
#: Traditional Chinese characters become Simplified (OpenCC t2s).
TEXT_TO_SIMPLIFIED = False
#: A publication time more than this many hours after the fetch time is unusable.
DATE_MAX_FUTURE_HOURS = 24

# --- newsmirror: article HTML (newsmirror/normalize/html.py) ----------------------------
#: Paragraphs to strip from bodies: source name (as published) or "*" (every source) ->
#: regexes searched in a paragraph's text. A source's own list adds to "*"; setting this
#: replaces the default (disclaimers such as 免责声明/特别声明, 责任编辑： lines).
#: The attribution paragraph （文章来源：…） is never stripped.
BOILERPLATE_PATTERNS: dict[str, list[str]] = {
    source: list(patterns) for source, patterns in _boilerplate.DEFAULT_PATTERNS.items()
}

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
# Scrapy 2.19 starts a remote-control HTTP endpoint in every crawl; a cron job needs none.
REMOTE_CONTROL_ENABLED = False

# --- newsmirror: faults and bounds (newsmirror/retry.py, spiders) -------------------------
# Retries wait out an exponential backoff and honour Retry-After; Scrapy's own
# RetryMiddleware (which retries at once) is replaced.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsmirror.retry.BackoffRetryMiddleware": 550,
    # Only under `scrapy check`: answers from stored responses (newsmirror/contracts.py).
    "newsmirror.contracts.StoredResponseMiddleware": 50,
}
#: Seconds before the first retry; each further retry waits twice as long ...
RETRY_BACKOFF_BASE = 1.0
#: ... up to this many seconds (a longer Retry-After is not waited for: the request fails).
RETRY_BACKOFF_MAX = 60.0
#: Up to this fraction of each delay is randomly taken off (spreads the retries out).
RETRY_BACKOFF_JITTER = 0.5
#: A 429 multiplies the host's download delay by this (capped by AUTOTHROTTLE_MAX_DELAY).
RETRY_429_SLOWDOWN = 2.0
# The spider logs each request it finally loses (with its code) as an error.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
#: Answers larger than this are cancelled; larger than the warn size, logged.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
#: An article whose text fields exceed this many bytes (UTF-8) is skipped.
ITEM_MAX_BYTES = 2 * 1024 * 1024

# --- newsmirror: reporting (newsmirror/summary.py, extensions.py, progress.py) ------------
#: `scrapy crawl` exits 3 (incomplete) when more than this fraction of articles failed.
MAX_FAILURE_RATIO = 0.1
#: Write the run summary as JSON to this file (atomically); empty: do not.
SUMMARY_FILE = ""
#: Seconds between progress lines in the log (0: none).
PROGRESS_INTERVAL = 60
#: `scrapy crawl` with exit codes for schedulers (newsmirror/commands/crawl.py).
COMMANDS_MODULE = "newsmirror.commands"

# --- newsmirror: distributed runs (newsmirror/distributed/) ------------------------------
#: The Redis server of a distributed run (``redis://host:6379/0``). Every `scrapy crawl`
#: given the same one is a worker of one run on one frontier; empty: one process.
REDIS_URL = ""
#: Prefix of the run's Redis keys (``<prefix>:<spider>:…``): one per archive when
#: several archives share a Redis server.
REDIS_KEY_PREFIX = "newsmirror"
#: A worker stops once the frontier has been empty and every worker idle this long (s).
REDIS_IDLE_TIMEOUT = 30.0
#: A worker renews its lease every third of this (s); one that has not for this long
#: is taken for dead: its codes go to others and the lists are swept again.
REDIS_WORKER_LEASE = 30.0
#: Seconds a worker waits for the archive while another prepares it (or a single run
#: holds it) before giving up with exit code 4.
REDIS_ARCHIVE_WAIT = 60.0
# Switches the crawl to Redis when REDIS_URL is set (a no-op otherwise).
ADDONS = {"newsmirror.distributed.addon.RedisAddon": 0}

# --- processing -------------------------------------------------------------------------
# Outputs of one response processed at once. A text response yields one item, a list
# response only requests, and the pipelines are synchronous, so more buys nothing; but
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every response's output, and its
# default (100) cost a fifth of the crawl's CPU (Scrapy issue #5182; benchmarks/).
CONCURRENT_ITEMS = 1
# Waiting requests are kept pickled (Scrapy's LIFO order): a list names all its articles
# at once, and ~3 KB per waiting Request object was most of a long crawl's peak memory.
SCHEDULER_MEMORY_QUEUE = "newsmirror.queues.PickledLifoMemoryQueue"
ITEM_PIPELINES = {
    "newsmirror.pipelines.NormalizeTextPipeline": 100,
    "newsmirror.pipelines.CleanBodyPipeline": 200,
    "newsmirror.pipelines.ParsePublishedPipeline": 300,
    "newsmirror.pipelines.AttributeSourcePipeline": 400,
    "newsmirror.pipelines.ValidateArticlePipeline": 500,
    "newsmirror.pipelines.DetectNearDuplicatesPipeline": 800,
    "newsmirror.pipelines.WriteArchivePipeline": 900,
}

# Requests for codes already archived are dropped before they are scheduled.
SPIDER_MIDDLEWARES = {
    "newsmirror.incremental.SkipArchivedMiddleware": 950,
}

EXTENSIONS = {
    # Locks the archive and loads its index before the first request.
    "newsmirror.incremental.ArchiveSessionExtension": 100,
    "newsmirror.extensions.RunSummary": 500,
    "newsmirror.progress.ProgressLog": 510,
}

# `scrapy check`: contracts on stored responses, never the network (newsmirror/contracts.py).
SPIDER_CONTRACTS = {
    "newsmirror.contracts.FixtureContract": 10,
    "newsmirror.contracts.FillsContract": 10,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
# `-O items.jsonl` / `-O items.json` / FEEDS write newsmirror's article records
# (docs/feeds.md, docs/items.schema.json), not the raw Article items.
FEED_EXPORTERS = {
    "jsonlines": "newsmirror.exporters.ArticleJsonLinesExporter",
    "jsonl": "newsmirror.exporters.ArticleJsonLinesExporter",
    "json": "newsmirror.exporters.ArticleJsonExporter",
}
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
