"""NormalizeTextPipeline: the text settings reach titles, source names and digests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from newsmirror.items import LIST_FLASH, LIST_MEDIA, Article
from newsmirror.normalize.dates import SHANGHAI
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import OfflineCrawl

FETCHED = datetime(2022, 5, 29, 12, 0, tzinfo=SHANGHAI)


def normalised(tmp_path: Path, item: Article, **settings: Any) -> Article:
    base = {"UPSTREAM_BASE": "http://127.0.0.1:9", "ARCHIVE_DIR": str(tmp_path / "archive")}
    crawl = OfflineCrawl(EastmoneySpider, {**base, **settings})
    result: Article = crawl.process(item)
    return result


def media(title: str, source_name: str) -> Article:
    return Article(
        code="NW202205292395331423",
        list_kind=LIST_MEDIA,
        title=title,
        published_raw="2022-05-29 00:02:28",
        source_name=source_name,
        body_html="<p>正文</p>",
        fetched_at=FETCHED,
    )


def test_defaults_fold_fullwidth_alnum_but_keep_traditional(tmp_path: Path) -> None:
    item = normalised(
        tmp_path, media(" 海伦司(０９８６９.ＨＫ)涨超１０%\n內银跌幅靠前 ", "２１世纪经济报道")
    )
    assert item.title == "海伦司(09869.HK)涨超10% 內银跌幅靠前"
    assert (item.source_name, item.category) == ("21世纪经济报道", "21shijijingjibaodao")


@pytest.mark.parametrize(
    ("settings", "title", "source_name"),
    [
        ({}, "FF：內银跌幅靠前", "21世紀經濟報道"),
        ({"TEXT_FULLWIDTH_TO_ASCII": "False"}, "ＦＦ：內银跌幅靠前", "２１世紀經濟報道"),
        ({"TEXT_TO_SIMPLIFIED": "True"}, "FF：内银跌幅靠前", "21世纪经济报道"),
        (
            {"TEXT_TO_SIMPLIFIED": "True", "TEXT_FULLWIDTH_TO_ASCII": "False"},
            "ＦＦ：内银跌幅靠前",
            "２１世纪经济报道",
        ),
    ],
)
def test_text_settings(
    tmp_path: Path, settings: dict[str, str], title: str, source_name: str
) -> None:
    item = normalised(tmp_path, media("ＦＦ：內银跌幅靠前", "２１世紀經濟報道"), **settings)
    assert (item.title, item.source_name) == (title, source_name)
    assert item.category_title == f"{source_name}新闻"


def test_flash_digest_is_cleaned_like_a_title(tmp_path: Path) -> None:
    item = Article(
        code="202112082206885586",
        list_kind=LIST_FLASH,
        title="港股收评",
        published_raw="2021-12-08 16:10:11",
        # corpus: 內 U+5167 and a trailing space
        digest="【港股收评】內银、元宇宙、云办公、恒大概念跌幅靠前。\u3000\u3000科技股走势分化 ",
        body_html="",
        fetched_at=FETCHED,
    )
    result = normalised(tmp_path, item, TEXT_TO_SIMPLIFIED="True")
    assert result.digest == "内银、元宇宙、云办公、恒大概念跌幅靠前。科技股走势分化"
