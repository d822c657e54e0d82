"""newsmirror's own signals: what went wrong with which article or list.

Counts live in the crawl stats; these carry the details (code, list, reason) to the
run summary (``newsmirror.extensions.RunSummary``), which reports each one.
Send them with ``crawler.signals.send_catch_log(signal, ...)``.
"""

from __future__ import annotations

#: An article could not be fetched or its answer was unusable.
#: Arguments: ``code``, ``list_name``, ``reason``.
article_failed = object()
#: An article was fetched but deliberately not archived (e.g. too large).
#: Arguments: ``code``, ``list_name``, ``reason``.
article_skipped = object()
#: A list could not be fetched at all. Arguments: ``list_name``, ``reason``.
list_failed = object()
