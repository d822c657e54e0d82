"""The archive index: its file format, reading posts back, and start-up repair."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsmirror.archive.consistency import MISMATCH, NOT_INDEXED, find_problems
from newsmirror.archive.index import (
    ENTRY_KEYS,
    IndexEntry,
    parse_index,
    render_index,
)
from newsmirror.archive.post import render_post
from newsmirror.archive.reader import content_hash, entry_from_text, read_entry
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.store import ArchiveStore
from newsmirror.archive.writer import ArchiveWriter
from newsmirror.normalize.liquid import escape_liquid

from .archive_helpers import SITE, counted_post_reads, index_of, make_post, store_posts

CODE_A = "NW202205292395331423"
CODE_B = "NW202205302396506117"
CODE_C = "202205262391921712"


def entry(code: str, title: str = "t", day: str = "2022-05-29") -> IndexEntry:
    return IndexEntry(
        code=code,
        file=f"_posts/{day}-{code}.md",
        date=f"{day} 00:02:28 +0800",
        category="sichuanxinwenwang",
        title=title,
        url="",
        content_hash="0123456789abcdef",
        list_kind="media",
        source="四川新闻网",
    )


# -- the file format ---------------------------------------------------------------------
def test_index_is_sorted_json_lines_with_keys_in_schema_order() -> None:
    text = render_index([entry(CODE_B), entry(CODE_C), entry(CODE_A)])
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 4
    codes = [json.loads(line)["code"] for line in lines[:-1]]
    assert codes == sorted(codes) == [CODE_C, CODE_A, CODE_B]
    assert list(json.loads(lines[0])) == list(ENTRY_KEYS)
    assert "四川新闻网" in text  # readable UTF-8, not \\u escapes
    assert parse_index(text).entries == {c: entry(c) for c in (CODE_A, CODE_B, CODE_C)}
    assert parse_index(text).clean


def test_titles_with_line_separators_stay_on_one_line() -> None:
    odd = entry(CODE_A, title="a\u2028b\x85c\nd\re\u2029")
    text = render_index([odd])
    assert text.count("\n") == 1
    assert parse_index(text).entries[CODE_A] == odd


def test_entries_keep_shared_values_once() -> None:
    """A run holds its whole index: repeated values are one object, and no __dict__."""
    url = "http://finance.eastmoney.com/news/11060,202112082206672930.html"
    line = replace(entry(CODE_A), url=url, original_url=url, aggregator="东方财富").to_json()
    first, second = (parse_index(line).entries[CODE_A] for _ in range(2))
    assert first == second
    for name in ("category", "list_kind", "source", "aggregator"):
        assert getattr(first, name) is getattr(second, name)
    assert first.original_url is first.url
    assert not hasattr(first, "__dict__")
    assert render_index([first]) == line + "\n"
    changed = replace(first, title="u")
    assert (changed.title, changed.source) == ("u", "四川新闻网")


def test_merge_leftovers_are_read_and_reported() -> None:
    good = render_index([entry(CODE_A), entry(CODE_B)]).split("\n")
    text = "\n".join(
        [
            good[1],  # out of order
            "<<<<<<< HEAD",
            good[0],
            "=======",
            entry(CODE_A, title="other").to_json(),  # a second, different line for CODE_A
            ">>>>>>> theirs",
            '{"code": "NW1", "file": "_posts/2022-05-29-NW1.md"',  # torn line
            json.dumps({**json.loads(good[0]), "file": "../../etc/passwd"}),
        ]
    )
    parsed = parse_index(text)
    assert set(parsed.entries) == {CODE_A, CODE_B}
    assert parsed.unsorted and parsed.conflicting == {CODE_A}
    assert [n for n, _ in parsed.bad_lines] == [2, 4, 6, 7, 8]
    assert "not a post path" in parsed.bad_lines[-1][1]


# -- reading posts back ----------------------------------------------------------------
def test_content_hash_is_sha256_of_title_digest_and_body() -> None:
    expected = hashlib.sha256('["标题","摘要","<p>正文</p>"]'.encode()).hexdigest()[:16]
    assert content_hash("标题", "<p>正文</p>", "摘要") == expected


def test_entry_of_a_written_post(tmp_path: Path) -> None:
    post = make_post(CODE_C, "2022-05-26 09:41:00", digest="摘要 *强调* <b>&", body="<p>x</p>")
    text = render_post(post, SITE)
    got = entry_from_text(f"_posts/2022-05-26-{CODE_C}.md", text)
    assert got == IndexEntry(
        code=CODE_C,
        file=f"_posts/2022-05-26-{CODE_C}.md",
        date="2022-05-26 09:41:00 +0800",
        category="emnews",
        title=post.title,
        url=post.source_url,
        content_hash=content_hash(post.title, "<p>x</p>", "摘要 *强调* <b>&"),
        list_kind="flash",
        source="",
    )


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\u2028{%"))


@settings(max_examples=150, deadline=None)
@given(
    title=_TEXT,
    digest=_TEXT.map(str.strip),
    body=st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from("{%")),
    link=st.booleans(),
)
def test_posts_read_back_to_what_was_written(
    title: str, digest: str, body: str, link: bool
) -> None:
    # Bodies reach the writer Liquid-escaped (CleanBodyPipeline), as here.
    post = replace(
        make_post(CODE_A, title=title or "x", digest=digest, body=escape_liquid(f"<p>{body}</p>")),
        source_url=f"http://h/?q={CODE_A}" if link else "",
    )
    got = entry_from_text(f"_posts/2022-05-29-{CODE_A}.md", render_post(post, SITE))
    assert got.title == post.title
    assert got.url == post.source_url
    assert got.content_hash == content_hash(post.title, post.body_html.strip(), post.digest)


@pytest.mark.parametrize(
    ("text", "date", "title"),
    [
        # T1: the file starts with a newline, so the front matter is not at byte 0.
        ('\n---\nlayout: post\ntitle: "a"\ndate: 2021-12-08 12:58:23\n---\nbody', "2021-12-08", ""),
        # A raw double quote in the title breaks the YAML.
        ('---\nlayout: post\ntitle: "say "hi""\ndate: 2021-12-08\n---\nx', "2021-12-08", ""),
        # Zone-less date (YAML reads a datetime): Beijing time.
        (
            '---\nlayout: post\ntitle: "t"\ndate: 2021-12-08 12:58:23\ncategories: emnews\n---\nx',
            "2021-12-08 12:58:23 +0800",
            "t",
        ),
        # The old generator's empty date.
        ('---\nlayout: post\ntitle: "t"\ndate:  +0800\n---\nx', "2021-12-08", "t"),
    ],
)
def test_old_generator_posts_are_indexed_as_far_as_they_can_be_read(
    tmp_path: Path, text: str, date: str, title: str
) -> None:
    file = "old_post/2021-12-08-202112082206890854.md"
    (tmp_path / "old_post").mkdir()
    (tmp_path / file).write_text(text, encoding="utf-8")
    got = read_entry(tmp_path, file)
    assert (got.code, got.file, got.date, got.title) == ("202112082206890854", file, date, title)
    assert bool(got.content_hash) == bool(title)


# -- start-up: rebuild and repair ------------------------------------------------------
@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    posts = [
        make_post(f"NW2022052{i}00000000{i:02d}", f"2022-05-2{i % 10} 08:00:00") for i in range(6)
    ]
    store_posts(root, posts)
    return root


def test_index_and_state_files_are_written(archive: Path) -> None:
    state_dir = archive / ".newsmirror"
    assert sorted(p.name for p in state_dir.iterdir()) == [
        ".gitattributes",
        ".gitignore",
        "index.jsonl",
        "lock",
        "lock.owner",
    ]
    assert "index.jsonl merge=union" in (state_dir / ".gitattributes").read_text()
    assert len((state_dir / "index.jsonl").read_text().splitlines()) == 6
    assert find_problems(archive) == []


def test_index_is_in_git_and_the_rest_of_the_state_is_not(archive: Path) -> None:
    git(archive, "init", "-q")
    git(archive, "add", "-A")
    tracked = git(archive, "ls-files", ".newsmirror").split()
    assert tracked == [
        ".newsmirror/.gitattributes",
        ".newsmirror/.gitignore",
        ".newsmirror/index.jsonl",
    ]


def test_a_normal_start_reads_no_post(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with counted_post_reads(monkeypatch) as reads, ArchiveState.open(archive) as state:
        assert len(state) == 6
        assert not state.report.repaired
    assert reads == []


def test_a_missing_index_is_rebuilt_from_the_posts(
    archive: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    before = index_of(archive)
    (archive / ".newsmirror" / "index.jsonl").unlink()
    with counted_post_reads(monkeypatch) as reads:
        after = index_of(archive)
    assert len(reads) == 6
    # Recorded fields a post does not show (media vs market) are lost with the index.
    assert after == {c: replace(e, list_kind="") for c, e in before.items()}
    assert "no readable index: rebuilt from the posts" in caplog.text
    assert find_problems(archive) == []


@pytest.mark.parametrize("garbage", [b"\xff\xfe not utf-8", b"{{{{\n[1,2]\nnull\n", b""])
def test_a_corrupt_index_is_rebuilt(archive: Path, garbage: bytes) -> None:
    (archive / ".newsmirror" / "index.jsonl").write_bytes(garbage)
    assert len(index_of(archive)) == 6
    assert find_problems(archive) == []


def test_posts_and_index_lines_that_disagree_are_repaired_reading_only_those(
    archive: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    posts = sorted((archive / "_posts").iterdir())
    posts[0].unlink()  # index line without post
    added = make_post(CODE_A)
    ArchiveWriter(archive, SITE, fsync=False).write_post(added)  # post without index line
    (archive / "old_post").mkdir()
    posts[1].rename(archive / "old_post" / posts[1].name)  # moved by hand
    assert {p.kind for p in find_problems(archive)} == {NOT_INDEXED, "no-post"}

    with counted_post_reads(monkeypatch) as reads:
        got = index_of(archive)
    assert sorted(reads) == [f"_posts/2022-05-29-{CODE_A}.md", f"old_post/{posts[1].name}"]
    assert len(got) == 6 and CODE_A in got
    assert got[posts[1].name[11:-3]].file == f"old_post/{posts[1].name}"
    assert "index line(s) without a post dropped" in caplog.text
    assert find_problems(archive) == []


def test_a_tampered_index_line_is_found_by_the_full_check(archive: Path) -> None:
    path = archive / ".newsmirror" / "index.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    lines[0] = json.dumps({**first, "title": "changed"}, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (problem,) = find_problems(archive)
    assert problem.kind == MISMATCH and "title: index 'changed'" in problem.detail


def test_a_dead_runs_journal_and_temp_files_are_folded_and_swept(archive: Path) -> None:
    state = ArchiveState.open(archive, fsync=False)
    writer = ArchiveWriter(archive, SITE, fsync=False)
    ArchiveStore(writer, state).store(make_post(CODE_A), list_kind="market")
    temp = archive / "_posts" / f".2022-05-30-{CODE_B}.md.nm-tmp-abc123"
    temp.write_text("half a post")
    state.lock.release()  # the run dies: no close, the journal stays
    journal = archive / ".newsmirror" / "journal.jsonl"
    assert journal.exists()
    assert CODE_A not in (archive / ".newsmirror" / "index.jsonl").read_text()

    with ArchiveState.open(archive) as again:
        assert again.get(CODE_A) is not None
        assert again.get(CODE_A).list_kind == "market"  # from the journal, not re-read
        assert again.report.journal_found and again.report.temp_files
    assert not journal.exists() and not temp.exists()
    assert find_problems(archive) == []


def test_an_interrupted_rewrite_is_read_again(archive: Path) -> None:
    state = ArchiveState.open(archive, fsync=False)
    code = next(iter(state.entries())).code
    file = state.get(code).file
    state.will_change(file)
    text = (archive / file).read_text(encoding="utf-8").replace("正文", "新正文")
    (archive / file).write_text(text, encoding="utf-8")
    state.lock.release()  # killed after the rewrite, before recording it
    with ArchiveState.open(archive) as again:
        assert again.report.rechecked == [file]
        assert again.get(code) == entry_from_text(
            file, text, list_kind="media", source="四川新闻网"
        )
    assert find_problems(archive) == []


def test_a_half_done_move_keeps_the_new_file_only(archive: Path) -> None:
    state = ArchiveState.open(archive, fsync=False)
    old = state.entries()[0]
    new_file = old.file.replace("_posts/", "old_post/")
    state.will_change(old.file, new_file)
    (archive / "old_post").mkdir()
    shutil.copy(archive / old.file, archive / new_file)
    os.utime(archive / old.file, ns=(1, 1))
    state.lock.release()  # killed between writing the new file and removing the old one
    with ArchiveState.open(archive) as again:
        assert again.get(old.code).file == new_file
        assert again.report.removed == [old.file]
    assert not (archive / old.file).exists()
    assert find_problems(archive) == []


def test_two_files_for_one_code_not_from_a_dead_run_are_left_and_reported(archive: Path) -> None:
    entry0 = index_of(archive)
    some = next(iter(entry0.values()))
    (archive / "old_post").mkdir()
    shutil.copy(archive / some.file, archive / some.file.replace("_posts/", "old_post/"))
    with ArchiveState.open(archive) as state:
        assert state.report.duplicates
    assert [p.kind for p in find_problems(archive)] == ["duplicate"]


# -- merges ----------------------------------------------------------------------------
def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_SYSTEM": os.devnull,
    }
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout


def test_two_runs_indexes_merge_and_rebase_without_conflicts(archive: Path) -> None:
    git(archive, "init", "-q", "-b", "main")
    git(archive, "add", "-A")
    git(archive, "commit", "-qm", "base")
    git(archive, "checkout", "-qb", "other")
    store_posts(
        archive, [make_post(f"NW2022053100000000{i:02d}", "2022-05-31 10:00:00") for i in range(3)]
    )
    git(archive, "add", "-A")
    git(archive, "commit", "-qm", "run on the other runner")
    git(archive, "checkout", "-q", "main")
    store_posts(
        archive, [make_post(f"NW2022053100000001{i:02d}", "2022-05-31 11:00:00") for i in range(3)]
    )
    # This run also updated an article the other run did not touch.
    store_posts(
        archive, [make_post("NW202205200000000000", "2022-05-20 08:00:00", body="<p>new</p>")]
    )
    git(archive, "add", "-A")
    git(archive, "commit", "-qm", "run on this runner")
    git(archive, "rebase", "-q", "other")  # what `git pull --rebase` does
    assert "<<<<<<<" not in (archive / ".newsmirror" / "index.jsonl").read_text()

    with ArchiveState.open(archive) as state:
        assert len(state) == 12
    assert find_problems(archive) == []
    text = (archive / ".newsmirror" / "index.jsonl").read_text()
    assert parse_index(text).clean


def test_concatenated_indexes_load(archive: Path) -> None:
    index = archive / ".newsmirror" / "index.jsonl"
    text = index.read_text()
    index.write_text(text + text[: len(text) // 2].rsplit("\n", 1)[0] + "\n" + text)
    with ArchiveState.open(archive) as state:
        assert len(state) == 6 and state.report.index_unsorted
    assert find_problems(archive) == []


@pytest.mark.slow
def test_a_large_archive_starts_without_reading_its_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "big"
    writer = ArchiveWriter(root, SITE, fsync=False)
    for i in range(20_000):
        code = f"NW{20220101 + i % 28:08d}{i:010d}"
        writer.write_post(make_post(code, f"2022-01-{1 + i % 28:02d} 08:00:00"))

    # The first start has no index: it reads every post, once.
    with counted_post_reads(monkeypatch) as reads, ArchiveState.open(root) as state:
        assert len(state) == 20_000
    assert len(reads) == len(set(reads)) == 20_000

    with counted_post_reads(monkeypatch) as reads, ArchiveState.open(root) as state:
        assert len(state) == 20_000 and not state.report.repaired
    assert reads == []

    # Two posts appear behind the index's back and one disappears: only the two are read.
    writer.write_post(make_post(CODE_A))
    writer.write_post(make_post(CODE_B, "2022-05-30 08:00:00"))
    next((root / "_posts").glob("2022-01-01-*.md")).unlink()
    with counted_post_reads(monkeypatch) as reads, ArchiveState.open(root) as state:
        assert len(state) == 20_001
    assert sorted(reads) == [
        f"_posts/2022-05-29-{CODE_A}.md",
        f"_posts/2022-05-30-{CODE_B}.md",
    ]
