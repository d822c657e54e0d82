"""Group commit of the fsyncs that make new posts durable (newsmirror.archive.groupsync)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from newsmirror.archive import atomic, groupsync
from newsmirror.archive.atomic import TEMP_MARKER, atomic_write_text, leftover_temp_files
from newsmirror.archive.groupsync import GroupSync
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.store import ArchiveStore
from newsmirror.archive.writer import ArchiveWriter

from .archive_helpers import SITE, index_of, make_post


class Syncs:
    """Every fsync made, in order, as ("file"|"dir", path)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        real_fsync = os.fsync

        def fsync(fd: int) -> None:
            path = os.readlink(f"/proc/self/fd/{fd}")
            kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
            self.calls.append((kind, path))
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    def count(self, kind: str, part: str = "") -> int:
        return sum(1 for k, p in self.calls if k == kind and part in p)


def codes(n: int) -> list[str]:
    return [f"NW2022052923953{i:05d}" for i in range(n)]


def test_a_run_of_posts_syncs_each_post_but_folder_and_journal_once_a_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "archive"
    with ArchiveState.open(root) as state:
        state.group.max_delay = 3600.0  # only the group size flushes here
        store = ArchiveStore(ArchiveWriter(root, SITE), state)
        syncs = Syncs(monkeypatch)
        for code in codes(150):
            store.store(make_post(code))
        posts = syncs.count("file", f".md{TEMP_MARKER}")  # synced under the temp name
        journal = syncs.count("file", "journal.jsonl")
        folders = syncs.count("dir", "/_posts")
        assert posts == 150  # every post's data before its rename, as before
        assert folders == journal == 150 // groupsync.DEFAULT_MAX_POSTS  # not once a post
        assert state.group.pending == 150 % groupsync.DEFAULT_MAX_POSTS
    # Closing flushed the rest before writing the index.
    assert len(index_of(root)) == 150
    last_folder = max(i for i, c in enumerate(syncs.calls) if c == ("dir", str(root / "_posts")))
    index_write = next(
        i for i, (k, p) in enumerate(syncs.calls) if k == "file" and "index.jsonl" in p
    )
    assert last_folder < index_write


def test_a_flush_syncs_the_folders_before_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, journal = tmp_path / "_posts", tmp_path / "journal.jsonl"
    folder.mkdir()
    journal.write_text("{}\n")
    group = GroupSync(max_posts=2, max_delay=3600.0)
    syncs = Syncs(monkeypatch)
    group.owe(folder=folder, file=journal)
    group.changed()
    assert syncs.calls == []  # one change waits for its group
    group.owe(folder=folder, file=journal)
    group.changed()
    assert syncs.calls == [("dir", str(folder)), ("file", str(journal))]
    assert group.pending == 0 and group.flushes == 1
    group.flush()  # nothing owed: no fsync
    assert len(syncs.calls) == 2


def test_a_change_older_than_the_delay_flushes_the_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = GroupSync(max_posts=1000, max_delay=0.5)
    clock = [100.0]
    monkeypatch.setattr(groupsync.time, "monotonic", lambda: clock[0])
    group.owe(folder=tmp_path)
    group.changed()
    assert not group.due() and group.pending == 1
    clock[0] += 0.6
    assert group.due()
    group.owe(folder=tmp_path)
    group.changed()
    assert group.pending == 0 and group.flushes == 1


def test_without_fsync_nothing_is_owed_or_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "archive"
    with ArchiveState.open(root, fsync=False) as state:
        syncs = Syncs(monkeypatch)
        store = ArchiveStore(ArchiveWriter(root, SITE, fsync=False), state)
        for code in codes(3):
            store.store(make_post(code))
        assert state.group.pending == 0
    assert syncs.calls == []


def test_a_rewrite_is_named_in_a_synced_journal_line_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "archive"
    code = codes(1)[0]
    with ArchiveState.open(root) as state:
        state.group.max_delay = 3600.0
        store = ArchiveStore(ArchiveWriter(root, SITE), state)
        store.store(make_post(code))
        syncs = Syncs(monkeypatch)
        store.store(make_post(code, title="新的标题"))
        # The recheck line was synced (with the put before it) before the post changed.
        assert syncs.calls[0] == ("file", str(root / ".newsmirror" / "journal.jsonl"))
        assert syncs.calls[1][1].startswith(str(root / "_posts" / "."))  # the new data
    assert index_of(root)[code].title == "新的标题"


def test_bad_group_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        GroupSync(max_posts=0)
    with pytest.raises(ValueError):
        GroupSync(max_delay=-1)


def test_temp_files_get_the_post_mode_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        atomic_write_text(tmp_path / "p.md", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "p.md").stat().st_mode) == 0o644


def test_a_leftover_temp_name_is_skipped_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "p.md"
    nxt = next(atomic._COUNTER) + 1  # the name the next write will try first
    taken = tmp_path / f".p.md{TEMP_MARKER}{os.getpid()}-{atomic._TOKEN}-{nxt}"
    taken.write_text("a dead process's")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert taken.read_text() == "a dead process's"
    assert leftover_temp_files(tmp_path) == [taken]
