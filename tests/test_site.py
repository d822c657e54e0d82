"""``newsmirror init-site``: the Jekyll skeleton, kept files, feed pages, the command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from newsmirror.archive.feedpage import render_feed_page
from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.post import render_category_page
from newsmirror.archive.site import (
    SKELETON,
    SiteConfigError,
    init_site,
    render_config,
    split_site_url,
    template_text,
)
from newsmirror.archive.writer import ArchiveWriter
from newsmirror.cli import EXIT_OK, EXIT_USAGE, main

URL = "https://finews.withounder.com"


def category_page(root: Path, slug: str, title: str) -> None:
    path = root / "category" / f"{slug}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_category_page(slug, title), encoding="utf-8")


@pytest.mark.parametrize(
    ("given", "url", "baseurl"),
    [
        ("//finews.withounder.com", "https://finews.withounder.com", ""),
        ("//finews.withounder.com/", "https://finews.withounder.com", ""),
        ("https://example.org/news/", "https://example.org", "/news"),
        ("http://127.0.0.1:4000", "http://127.0.0.1:4000", ""),
    ],
)
def test_site_url_splits_into_url_and_baseurl(given: str, url: str, baseurl: str) -> None:
    assert split_site_url(given) == (url, baseurl)


@pytest.mark.parametrize(
    "bad", ["", "/news", "finews.withounder.com", "ftp://x.org", "https://x/?a=1"]
)
def test_site_url_must_be_absolute_http(bad: str) -> None:
    with pytest.raises(SiteConfigError):
        split_site_url(bad)


def test_config_is_strict_and_holds_the_title_exactly() -> None:
    title = '金融消息: "每日" #1 {{ site }}'
    config = yaml.safe_load(render_config(title, "//finews.withounder.com/mirror"))
    assert config["title"] == title
    assert (config["url"], config["baseurl"]) == (URL, "/mirror")
    assert config["timezone"] == "Asia/Shanghai"
    assert config["lang"] == "zh-CN"
    assert config["permalink"] == "date"
    assert config["strict_front_matter"] is True
    assert config["safe"] is True
    assert config["liquid"] == {
        "error_mode": "strict",
        "strict_filters": True,
        "strict_variables": True,
    }
    assert {".newsmirror", "old_post"} <= set(config["exclude"])
    assert config["newsmirror"]["feed_entries"] > 0
    assert "theme" not in config and "plugins" not in config


def test_empty_title_is_refused() -> None:
    with pytest.raises(SiteConfigError):
        render_config("  ", URL)


def test_init_site_writes_the_skeleton(tmp_path: Path) -> None:
    report = init_site(tmp_path, title="金融消息", url=URL, fsync=False)
    assert report.written == [Path(target) for target, _ in SKELETON]
    assert report.kept == []
    for target, template in SKELETON:
        text = (tmp_path / target).read_text(encoding="utf-8")
        if target != "_config.yml":
            assert text == template_text(template)
    index = split_document((tmp_path / "index.html").read_text(encoding="utf-8"))
    assert index.meta["layout"] == "default"


def test_init_site_never_overwrites_and_reports_what_it_kept(tmp_path: Path) -> None:
    (tmp_path / "_layouts").mkdir()
    (tmp_path / "_layouts" / "post.html").write_text("mine", encoding="utf-8")
    (tmp_path / "_config.yml").write_text("title: mine\n", encoding="utf-8")
    report = init_site(tmp_path, title="金融消息", url=URL, fsync=False)
    assert report.kept == [Path("_config.yml"), Path("_layouts/post.html")]
    assert Path("_layouts/default.html") in report.written
    assert (tmp_path / "_layouts" / "post.html").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "_config.yml").read_text(encoding="utf-8") == "title: mine\n"

    again = init_site(tmp_path, title="其他", url=URL, fsync=False)
    assert again.written == []
    assert sorted(again.kept) == sorted(Path(t) for t, _ in SKELETON)


def test_init_site_adds_feed_pages_for_existing_categories(tmp_path: Path) -> None:
    category_page(tmp_path, "sichuanxinwenwang", "四川新闻网新闻")
    category_page(tmp_path, "emnews", "东财滚动新闻")
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "emnews.xml").write_text("kept", encoding="utf-8")
    # A page of the old generator whose slug is not safe in a file name.
    legacy = tmp_path / "category" / "Career In touxingPEVC.html"
    legacy.write_text(
        "---\nlayout: category\ntitle: 21新健康新闻\ncategory: Career In touxingPEVC\n---\n",
        encoding="utf-8",
    )
    (tmp_path / "category" / "broken.html").write_text("no front matter", encoding="utf-8")

    report = init_site(tmp_path, title="金融消息", url=URL, fsync=False)

    assert report.feeds_written == [Path("feeds/sichuanxinwenwang.xml")]
    assert report.feeds_kept == [Path("feeds/emnews.xml")]
    assert [path for path, _ in report.skipped] == [
        Path("category/Career In touxingPEVC.html"),
        Path("category/broken.html"),
    ]
    page = split_document((tmp_path / "feeds" / "sichuanxinwenwang.xml").read_text("utf-8"))
    assert page.meta == {
        "layout": "feed",
        "title": "四川新闻网新闻",
        "category": "sichuanxinwenwang",
    }
    assert (tmp_path / "feeds" / "emnews.xml").read_text(encoding="utf-8") == "kept"


def test_feed_page_reads_back_whatever_the_title(tmp_path: Path) -> None:
    title = '"引号": {{ x }} #'
    assert split_document(render_feed_page("abc", title)).meta["title"] == title


def test_writer_writes_a_feed_page_with_each_category_page(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, "//site", fsync=False)
    writer.ensure_category_page("sichuanxinwenwang", "四川新闻网新闻")
    feed = tmp_path / "feeds" / "sichuanxinwenwang.xml"
    assert feed.read_text(encoding="utf-8") == render_feed_page(
        "sichuanxinwenwang", "四川新闻网新闻"
    )


def test_cli_init_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "index.html").write_text("mine", encoding="utf-8")
    category_page(tmp_path, "emnews", "东财滚动新闻")
    code = main(["init-site", str(tmp_path), "--title", "测试站", "--url", "https://x.test/a"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "wrote _config.yml" in out
    assert "kept  index.html (exists, not overwritten)" in out
    assert "feed pages: 1 written, 0 kept, 0 skipped" in out
    config = yaml.safe_load((tmp_path / "_config.yml").read_text(encoding="utf-8"))
    assert (config["title"], config["url"], config["baseurl"]) == ("测试站", "https://x.test", "/a")


def test_cli_init_site_defaults_come_from_the_settings(tmp_path: Path) -> None:
    assert main(["init-site", str(tmp_path)]) == EXIT_OK
    config = yaml.safe_load((tmp_path / "_config.yml").read_text(encoding="utf-8"))
    assert (config["title"], config["url"]) == ("金融消息", URL)


def test_cli_init_site_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init-site", str(tmp_path / "missing")]) == EXIT_USAGE
    assert main(["init-site", str(tmp_path), "--url", "/relative"]) == EXIT_USAGE
    assert "absolute http(s) URL" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
