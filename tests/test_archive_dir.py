"""ARCHIVE_DIR as the operator gives it: relative (to the working directory), with
``..``, spaces, quotes, format directives or non-ASCII characters. The operator chose
it, so it is used as given; nothing the upstream sends moves a file out of it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.catalog import Catalog
from newsmirror.testing.offline import OfflineCrawl
from newsmirror.testing.server import UpstreamServer

from .conftest import REPO, crawl_eastmoney
from .hostile import CASES, check_files, check_post, json_list, posts_by_code, upstream_article

#: Folder names an operator may well use (and a few a careless script may produce).
ODD_NAMES = ["金融 档案", "-x 'q' \"dq\"", "%s %(x)s {} $(id) `id`", "a\tb"]
#: A hostile article: a script in its body.
SAMPLE = next(case for case in CASES if case.id == "xss/body/script-plain")


def archive_one(archive: str | Path) -> None:
    """One article through the eastmoney spider and every pipeline into ``archive``."""
    case = SAMPLE
    article = upstream_article(case, 0)
    settings = {"UPSTREAM_BASE": "http://127.0.0.1:9", "ARCHIVE_DIR": str(archive)}
    crawl = OfflineCrawl(EastmoneySpider, {**settings, "ARCHIVE_FSYNC": False}, lists=case.kind)
    (text_request,) = crawl.call(crawl.spider.list_requests()[0], json_list([article], case.kind))
    text = Catalog([article]).text_for(article.info_code)
    (item,) = crawl.call(text_request, json.dumps(text))
    crawl.process(item)
    crawl.close()


@pytest.mark.parametrize("name", ODD_NAMES)
def test_a_relative_archive_dir_with_dots_is_resolved_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    monkeypatch.chdir(work)
    archive_one(Path("sub") / ".." / ".." / name)
    archive = tmp_path / name
    assert [p.name for p in (work / "sub").iterdir()] == []
    (post,) = check_files(tmp_path, archive, others=[work])
    check_post(post, upstream_article(SAMPLE, 0), archive)


@pytest.mark.slow
def test_scrapy_crawl_writes_into_a_relative_archive_dir(tmp_path: Path) -> None:
    archive = tmp_path / ODD_NAMES[1] / ODD_NAMES[0]
    # Relative to the crawl's working directory (the repository), through "made/..".
    relative = Path(os.path.relpath(tmp_path, REPO), "made", "..", *ODD_NAMES[1::-1])
    assert not relative.is_absolute()
    (tmp_path / "made").mkdir()
    with UpstreamServer(Catalog.build()) as upstream:
        result = crawl_eastmoney(
            upstream, relative, "-a", "lists=media", "-s", "ARCHIVE_FSYNC=False"
        )
    assert result.returncode == 0, result.log[-3000:]
    posts = posts_by_code((archive / "_posts").glob("*.md"))
    assert set(posts) == {a.code for a in Catalog.build().lists["media"]}
    assert (archive / ".newsmirror" / "index.jsonl").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["made", ODD_NAMES[1]])
    assert list((tmp_path / "made").iterdir()) == []
