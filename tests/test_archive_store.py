"""Writing into an indexed archive: once per code, updates in place, rotation, the lock."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from newsmirror.archive.consistency import find_problems
from newsmirror.archive.lock import ArchiveLock, ArchiveLocked
from newsmirror.archive.rotation import rotate
from newsmirror.archive.state import ArchiveState
from newsmirror.archive.store import ArchiveStore
from newsmirror.archive.writer import ArchiveWriter, WriteResult

from .archive_helpers import SITE, make_post, store_posts

CODE = "NW202205292395331423"
POST = f"_posts/2022-05-29-{CODE}.md"


def test_a_code_is_written_once_and_an_unchanged_article_is_not_rewritten(
    tmp_path: Path,
) -> None:
    ((path, result),) = store_posts(tmp_path, [make_post(CODE)])
    assert result is WriteResult.CREATED and path == tmp_path / POST
    before = path.stat().st_mtime_ns
    ((_, again),) = store_posts(tmp_path, [make_post(CODE)])
    assert again is WriteResult.UNCHANGED
    assert path.stat().st_mtime_ns == before
    assert find_problems(tmp_path) == []


def test_a_changed_article_is_updated_in_place_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store_posts(tmp_path, [make_post(CODE)])
    with caplog.at_level(logging.INFO):
        ((path, result),) = store_posts(tmp_path, [make_post(CODE, body="<p>更正</p>")])
    assert result is WriteResult.UPDATED and path == tmp_path / POST
    assert "<p>更正</p>" in path.read_text(encoding="utf-8")
    assert f"article {CODE} changed (content_hash): updated {POST}" in caplog.text
    assert find_problems(tmp_path) == []


def test_a_changed_date_moves_the_post(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store_posts(tmp_path, [make_post(CODE)])
    with caplog.at_level(logging.INFO):
        ((path, result),) = store_posts(tmp_path, [make_post(CODE, "2022-05-30 01:00:00")])
    assert result is WriteResult.UPDATED
    assert [p.name for p in (tmp_path / "_posts").iterdir()] == [path.name]
    assert path.name == f"2022-05-30-{CODE}.md"
    assert f"moved {POST} -> _posts/2022-05-30-{CODE}.md" in caplog.text
    assert find_problems(tmp_path) == []


def test_rotation_moves_old_posts_and_they_stay_known(tmp_path: Path) -> None:
    store_posts(
        tmp_path, [make_post(CODE), make_post("NW202206012400000000", "2022-06-01 09:00:00")]
    )
    with ArchiveState.open(tmp_path) as state:
        assert rotate(state, 0, date(2022, 6, 3)) == []
        assert rotate(state, 3, date(2022, 6, 3)) == [f"old_post/2022-05-29-{CODE}.md"]
    assert sorted(p.name for p in (tmp_path / "_posts").iterdir()) == [
        "2022-06-01-NW202206012400000000.md"
    ]
    assert find_problems(tmp_path) == []
    with ArchiveState.open(tmp_path) as state:
        assert CODE in state and state.report.posts_read == 0
        assert rotate(state, 3, date(2022, 6, 3)) == []  # nothing moves twice

    # A rotated article that changes is updated where it is, in old_post/.
    ((path, result),) = store_posts(tmp_path, [make_post(CODE, body="<p>新</p>")])
    assert result is WriteResult.UPDATED
    assert path == tmp_path / "old_post" / f"2022-05-29-{CODE}.md"
    assert not (tmp_path / POST).exists()
    assert find_problems(tmp_path) == []


def test_an_unreadable_old_post_is_archived_and_repaired_when_fetched_again(
    tmp_path: Path,
) -> None:
    (tmp_path / "_posts").mkdir()
    (tmp_path / POST).write_text('---\ntitle: "a "broken" title"\n---\nold', encoding="utf-8")
    with ArchiveState.open(tmp_path) as state:
        assert CODE in state  # never fetched again without refresh
        result = ArchiveStore(ArchiveWriter(tmp_path, SITE), state).store(make_post(CODE))[1]
    assert result is WriteResult.UPDATED
    assert find_problems(tmp_path) == []


def test_recorded_fields_come_from_the_run(tmp_path: Path) -> None:
    with ArchiveState.open(tmp_path) as state:
        store = ArchiveStore(ArchiveWriter(tmp_path, SITE), state)
        store.store(make_post(CODE), list_kind="market", source="四川新闻网", fingerprint="f1")
        entry = state.get(CODE)
    assert entry is not None
    assert (entry.list_kind, entry.source, entry.fingerprint) == ("market", "四川新闻网", "f1")
    # A post moved by hand is read again; what the run recorded is kept.
    (tmp_path / "old_post").mkdir()
    (tmp_path / POST).rename(tmp_path / "old_post" / POST.split("/")[1])
    with ArchiveState.open(tmp_path) as state:
        moved = state.get(CODE)
        assert state.report.indexed == [f"old_post/{POST.split('/')[1]}"]
    assert moved == replace(entry, file=f"old_post/{POST.split('/')[1]}")


# -- the lock --------------------------------------------------------------------------
def test_a_second_opener_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    with (
        ArchiveState.open(tmp_path),
        pytest.raises(ArchiveLocked, match=rf"locked by pid {os.getpid()} on "),
    ):
        ArchiveState.open(tmp_path)
    ArchiveState.open(tmp_path).close()  # released on close


HOLDER = """
import sys, time
from pathlib import Path
from newsmirror.archive.lock import ArchiveLock
lock = ArchiveLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


def test_the_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    state_dir = tmp_path / ".newsmirror"
    state_dir.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(ArchiveLocked, match=rf"pid {holder.pid} "):
            ArchiveLock(state_dir).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert (state_dir / "lock").exists()  # the file stays; only the flock mattered
    with ArchiveLock(state_dir) as lock:
        assert lock.held
