"""Directory listings of an archive, by name only (no file is opened or stat'ed).

A normal start compares these names with the index; it never reads every post.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from newsmirror.archive.atomic import TEMP_MARKER
from newsmirror.archive.index import POST_DIRS
from newsmirror.archive.paths import POST_NAME_RE, STATE_DIR

logger = logging.getLogger(__name__)


def post_files(root: Path) -> dict[str, str]:
    """``{relative path: code}`` of every post file in ``_posts/`` and ``old_post/``.

    Names that are not ``<YYYY-MM-DD>-<code>.md`` (the old generator's date-less
    ``-2022….md``, temp files) are not posts and are left out.
    """
    found: dict[str, str] = {}
    for folder in POST_DIRS:
        try:
            entries = list(os.scandir(root / folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            match = POST_NAME_RE.fullmatch(entry.name)
            if match is None:
                if not entry.name.startswith("."):
                    logger.debug("%s/%s is not a post name; ignored", folder, entry.name)
                continue
            if entry.is_file():
                found[f"{folder}/{entry.name}"] = match.group("code")
    return found


def is_temp_name(name: str) -> bool:
    """A temp file of :mod:`newsmirror.archive.atomic` (``.<name>.nm-tmp-…``)."""
    return name.startswith(".") and TEMP_MARKER in name


def remove_temp_files(root: Path) -> list[Path]:
    """Delete the temp files a killed run left in the archive root, its top-level
    folders and ``.newsmirror/`` (not deeper, and never inside ``.git``)."""
    folders = [root, root / STATE_DIR]
    try:
        folders += [
            Path(e.path) for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")
        ]
    except FileNotFoundError:
        return []
    removed = []
    for folder in folders:
        try:
            names = [e.name for e in os.scandir(folder) if is_temp_name(e.name) and e.is_file()]
        except FileNotFoundError:
            continue
        for name in names:
            path = folder / name
            path.unlink(missing_ok=True)
            removed.append(path)
    return sorted(removed)


def find_temp_files(root: Path) -> list[Path]:
    """Temp files anywhere in the archive (a full walk, skipping ``.git``)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        found += [Path(folder) / name for name in files if is_temp_name(name)]
    return sorted(found)
