"""Article records (docs/items.schema.json) and the Scrapy exporters that write them."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from newsmirror.archive.reader import content_hash
from newsmirror.archive.records import RECORD_FIELDS, iso_published
from newsmirror.exporters import ArticleJsonExporter, ArticleJsonLinesExporter, record_for
from newsmirror.items import LIST_FLASH, LIST_MEDIA, LIST_PUBLISHER, Article
from newsmirror.testing.offline import project_settings_dict

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "items.schema.json"
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def article(**changes: Any) -> Article:
    values: dict[str, Any] = {
        "code": "NW202205292395331423",
        "list_kind": LIST_MEDIA,
        "list_name": "media",
        "title": '四川："一网通办"',
        "source_name": "四川新闻网",
        "body_html": "  <p>正文&amp;更多</p><!-- note --><script>x()</script><p>第二段</p>\n",
        "source_url": "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202205292395331423",
        "published": datetime(2022, 5, 29, 0, 2, 28, tzinfo=BEIJING),
        "category": "sichuanxinwenwang",
        "category_title": "四川新闻网新闻",
        "tags": ["四川新闻网新闻"],
    }
    values.update(changes)
    return Article(**values)


def test_record_of_a_media_article(validator: Draft202012Validator) -> None:
    record = record_for(article())
    assert list(record) == list(RECORD_FIELDS)
    assert record == {
        "code": "NW202205292395331423",
        "title": '四川："一网通办"',
        "published": "2022-05-29T00:02:28+08:00",
        "outlet": "四川新闻网",
        "aggregator": "东方财富",
        "original_url": None,
        "category": "sichuanxinwenwang",
        "tags": ["四川新闻网新闻"],
        "body_html": "<p>正文&amp;更多</p><!-- note --><script>x()</script><p>第二段</p>",
        "body_text": "正文&更多\n第二段",  # html_to_text: a line per paragraph
        "source_url": (
            "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202205292395331423"
        ),
        "list_kind": "media",
        "content_hash": content_hash(
            '四川："一网通办"',
            "<p>正文&amp;更多</p><!-- note --><script>x()</script><p>第二段</p>",
            "",
        ),
        "digest": "",
        "near_duplicate_of": None,
    }
    validator.validate(record)


def test_record_of_a_later_copy_names_the_first_copy(validator: Draft202012Validator) -> None:
    later = article(code="NW202205302396999001", near_duplicate_of="202205302396506117")
    record = record_for(later)
    assert record["near_duplicate_of"] == "202205302396506117"
    validator.validate(record)
    # No link, or not a code: null.
    assert record_for(article(near_duplicate_of="../x"))["near_duplicate_of"] is None


def test_record_of_a_flash_article(validator: Draft202012Validator) -> None:
    record = record_for(
        article(
            code="202205262391921712",
            list_kind=LIST_FLASH,
            source_name="",
            digest="摘要（上海证券报）",
            body_html="",
            original_url="http://finance.eastmoney.com/a/202205262391921712.html",
            source_url="http://finance.eastmoney.com/a/202205262391921712.html",
            category="emnews",
            tags=["东财滚动新闻"],
        )
    )
    assert record["outlet"] is None
    assert record["original_url"] == "http://finance.eastmoney.com/a/202205262391921712.html"
    assert record["body_html"] == record["body_text"] == ""
    assert record["digest"] == "摘要（上海证券报）"  # the text of a digest-only flash item
    assert record["content_hash"] == content_hash(record["title"], "", "摘要（上海证券报）")
    assert record["content_hash"] != record_for(article(list_kind=LIST_FLASH))["content_hash"]
    validator.validate(record)


def test_record_of_an_article_archived_from_its_publisher(
    validator: Draft202012Validator,
) -> None:
    url = "https://www.cjrb.example/news/2024/02/06/100587.html"
    record = record_for(
        article(
            code="CJRB20240206100587",
            list_kind=LIST_PUBLISHER,
            aggregator="",
            source_name="财经日报",
            source_url=url,
            original_url=url,
        )
    )
    assert (record["aggregator"], record["list_kind"]) == (None, "publisher")
    assert record["source_url"] == record["original_url"] == url
    validator.validate(record)


def test_unknown_outlet_is_null_even_when_named_so() -> None:
    # Articles that name no outlet go to the category 未知来源 (whose name the index
    # then records as their source): the record says null either way.
    assert record_for(article(source_name="未知来源"))["outlet"] is None
    assert record_for(article(source_name=""))["outlet"] is None


def test_values_take_the_form_the_post_holds(validator: Draft202012Validator) -> None:
    record = record_for(
        article(source_url="HTTP://h/路径 x?q=<1>", body_html=" <p>{{ site }}</p> ")
    )
    assert record["source_url"] == "http://h/%E8%B7%AF%E5%BE%84%20x?q=%3C1%3E"  # as cited
    assert record["body_html"] == "<p>&#123;{ site }}</p>"  # Liquid-escaped, as written
    assert record["body_text"] == "{{ site }}"
    validator.validate(record)


def test_non_http_urls_become_null(validator: Draft202012Validator) -> None:
    record = record_for(article(source_url="", original_url="javascript:alert(1)"))
    assert record["source_url"] is None and record["original_url"] is None
    validator.validate(record)


def test_published_is_beijing_time_with_its_offset() -> None:
    assert iso_published(datetime(2022, 5, 28, 16, 2, 28, 999, tzinfo=UTC)) == (
        "2022-05-29T00:02:28+08:00"
    )
    with pytest.raises(ValueError, match="naive"):
        iso_published(datetime(2022, 5, 29))


def test_the_record_needs_a_validated_article() -> None:
    with pytest.raises(ValueError, match="no publication time"):
        record_for(article(published=None))
    with pytest.raises(TypeError, match="Article"):
        record_for({"code": "NW1"})


def test_schema_rejects_what_a_record_never_holds(validator: Draft202012Validator) -> None:
    good = record_for(article())
    for change in (
        {"published": "2022-05-29 00:02:28"},
        {"published": "2022-05-29T00:02:28"},
        {"code": "../x"},
        {"content_hash": "xyz"},
        {"list_kind": "other"},
        {"extra": 1},
        {"outlet": ""},
        {"aggregator": ""},
        {"digest": None},
        {"near_duplicate_of": ""},
        {"near_duplicate_of": "../x"},
    ):
        assert not validator.is_valid({**good, **change}), change
    incomplete = dict(good)
    del incomplete["body_text"]
    assert not validator.is_valid(incomplete)


def test_jsonlines_exporter_writes_records(validator: Draft202012Validator) -> None:
    out = io.BytesIO()
    exporter = ArticleJsonLinesExporter(out, encoding="utf-8")
    exporter.start_exporting()
    exporter.export_item(article())
    exporter.export_item(article(code="NW2", title="第二"))
    exporter.finish_exporting()
    lines = out.getvalue().decode("utf-8").splitlines()
    assert len(lines) == 2
    assert "四川新闻网" in lines[0]  # UTF-8, not \u escapes
    records = [json.loads(line) for line in lines]
    for record in records:
        validator.validate(record)
    assert [r["code"] for r in records] == ["NW202205292395331423", "NW2"]


def test_json_exporter_writes_an_array_of_records(validator: Draft202012Validator) -> None:
    out = io.BytesIO()
    exporter = ArticleJsonExporter(out, encoding="utf-8")
    exporter.start_exporting()
    exporter.export_item(article())
    exporter.finish_exporting()
    (record,) = json.loads(out.getvalue())
    validator.validate(record)


def test_feed_formats_use_the_record_exporters() -> None:
    exporters = project_settings_dict()["FEED_EXPORTERS"]
    for fmt in ("jsonl", "jsonlines"):
        assert exporters[fmt] == "newsmirror.exporters.ArticleJsonLinesExporter"
    assert exporters["json"] == "newsmirror.exporters.ArticleJsonExporter"
