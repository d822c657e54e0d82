"""Reading the category pages an archive already holds."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from newsmirror.archive.categories import read_category_pages
from newsmirror.archive.post import render_category_page
from newsmirror.normalize.slugs import ExistingPage


def write(root: Path, name: str, text: str | bytes) -> None:
    path = root / "category" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def test_reads_slug_and_title_of_every_page(tmp_path: Path) -> None:
    write(
        tmp_path,
        "sichuanxinwenwang.html",
        render_category_page("sichuanxinwenwang", "四川新闻网新闻"),
    )
    write(
        tmp_path, "Wind.html", "---\nlayout: category\ntitle: 证监会网站新闻\ncategory: Wind\n---\n"
    )
    write(tmp_path, "123.html", render_category_page("123", "123新闻"))
    assert read_category_pages(tmp_path) == [
        ExistingPage("123", "123新闻"),
        ExistingPage("Wind", "证监会网站新闻"),
        ExistingPage("sichuanxinwenwang", "四川新闻网新闻"),
    ]


def test_skips_what_is_not_a_safe_slug_page(tmp_path: Path) -> None:
    page = "---\nlayout: category\ntitle: X新闻\ncategory: x\n---\n"
    for name in (
        "Career In touxingPEVC.html",
        "anxinguojizhengquan(xianggang).html",
        ".x.html",
        "x.html.nm-tmp-abc",
        "x.md",
        "index.htm",
    ):
        write(tmp_path, name, page)
    (tmp_path / "category" / "dir.html").mkdir()
    assert read_category_pages(tmp_path) == []


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe not utf-8",
        "no front matter",
        "---\ntitle: [unclosed\n---\n",
        "---\n- a list\n---\n",
        "---\nlayout: category\ncategory: x\n---\n",
        "---\ntitle: 123\n---\n",
    ],
)
def test_an_unreadable_page_keeps_its_slug_without_a_title(
    tmp_path: Path, content: str | bytes, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "x.html", content)
    with caplog.at_level(logging.WARNING):
        assert read_category_pages(tmp_path) == [ExistingPage("x", "")]


def test_warns_when_front_matter_names_another_category(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "a.html", render_category_page("b", "A新闻"))
    with caplog.at_level(logging.WARNING):
        assert read_category_pages(tmp_path) == [ExistingPage("a", "A新闻")]
    assert "says category 'b'" in caplog.text


def test_no_category_folder(tmp_path: Path) -> None:
    assert read_category_pages(tmp_path) == []
    assert read_category_pages(tmp_path / "missing") == []
