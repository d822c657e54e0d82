"""``scrapy crawl eastmoney`` of an upstream where several codes carry the same story,
with NEAR_DUPLICATE_POLICY=skip and =tag."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from newsmirror.archive.consistency import find_problems
from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.listing import post_files
from newsmirror.testing.catalog import Catalog, corpus_articles
from newsmirror.testing.server import UpstreamServer

from .archive_helpers import index_of
from .conftest import crawl_eastmoney

pytestmark = pytest.mark.slow

#: A flash item and its media twin (same time; the flash code is smaller: first copy).
TWIN_FIRST, TWIN_LATER = "202201072239307540", "NW202201072239307540"
#: The 央行 report: flash item (first copy), media twin, and a copy another outlet
#: syndicated 37 minutes later under its own code.
REPORT_FIRST = "202205302396506117"
REPORT_LATER = ("NW202205302396506117", "NW202205302396999001")
#: Different stories.
OTHERS = ("NW202205292395331423", "NW202205312398034850", "202112082206672930")


def catalog() -> Catalog:
    corpus = {a.code: a for a in corpus_articles()}
    report = corpus["NW202205302396506117"]
    syndicated = replace(
        report,
        code="NW202205302396999001",
        source="证券时报",
        showtime="2022-05-30 18:10:00",
        body=report.body.replace("（文章来源：央行网站）", "（文章来源：证券时报）"),
    )
    codes = [TWIN_FIRST, TWIN_LATER, REPORT_FIRST, REPORT_LATER[0], *OTHERS]
    return Catalog([*(corpus[c] for c in codes), syndicated])


def crawl(upstream_factory: Callable[..., UpstreamServer], archive: Path, policy: str) -> str:
    upstream = upstream_factory(catalog=catalog())
    result = crawl_eastmoney(
        upstream, archive, "-a", "lists=media,flash", "-s", f"NEAR_DUPLICATE_POLICY={policy}"
    )
    assert result.returncode == 0, result.log[-3000:]
    assert find_problems(archive) == []
    return result.log


def test_skip_archives_each_story_once(upstream_factory, archive_dir: Path) -> None:
    log = crawl(upstream_factory, archive_dir, "skip")
    assert set(post_files(archive_dir).values()) == {TWIN_FIRST, REPORT_FIRST, *OTHERS}
    assert set(index_of(archive_dir)) == {TWIN_FIRST, REPORT_FIRST, *OTHERS}
    assert "archived 5 new, 0 updated, 0 unchanged; skipped 3;" in log
    assert "skipped 3: near_duplicate" in log
    # Whichever copy arrived first, the first copy is archived in the end; a later copy
    # dropped on arrival names the copy archived then.
    for later in (TWIN_LATER, *REPORT_LATER):
        assert f"near-duplicate: {later} is a later copy of " in log
        assert f"skipped {later} (media): " in log  # the summary's problem line


def test_tag_names_the_first_copy_in_each_later_copy(upstream_factory, archive_dir: Path) -> None:
    log = crawl(upstream_factory, archive_dir, "tag")
    links = {TWIN_LATER: TWIN_FIRST, **dict.fromkeys(REPORT_LATER, REPORT_FIRST)}
    files = post_files(archive_dir)
    assert sorted(files.values()) == sorted([TWIN_FIRST, REPORT_FIRST, *links, *OTHERS])
    for file, code in files.items():
        meta = split_document((archive_dir / file).read_text(encoding="utf-8")).meta
        keys = ["layout", "title", "date", "categories", "tags"]
        if code in links:
            assert list(meta) == [*keys, "near_duplicate_of"], file
            assert meta["near_duplicate_of"] == links[code], file
        else:
            assert list(meta) == keys, file
    index = index_of(archive_dir)
    assert {c: e.near_duplicate_of for c, e in index.items() if e.near_duplicate_of} == links
    assert all(e.fingerprint.startswith("mh1:") for e in index.values())
    assert "archived 8 new, 0 updated, 0 unchanged; skipped 0;" in log
