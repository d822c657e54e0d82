"""Process exit codes of ``scrapy crawl`` (newsmirror's crawl command) and ``newsmirror``.

Schedulers (cron, CI) look at these; they are part of the documented interface.
"""

from __future__ import annotations

#: Everything listed was fetched; failures stayed under the threshold.
OK = 0
#: Scrapy or Python failed (bad arguments to the spider, crash, unhandled error).
ERROR = 1
#: Bad command-line usage of ``newsmirror``.
USAGE = 2
#: The run finished but a list could not be fetched at all, or article failures
#: exceeded the failure threshold: the archive is consistent but incomplete.
INCOMPLETE = 3
#: Another run holds the archive's lock; nothing was done.
LOCKED = 4
#: ``newsmirror check`` found problems.
CHECK_FAILED = 5

#: Spider close reason used when the archive lock is held by another run.
REASON_LOCKED = "archive_locked"
