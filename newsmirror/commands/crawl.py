"""``scrapy crawl`` whose exit code tells a scheduler how the run went.

Scrapy's own command exits 0 whenever the crawler started, whatever happened next.
This one exits with :func:`newsmirror.summary.exit_code` of the finished run
(``newsmirror.exitcodes``): 0 when complete, 3 (INCOMPLETE) when a list could not be
fetched or too many articles failed (``MAX_FAILURE_RATIO``) or the run was cut
short, 4 (LOCKED) when another run held the archive, and Scrapy's 1 when the crawl
could not start at all.
"""

from __future__ import annotations

import argparse

from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.spiders import Spider

from newsmirror.extensions import crawl_exit_code


class Command(crawl.Command):
    def __init__(self) -> None:
        super().__init__()
        self._crawlers: list[Crawler] = []

    def long_desc(self) -> str:
        return (
            "Run a spider of the current project, by name; the exit code says whether "
            "the run was complete (0), incomplete (3) or locked out (4)."
        )

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        crawler = super()._create_crawler(spidercls)
        self._crawlers.append(crawler)
        return crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        if self.exitcode or not self._crawlers:
            return  # the crawl did not start: Scrapy's own code stands
        self.exitcode = max(crawl_exit_code(crawler) for crawler in self._crawlers)
