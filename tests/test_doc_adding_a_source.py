"""docs/adding-a-source.md, done: every step of the walk-through on a copy of the package.

The copy sits first on ``PYTHONPATH``, so the commands the doc gives (``newsmirror
new-source``, the source test, ``scrapy list`` / ``check``) run against it, not against
the working tree. Each command run here must appear in the doc as written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = pytest.mark.slow

DOC = (REPO / "docs" / "adding-a-source.md").read_text(encoding="utf-8")
NAME = "huaxiacaijing"
BASE = "https://www.huaxiacaijing.example"

SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>{BASE}/article/20240315/88231.html</loc>
    <news:news>
    <news:publication_date>2024-03-15T10:12:00+08:00</news:publication_date>
    <news:title>一季度新增专项债发行提速</news:title></news:news></url>
  <url><loc>{BASE}/live/20240315/live-1.html</loc></url>
  <url><loc>{BASE}/article/20240316/88310.html</loc>
    <news:news>
    <news:publication_date>2024-03-16T08:00:00+08:00</news:publication_date>
    <news:title>多家银行下调大额存单利率</news:title></news:news></url>
</urlset>
"""
ARTICLE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>一季度新增专项债发行提速 - 华夏财经</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/macro/">宏观</a></div>
<div class="detail"><h1 class="detail-title">一季度新增专项债发行提速</h1>
<p class="detail-info"><span class="detail-time">2024-03-15 10:12</span> 华夏财经</p>
<div class="detail-body"><p>　　财政部数据显示，截至3月15日，
今年新增地方政府专项债券发行规模已超过6000亿元。</p>
<div class="detail-ad">广告位</div>
<p>　　业内人士认为，专项债发行提速有助于稳投资。</p></div></div>
<div class="foot">华夏财经 版权所有</div></body></html>
"""
GBK_ARTICLE = """<html><head><meta charset=gbk><title>多家银行下调大额存单利率</title>
<meta property="og:title" content="多家银行下调大额存单利率">
<meta property="article:published_time" content="2024-03-16T08:00:00+08:00"></head><body>
<div class="detail"><h1 class="detail-title">多家银行下调大额存单利率</h1>
<div class="detail-body"><p>　　记者注意到，近期多家银行下调了大额存单利率，
三年期产品利率普遍降至2.6%以下。</p></div>
</div></body></html>
"""


def in_doc(command: str) -> str:
    """``command`` as the doc writes it (the test runs only what the doc says)."""
    assert command in DOC, f"docs/adding-a-source.md no longer says: {command}"
    return command


def test_the_walk_through(tmp_path: Path) -> None:
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copytree(
        REPO / "newsmirror", work / "newsmirror", ignore=shutil.ignore_patterns("__pycache__")
    )
    (work / "tests").mkdir()
    shutil.copy(REPO / "tests" / "test_sources.py", work / "tests")
    for name in ("scrapy.cfg", "pyproject.toml"):
        shutil.copy(REPO / name, work)
    env = {**os.environ, "PYTHONPATH": str(work), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("SCRAPY_SETTINGS_MODULE", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    folder = work / "newsmirror" / "testing" / "data" / "sources" / NAME
    module = work / "newsmirror" / "sources" / "publishers" / f"{NAME}.py"

    # 1. Scaffold; the source test fails until the source is filled in.
    command = in_doc(f"newsmirror new-source {NAME} --outlet 华夏财经 --base-url {BASE}")
    made = run("-m", "newsmirror.cli", *command.split()[1:])
    assert made.returncode == 0, made.stderr
    assert module.is_file() and (folder / "fixture.json").is_file()
    assert run("-m", "newsmirror.cli", *command.split()[1:]).returncode == 2  # exists now
    # The operator's command, without pytest's cache folder (not part of the source).
    test = [*in_doc(f"pytest tests/test_sources.py -k {NAME}").split(), "-p", "no:cacheprovider"]
    failing = run("-m", *test)
    assert failing.returncode == 1, failing.stdout[-2000:]
    assert "no stored response for https://www.huaxiacaijing.example/rss.xml" in failing.stdout
    assert "caijingdaily" not in failing.stdout  # -k selects the new source only

    # 2. Store pages (a news sitemap, an article, a GBK article) and list them.
    assert "site/sitemap_news.xml" in DOC
    pages = {
        "sitemap_news.xml": (SITEMAP.encode(), "application/xml; charset=utf-8"),
        "article/20240315/88231.html": (ARTICLE.encode(), "text/html; charset=utf-8"),
        "article/20240316/88310.html": (GBK_ARTICLE.encode("gbk"), "text/html"),
    }
    manifest = json.loads((folder / "fixture.json").read_text(encoding="utf-8"))
    for path, (body, content_type) in pages.items():
        (folder / "site" / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / "site" / path).write_bytes(body)
        manifest["responses"].append(
            {
                "url": f"{BASE}/{path}",
                "file": f"site/{path}",
                "headers": {"Content-Type": content_type},
            }
        )
    manifest["contracts"] = {
        "parse_index": f"{BASE}/sitemap_news.xml",
        "parse_article": f"{BASE}/article/20240315/88231.html",
    }
    assert json.dumps(manifest["contracts"]["parse_article"]) in DOC
    (folder / "fixture.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8"
    )

    # 3. Declare the source: discovery and the page's queries.
    source = module.read_text(encoding="utf-8")
    for attribute, value in [
        ("index_paths", '("/sitemap_news.xml",)'),
        ("article_paths", r'r"/article/\d{8}/\d+\.html"'),
        ("code_prefix", '"HXCJ"'),
        ("code_pattern", r'r"/article/(\d{8})/(\d+)\.html$"'),
        ("title_query", 'css("h1.detail-title")'),
        ("published_query", 'css("span.detail-time")'),
        ("body_query", 'css("div.detail-body")'),
        ("drop_query", 'css("div.detail-ad")'),
    ]:
        assert f"`{attribute}`" in DOC
        source, count = re.subn(
            rf"(?m)^(    {attribute} = ).*$", lambda m, value=value: m.group(1) + value, source
        )
        assert count == 1, attribute
    module.write_text(source, encoding="utf-8")

    # 4. Check what comes out, field by field, and keep it as expected.json.
    shown = run("-m", *in_doc(f"python -m newsmirror.testing.source_fixtures {NAME}").split()[2:])
    assert shown.returncode == 0, shown.stderr
    items = json.loads(shown.stdout)
    assert [(i["code"], i["title"], i["published_raw"]) for i in items] == [
        ("HXCJ2024031588231", "一季度新增专项债发行提速", "2024-03-15 10:12"),
        ("HXCJ2024031688310", "多家银行下调大额存单利率", "2024-03-16T08:00:00+08:00"),
    ]
    first, second = (i["body_html"] for i in items)
    assert "专项债发行提速有助于稳投资" in first and "广告位" not in first
    assert "版权所有" not in first and "<h1" not in first
    assert second.startswith("<p>　　记者注意到")
    assert {(i["source_name"], i["list_name"], i["list_kind"]) for i in items} == {
        ("华夏财经", NAME, "publisher")
    }
    (folder / "expected.json").write_text(shown.stdout, encoding="utf-8")

    # 5. The checks pass.
    passing = run("-m", *test)
    assert passing.returncode == 0, passing.stdout[-3000:]
    listed = run("-m", "scrapy", *in_doc("scrapy list").split()[1:])
    assert NAME in listed.stdout.split()
    checked = run(
        "-m",
        "scrapy",
        *in_doc(f"scrapy check {NAME}").split()[1:],
        "-s",
        f"ARCHIVE_DIR={tmp_path / 'check'}",
        "-v",
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Ran 3 contracts" in checked.stderr + checked.stdout

    # 7. Only the source's own module and folder were touched.
    changed = {
        p.relative_to(work).as_posix()
        for p in work.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not (REPO / p.relative_to(work)).is_file()
    }
    assert changed == {
        f"newsmirror/sources/publishers/{NAME}.py",
        *(f"newsmirror/testing/data/sources/{NAME}/{f}" for f in ("fixture.json", "expected.json")),
        *(f"newsmirror/testing/data/sources/{NAME}/site/{p}" for p in pages),
    }
