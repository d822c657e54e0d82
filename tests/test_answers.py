"""Decoding and checking upstream answers: charsets, HTML error pages, wrong shapes."""

from __future__ import annotations

import json

import pytest

from newsmirror.sources import answers
from newsmirror.sources.encoding import decode_body

DOC = {"text": "<p>　　巨化股份（600160）公告：董事会决议。</p>", "content": ""}
TEXT = json.dumps(DOC, ensure_ascii=False)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (TEXT.encode("utf-8"), "application/json; charset=utf-8"),
        (TEXT.encode("utf-8"), "application/json"),
        (TEXT.encode("utf-8"), None),
        (TEXT.encode("gbk"), "application/json; charset=GBK"),
        (TEXT.encode("gbk"), "application/json; charset=gb2312"),
        (TEXT.encode("gb18030"), "application/json; charset=GB18030"),
        (TEXT.encode("gbk"), "application/json"),  # undeclared
        (TEXT.encode("gb18030"), b"application/json"),
        (TEXT.encode("gbk"), "application/json; charset=utf-8"),  # declared wrong
        (TEXT.encode("gbk"), "application/json; charset=klingon"),  # unknown charset
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "application/json"),  # BOM
    ],
)
def test_every_encoding_decodes_to_the_same_text(body: bytes, content_type: str | None) -> None:
    assert decode_body(body, content_type) == TEXT


def test_a_supplementary_plane_character_survives_gb18030() -> None:
    text = '{"title": "𫓹钢"}'
    assert decode_body(text.encode("gb18030"), "application/json") == text


def test_bytes_that_fit_no_encoding_are_replaced_not_raised() -> None:
    assert "\ufffd" in decode_body(b'{"t": "\x80\xff"}', "application/json; charset=utf-8")


def test_read_text_reads_gbk_without_charset() -> None:
    body = TEXT.encode("gbk")
    assert answers.read_text(body, "application/json", "media", allow_empty=False) == DOC["text"]


def test_article_html_declaring_a_charset_does_not_confuse_decoding() -> None:
    doc = json.dumps({"text": '<meta charset="iso-8859-1"><p>中文</p>'}, ensure_ascii=False)
    assert answers.read_text(doc.encode(), "application/json", "media", allow_empty=False) == (
        '<meta charset="iso-8859-1"><p>中文</p>'
    )


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", answers.HTML_PAGE),
        (b"  <!DOCTYPE html><html></html>", answers.HTML_PAGE),
        (b'jQuery1124_1654({"text": "x"});', answers.NOT_JSON),
        (b'{"text": "<p>cut', answers.NOT_JSON),
        (b"", answers.NOT_JSON),
        (b'["text"]', answers.WRONG_SHAPE),
        (b'{"error": "no such article"}', answers.WRONG_SHAPE),
        (b"{}", answers.WRONG_SHAPE),
        (b'{"text": "", "content": " "}', answers.EMPTY_TEXT),
    ],
)
def test_unusable_texts_say_what_is_wrong(body: bytes, kind: str) -> None:
    with pytest.raises(answers.UnusableAnswer) as raised:
        answers.read_text(body, "application/json", "media", allow_empty=False)
    assert raised.value.kind == kind


def test_an_empty_text_is_allowed_when_asked() -> None:
    body = b'{"text": "", "content": ""}'
    assert answers.read_text(body, "application/json", "flash", allow_empty=True) == ""


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"<html>busy</html>", answers.HTML_PAGE),
        (b'{"nodeList": [{"infocode"', answers.NOT_JSON),
        (b"{}", answers.WRONG_SHAPE),
        (b'{"nodeList": "none"}', answers.WRONG_SHAPE),
        (b'{"nodeList": []}', answers.EMPTY_LIST),
    ],
)
def test_unusable_lists_say_what_is_wrong(body: bytes, kind: str) -> None:
    with pytest.raises(answers.UnusableAnswer) as raised:
        answers.read_list(body, "application/json", "media", expect_records=True)
    assert raised.value.kind == kind


def test_an_empty_list_is_only_unusable_when_records_are_expected() -> None:
    body = b'{"nodeList": []}'
    assert answers.read_list(body, None, "media", expect_records=False) == ([], [])
    # A list of broken records is not empty: its records are rejected one by one.
    entries, rejected = answers.read_list(
        b'{"nodeList": [{"title": "no code"}]}', None, "media", expect_records=True
    )
    assert entries == [] and len(rejected) == 1
