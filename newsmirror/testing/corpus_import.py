"""Turn posts of the old archive back into the upstream records they were made from.

Used once to build ``data/articles.jsonl`` (the demo and the tests must not need
``../shared``); kept so the data can be rebuilt and audited::

    python -m newsmirror.testing.corpus_import ../shared/corpus/finews/posts > \\
        newsmirror/testing/data/articles.jsonl

The old posts are not valid YAML in general, so this reads them line by line.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from newsmirror.testing.catalog import UpstreamArticle

_NAME = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})-(?P<code>[A-Za-z0-9]+)\.md$")
_LINK = re.compile(r"^<(?P<url>[^<>\s]*)>$")
_TRAILING_SOURCE = re.compile(r"[（(](?P<name>[^（）()]{2,20})[）)]\s*$")


def _front_matter(lines: list[str]) -> dict[str, str]:
    meta = {}
    for line in lines:
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "title" and len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        meta[key.strip()] = value
    return meta


def record_from_post(name: str, text: str) -> UpstreamArticle | None:
    """The upstream record behind one old post, or ``None`` for non-article posts."""
    match = _NAME.match(name)
    if not match:
        return None
    text = text.lstrip("\n")
    _, meta_block, body = text.split("---\n", 2)
    meta = _front_matter(meta_block.splitlines())
    if meta.get("categories") == "sitenews" or not meta.get("title"):
        return None
    blocks = [b for b in body.strip("\n").split("\n\n")]
    link_at = next((i for i, b in enumerate(blocks) if _LINK.match(b.strip())), len(blocks))
    url = _LINK.match(blocks[link_at].strip()).group("url") if link_at < len(blocks) else ""  # type: ignore[union-attr]
    content_blocks = blocks[:link_at]
    showtime = meta.get("date", "").replace("+0800", "").strip()
    code = match.group("code")
    if meta.get("categories") == "emnews":
        digest = ""
        if content_blocks and content_blocks[0].startswith("> "):
            digest = content_blocks.pop(0)[2:]
            html = "\n\n".join(content_blocks)
        else:
            # The 2021 generator archived the digest alone: the text API gave nothing more.
            digest = " ".join(content_blocks).strip()
            html = ""
        found = _TRAILING_SOURCE.search(digest)
        return UpstreamArticle(
            code=code,
            kind="flash",
            title=meta["title"],
            showtime=showtime,
            source=found.group("name") if found else "",
            digest=f"【{meta['title']}】{digest}",
            url_w=url,
            body=html,
        )
    tag = meta.get("tags", "")
    source = tag[: -len("新闻")] if tag.endswith("新闻") else tag
    return UpstreamArticle(
        code=code,
        kind="media",
        title=meta["title"],
        showtime=showtime,
        source=source,
        digest="",
        url_w="",
        body="\n\n".join(content_blocks),
    )


def main(argv: list[str]) -> int:
    folder = Path(argv[1])
    for path in sorted(folder.glob("*.md")):
        record = record_from_post(path.name, path.read_text(encoding="utf-8"))
        if record is not None:
            print(json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
