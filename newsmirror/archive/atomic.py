"""Atomic file writes: a reader (or a killed run) sees the old file or the new one."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

#: Temp files are hidden and carry this marker, so a sweep can find leftovers.
TEMP_MARKER = ".nm-tmp-"
#: A post's mode whatever the umask (what ``git`` and Jekyll expect of a text file).
FILE_MODE = 0o644
#: Temp names are unique per process (pid) and call (counter); the random part tells
#: apart two processes with one pid (two containers writing into one shared folder).
_TOKEN = secrets.token_hex(3)
_COUNTER = itertools.count()
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def atomic_write_bytes(
    path: Path, data: bytes, *, fsync: bool = True, sync_dir: bool = True
) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename.

    With ``fsync``, the data is on disk before the rename, and the rename is made
    durable by an fsync of the folder unless ``sync_dir`` is false: the caller then
    syncs the folder itself, once for many files
    (:class:`newsmirror.archive.groupsync.GroupSync`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = _create_temp(path)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    if fsync and sync_dir:
        fsync_dir(path.parent)


def atomic_write_text(
    path: Path, text: str, *, fsync: bool = True, sync_dir: bool = True
) -> None:
    """UTF-8 text variant of :func:`atomic_write_bytes` (no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync, sync_dir=sync_dir)


@contextlib.contextmanager
def atomic_open(path: Path, *, fsync: bool = True) -> Iterator[BinaryIO]:
    """A binary file to stream into that appears at ``path`` (replacing it) only when
    the ``with`` block ends without an error; otherwise ``path`` is left as it was.
    Unlike :func:`atomic_write_bytes`, the folder must exist."""
    fd, tmp_name = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    if fsync:
        fsync_dir(path.parent)


def _create_temp(path: Path) -> tuple[int, str]:
    """A new, empty temp file next to ``path`` (mode :data:`FILE_MODE`): its descriptor
    and name. Cheaper than :func:`tempfile.mkstemp`, which draws random names and
    creates a 0600 file that would need a chmod."""
    while True:
        tmp_name = os.path.join(
            path.parent, f".{path.name}{TEMP_MARKER}{os.getpid()}-{_TOKEN}-{next(_COUNTER)}"
        )
        try:
            fd = os.open(tmp_name, _CREATE, FILE_MODE)
        except FileExistsError:  # a leftover of a dead process with the same pid
            continue
        break
    if os.fstat(fd).st_mode & 0o777 != FILE_MODE:  # a umask took bits away
        os.fchmod(fd, FILE_MODE)
    return fd, tmp_name


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
    """Make a rename durable: fsync the directory that holds the new entry (best
    effort: some file systems cannot open or sync a directory)."""
    with contextlib.suppress(OSError):
        _fsync_path(directory)


def fsync_file(path: Path) -> None:
    """Make what was written to ``path`` through any descriptor durable (a missing
    file is nothing to sync; any other error is raised)."""
    with contextlib.suppress(FileNotFoundError):
        _fsync_path(path)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def leftover_temp_files(root: Path) -> list[Path]:
    """Temp files a killed run left behind under ``root``."""
    return sorted(p for p in root.rglob(f"*{TEMP_MARKER}*") if p.is_file())
