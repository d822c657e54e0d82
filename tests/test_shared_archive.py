"""One archive, several writers (newsmirror.archive.shared): the shared lock, one journal
per worker, folding, and the last worker out closing the archive as a single run."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmirror.archive.consistency import JOURNAL, find_problems
from newsmirror.archive.index import load_index
from newsmirror.archive.journal import journal_files
from newsmirror.archive.lock import ArchiveLocked
from newsmirror.archive.shared import SharedArchiveState
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.store import ArchiveStore
from newsmirror.archive.writer import ArchiveWriter, WriteResult

from .archive_helpers import SITE, index_of, make_post, store_posts

CODES = [f"NW2022052923953314{n:02d}" for n in range(6)]


def worker(root: Path, name: str, wait: float = 5.0) -> SharedArchiveState:
    return SharedArchiveState.open_shared(root, name, fsync=False, wait=wait)


def write(state: ArchiveState, *codes: str) -> list[WriteResult]:
    store = ArchiveStore(ArchiveWriter(state.root, SITE, fsync=False), state)
    return [store.store(make_post(code))[1] for code in codes]


def test_workers_share_the_archive_and_the_last_one_out_writes_the_index(
    tmp_path: Path,
) -> None:
    store_posts(tmp_path, [make_post(CODES[0])])
    a = worker(tmp_path, "host-1-aa")
    b = worker(tmp_path, "host-2-bb")
    assert a.prepared and not b.prepared  # a found the archive free and prepared it
    assert CODES[0] in a and CODES[0] in b
    with pytest.raises(ArchiveLocked, match="distributed, worker host-2-bb"):
        ArchiveState.open(tmp_path, fsync=False)  # a single run is refused meanwhile

    assert write(a, CODES[1], CODES[2]) == [WriteResult.CREATED] * 2
    assert write(b, CODES[3]) == [WriteResult.CREATED]
    assert sorted(p.name for p in journal_files(tmp_path / ".newsmirror")) == [
        "journal.host-1-aa.jsonl",
        "journal.host-2-bb.jsonl",
    ]
    assert a.leave() is False  # b is still on the archive
    assert set(index_of_file(tmp_path)) == {CODES[0], CODES[1], CODES[2]}
    rotated: list[int] = []
    assert b.leave(when_alone=lambda state: rotated.append(len(state))) is True
    assert rotated == [4]  # the last one out sees every post
    assert set(index_of(tmp_path)) == set(CODES[:4])
    assert find_problems(tmp_path) == []


def index_of_file(root: Path) -> set[str]:
    """The codes ``index.jsonl`` holds now (read without opening the archive)."""
    parsed = load_index(root / ".newsmirror" / "index.jsonl")
    assert parsed is not None
    return set(parsed.entries)


def test_a_dead_workers_journal_is_folded_by_the_next_exclusive_open(tmp_path: Path) -> None:
    a = worker(tmp_path, "host-1-aa")
    write(a, CODES[0], CODES[1])
    a.shared_lock.release()  # killed: the kernel drops its lock, its journal stays
    assert JOURNAL in {p.kind for p in find_problems(tmp_path)}
    b = worker(tmp_path, "host-2-bb")
    assert b.prepared  # alone: it prepared the archive, folding a's journal
    assert {e.code for e in b.entries()} == {CODES[0], CODES[1]}
    assert b.leave() is True
    assert find_problems(tmp_path) == []
    assert set(index_of(tmp_path)) == {CODES[0], CODES[1]}


def test_a_joining_worker_sees_what_running_workers_journaled(tmp_path: Path) -> None:
    a = worker(tmp_path, "host-1-aa")
    write(a, CODES[0])
    b = worker(tmp_path, "host-2-bb")
    assert CODES[0] in b  # from a's journal, not yet in the index
    assert write(b, CODES[0]) == [WriteResult.UNCHANGED]
    b.leave(), a.leave()
    assert find_problems(tmp_path) == []


def test_a_worker_gives_up_while_a_single_run_holds_the_archive(tmp_path: Path) -> None:
    with ArchiveState.open(tmp_path, fsync=False), pytest.raises(ArchiveLocked):
        worker(tmp_path, "host-1-aa", wait=0.2)
    a = worker(tmp_path, "host-1-aa", wait=0.2)  # free again
    a.leave()


def test_worker_ids_must_make_safe_journal_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unusable worker id"):
        SharedArchiveState(tmp_path, "../x")
