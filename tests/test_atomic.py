from __future__ import annotations

from pathlib import Path

import pytest

from newsmirror.archive import atomic
from newsmirror.archive.atomic import atomic_write_text, leftover_temp_files


def test_write_replaces_the_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a" / "post.md"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert leftover_temp_files(tmp_path) == []


def test_a_failed_write_keeps_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "post.md"
    atomic_write_text(target, "old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert leftover_temp_files(tmp_path) == []


def test_text_is_written_byte_for_byte_without_newline_translation(tmp_path: Path) -> None:
    target = tmp_path / "p.md"
    atomic_write_text(target, "a\r\nb\n中")
    assert target.read_bytes() == "a\r\nb\n中".encode()
