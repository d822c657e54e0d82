"""Every source as an operator runs it: ``scrapy list``, ``scrapy check``, ``scrapy crawl``
against the fixture server, into the same archive format through the same pipelines."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from newsmirror.archive.frontmatter import split_document
from newsmirror.testing.server import UpstreamServer

from .conftest import crawl_eastmoney, run_scrapy

pytestmark = pytest.mark.slow

#: ``scrapy check -v``: one line per contract hook that ran.
CONTRACT_LINE = re.compile(
    r"^\[(?P<spider>\w+)\] (?P<method>\w+) \(@\w+ [\w-]+\) \.\.\. (?P<outcome>\w+)$",
    re.MULTILINE,
)


def test_scrapy_list_shows_every_source() -> None:
    result = run_scrapy("list", timeout=60)
    assert result.returncode == 0, result.log[-2000:]
    assert {"eastmoney", "newsshare", "caijingdaily"} <= set(result.log.split())


def declared_contracts() -> dict[str, set[str]]:
    """``scrapy check -l``: each spider's methods that declare contracts."""
    result = run_scrapy("check", "-l", timeout=60)
    assert result.returncode == 0, result.log[-2000:]
    declared: dict[str, set[str]] = {}
    spider = ""
    for line in result.log.splitlines():
        if line.startswith("  * "):
            declared[spider].add(line[4:].strip())
        elif line.strip():
            spider = line.strip()
            declared[spider] = set()
    return declared


def test_scrapy_check_runs_every_spiders_contracts_and_writes_nothing(tmp_path: Path) -> None:
    # `scrapy check` runs all spiders in one process. Contract runs leave the archive
    # alone (each would otherwise lock it, and every spider but the first would be
    # closed with its contracts silently skipped) and write no run report.
    spiders = set(run_scrapy("list", timeout=60).log.split())
    declared = declared_contracts()
    assert set(declared) == spiders and all(declared.values()), declared
    archive, report = tmp_path / "archive", tmp_path / "run.json"
    result = run_scrapy(
        "check", "-v", "-s", f"ARCHIVE_DIR={archive}", "-s", f"SUMMARY_FILE={report}",
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.log[-3000:]
    ran: dict[str, set[str]] = defaultdict(set)
    hooks: Counter[str] = Counter()
    for line in CONTRACT_LINE.finditer(result.log):
        assert line["outcome"] == "ok", line[0]
        ran[line["spider"]].add(line["method"])
        hooks[line["spider"]] += 1
    assert ran == declared, result.log[-3000:]
    assert all(hooks[spider] >= len(methods) for spider, methods in declared.items())
    assert f"Ran {sum(hooks.values())} contracts" in result.log
    assert list(tmp_path.iterdir()) == []


def test_a_contract_fails_when_its_callback_misbehaves(tmp_path: Path) -> None:
    # Pointed at a mirror, the stored feed's links are all off-site: no requests.
    result = run_scrapy(
        "check",
        "caijingdaily",
        "-s",
        f"ARCHIVE_DIR={tmp_path}",
        "-s",
        "PUBLISHER_BASE=http://127.0.0.1:9",
        timeout=120,
    )
    assert result.returncode == 1
    assert (
        "[caijingdaily] parse_index (@returns post-hook)" in result.log and "FAILED" in result.log
    )


def test_newsshare_archives_posts_identical_to_the_list_crawls(
    upstream: UpstreamServer, tmp_path: Path
) -> None:
    codes = "NW202205292395331423,NW202201242259229980,NW202205312398034850"
    listed = tmp_path / "from-lists"
    assert crawl_eastmoney(upstream, listed, "-a", "lists=media").returncode == 0
    shared = tmp_path / "from-share"
    result = run_scrapy(
        "crawl",
        "newsshare",
        "-a",
        f"codes={codes}",
        "-a",
        f"urls={upstream.url}/html_News/NewsShare.html?infoCode=NW202205292395331423,"
        "http://elsewhere.test/html_News/NewsShare.html?infoCode=NW1",
        "-s",
        f"UPSTREAM_BASE={upstream.url}",
        "-s",
        f"ARCHIVE_DIR={shared}",
    )
    assert result.returncode == 0, result.log[-3000:]
    assert "skipped input 'http://elsewhere.test/" in result.log
    assert "archived 3 new" in result.log
    posts = sorted(p.name for p in (shared / "_posts").iterdir())
    assert len(posts) == 3
    for name in posts:
        assert (shared / "_posts" / name).read_bytes() == (listed / "_posts" / name).read_bytes()


def test_the_example_publisher_archives_its_feed(
    upstream: UpstreamServer, archive_dir: Path
) -> None:
    result = run_scrapy(
        "crawl",
        "caijingdaily",
        "-s",
        f"PUBLISHER_BASE={upstream.url}",
        "-s",
        f"ARCHIVE_DIR={archive_dir}",
    )
    assert result.returncode == 0, result.log[-3000:]
    assert "archived 4 new" in result.log
    mirror = f"{upstream.url}/publisher/caijingdaily"
    posts = {
        p.name: split_document(p.read_text(encoding="utf-8"))
        for p in (archive_dir / "_posts").iterdir()
    }
    assert sorted(posts) == [
        "2024-02-05-CJRB20240205100231.md",
        "2024-02-06-CJRB20240206100587.md",
        "2024-02-07-CJRB20240207100912.md",
        "2024-02-08-CJRB20240208101120.md",
    ]
    gbk = posts["2024-02-06-CJRB20240206100587.md"]
    assert gbk.meta["title"] == "沪深交易所优化融券交易机制 限售股出借全面暂停"
    assert f"<{mirror}/news/2024/02/06/100587.html>" in gbk.body
    fallback = posts["2024-02-07-CJRB20240207100912.md"]
    assert fallback.meta["title"] == "专题｜新质生产力：这些城市抢先布局"
    assert fallback.meta["date"] == "2024-02-07 11:20:00 +0800"
    for document in posts.values():
        assert (document.meta["categories"], document.meta["tags"]) == (
            "caijingribao",
            "财经日报新闻",
        )
    page = archive_dir / "category" / "caijingribao.html"
    assert split_document(page.read_text(encoding="utf-8")).meta["title"] == "财经日报新闻"
    assert upstream.hits["/publisher/caijingdaily/rss/finance.xml"] == 1
