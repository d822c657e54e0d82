"""The hostile-input corpus crawled for real, then built into a site by Jekyll.

Every case the fixture server can send (``tests/fixtures/hostile/``) is served at once
from a custom catalog; ``scrapy crawl eastmoney`` archives it; ``newsmirror
init-site`` and a strict ``jekyll build`` turn the archive into a site. Then: every
expected post and nothing else, no file outside ARCHIVE_DIR, no invalid code ever
requested, every refused record in the run report, every post's front matter plain,
its body inert; no warning from Jekyll, no script or event handler on any page, every
title rendered as the same characters, every feed well-formed XML.

Needs Debian's ``jekyll`` for the site half: skipped loudly where it is missing,
failed under ``CI=true`` (``test_site_build.jekyll_executable``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from parsel import Selector

from newsmirror import exitcodes
from newsmirror.archive.frontmatter import split_document
from newsmirror.testing.catalog import Catalog, UpstreamArticle
from newsmirror.testing.server import SHARE_PATH, TEXT_PATH, UpstreamServer

from .conftest import REPO, crawl_eastmoney
from .hostile import (
    CASES,
    FORBIDDEN_ELEMENTS,
    REJECTED_REASON,
    Case,
    check_files,
    check_post,
    expected_code,
    expected_title,
    posts_by_code,
    problem_codes,
    upstream_article,
)
from .test_site_build import assert_inert_html, jekyll_executable, problems

pytestmark = pytest.mark.slow

SITE_URL = "https://finews.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class HostileRun:
    root: Path
    archive: Path
    report: dict[str, Any]
    log: str
    returncode: int
    #: code -> (case, article) of every article that must be archived.
    expected: dict[str, tuple[Case, UpstreamArticle]]
    refused: list[tuple[Case, UpstreamArticle]]
    text_hits: int
    share_hits: int


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    """The corpus, served by the fixture upstream and crawled into a fresh archive."""
    served = [(case, upstream_article(case, n)) for n, case in enumerate(CASES) if case.e2e]
    root = tmp_path_factory.mktemp("hostile")
    archive, report_path = root / "archive", tmp_path_factory.mktemp("report") / "run.json"
    with UpstreamServer(Catalog(article for _, article in served)) as upstream:
        result = crawl_eastmoney(
            upstream,
            archive,
            "-a", "lists=media,flash",  # the corpus has no market news
            "-s", "ARCHIVE_FSYNC=False",
            "-s", f"SITE_BASE={SITE_URL}",
            "-s", f"SUMMARY_FILE={report_path}",
            timeout=120,
        )  # fmt: skip
        text_hits, share_hits = upstream.hits[TEXT_PATH], upstream.hits[SHARE_PATH]
    expected = {
        expected_code(article): (case, article) for case, article in served if case.archived
    }
    return HostileRun(
        root=root,
        archive=archive,
        report=json.loads(report_path.read_text(encoding="utf-8")),
        log=result.log,
        returncode=result.returncode,
        expected=expected,
        refused=[(case, article) for case, article in served if not case.archived],
        text_hits=text_hits,
        share_hits=share_hits,
    )


def test_the_crawl_archives_every_hostile_article_safely(run: HostileRun) -> None:
    assert run.returncode == exitcodes.OK, run.log[-3000:]
    assert "Traceback" not in run.log
    posts = posts_by_code(check_files(run.root, run.archive))
    assert set(posts) == set(run.expected)
    for code, (case, article) in run.expected.items():
        try:
            check_post(posts[code], article, run.archive)
        except AssertionError as exc:
            raise AssertionError(f"{case.id}: {exc}") from exc
    # Only valid codes were ever put into a URL: one text request per archived article.
    assert run.text_hits == len(run.expected) and run.share_hits == 0
    assert run.report["failed"] == 0 and run.report["exit_code"] == exitcodes.OK


def test_every_refused_record_is_in_the_run_report(run: HostileRun) -> None:
    assert len(run.refused) >= 20
    skipped = problem_codes(run.report, "skipped")
    for case, article in run.refused:
        shown = repr(article.code.strip()[:60])
        assert skipped.get(shown) == REJECTED_REASON, (case.id, shown)
    assert run.report["lists"]["flash"]["rejected"] == len(run.refused)


# -- the site ------------------------------------------------------------------------------


@dataclass
class HostileSite:
    run: HostileRun
    out: Path
    log: str


@pytest.fixture(scope="module")
def site(run: HostileRun, tmp_path_factory: pytest.TempPathFactory) -> HostileSite:
    """The crawled archive given a site by ``init-site`` and built by Jekyll."""
    jekyll = jekyll_executable()
    assert run.returncode == exitcodes.OK, run.log[-3000:]
    init = subprocess.run(
        [sys.executable, "-m", "newsmirror.cli", "init-site", str(run.archive), "--url", SITE_URL],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    out = tmp_path_factory.mktemp("hostile-site") / "site"
    command = [jekyll, "build", "--strict_front_matter", "--trace"]
    proc = subprocess.run(
        [*command, "--source", str(run.archive), "--destination", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    return HostileSite(run, out, log)


def post_url(meta: dict[str, Any], code: str) -> str:
    """Where Jekyll's ``permalink: date`` puts a post."""
    date = datetime.strptime(meta["date"], "%Y-%m-%d %H:%M:%S %z")
    return f"/{meta['categories'].lower()}/{date:%Y/%m/%d}/{code}.html"


def test_the_build_is_clean_and_no_page_runs_anything(site: HostileSite) -> None:
    assert problems(site.log) == [], site.log
    pages = sorted(site.out.rglob("*.html"))
    assert len(pages) > len(site.run.expected)
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert_inert_html(html, path.relative_to(site.out))
        doc = Selector(text=html)
        # The layouts hold no script; the article markup is confined to div.body.
        assert doc.xpath("//script").getall() == [], path
        for element in doc.css("div.body *"):
            tag = element.root.tag
            assert tag not in FORBIDDEN_ELEMENTS, (path, tag)


def test_every_post_renders_its_title_as_the_same_characters(site: HostileSite) -> None:
    posts = posts_by_code((site.run.archive / "_posts").glob("*.md"))
    for code, (case, article) in site.run.expected.items():
        meta = split_document(posts[code].read_text(encoding="utf-8")).meta
        path = site.out / post_url(meta, code).lstrip("/")
        assert path.is_file(), (case.id, path)
        doc = Selector(text=path.read_text(encoding="utf-8"))
        title = expected_title(article)
        assert doc.css("h1.title::text").get() == title, case.id
        assert doc.css("h1.title *").getall() == [], case.id
        assert doc.css("title::text").get() == f"{title} | 金融消息", case.id
        for href in doc.css("div.body a::attr(href), div.body img::attr(src)").getall():
            assert href.startswith(("http://", "https://")), (case.id, href)
        body_text = "".join(doc.css("div.body ::text").getall())
        assert f"安全正文{CASES.index(case)}" in body_text, case.id


def test_every_feed_is_well_formed_and_inert(site: HostileSite) -> None:
    feeds = sorted((site.out / "feeds").glob("*.xml"))
    assert feeds
    for path in feeds:
        feed = etree.fromstring(path.read_bytes())  # raises on a character XML refuses
        for content in feed.iter(f"{ATOM}content"):
            assert_inert_html(content.text or "", path.name)
            fragment = Selector(text=content.text or "<p></p>")
            for element in fragment.css("body *"):
                assert element.root.tag not in FORBIDDEN_ELEMENTS, (path.name, element.root.tag)
