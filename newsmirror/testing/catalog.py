"""The articles a fixture upstream serves: real corpus records plus synthetic clones."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

#: Lists the fixture serves, in the order synthetic clones are dealt to them.
LIST_NAMES = ("media", "flash", "market37", "market38", "market39")
#: Default "now" of the synthetic articles: after the newest corpus article.
SYNTHETIC_EPOCH = datetime(2022, 6, 15, 8, 0, 0)
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class UpstreamArticle:
    """One article as the upstream knows it.

    ``code`` is the archive code: the bare 18-digit id for flash news, the
    ``NW``-prefixed infoCode for media and market news.
    """

    code: str
    kind: str  # media | flash | market37 | market38 | market39
    title: str
    showtime: str
    source: str
    digest: str
    url_w: str
    body: str

    @property
    def info_code(self) -> str:
        return self.code if self.code.startswith("NW") else f"NW{self.code}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def list_record(self) -> dict[str, Any]:
        """The record as its list endpoint spells it (section 1-3 of the upstream spec)."""
        if self.kind == "flash":
            return {
                "id": self.code,
                "infoCode": self.info_code,
                "title": self.title,
                "digest": self.digest,
                "showtime": self.showtime,
                "url_w": self.url_w,
            }
        if self.kind == "media":
            return {
                "infocode": self.info_code,
                "title": self.title,
                "showtime": self.showtime,
                "from": self.source,
                "simtitle": self.title,
                "simdigest": self.digest,
            }
        return {
            "infoCode": self.info_code,
            "title": self.title,
            "datetime": self.showtime,
            "medianame": self.source,
        }


def corpus_articles() -> list[UpstreamArticle]:
    """The real articles bundled with the package (rebuilt by ``corpus_import``)."""
    data = resources.files("newsmirror.testing").joinpath("data/articles.jsonl")
    with data.open(encoding="utf-8") as handle:
        return [UpstreamArticle(**json.loads(line)) for line in handle if line.strip()]


def synthetic_articles(
    count: int,
    bases: list[UpstreamArticle],
    epoch: datetime = SYNTHETIC_EPOCH,
    *,
    newer: int = 0,
) -> Iterator[UpstreamArticle]:
    """``count`` clones of corpus articles with fresh codes, dealt round-robin to the
    lists and spaced 37 s apart going back from ``epoch`` (newest first).

    ``newer`` more clones come first, dated after ``epoch`` (the same 37 s apart): the
    articles published since a run over the same upstream without them. A clone's code
    depends only on its position, so the other ``count`` are the same either way.
    """
    flash_like = [b for b in bases if b.kind == "flash"] or bases
    media_like = [b for b in bases if b.source] or bases
    for i in range(-max(newer, 0), count):
        kind = LIST_NAMES[i % len(LIST_NAMES)]
        pool = flash_like if kind == "flash" else media_like
        base = pool[i % len(pool)]
        when = epoch - timedelta(seconds=37 * i)
        serial = f"{when:%Y%m%d}{9_000_000_000 + i:010d}"
        yield replace(
            base,
            code=serial if kind == "flash" else f"NW{serial}",
            kind=kind,
            title=f"{base.title}（样本{i}）",
            showtime=when.strftime(_TIME_FORMAT),
            source=base.source or "东方财富网",
            body=f"{base.body}<p>（样本{i}）</p>",
        )


class Catalog:
    """Articles by code and by list, newest first within each list."""

    def __init__(self, articles: Iterable[UpstreamArticle]) -> None:
        self.by_code: dict[str, UpstreamArticle] = {}
        self.by_info_code: dict[str, list[UpstreamArticle]] = {}
        self.lists: dict[str, list[UpstreamArticle]] = {name: [] for name in LIST_NAMES}
        for article in articles:
            self.add(article)
        for items in self.lists.values():
            items.sort(key=lambda a: a.showtime, reverse=True)

    @classmethod
    def build(cls, synthetic: int = 0, *, corpus: bool = True, newer: int = 0) -> Catalog:
        """The corpus (unless ``corpus=False``) plus ``synthetic`` clones, plus ``newer``
        clones published after all of them (see :func:`synthetic_articles`)."""
        bases = corpus_articles()
        articles = list(bases) if corpus else []
        articles += synthetic_articles(synthetic, bases, newer=newer)
        return cls(articles)

    def add(self, article: UpstreamArticle) -> None:
        if article.code in self.by_code:
            raise ValueError(f"duplicate code {article.code}")
        self.by_code[article.code] = article
        self.by_info_code.setdefault(article.info_code, []).append(article)
        self.lists[article.kind].append(article)

    def __len__(self) -> int:
        return len(self.by_code)

    def listed(self, list_name: str, count: int) -> list[UpstreamArticle]:
        return self.lists[list_name][: max(count, 0)]

    def text_for(self, info_code: str) -> dict[str, str] | None:
        """The ``GetNewsText.do?id=`` document (``id`` with or without ``NW``).

        A media post and its flash twin share an infoCode; as on the real service,
        ``text`` holds the publisher's article and ``content`` the flash version.
        """
        key = info_code if info_code.startswith("NW") else f"NW{info_code}"
        found = self.by_info_code.get(key)
        if not found:
            return None
        flash = next((a for a in found if a.kind == "flash"), None)
        other = next((a for a in found if a.kind != "flash"), None)
        return {
            "text": (other or flash or found[0]).body,
            "content": (flash or other or found[0]).body,
        }
