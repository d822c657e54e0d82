from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from newsmirror.archive.frontmatter import FrontMatterError, split_document, yaml_line, yaml_quoted
from newsmirror.archive.post import PostContent, autolink, markdown_text, render_post

SHANGHAI = ZoneInfo("Asia/Shanghai")


def post(**changes: object) -> PostContent:
    values: dict = {
        "code": "NW1",
        "title": "标题",
        "published": datetime(2022, 5, 29, 0, 2, 28, tzinfo=SHANGHAI),
        "category": "sichuanxinwenwang",
        "category_title": "四川新闻网新闻",
        "tags": ("四川新闻网新闻",),
        "body_html": "<p>正文</p>",
        "digest": "",
        "source_url": "http://x.test/a?infoCode=NW1",
    }
    values.update(changes)
    return PostContent(**values)


@given(st.text())
def test_any_title_is_valid_yaml_and_reads_back_unchanged(title: str) -> None:
    doc = split_document(render_post(post(title=title), "//site"))
    assert doc.meta["title"] == title


@given(st.text())
def test_any_tag_or_slug_value_reads_back_unchanged(value: str) -> None:
    assert yaml.safe_load(yaml_line("tags", value)) == {"tags": value}


@pytest.mark.parametrize(
    "title",
    [
        'a "quoted" title',
        "key: value",
        "---",
        "- item",
        "&anchor *alias",
        "!!python/object:os.system",
        "line\nbreak",
        "# comment",
        "{{ site }}",
        "\\ backslash",
        "'single'",
        "null",
        "123",
    ],
)
def test_hostile_titles_stay_strings(title: str) -> None:
    assert yaml.safe_load(f"title: {yaml_quoted(title)}") == {"title": title}


@given(st.lists(st.text(), min_size=2))
def test_any_tag_list_reads_back_unchanged(tags: list[str]) -> None:
    assert yaml.safe_load(yaml_line("tags", tags)) == {"tags": tags}


def test_slug_that_yaml_would_read_as_a_number_is_quoted() -> None:
    assert yaml.safe_load(yaml_line("categories", "123")) == {"categories": "123"}


def test_layout_of_a_media_post() -> None:
    text = render_post(post(), "//finews.withounder.com")
    assert text == (
        '---\nlayout: post\ntitle: "标题"\ndate: 2022-05-29 00:02:28 +0800\n'
        "categories: sichuanxinwenwang\ntags: 四川新闻网新闻\n---\n"
        "<p>正文</p>\n\n<http://x.test/a?infoCode=NW1>\n\n"
        "[返回四川新闻网新闻](//finews.withounder.com/category/sichuanxinwenwang.html)"
        "｜[返回首页](//finews.withounder.com/)"
    )


def test_flash_post_starts_with_the_digest_quote() -> None:
    text = render_post(post(digest="摘要 <b>", category="emnews"), "//s")
    body = split_document(text).body
    assert body.startswith("> 摘要 &lt;b&gt;\n\n<p>正文</p>\n\n")


def test_date_in_another_zone_is_written_in_beijing_time() -> None:
    utc = datetime(2022, 5, 28, 16, 2, 28, tzinfo=ZoneInfo("UTC"))
    assert "date: 2022-05-29 00:02:28 +0800\n" in render_post(post(published=utc), "//s")


def test_post_without_a_usable_source_url_has_no_empty_link() -> None:
    for url in ("", "javascript:alert(1)", "ftp://x"):
        assert "<>" not in render_post(post(source_url=url), "//s")
        assert "\n\n\n" not in render_post(post(source_url=url), "//s")


def test_autolink_cannot_break_out() -> None:
    assert autolink("http://x.test/a b>c<d") == "<http://x.test/a%20b%3Ec%3Cd>"


@pytest.mark.parametrize(
    "text",
    ['{: onclick="alert(1)"}', "{::comment}hidden{:/comment}", "{{ site }}", "{% raw %}"],
)
def test_markdown_text_hides_kramdown_and_liquid_braces(text: str) -> None:
    assert "{" not in markdown_text(text)
    assert html.unescape(markdown_text(text)) == text


def test_markdown_text_is_inert() -> None:
    assert markdown_text("[x](javascript:1) <script>*_`\\") == (
        "\\[x\\](javascript:1) &lt;script&gt;\\*\\_\\`\\\\"
    )


@pytest.mark.parametrize(
    "text",
    ["\n---\nlayout: post\n---\nbody", "no front matter", "---\ntitle: x\n", "---\n- a\n---\n"],
)
def test_documents_without_proper_front_matter_are_refused(text: str) -> None:
    with pytest.raises(FrontMatterError):
        split_document(text)
