"""Contract runs (``scrapy check``, which sets ``SCRAPY_CHECK``) leave the archive alone.

``scrapy check`` runs every spider in one process: a component that locked the archive
closed all spiders but the first, silently skipping their contracts. The end-to-end
check is in test_e2e_sources.py; here, each component on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from newsmirror import pipelines
from newsmirror.extensions import RunSummary
from newsmirror.incremental import ArchiveSessionExtension, SkipArchivedMiddleware
from newsmirror.pipelines import AttributeSourcePipeline, WriteArchivePipeline
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import project_settings_dict

ARCHIVE_USERS = [ArchiveSessionExtension, SkipArchivedMiddleware, WriteArchivePipeline]


def crawler_for(tmp_path: Path) -> Crawler:
    settings = project_settings_dict(
        {
            "ARCHIVE_DIR": str(tmp_path / "archive"),
            "SUMMARY_FILE": str(tmp_path / "run.json"),
            "UPSTREAM_BASE": "http://127.0.0.1:9",
        }
    )
    crawler = get_crawler(EastmoneySpider, settings)
    crawler.spider = EastmoneySpider.from_crawler(crawler)
    return crawler


@pytest.mark.parametrize("component", ARCHIVE_USERS, ids=lambda c: c.__name__)
def test_archive_components_are_not_configured_under_scrapy_check(
    component: type[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_from_crawler(component, crawler_for(tmp_path))  # a crawl: built
    monkeypatch.setenv("SCRAPY_CHECK", "true")
    with pytest.raises(NotConfigured, match="scrapy check"):
        build_from_crawler(component, crawler_for(tmp_path))


def test_slugs_are_not_read_from_the_archive_under_scrapy_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[Path] = []

    def pages(root: Path) -> list[Any]:
        read.append(root)
        return []

    monkeypatch.setattr(pipelines, "read_category_pages", pages)
    build_from_crawler(AttributeSourcePipeline, crawler_for(tmp_path)).open_spider()
    assert read == [tmp_path / "archive"]
    monkeypatch.setenv("SCRAPY_CHECK", "true")
    build_from_crawler(AttributeSourcePipeline, crawler_for(tmp_path)).open_spider()
    assert read == [tmp_path / "archive"]  # not again


def test_no_run_report_is_written_under_scrapy_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRAPY_CHECK", "true")
    summary = build_from_crawler(RunSummary, crawler_for(tmp_path))
    summary.spider_closed("finished")
    assert summary.summary is not None  # still summarised in the log
    assert list(tmp_path.iterdir()) == []
    monkeypatch.delenv("SCRAPY_CHECK")
    build_from_crawler(RunSummary, crawler_for(tmp_path)).spider_closed("finished")
    assert (tmp_path / "run.json").exists()
