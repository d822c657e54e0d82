"""AttributeSourcePipeline through the project's whole item path, against temp archives
that already hold category pages."""

from __future__ import annotations

import itertools
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import newsmirror.pipelines as pipelines
from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.post import render_category_page
from newsmirror.items import LIST_FLASH, LIST_MEDIA, Article
from newsmirror.normalize.slugs import SlugPinError, name_hash
from newsmirror.spiders.eastmoney import EastmoneySpider
from newsmirror.testing.offline import OfflineCrawl

FETCHED = datetime(2022, 5, 29, 1, 0, tzinfo=UTC)
_serial = itertools.count(1)


def media(source: str, body: str = "<p>正文。</p>", **changes: Any) -> Article:
    code = f"NW20220529{next(_serial):010d}"
    values: dict[str, Any] = {
        "code": code,
        "list_kind": LIST_MEDIA,
        "list_name": LIST_MEDIA,
        "title": f"标题{code}",
        "published_raw": "2022-05-29 00:02:28",
        "source_name": source,
        "body_html": body,
        "source_url": f"http://share.test/html_News/NewsShare.html?infoCode={code}",
        "info_code": code,
        "fetched_at": FETCHED,
    }
    values.update(changes)
    return Article(**values)


def flash(digest: str, **changes: Any) -> Article:
    code = f"20220529{next(_serial):010d}"
    values: dict[str, Any] = {
        "code": code,
        "list_kind": LIST_FLASH,
        "list_name": LIST_FLASH,
        "digest": digest,
        "original_url": f"http://finance.eastmoney.com/a/{code}.html",
        "source_url": f"http://finance.eastmoney.com/a/{code}.html",
    }
    values.update(changes)
    return media("", **values)


def category_page(root: Path, slug: str, title: str) -> Path:
    path = root / "category" / f"{slug}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_category_page(slug, title), encoding="utf-8")
    return path


def page_title(root: Path, slug: str) -> str:
    text = (root / "category" / f"{slug}.html").read_text(encoding="utf-8")
    return str(split_document(text).meta["title"])


def crawl(archive: Path, **settings: Any) -> OfflineCrawl:
    return OfflineCrawl(
        EastmoneySpider, {"ARCHIVE_DIR": str(archive), "ARCHIVE_FSYNC": False, **settings}
    )


def run(archive: Path, items: list[Article], **settings: Any) -> dict[str, str]:
    """Process ``items`` in one crawl; source name -> category."""
    offline = crawl(archive, **settings)
    done = [offline.process(item) for item in items]
    offline.close()
    return {item.source_name: item.category for item in done}


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    category_page(root, "xinlang", "新浪新闻")
    category_page(root, "TechWeb", "TechWeb新闻")
    # The old generator's wrong titles and its odd flash title.
    category_page(root, "Wind", "证监会网站新闻")
    category_page(root, "emnews", "Emnews")
    return root


def test_a_homophone_of_an_existing_source_gets_its_own_page(
    archive: Path, caplog: pytest.LogCaptureFixture
) -> None:
    offline = crawl(archive)
    with caplog.at_level(logging.WARNING, logger="newsmirror.pipelines"):
        first = offline.process(media("新郎"))
        second = offline.process(media("新郎"))
    slug = f"xinlang-{name_hash('新郎')}"
    assert first.category == second.category == slug
    assert first.category_title == first.tags[0] == "新郎新闻"
    assert page_title(archive, slug) == "新郎新闻"
    assert page_title(archive, "xinlang") == "新浪新闻"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"source '新郎': slug 'xinlang' is taken by 新浪; using '{slug}'"]
    assert offline.stats["newsmirror/attribution/slug/disambiguated"] == 1
    assert offline.stats["newsmirror/attribution/source/list"] == 2


def test_the_existing_owner_keeps_its_page(archive: Path) -> None:
    offline = crawl(archive)
    item = offline.process(media("新浪"))
    assert item.category == "xinlang"
    assert offline.stats["newsmirror/attribution/slug/kept"] == 1


def test_a_case_variant_never_becomes_a_second_file(archive: Path) -> None:
    categories = run(archive, [media("Techweb"), media("TechWeb")])
    assert categories == {"Techweb": f"Techweb-{name_hash('Techweb')}", "TechWeb": "TechWeb"}
    names = [p.name.casefold() for p in (archive / "category").iterdir()]
    assert len(names) == len(set(names))


def test_a_page_under_a_wrong_title_is_taken_over_and_retitled(archive: Path) -> None:
    assert run(archive, [media("Wind")]) == {"Wind": "Wind"}
    assert page_title(archive, "Wind") == "Wind新闻"


def test_flash_news_go_to_emnews_and_keep_their_outlet(archive: Path) -> None:
    offline = crawl(archive)
    item = offline.process(flash("【标题】…年均增长8.4%。（央视新闻客户端）"))
    assert (item.category, item.category_title, item.tags) == (
        "emnews",
        "东财滚动新闻",
        ["东财滚动新闻"],
    )
    assert item.source_name == "央视新闻客户端"
    assert item.aggregator == "东方财富"
    assert item.original_url.startswith("http://finance.eastmoney.com/a/")
    assert page_title(archive, "emnews") == "东财滚动新闻"
    assert offline.stats["newsmirror/attribution/source/digest"] == 1


