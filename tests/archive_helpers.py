"""Helpers for the archive index tests: posts made without a crawl, counted post reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from newsmirror.archive import reader
from newsmirror.archive.index import IndexEntry
from newsmirror.archive.post import PostContent
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.store import ArchiveStore
from newsmirror.archive.writer import ArchiveWriter, WriteResult
from newsmirror.normalize.dates import SHANGHAI

SITE = "//finews.withounder.com"


def make_post(
    code: str,
    when: str = "2022-05-29 00:02:28",
    *,
    title: str = "",
    body: str = "",
    digest: str = "",
    source: str = "四川新闻网",
) -> PostContent:
    """A media post (a flash post when ``digest`` is given) of article ``code``."""
    flash = bool(digest)
    category, category_title = (
        ("emnews", "东财滚动新闻") if flash else ("sichuanxinwenwang", f"{source}新闻")
    )
    return PostContent(
        code=code,
        title=title or f"标题 {code}",
        published=datetime.strptime(when, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI),
        category=category,
        category_title=category_title,
        tags=(category_title,),
        body_html=body or f"<p>正文 {code}。</p>",
        digest=digest,
        source_url=f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}",
    )


def store_posts(
    root: Path, posts: list[PostContent], *, list_kind: str = "media"
) -> list[tuple[Path, WriteResult]]:
    """Archive ``posts`` as a run would (lock, index, journal), then close."""
    with ArchiveState.open(root, fsync=False) as state:
        store = ArchiveStore(ArchiveWriter(root, SITE, fsync=False), state)
        return [store.store(post, list_kind=list_kind) for post in posts]


def index_of(root: Path) -> dict[str, IndexEntry]:
    """The index as a fresh start-up sees it."""
    with ArchiveState.open(root, fsync=False) as state:
        return {e.code: e for e in state.entries()}


@contextmanager
def counted_post_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every post file the index code reads, in order."""
    reads: list[str] = []
    real = reader.read_entry

    def counting(root: Path, file: str) -> IndexEntry:
        reads.append(file)
        return real(root, file)

    with monkeypatch.context() as patch:
        patch.setattr(reader, "read_entry", counting)
        yield reads
