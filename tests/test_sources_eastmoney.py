from __future__ import annotations

import pytest

from newsmirror.sources import eastmoney as source


def test_media_record_in_list_spelling() -> None:
    payload = {
        "nodeList": [
            {
                "infocode": "NW202205292395331423",
                "title": "t",
                "showtime": "2022-05-29 00:02:28",
                "from": "四川新闻网",
            }
        ]
    }
    entries, rejected = source.parse_list(payload, "media")
    assert rejected == []
    (entry,) = entries
    assert (entry.code, entry.info_code) == ("NW202205292395331423", "NW202205292395331423")
    assert (entry.published_raw, entry.source_name) == ("2022-05-29 00:02:28", "四川新闻网")


@pytest.mark.parametrize(
    ("code_key", "time_key", "source_key"),
    [
        ("infoCode", "datetime", "medianame"),
        ("infocode", "showtime", "from"),
        ("InfoCode", "showTime", "mediaName"),
    ],
)
def test_every_field_spelling_is_accepted(code_key: str, time_key: str, source_key: str) -> None:
    record = {code_key: "NW1", "title": "t", time_key: "2022-01-01 00:00:00", source_key: "源"}
    (entry,), _ = source.parse_list({"record": [record]}, "market")
    assert entry.code == "NW1"
    assert entry.published_raw == "2022-01-01 00:00:00"
    assert entry.source_name == "源"


def test_flash_records_are_archived_under_their_bare_id() -> None:
    record = {"id": "202205262391921712", "infoCode": "NW202205262391921712", "title": "t"}
    (entry,), _ = source.parse_list({"records": [record]}, "flash")
    assert (entry.code, entry.info_code) == ("202205262391921712", "NW202205262391921712")


def test_flash_without_id_falls_back_to_the_info_code_digits() -> None:
    (entry,), _ = source.parse_list({"records": [{"infoCode": "NW2022"}]}, "flash")
    assert (entry.code, entry.info_code) == ("2022", "NW2022")


@pytest.mark.parametrize(
    "record",
    [
        {"title": "no code"},
        {"infoCode": "../../etc/passwd"},
        {"infoCode": "NW1/2"},
        {"infoCode": "a" * 41},
        {"infoCode": "NW１２３"},
        "not an object",
    ],
)
def test_records_without_a_safe_code_are_rejected_with_a_reason(record: object) -> None:
    entries, rejected = source.parse_list({"record": [record]}, "market")
    assert entries == []
    assert len(rejected) == 1 and rejected[0].reason


@pytest.mark.parametrize(
    "payload",
    [[], {"error": "x"}, {"records": "nope"}, "text", None],
)
def test_documents_that_are_not_lists_raise_format_errors(payload: object) -> None:
    with pytest.raises(source.UpstreamFormatError):
        source.parse_list(payload, "flash")


def test_load_json_rejects_html_error_pages() -> None:
    with pytest.raises(source.UpstreamFormatError):
        source.load_json("<html><body>502 Bad Gateway</body></html>")


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        ("media", {"text": "<p>t</p>", "content": "<p>c</p>"}, "<p>t</p>"),
        ("flash", {"text": "<p>t</p>", "content": "<p>c</p>"}, "<p>c</p>"),
        ("media", {"text": "", "content": "<p>c</p>"}, "<p>c</p>"),
        ("flash", {"content": "  ", "text": "<p>t</p>"}, "<p>t</p>"),
        ("market", {}, ""),
    ],
)
def test_text_key_preference_and_fallback(kind: str, payload: dict, expected: str) -> None:
    assert source.parse_text(payload, kind) == expected


def test_digest_text_drops_the_bracketed_lead() -> None:
    assert source.digest_text("【标题】摘要正文……（上海证券报）") == "摘要正文……（上海证券报）"
    assert source.digest_text("没有标题") == "没有标题"
