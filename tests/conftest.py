"""Shared fixtures: the fixture upstream on 127.0.0.1, temp archives, crawl helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsmirror.testing.catalog import Catalog
from newsmirror.testing.faults import Faults
from newsmirror.testing.server import UpstreamServer

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE_POST = FIXTURES / "reference" / "000_99aae12f7f9f6289.txt"


@pytest.fixture
def upstream_factory() -> Iterator[Callable[..., UpstreamServer]]:
    """Start fixture upstreams (``articles=N`` or ``catalog=``, optionally ``faults=``
    and ``latency=`` seconds per answer); all stop at teardown."""
    started: list[UpstreamServer] = []

    def start(
        articles: int = 0,
        catalog: Catalog | None = None,
        faults: Faults | None = None,
        latency: float = 0.0,
    ) -> UpstreamServer:
        server = UpstreamServer(catalog, articles=articles, faults=faults, latency=latency)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def upstream(upstream_factory: Callable[..., UpstreamServer]) -> UpstreamServer:
    """The fixture upstream serving the bundled corpus only."""
    return upstream_factory()


@pytest.fixture
def archive_dir(tmp_path: Path) -> Path:
    return tmp_path / "archive"


@dataclass
class CrawlResult:
    returncode: int
    log: str


def run_scrapy(*args: str, timeout: float = 300) -> CrawlResult:
    """``scrapy <args>`` from the repository root, as an operator runs it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CrawlResult(proc.returncode, proc.stdout + proc.stderr)


def crawl_eastmoney(
    upstream: UpstreamServer, archive: Path, *extra: str, timeout: float = 300
) -> CrawlResult:
    """``scrapy crawl eastmoney`` against ``upstream`` into ``archive``."""
    return run_scrapy(
        "crawl",
        "eastmoney",
        "-s",
        f"UPSTREAM_BASE={upstream.url}",
        "-s",
        f"ARCHIVE_DIR={archive}",
        "-s",
        f"LIST_COUNT={max(100, len(upstream.catalog))}",
        *extra,
        timeout=timeout,
    )
