"""``newsmirror export``: an existing archive's posts as the crawl's article records.

The end-to-end tests crawl the fixture upstream with ``-O items.jsonl`` and check that
the export of the archive holds the same records, one per post (old_post/ included).
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from newsmirror import cli, exitcodes
from newsmirror.archive import reader
from newsmirror.archive.atomic import atomic_open, leftover_temp_files
from newsmirror.archive.export import export_records, record_from_post
from newsmirror.archive.index import ENTRY_KEYS, INDEX_NAME
from newsmirror.archive.lock import ArchiveLock, ArchiveLocked
from newsmirror.archive.paths import STATE_DIR, post_name
from newsmirror.archive.post import PostContent, render_post
from newsmirror.archive.reader import entry_from_text
from newsmirror.archive.records import LIST_KINDS, ArticleRecord, article_record
from newsmirror.archive.rotation import rotate
from newsmirror.archive.shared import SharedArchiveState
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.store import ArchiveStore
from newsmirror.archive.writer import ArchiveWriter
from newsmirror.items import AGGREGATOR_EASTMONEY, LIST_PUBLISHER, UNKNOWN_SOURCE
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.normalize.html import BodyCleaner
from newsmirror.normalize.text import clean_title
from newsmirror.testing.server import UpstreamServer

from .archive_helpers import SITE, make_post
from .conftest import REPO, crawl_eastmoney, run_scrapy

SCHEMA_PATH = REPO / "docs" / "items.schema.json"
MEDIA = "NW202205292395331423"
FLASH = "202205262391921712"
MARKET = "NW202112082206672930"
FLASH_URL = "http://finance.eastmoney.com/a/202205262391921712.html"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def assert_valid(validator: Draft202012Validator, records: list[dict[str, Any]]) -> None:
    for record in records:
        errors = [e.message for e in validator.iter_errors(record)]
        assert errors == [], (record["code"], errors)


# -- one post read back ------------------------------------------------------------------
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from("\u2028{%*_`\\[]&<>"))
_URLS = st.one_of(
    st.sampled_from(["", "javascript:alert(1)", "HTTP://H/a", f"https://h/{MEDIA}"]),
    st.builds("http://h/{}".format, _TEXT),
)
_CLEANER = BodyCleaner(fullwidth_to_ascii=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=_TEXT.map(clean_title).filter(bool),
    digest=_TEXT.map(clean_title),
    body=_TEXT.map(lambda text: _CLEANER.clean(f"<p>{text}</p>").html),
    source_url=_URLS,
    original_url=_URLS,
    outlet=st.sampled_from(["", "四川新闻网", "未知来源", 'A: "b" #c']),
    list_kind=st.sampled_from(sorted(LIST_KINDS)),
    link=st.sampled_from(["", "202205302396506117", "NW202205302396506117"]),
    shown=st.booleans(),
    published=st.datetimes(
        min_value=datetime(1990, 1, 2),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, SHANGHAI, timezone(timedelta(hours=-5))]),
    ),
)
def test_a_post_reads_back_to_the_record_of_its_article(
    title: str,
    digest: str,
    body: str,
    source_url: str,
    original_url: str,
    outlet: str,
    list_kind: str,
    link: str,
    shown: bool,
    published: datetime,
) -> None:
    aggregator = "" if list_kind == LIST_PUBLISHER else AGGREGATOR_EASTMONEY
    # As AttributeSourcePipeline files it: flash news under emnews, other articles
    # under their outlet, or 未知来源 when they name none.
    tag = "东财滚动新闻" if list_kind == "flash" else f"{outlet or UNKNOWN_SOURCE}新闻"
    post = PostContent(
        code=MEDIA,
        title=title,
        published=published,
        category="emnews" if list_kind == "flash" else "sichuanxinwenwang",
        category_title=tag,
        tags=(tag,),
        body_html=body,
        digest=digest,
        source_url=source_url,
        near_duplicate_of=link if shown else "",  # NEAR_DUPLICATE_POLICY=tag shows it
    )
    expected = article_record(
        code=MEDIA,
        title=title,
        published=published,
        outlet=outlet,
        aggregator=aggregator,
        original_url=original_url,
        category=post.category,
        tags=list(post.tags),
        body_html=body,
        digest=digest,
        source_url=source_url,
        list_kind=list_kind,
        near_duplicate_of=link,
    )
    file = f"_posts/{post_name(MEDIA, published)}"
    text = render_post(post, SITE)
    # What the writer pipeline records in the index for this article.
    recorded = entry_from_text(
        file,
        text,
        list_kind=list_kind,
        source=outlet,
        original_url=original_url,
        aggregator=aggregator,
        near_duplicate_of=link,
    )
    assert record_from_post(file, text, recorded) == expected
    assert recorded.content_hash == expected["content_hash"]


def test_index_lines_from_before_aggregator_was_recorded_infer_it() -> None:
    post = make_post(MEDIA)
    file = f"_posts/{post_name(MEDIA, post.published)}"
    text = render_post(post, SITE)
    eastmoney = record_from_post(file, text, entry_from_text(file, text, list_kind="market"))
    assert eastmoney["aggregator"] == AGGREGATOR_EASTMONEY
    publisher = record_from_post(file, text, entry_from_text(file, text, list_kind="publisher"))
    assert publisher["aggregator"] is None


# -- an archive --------------------------------------------------------------------------
def flash_post() -> PostContent:
    """A flash post with only a digest, as most flash items are."""
    return replace(
        make_post(FLASH, "2022-05-26 09:41:00", digest="摘要 *强调* {{ x }}（上海证券报）"),
        body_html="",
        source_url=FLASH_URL,
    )


def expected_record(post: PostContent, list_kind: str, outlet: str, original_url: str = ""):
    """The record the crawl's exporter gives for ``post``'s article."""
    return article_record(
        code=post.code,
        title=post.title,
        published=post.published,
        outlet=outlet,
        aggregator=AGGREGATOR_EASTMONEY,
        original_url=original_url,
        category=post.category,
        tags=list(post.tags),
        body_html=post.body_html,
        digest=post.digest,
        source_url=post.source_url,
        list_kind=list_kind,
    )


@pytest.fixture
def archive(tmp_path: Path) -> tuple[Path, list[ArticleRecord]]:
    """A media, a flash and a market post (rotated to old_post/), and their records."""
    root = tmp_path / "archive"
    media, flash = make_post(MEDIA), flash_post()
    market = make_post(MARKET, "2021-12-08 10:46:18", source="上海证券报")
    with ArchiveState.open(root, fsync=False) as state:
        store = ArchiveStore(ArchiveWriter(root, SITE, fsync=False), state)
        store.store(media, list_kind="media", source="四川新闻网", aggregator=AGGREGATOR_EASTMONEY)
        store.store(
            flash,
            list_kind="flash",
            source="上海证券报",
            original_url=FLASH_URL,
            aggregator=AGGREGATOR_EASTMONEY,
        )
        store.store(
            market, list_kind="market", source="上海证券报", aggregator=AGGREGATOR_EASTMONEY
        )
        assert rotate(state, 30, date(2022, 6, 1)) == [f"old_post/2021-12-08-{MARKET}.md"]
    records = [  # by publication time
        expected_record(market, "market", "上海证券报"),
        expected_record(flash, "flash", "上海证券报", FLASH_URL),
        expected_record(media, "media", "四川新闻网"),
    ]
    return root, records


def export(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["export", *args])
    out, err = capsys.readouterr()
    return code, out, err


def lines(records: list[ArticleRecord]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_export_writes_every_posts_record_in_publication_order(
    archive: tuple[Path, list[ArticleRecord]],
    capsys: pytest.CaptureFixture[str],
    validator: Draft202012Validator,
) -> None:
    root, records = archive
    code, out, err = export(str(root), "--format", "jsonl", capsys=capsys)
    assert (code, out) == (exitcodes.OK, lines(records))
    assert "3 record(s)" in err
    exported = [json.loads(line) for line in out.splitlines()]
    assert_valid(validator, exported)
    assert exported[1]["digest"] == "摘要 *强调* {{ x }}（上海证券报）"  # its only text
    assert exported[1]["outlet"] == "上海证券报"  # recorded: a flash post does not show it


def test_export_to_a_file_replaces_it_atomically(
    archive: tuple[Path, list[ArticleRecord]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root, records = archive
    target = tmp_path / "items.jsonl"
    target.write_text("old\n", encoding="utf-8")
    code, out, _ = export(str(root), "-o", str(target), capsys=capsys)
    assert (code, out) == (exitcodes.OK, "")
    assert target.read_text(encoding="utf-8") == lines(records)
    assert leftover_temp_files(tmp_path) == []
    missing = tmp_path / "no-such-folder" / "items.jsonl"
    code, _, err = export(str(root), "-o", str(missing), capsys=capsys)
    assert code == exitcodes.ERROR and "cannot write" in err
    assert not missing.parent.exists()


def test_a_failed_atomic_output_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "items.jsonl"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), atomic_open(target, fsync=False) as out:
        out.write(b"half a record")
        raise RuntimeError("the export died")
    assert target.read_bytes() == b"old\n"
    assert leftover_temp_files(tmp_path) == []


def test_posts_that_cannot_be_exported_are_named_and_the_rest_exported(
    archive: tuple[Path, list[ArticleRecord]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root, records = archive
    broken = {
        # Front matter that is not YAML (an old-generator title with raw quotes).
        "_posts/2022-05-30-NW202205300000000001.md": b'---\ntitle: "say "hi""\n---\nx',
        "_posts/2022-05-30-NW202205300000000002.md": "---\ntitle: x\n---\n".encode("gbk")
        + "正文".encode("gbk"),
        # A post the index does not know: nothing records how it was found.
        "_posts/2022-05-30-NW202205300000000003.md": render_post(
            make_post("NW202205300000000003", "2022-05-30 08:00:00"), SITE
        ).encode(),
        # Readable, but no usable date.
        "_posts/2022-05-30-NW202205300000000004.md": b'---\ntitle: "t"\ndate:  +0800\n---\nx',
    }
    for file, data in broken.items():
        (root / file).write_bytes(data)
    target = tmp_path / "items.jsonl"
    code, _, err = export(str(root), "-o", str(target), capsys=capsys)
    assert code == exitcodes.INCOMPLETE
    assert target.read_text(encoding="utf-8") == lines(records)
    problems = dict(re.findall(r"^newsmirror export: (\S+): not exported: (.*)$", err, re.M))
    assert sorted(problems) == sorted(broken)
    reasons = [problems[file] for file in sorted(broken)]
    assert reasons[0].startswith("front matter cannot be read")
    assert reasons[1].startswith("not UTF-8")
    assert reasons[2].startswith("list kind not recorded")
    assert reasons[3].startswith("no readable date")
    assert "3 record(s), 4 post(s) not exported" in err


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_export_writes_nothing_and_works_beside_a_running_crawl(
    archive: tuple[Path, list[ArticleRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, records = archive
    # A run holds the lock and has archived one more post (in its journal only).
    state = ArchiveState.open(root, fsync=False)
    try:
        newer = make_post("NW202206010000000001", "2022-06-01 08:00:00")
        ArchiveStore(ArchiveWriter(root, SITE, fsync=False), state).store(
            newer, list_kind="share", source="四川新闻网", aggregator=AGGREGATOR_EASTMONEY
        )
        with pytest.raises(ArchiveLocked):
            ArchiveLock(root / STATE_DIR).acquire()
        before = snapshot(root)
        code, out, _ = export(str(root), capsys=capsys)
        assert snapshot(root) == before
    finally:
        state.close()
    assert code == exitcodes.OK
    assert out == lines([*records, expected_record(newer, "share", "四川新闻网")])


def test_export_sees_what_the_workers_of_a_distributed_run_journaled(
    archive: tuple[Path, list[ArticleRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, records = archive
    # Two workers on the archive, each with a post in its own journal only; one a later
    # copy of the media post, linked in the index only (NEAR_DUPLICATE_POLICY=keep).
    newer = make_post("NW202206010000000001", "2022-06-01 08:00:00")
    copy = make_post("NW202206010000000002", "2022-06-01 09:00:00")
    workers = [SharedArchiveState.open_shared(root, w, fsync=False) for w in ("h-1-aa", "h-2-bb")]
    try:
        ArchiveStore(ArchiveWriter(root, SITE, fsync=False), workers[0]).store(
            newer, list_kind="share", source="四川新闻网", aggregator=AGGREGATOR_EASTMONEY
        )
        ArchiveStore(ArchiveWriter(root, SITE, fsync=False), workers[1]).store(
            copy,
            list_kind="market",
            source="四川新闻网",
            aggregator=AGGREGATOR_EASTMONEY,
            near_duplicate_of=MEDIA,
        )
        journals = sorted(p.name for p in (root / STATE_DIR).glob("journal.*.jsonl"))
        assert journals == ["journal.h-1-aa.jsonl", "journal.h-2-bb.jsonl"]
        code, out, err = export(str(root), capsys=capsys)
    finally:
        for state in workers:
            state.leave()
    assert code == exitcodes.OK, err
    linked = {**expected_record(copy, "market", "四川新闻网"), "near_duplicate_of": MEDIA}
    assert out == lines([*records, expected_record(newer, "share", "四川新闻网"), linked])


def test_export_streams_one_post_at_a_time(
    archive: tuple[Path, list[ArticleRecord]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, records = archive
    parsed: list[str] = []
    real = reader.parse_post

    def counting(text: str) -> reader.PostParts:
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(reader, "parse_post", counting)
    stream = export_records(root, lambda file, reason: pytest.fail(f"{file}: {reason}"))
    assert next(stream) == records[0]
    assert len(parsed) == 1  # the indexed posts are ordered from the index alone
    assert list(stream) == records[1:]
    assert len(parsed) == 3


def test_one_code_with_two_posts_is_exported_once(
    archive: tuple[Path, list[ArticleRecord]],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    root, records = archive
    stray = root / "old_post" / f"2022-05-29-{MEDIA}.md"
    stray.write_bytes((root / "_posts" / stray.name).read_bytes().replace(b"\xe6\xad\xa3", b"x"))
    with caplog.at_level(logging.WARNING):
        code, out, _ = export(str(root), capsys=capsys)
    assert (code, out) == (exitcodes.OK, lines(records))  # the index's copy
    assert f"exporting _posts/2022-05-29-{MEDIA}.md" in caplog.text


def test_index_lines_without_the_newer_recorded_fields_still_export(
    archive: tuple[Path, list[ArticleRecord]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, records = archive
    index = root / STATE_DIR / INDEX_NAME
    old_keys = ENTRY_KEYS[: ENTRY_KEYS.index("fingerprint") + 1]
    old_lines = [
        json.dumps({k: v for k, v in json.loads(line).items() if k in old_keys}, ensure_ascii=False)
        for line in index.read_text(encoding="utf-8").splitlines()
    ]
    index.write_text("\n".join(old_lines) + "\n", encoding="utf-8")
    code, out, _ = export(str(root), capsys=capsys)
    assert code == exitcodes.OK
    exported = [json.loads(line) for line in out.splitlines()]
    assert [r["aggregator"] for r in exported] == [AGGREGATOR_EASTMONEY] * 3
    assert exported[1]["original_url"] is None  # unknown until a refresh crawl records it
    assert exported == [{**r, "original_url": None} for r in records]


def test_export_needs_an_archive_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = export(str(tmp_path / "missing"), capsys=capsys)
    assert code == exitcodes.USAGE and "is not a folder" in err


# -- end to end: a crawl's -O items.jsonl against the export of its archive ---------------
def read_records(text: str) -> dict[str, dict[str, Any]]:
    """Records by code, checking there is one line per code."""
    records = [json.loads(line) for line in text.splitlines()]
    by_code = {r["code"]: r for r in records}
    assert len(by_code) == len(records)
    return by_code


def run_export(archive: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``newsmirror export`` as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "newsmirror.cli", "export", str(archive), *args],
        cwd=REPO,
        capture_output=True,
        timeout=300,
        check=False,
    )


def post_codes(archive: Path, folder: str) -> set[str]:
    return {p.stem[len("YYYY-MM-DD-") :] for p in (archive / folder).glob("*.md")}


def relinked(log: str) -> dict[str, str]:
    """The later copies a crawl archived before their first copy arrived (code -> that
    first copy), from its log: the crawl's record, written on arrival, names the first
    copy known then; the archive, so the export, the one that arrived later."""
    pattern = r"near-duplicate: (\w+) is a later copy of (\w+), which arrived after it"
    return dict(re.findall(pattern, log))


def assert_export_reproduces(
    archive: Path,
    crawled: str,
    tmp_path: Path,
    validator: Draft202012Validator,
    moved: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The export (file and stdout) holds exactly the crawl's records, valid, in order,
    but for the links the crawl ``moved`` after writing a record (see :func:`relinked`)."""
    moved = moved or {}
    target = tmp_path / "export.jsonl"
    to_file = run_export(archive, "--format", "jsonl", "-o", str(target))
    assert to_file.returncode == 0, to_file.stderr.decode()[-3000:]
    to_stdout = run_export(archive, "--format", "jsonl")
    assert to_stdout.returncode == 0, to_stdout.stderr.decode()[-3000:]
    exported_text = target.read_text(encoding="utf-8")
    assert to_stdout.stdout.decode("utf-8") == exported_text
    crawl_records, exported = read_records(crawled), read_records(exported_text)
    assert_valid(validator, [*crawl_records.values(), *exported.values()])
    for code, first in moved.items():
        crawl_records[code] = {**crawl_records[code], "near_duplicate_of": first}
    assert exported == crawl_records
    # Same lines byte for byte, too (same keys, order and JSON form).
    unmoved = [
        {line for line in text.splitlines() if json.loads(line)["code"] not in moved}
        for text in (exported_text, crawled)
    ]
    assert unmoved[0] == unmoved[1]
    assert set(exported) == post_codes(archive, "_posts") | post_codes(archive, "old_post")
    order = [(r["published"], r["code"]) for r in map(json.loads, exported_text.splitlines())]
    assert order == sorted(order)
    return exported


