"""``newsmirror check``: the old generator's bugs found on its own posts, crafted
breakage reported, a clean archive passing, and the report's forms."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsmirror.archive.check import CheckReport, check_archive
from newsmirror.archive.postfile import split_post
from newsmirror.archive.reader import parse_post
from newsmirror.cli import main
from newsmirror.exitcodes import CHECK_FAILED, OK
from newsmirror.normalize.html import clean_body
from newsmirror.normalize.html_check import find_unsafe_markup
from newsmirror.normalize.html_quick import plainly_clean
from newsmirror.testing.server import UpstreamServer

from .archive_check_helpers import (
    FINEWS_POSTS,
    copy_old_archive,
    files_of,
    kinds_of,
    old_post,
    page,
    snapshot,
    write,
)
from .archive_helpers import make_post, store_posts

DATELESS = "_posts/-202205262391921712.md"
T1 = "_posts/2021-12-08-202112082206703990.md"  # starts with a blank line
T0 = "_posts/2021-12-08-202112082206672930.md"  # no +0800, final newline
T3 = "_posts/2021-12-08-202112082206748961.md"  # back-links ./emnews/ and ./
T7 = "_posts/2021-12-08-202112082206890854.md"  # //finews.withounder.com/emnews/｜…
EMPTY_LINK = "_posts/2021-12-08-202112082206870651.md"


@pytest.fixture(scope="module")
def old_report(tmp_path_factory: pytest.TempPathFactory) -> CheckReport:
    root = copy_old_archive(tmp_path_factory.mktemp("old"))
    return check_archive(root)


# -- the old generator's archive --------------------------------------------------------
def test_every_post_and_page_of_the_old_archive_is_checked(old_report: CheckReport) -> None:
    assert old_report.posts == 122
    assert old_report.pages == 7
    assert not old_report.clean


def test_old_generator_post_bugs_are_reported_on_the_right_files(old_report: CheckReport) -> None:
    problems = old_report.problems
    assert files_of(problems, "name-no-date") == {DATELESS}
    (dateless,) = [p for p in problems if p.kind == "name-no-date"]
    assert "2022-05-26-202205262391921712.md" in dateless.detail  # its dated twin
    assert files_of(problems, "date-empty") == {DATELESS}
    assert files_of(problems, "title-empty") == {DATELESS}
    assert files_of(problems, "empty-link") == {DATELESS, EMPTY_LINK}
    not_at_start = files_of(problems, "front-matter-not-at-start")
    assert len(not_at_start) == 10 and T1 in not_at_start
    no_zone = files_of(problems, "date-no-zone")
    assert len(no_zone) == 81 and T0 in no_zone and "_posts/2021-12-01-init.md" in no_zone
    assert not any("2022-" in file for file in no_zone)  # every 2022 post has +0800
    assert files_of(problems, "trailing-newline") == {T0, "_posts/2021-12-01-init.md"}


def test_injected_markup_is_reported_on_the_2022_bodies(old_report: CheckReport) -> None:
    injected = {p.path: p.detail for p in old_report.problems if p.kind == "body-injected"}
    assert len(injected) == 10
    assert "stock or sector link (x" in injected["_posts/2022-05-31-202205312398034850.md"]
    assert "EM_StockImg chart block" in injected["_posts/2022-02-09-NW202202092271136373.md"]
    assert "body-unsafe" not in kinds_of(old_report.problems)
    assert "body-liquid" not in kinds_of(old_report.problems)


def test_relative_and_old_host_back_links_are_problems_current_host_is_history(
    old_report: CheckReport,
) -> None:
    problems = old_report.problems
    relative = {p.path: p.detail for p in problems if p.kind == "backlink-relative"}
    old_host = {p.path: p.detail for p in problems if p.kind == "backlink-old-host"}
    assert len(relative) == 29 and relative[T3] == "./emnews/, ./"
    assert len(old_host) == 12
    assert all("finews.zning.me" in detail for detail in old_host.values())
    # The current host with the old /emnews/ path, or no back-links at all, are accepted.
    assert T7 not in relative.keys() | old_host.keys()
    assert T0 not in relative.keys() | old_host.keys()


def test_category_pages_are_judged_by_their_posts(old_report: CheckReport) -> None:
    problems = old_report.problems
    assert files_of(problems, "category-page-title") == {"category/emnews.html"}
    missing = files_of(problems, "category-page-missing")
    assert {"category/sitenews.html", "category/sichuanxinwenwang.html"} <= missing
    assert "category/cailianshe.html" not in missing
    assert files_of(problems, "category-name-unsafe") == {
        "category/21shijijingjibaodao  nancailicaitong.html"
    }
    assert files_of(old_report.notes, "category-page-unowned") == {"category/Wind.html"}
    for fine in ("35ke", "cailianshe", "yangxingwangzhan", "21shijiejingjibaodao"):
        assert not [p for p in problems if p.path == f"category/{fine}.html"], fine
    assert files_of(problems, "no-index") == {".newsmirror/index.jsonl"}
    assert "not-indexed" not in kinds_of(problems)  # said once, by no-index


def test_check_changes_nothing(tmp_path: Path) -> None:
    root = copy_old_archive(tmp_path)
    before = snapshot(root)
    assert main(["check", str(root)]) == CHECK_FAILED
    assert snapshot(root) == before


def test_post_pieces_put_back_together_byte_for_byte() -> None:
    posts = sorted(FINEWS_POSTS.glob("*/*.md"))
    assert len(posts) == 122
    for path in posts:
        text = path.read_text(encoding="utf-8")
        pieces = split_post(text)
        assert pieces.text() == text, path.name
        if not pieces.lead and pieces.link != "<>":  # the reader keeps "<>" in the HTML
            assert pieces.html.strip() == parse_post(text).body_html, path.name


# -- an archive newsmirror wrote ---------------------------------------------------------
def test_an_archive_written_by_newsmirror_checks_clean(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    odd = "[点我](javascript:alert(1))"  # in the back-links' text, escaped
    store_posts(
        root,
        [
            make_post("NW202205292395331423", title='他说"好": {{ x }} \\n', source=odd),
            make_post("202205292395331424", digest="快讯 {% raw %}", body="<p>正文</p>"),
            make_post("NW202205302396506117", "2022-05-30 10:00:00", source=odd),
        ],
    )
    report = check_archive(root)
    assert report.problems == [], report.problems
    assert main(["check", str(root)]) == OK


# -- crafted breakage --------------------------------------------------------------------
def test_crafted_broken_posts_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    store_posts(root, [make_post("NW202205292395331423")])
    write(root, "_posts/2022-05-29-NW1.md", old_post('他说"好"'))  # unescaped quote
    write(root, "_posts/2022-05-29-NW2.md", old_post("编码\\u4e2d"))  # YAML reads 中
    write(root, "_posts/2022-05-29-NW3.md", old_post(body="<p>a</p><script>alert(1)</script>"))
    write(root, "_posts/2022-05-29-NW4.md", old_post(body="<p>{{ site.title }}</p>"))
    write(root, "_posts/2022-05-29-NW5.md", old_post(body='<p><img src="x" onerror="y"></p>'))
    write(root, "_posts/2022-05-29-NW(1).md", old_post())  # path-unsafe names
    write(root, "_posts/2022-05-29-a b.md", old_post())
    write(root, "_posts/notes.txt", "hello")
    write(root, "_posts/2022-05-30-NW6.md", old_post())  # dated the 29th
    write(root, "old_post/2022-05-29-NW202205292395331423.md", old_post())  # code twice
    write(root, "_posts/2022-05-29-nw7.md", old_post())  # differ only in case
    write(root, "_posts/2022-05-29-NW7.md", old_post())
    write(root, "_posts/.2022-05-29-NW8.md.nm-tmp-abc", "half")
    report = check_archive(root)
    found = {(p.kind, p.path) for p in report.problems}
    assert ("front-matter-yaml", "_posts/2022-05-29-NW1.md") in found
    assert ("title-escaping", "_posts/2022-05-29-NW2.md") in found
    assert ("body-unsafe", "_posts/2022-05-29-NW3.md") in found
    assert ("body-liquid", "_posts/2022-05-29-NW4.md") in found
    assert ("body-unsafe", "_posts/2022-05-29-NW5.md") in found
    assert {
        ("file-name", "_posts/2022-05-29-NW(1).md"),
        ("file-name", "_posts/2022-05-29-a b.md"),
        ("file-name", "_posts/notes.txt"),
    } <= found
    assert ("date-name-mismatch", "_posts/2022-05-30-NW6.md") in found
    assert ("duplicate", "_posts/2022-05-29-NW202205292395331423.md") in found
    assert ("case-clash", "_posts/2022-05-29-NW7.md") in found
    assert ("temp-file", "_posts/.2022-05-29-NW8.md.nm-tmp-abc") in found
    assert ("not-indexed", "_posts/2022-05-29-NW1.md") in found
    unsafe = next(p for p in report.problems if p.path.endswith("NW5.md"))
    assert "onerror" in unsafe.detail


def test_crafted_category_breakage_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    write(root, "category/TechWeb.html", page("TechWeb", "中国网科技新闻"))
    write(root, "category/Techweb.html", page("Techweb", "大江网新闻"))
    write(
        root, "category/Career In touxingPEVC.html", page("Career In touxingPEVC", "21新健康新闻")
    )
    write(root, "category/sichuanxinwenwang.html", page("sichuanxinwenwang", "四川新闻网新闻"))
    write(root, "feeds/sichuanxinwenwang.xml", page("sichuanxinwenwang", "旧名新闻", "feed"))
    write(root, "category/broken.html", "---\ntitle: [\n---\n")
    write(root, "category/cailianshe.html", page("other", "财联社新闻"))
    for n, tags in enumerate(("财联社新闻", "财联社新闻", "财联社快讯")):
        write(root, f"_posts/2022-05-29-NW{n}.md", old_post(category="cailianshe", tags=tags))
    report = check_archive(root)
    found = {(p.kind, p.path) for p in report.problems}
    assert ("case-clash", "category/TechWeb.html") in found
    assert ("category-name-unsafe", "category/Career In touxingPEVC.html") in found
    assert ("feed-page-title", "feeds/sichuanxinwenwang.xml") in found
    assert ("category-page-unreadable", "category/broken.html") in found
    assert ("category-page-key", "category/cailianshe.html") in found
    assert ("category-tags-disagree", "category/cailianshe.html") in found


def test_a_leftover_journal_and_a_hand_edited_post_are_index_problems(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    [(path, _)] = store_posts(root, [make_post("NW202205292395331423")])
    path.write_text(path.read_text(encoding="utf-8").replace("标题", "改过的标题"), "utf-8")
    (root / ".newsmirror" / "journal.jsonl").write_text("{}\n", encoding="utf-8")
    kinds = kinds_of(check_archive(root).problems)
    assert {"mismatch", "journal"} <= kinds


# -- the report -------------------------------------------------------------------------
def test_text_report_groups_by_kind_with_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_old_archive(tmp_path)
    assert main(["check", str(root), "--examples", "2"]) == CHECK_FAILED
    out = capsys.readouterr().out
    assert "FAILED:" in out
    assert "date-no-zone: 81 — date has no '+0800' [repair fixes it]" in out
    assert "… and 79 more (--verbose lists them all)" in out
    assert "category-page-unowned: 1" in out.split("notes (accepted history")[1]
    assert main(["check", str(root), "--verbose"]) == CHECK_FAILED
    in_posts = [p for p in check_archive(root).errors if p.path.startswith("_posts/")]
    assert capsys.readouterr().out.count("\n  _posts/") == len(in_posts) > 100


def test_json_report_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_old_archive(tmp_path)
    assert main(["check", str(root), "--format", "json"]) == CHECK_FAILED
    report = json.loads(capsys.readouterr().out)
    assert report["clean"] is False and report["posts"] == 122
    kinds = {k["kind"]: k for k in report["kinds"]}
    assert kinds["date-no-zone"]["count"] == len(kinds["date-no-zone"]["items"]) == 81
    assert kinds["category-page-unowned"]["severity"] == "note"
    assert kinds["title-empty"]["repair"] == "needs a human"
    assert report["problems"] == sum(
        k["count"] for k in report["kinds"] if k["severity"] == "problem"
    )


def test_check_of_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["check", str(tmp_path / "nowhere")]) == 2


# -- the fast HTML check ----------------------------------------------------------------
_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<br>", "<br />", "<strong>", "</strong>", '<p class="em_media">',
        '<p style="text-align:center">', '<p style="display:none">', '<p hidden>',
        '<img src="https://a.example/x.jpg" alt="x" width="5">',
        '<img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=1">',
        '<img src="https://WEBQUOTEKLINEPIC.eastmoney.com:443/x">',
        '<img src="https://u@webquoteklinepic.eastmoney.com/x">',
        '<img src="javascript:alert(1)">', '<img src="x" onerror="y">',
        '<a href="https://a.example/" rel="nofollow noopener">', "</a>",
        '<a href="javascript:x">', '<a class="keytip" href="http://q.example/">',
        '<span id="stock_1">', "</span>", '<span id="quote_1"></span>', "<script>", "</script>",
        "<!-- EM_StockImg_Start -->", "<!--[if IE]>", "<?php x ?>", "<svg onload=x>",
        "<STYLE>", '<p style="background:url(javascript:x)">', "<iframe srcdoc=x>",
        "{{ x }}", "{%", "{", "&lt;", "&#106;avascript:", "<1%", "文字", " ", "\n", '"', ">",
        '<td colspan="2">', "</td>", "<table>", "<h2>", "<form>", "<textarea>",
    ]
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_plainly_clean_bodies_are_clean(body: str) -> None:
    if plainly_clean(body):
        assert find_unsafe_markup(body) == []


def test_the_cleaners_bodies_are_plainly_clean() -> None:
    for path in sorted(FINEWS_POSTS.glob("_posts/2022-*.md")):
        html = split_post(path.read_text(encoding="utf-8")).html
        cleaned = clean_body(html)
        assert plainly_clean(cleaned), path.name
        if plainly_clean(html):
            assert find_unsafe_markup(html) == [], path.name


# -- an archive a crawl wrote ------------------------------------------------------------
@pytest.mark.slow
def test_an_archive_crawled_by_newsmirror_checks_clean_and_needs_no_repair(
    upstream_factory: Callable[..., UpstreamServer], archive_dir: Path
) -> None:
    from newsmirror.archive.repair import repair_archive

    from .conftest import crawl_eastmoney

    upstream = upstream_factory(articles=60)
    result = crawl_eastmoney(upstream, archive_dir, "-s", "ROTATE_KEEP_DAYS=30")
    assert result.returncode == 0, result.log[-3000:]
    assert list((archive_dir / "old_post").iterdir())  # rotated posts are checked too
    report = check_archive(archive_dir)
    assert report.problems == [], report.problems
    assert report.posts > 150
    assert main(["check", str(archive_dir)]) == OK
    before = snapshot(archive_dir, skip=(".newsmirror",))
    assert repair_archive(archive_dir, fsync=False).nothing_to_do
    assert snapshot(archive_dir, skip=(".newsmirror",)) == before
