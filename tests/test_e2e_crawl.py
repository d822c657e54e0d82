"""``scrapy crawl eastmoney`` as an operator runs it, against the fixture upstream."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from newsmirror.archive.atomic import leftover_temp_files
from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.paths import POST_NAME_RE, is_safe_slug
from newsmirror.testing.server import UpstreamServer

from .conftest import crawl_eastmoney, run_scrapy

pytestmark = pytest.mark.slow

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0800$")


def test_crawl_archives_one_post_per_listed_article(upstream_factory, archive_dir: Path) -> None:
    upstream: UpstreamServer = upstream_factory(articles=300)
    result = crawl_eastmoney(upstream, archive_dir)
    assert result.returncode == 0, result.log[-3000:]

    posts = sorted((archive_dir / "_posts").iterdir())
    catalog = upstream.catalog
    assert len(posts) == len(catalog) == 420
    assert {POST_NAME_RE.fullmatch(p.name).group("code") for p in posts} == set(catalog.by_code)
    assert upstream.hits["/NewsData/GetNewsText.do"] == len(catalog)

    for path in posts:
        text = path.read_text(encoding="utf-8")
        assert not text.endswith("\n"), path.name
        doc = split_document(text)
        meta = doc.meta
        article = catalog.by_code[POST_NAME_RE.fullmatch(path.name).group("code")]
        assert list(meta) == ["layout", "title", "date", "categories", "tags"], path.name
        assert meta["layout"] == "post"
        assert meta["title"] == article.title
        # YAML reads ``+0800`` dates as strings; Jekyll parses them itself.
        assert DATE_RE.match(meta["date"]), path.name
        published = datetime.strptime(meta["date"], "%Y-%m-%d %H:%M:%S %z")
        assert published.strftime("%Y-%m-%d %H:%M:%S") == article.showtime
        assert path.name.startswith(article.showtime[:10])
        assert is_safe_slug(meta["categories"])
        if article.kind == "flash":
            assert meta["categories"] == "emnews" and meta["tags"] == "东财滚动新闻"
            assert doc.body.startswith("> ")
        else:
            assert meta["tags"] == f"{article.source}新闻"
            assert f"?infoCode={article.info_code}>" in doc.body
        assert doc.body.rsplit("\n\n", 1)[1].startswith("[返回")
        page = archive_dir / "category" / f"{meta['categories']}.html"
        assert page.is_file(), page
        assert split_document(page.read_text(encoding="utf-8")).meta["title"] == meta["tags"]

    assert leftover_temp_files(archive_dir) == []
    assert "newsmirror summary (finished)" in result.log
    assert "archived 420 new, 0 updated, 0 unchanged; skipped 0; failed 0" in result.log
    assert "list market38: ok, listed 60" in result.log


def test_second_run_rewrites_nothing(upstream: UpstreamServer, archive_dir: Path) -> None:
    def archive_mtimes() -> dict[Path, int]:
        # The lock and its owner note are one machine's run state, not archive content.
        local = {archive_dir / ".newsmirror" / "lock", archive_dir / ".newsmirror" / "lock.owner"}
        return {
            p: p.stat().st_mtime_ns
            for p in archive_dir.rglob("*")
            if p.is_file() and p not in local
        }

    assert crawl_eastmoney(upstream, archive_dir, "-a", "lists=media").returncode == 0
    mtimes = archive_mtimes()
    result = crawl_eastmoney(upstream, archive_dir, "-a", "lists=media")
    assert result.returncode == 0
    assert archive_mtimes() == mtimes
    assert "archived 0 new, 0 updated, 0 unchanged" in result.log
    assert "already archived 8" in result.log


def test_scrapy_list_shows_the_spider() -> None:
    result = run_scrapy("list", timeout=60)
    assert result.returncode == 0
    assert "eastmoney" in result.log.split()


def test_demo_command_archives_the_embedded_upstream(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "newsmirror.cli", "demo", "--out", str(out), "--articles", "25"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "archived 145 new" in proc.stdout
    assert f"archive: {out}" in proc.stdout
    assert len(list((out / "_posts").glob("*.md"))) == 145