@pytest.mark.slow
def test_export_reproduces_the_crawls_items_jsonl(
    upstream_factory: Any, tmp_path: Path, validator: Draft202012Validator
) -> None:
    upstream: UpstreamServer = upstream_factory(articles=40)
    archive, items = tmp_path / "archive", tmp_path / "items.jsonl"
    # Posts dated before March 2022 are rotated to old_post/ at the end of the crawl.
    keep_days = (datetime.now(SHANGHAI).date() - date(2022, 3, 1)).days
    crawl = crawl_eastmoney(
        upstream, archive, "-O", str(items), "-s", f"ROTATE_KEEP_DAYS={keep_days}",
        "-s", "ARCHIVE_FSYNC=False",
    )  # fmt: skip
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert post_codes(archive, "_posts") and post_codes(archive, "old_post")
    exported = assert_export_reproduces(
        archive, items.read_text(encoding="utf-8"), tmp_path, validator, relinked(crawl.log)
    )
    assert len(exported) == len(upstream.catalog)
    # The synthetic articles are copies of corpus stories: later copies name the first.
    linked = {c: r["near_duplicate_of"] for c, r in exported.items() if r["near_duplicate_of"]}
    assert len(linked) >= 5 and all(first in exported for first in linked.values())
    kinds = {r["list_kind"] for r in exported.values()}
    assert kinds == {"media", "flash", "market"}
    digest_only = [r for r in exported.values() if r["digest"] and not r["body_html"]]
    assert digest_only and all(r["list_kind"] == "flash" for r in digest_only)
    assert any(r["outlet"] for r in digest_only)  # flash outlets come from the index