def test_a_source_spelled_like_the_flash_category_is_kept_apart(archive: Path) -> None:
    assert run(archive, [media("EMNews")]) == {"EMNews": f"EMNews-{name_hash('EMNews')}"}
    assert page_title(archive, "emnews") == "Emnews"  # not touched by a media post


def test_outlet_from_the_body_attribution_line(archive: Path) -> None:
    body = (
        '<p>正文。</p><p class="em_media">（文章来源：上海<span id="bk_90.BK0473"><a '
        'class="keytip">证券</a></span><span id="bkquote_90.BK0473"></span>报）</p>'
    )
    offline = crawl(archive)
    item = offline.process(media("", body=body))
    assert (item.source_name, item.category) == ("上海证券报", "shanghaizhengquanbao")
    # The attribution paragraph stays in the body (the HTML stage may drop the spans).
    assert "（文章来源：上海" in item.body_html and item.body_html.endswith("报）</p>")
    assert offline.stats["newsmirror/attribution/source/body"] == 1


def test_no_outlet_anywhere(archive: Path) -> None:
    offline = crawl(archive)
    item = offline.process(media(""))
    assert (item.source_name, item.category, item.category_title) == (
        "",
        "weizhilaiyuan",
        "未知来源新闻",
    )
    assert offline.stats["newsmirror/attribution/source/none"] == 1


def test_an_unusable_original_url_is_dropped(archive: Path) -> None:
    item = crawl(archive).process(media("新浪", original_url="javascript:alert(1)"))
    assert item.original_url == ""


@pytest.mark.parametrize("order", list(itertools.permutations(["新浪", "新郎", "心狼"])))
def test_arrival_order_does_not_change_the_outcome(
    archive: Path, tmp_path: Path, order: tuple[str, ...]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    assert run(copy, [media(name) for name in order]) == {
        "新浪": "xinlang",
        "新郎": f"xinlang-{name_hash('新郎')}",
        "心狼": f"xinlang-{name_hash('心狼')}",
    }


def test_the_first_run_decides_for_every_later_run(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    first = run(archive, [media("信朗"), media("新郎")])
    assert first == {"信朗": "xinlang", "新郎": f"xinlang-{name_hash('新郎')}"}
    assert run(archive, [media("新郎"), media("信朗")]) == first
    assert page_title(archive, "xinlang") == "信朗新闻"


def test_category_pages_are_read_once_at_open(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    real = pipelines.read_category_pages

    def counting(root: Path) -> Any:
        calls.append(root)
        return real(root)

    monkeypatch.setattr(pipelines, "read_category_pages", counting)
    offline = crawl(archive)
    for name in ("新浪", "新郎", "四川新闻网", "新浪", "Wind"):
        offline.process(media(name))
    assert calls == [archive]


def test_pins_from_settings_and_file(archive: Path, tmp_path: Path) -> None:
    pins_file = tmp_path / "pins.tsv"
    pins_file.write_text(
        "# polyphonic readings\n重庆日报\tzhongqingribao\n"
        "中国银行保险报\tzhongguoyinhangbaoxianbao\n",
        encoding="utf-8",
    )
    categories = run(
        archive,
        [media("重庆日报"), media("中国银行保险报"), media("四川新闻网")],
        CATEGORY_SLUG_PINS={"重庆日报": "chongqingribao"},
        CATEGORY_SLUG_PINS_FILE=str(pins_file),
    )
    assert categories == {
        "重庆日报": "chongqingribao",  # the setting wins over the file
        "中国银行保险报": "zhongguoyinhangbaoxianbao",
        "四川新闻网": "sichuanxinwenwang",
    }
    assert page_title(archive, "chongqingribao") == "重庆日报新闻"


def test_pins_given_as_json_on_the_command_line(archive: Path) -> None:
    categories = run(
        archive, [media("重庆日报")], CATEGORY_SLUG_PINS='{"重庆日报": "chongqingribao"}'
    )
    assert categories == {"重庆日报": "chongqingribao"}


@pytest.mark.parametrize(
    "pins",
    [
        {"重庆日报": "../chongqing"},
        {"重庆日报": "chong qing"},
        {"东财": "emnews"},
        {"重庆日报": "cq", "重慶日報": "CQ"},
    ],
)
def test_a_bad_pin_stops_the_crawl_before_it_starts(archive: Path, pins: dict[str, str]) -> None:
    with pytest.raises(SlugPinError):
        crawl(archive, CATEGORY_SLUG_PINS=pins)


def test_a_missing_pins_file_stops_the_crawl(archive: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        crawl(archive, CATEGORY_SLUG_PINS_FILE=str(tmp_path / "missing.tsv"))
