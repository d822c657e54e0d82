"""Atomic file writes: a reader (or a killed run) sees the old file or the new one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

#: Temp files are hidden and carry this marker, so a sweep can find leftovers.
TEMP_MARKER = ".nm-tmp-"


def atomic_write_bytes(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, fsync=fsync) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str, *, fsync: bool = True) -> None:
    """UTF-8 text variant of :func:`atomic_write_bytes` (no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


@contextlib.contextmanager
def atomic_open(path: Path, *, fsync: bool = True) -> Iterator[BinaryIO]:
    """A binary file to stream into that appears at ``path`` (replacing it) only when
    the ``with`` block ends without an error; otherwise ``path`` is left as it was.
    Unlike :func:`atomic_write_bytes`, the folder must exist."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARKER}", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    if fsync:
        fsync_dir(path.parent)


def atomic_move(src: Path, dst: Path, *, fsync: bool = True) -> None:
    """Rename ``src`` to ``dst`` (same file system), replacing ``dst``; a reader sees
    the file at one of the two names, never a partial one."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    if fsync:
        fsync_dir(dst.parent)
        if src.parent != dst.parent:
            fsync_dir(src.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the directory that holds the new entry."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def leftover_temp_files(root: Path) -> list[Path]:
    """Temp files a killed run left behind under ``root``."""
    return sorted(p for p in root.rglob(f"*{TEMP_MARKER}*") if p.is_file())
