"""Helpers for the check and repair tests: a copy of the old archive, crafted posts,
and snapshots of a file tree."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from newsmirror.archive.consistency import Problem

FINEWS_POSTS = Path(__file__).parent / "fixtures" / "finews_posts"


def copy_old_archive(tmp_path: Path) -> Path:
    """A copy of the old generator's posts and some category pages (see the fixture's
    README), as a fresh archive folder without an index."""
    root = tmp_path / "finews"
    shutil.copytree(FINEWS_POSTS, root)
    (root / "README.md").unlink()
    return root


def write(root: Path, file: str, text: str) -> Path:
    path = root / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def old_post(
    title: str = "标题",
    date: str = "2022-05-29 00:02:28 +0800",
    body: str = "<p>正文。</p>",
    *,
    category: str = "emnews",
    tags: str = "东财滚动新闻",
    link: str = "<http://finance.eastmoney.com/news/1345,202205292395331423.html>",
    back: str = "[返回东财滚动新闻](//finews.withounder.com/category/emnews.html)"
    "｜[返回首页](//finews.withounder.com/)",
) -> str:
    """A post in the old generator's way: every value written raw."""
    blocks = [b for b in (body, link, back) if b]
    return (
        f'---\nlayout: post\ntitle: "{title}"\ndate: {date}\ncategories: {category}\n'
        f"tags: {tags}\n---\n" + "\n\n".join(blocks)
    )


def page(slug: str, title: str, layout: str = "category") -> str:
    return f"---\nlayout: {layout}\ntitle: {title}\ncategory: {slug}\n---\n"


def snapshot(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, tuple[bytes, int]]:
    """Every file and folder under ``root``: its bytes (b"" for folders) and mtime;
    ``skip`` names paths left out, with what is under them."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if any(rel == s or rel.startswith(s + "/") for s in skip):
                continue
            data = b"" if path.is_dir() else path.read_bytes()
            found[rel] = (data, path.stat().st_mtime_ns)
    return found


def files_of(problems: list[Problem], kind: str) -> set[str]:
    return {p.path for p in problems if p.kind == kind}


def kinds_of(problems: list[Problem]) -> set[str]:
    return {p.kind for p in problems}
