"""DetectNearDuplicatesPipeline: each NEAR_DUPLICATE_POLICY on real corpus twins, in both
arrival orders, through every pipeline stage into a temp archive."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem

from newsmirror import signals as nm_signals
from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.listing import post_files
from newsmirror.items import Article
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.summary import summarize
from newsmirror.testing.catalog import UpstreamArticle, corpus_articles
from newsmirror.testing.offline import OfflineCrawl

from .archive_helpers import index_of

FETCHED = datetime(2022, 6, 15, 8, 0, tzinfo=SHANGHAI)
#: A flash item and its media twin: same story, same time, two codes; the flash code
#: is the smaller one, so it is the first copy.
FIRST, LATER = "202201072239307540", "NW202201072239307540"
#: The 离岸人民币 6.3512 pair: one sentence each, too short to be declared.
SHORT = ("202112082206672930", "202112082206781916")
CORPUS = {a.code: a for a in corpus_articles()}


def article(code: str) -> Article:
    """The item the eastmoney spider makes of a corpus record."""
    record: UpstreamArticle = CORPUS[code]
    return Article(
        code=record.code,
        list_kind=record.kind,
        list_name=record.kind,
        title=record.title,
        published_raw=record.showtime,
        source_name=record.source,
        body_html=record.body,
        digest=record.digest,
        source_url=record.url_w or f"http://h/NewsShare.html?infoCode={record.info_code}",
        info_code=record.info_code,
        fetched_at=FETCHED,
    )


class Run:
    """One offline crawl into ``archive`` with the given policy."""

    def __init__(self, archive: Path, policy: str, **settings: Any) -> None:
        self.crawl = OfflineCrawl(
            EastmoneySpider,
            {
                "ARCHIVE_DIR": str(archive),
                "ARCHIVE_FSYNC": False,
                "UPSTREAM_BASE": "http://127.0.0.1:9",
                "NEAR_DUPLICATE_POLICY": policy,
                **settings,
            },
        )
        self.skipped: list[dict[str, str]] = []
        self.crawl.crawler.signals.connect(self._skipped, signal=nm_signals.article_skipped)

    def _skipped(self, code: str, list_name: str, reason: str) -> None:
        self.skipped.append({"code": code, "list_name": list_name, "reason": reason})

    def feed(self, *codes: str) -> list[str]:
        """Process the articles in this order; the reasons of those dropped."""
        dropped = []
        for code in codes:
            try:
                self.crawl.process(article(code))
            except DropItem as exc:
                dropped.append(str(exc))
        return dropped

    @property
    def stats(self) -> dict[str, Any]:
        return self.crawl.stats

    def close(self) -> None:
        self.crawl.close()


def post_meta(archive: Path, code: str) -> dict[str, Any]:
    [file] = [f for f, c in post_files(archive).items() if c == code]
    return split_document((archive / file).read_text(encoding="utf-8")).meta


@pytest.mark.parametrize("order", [(FIRST, LATER), (LATER, FIRST)])
def test_keep_archives_both_and_links_the_later_copy_in_the_index(
    tmp_path: Path, order: tuple[str, str]
) -> None:
    run = Run(tmp_path, "keep")
    assert run.feed(*order) == []
    run.close()
    assert set(post_files(tmp_path).values()) == {FIRST, LATER}
    assert "near_duplicate_of" not in post_meta(tmp_path, LATER)
    index = index_of(tmp_path)
    assert (index[LATER].near_duplicate_of, index[FIRST].near_duplicate_of) == (FIRST, "")
    assert index[LATER].fingerprint == index[FIRST].fingerprint != ""
    assert run.stats["newsmirror/neardup/found"] == 1
    assert run.stats.get("newsmirror/neardup/linked", 0) == (order[1] == LATER)
    assert run.stats.get("newsmirror/neardup/relinked", 0) == (order[0] == LATER)


def test_skip_drops_a_later_copy_naming_both_codes(tmp_path: Path) -> None:
    run = Run(tmp_path, "skip")
    [reason] = run.feed(FIRST, LATER)
    run.close()
    assert reason == f"article {LATER!r} (media): near-duplicate of {FIRST!r} (similarity 1.00)"
    assert set(post_files(tmp_path).values()) == {FIRST}
    assert set(index_of(tmp_path)) == {FIRST}
    summary = summarize(run.stats)
    assert (summary.created, summary.dropped) == (1, {"near_duplicate": 1})


def test_skip_removes_a_later_copy_written_earlier_in_the_same_run(tmp_path: Path) -> None:
    run = Run(tmp_path, "skip")
    assert run.feed(LATER, FIRST) == []
    run.close()
    assert set(post_files(tmp_path).values()) == {FIRST}
    assert set(index_of(tmp_path)) == {FIRST}
    assert run.skipped == [
        {
            "code": LATER,
            "list_name": "media",
            "reason": f"near-duplicate of {FIRST!r}, which was published first",
        }
    ]
    summary = summarize(run.stats)
    assert (summary.created, summary.dropped) == (1, {"near_duplicate": 1})
    assert summary.lists["media"].created == 0
    assert run.stats["newsmirror/neardup/replaced"] == 1


def test_skip_never_removes_a_post_of_an_earlier_run(tmp_path: Path) -> None:
    first_run = Run(tmp_path, "skip")
    first_run.feed(LATER)
    first_run.close()
    second = Run(tmp_path, "skip")
    assert second.feed(FIRST) == []
    second.close()
    assert set(post_files(tmp_path).values()) == {FIRST, LATER}
    assert index_of(tmp_path)[LATER].near_duplicate_of == FIRST
    assert second.skipped == []


def test_skip_does_not_drop_an_archived_article_fetched_again(tmp_path: Path) -> None:
    first_run = Run(tmp_path, "keep")
    first_run.feed(FIRST, LATER)
    first_run.close()
    refresh = Run(tmp_path, "skip", ARCHIVE_REFRESH=True)
    assert refresh.feed(LATER, FIRST) == []
    refresh.close()
    assert set(post_files(tmp_path).values()) == {FIRST, LATER}
    assert refresh.stats["newsmirror/archive/unchanged"] == 2


@pytest.mark.parametrize("order", [(FIRST, LATER), (LATER, FIRST)])
def test_tag_names_the_first_copy_after_tags(tmp_path: Path, order: tuple[str, str]) -> None:
    run = Run(tmp_path, "tag")
    assert run.feed(*order) == []
    run.close()
    later, first = post_meta(tmp_path, LATER), post_meta(tmp_path, FIRST)
    assert list(later) == ["layout", "title", "date", "categories", "tags", "near_duplicate_of"]
    assert later["near_duplicate_of"] == FIRST
    assert list(first) == ["layout", "title", "date", "categories", "tags"]
    index = index_of(tmp_path)
    assert (index[LATER].near_duplicate_of, index[FIRST].near_duplicate_of) == (FIRST, "")
    assert run.stats.get("newsmirror/neardup/tagged", 0) == (order[1] == LATER)


def test_short_texts_are_archived_whatever_the_policy(tmp_path: Path) -> None:
    run = Run(tmp_path, "skip")
    assert run.feed(*SHORT) == []
    run.close()
    assert set(post_files(tmp_path).values()) == set(SHORT)
    assert run.stats["newsmirror/neardup/short"] == 2
    assert all(e.near_duplicate_of == "" for e in index_of(tmp_path).values())
    # With no minimum, the pair (the same story) is one.
    loose = Run(tmp_path / "loose", "skip", NEAR_DUPLICATE_MIN_CHARS=0)
    assert len(loose.feed(*SHORT)) == 1
    loose.close()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NEAR_DUPLICATE_POLICY", "drop", "NEAR_DUPLICATE_POLICY must be one of"),
        ("NEAR_DUPLICATE_THRESHOLD", "1.5", "NEAR_DUPLICATE_THRESHOLD"),
        ("NEAR_DUPLICATE_MIN_CHARS", "-3", "NEAR_DUPLICATE_MIN_CHARS"),
    ],
)
def test_bad_settings_stop_the_crawl_at_start(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Run(tmp_path, "keep", **{name: value})