@pytest.mark.slow
def test_export_reproduces_share_and_publisher_records(
    upstream: UpstreamServer, tmp_path: Path, validator: Draft202012Validator
) -> None:
    archive = tmp_path / "archive"
    shared, published = tmp_path / "share.jsonl", tmp_path / "publisher.jsonl"
    codes = "NW202205292395331423,NW202201242259229980,NW202205312398034850"
    crawls = [
        run_scrapy(
            "crawl", "newsshare", "-a", f"codes={codes}", "-s", f"UPSTREAM_BASE={upstream.url}",
            "-s", f"ARCHIVE_DIR={archive}", "-O", str(shared),
        ),
        run_scrapy(
            "crawl", "caijingdaily", "-s", f"PUBLISHER_BASE={upstream.url}",
            "-s", f"ARCHIVE_DIR={archive}", "-O", str(published),
        ),
    ]  # fmt: skip
    for crawl in crawls:
        assert crawl.returncode == 0, crawl.log[-3000:]
    crawled = shared.read_text(encoding="utf-8") + published.read_text(encoding="utf-8")
    exported = assert_export_reproduces(archive, crawled, tmp_path, validator)
    by_kind = {
        kind: [r for r in exported.values() if r["list_kind"] == kind] for kind in LIST_KINDS
    }
    assert len(by_kind["share"]) == 3 and len(by_kind["publisher"]) == 4
    assert {r["aggregator"] for r in by_kind["publisher"]} == {None}
    assert {r["aggregator"] for r in by_kind["share"]} == {AGGREGATOR_EASTMONEY}
