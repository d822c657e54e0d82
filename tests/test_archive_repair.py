"""``newsmirror repair``: the old archive repaired until it checks clean, without losing
content; dry runs, second runs and interrupted runs; what it leaves for a human."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from newsmirror.archive import repair as repair_module
from newsmirror.archive.check import check_archive
from newsmirror.archive.consistency import find_problems
from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.lock import ArchiveLock
from newsmirror.archive.postfile import split_post
from newsmirror.archive.repair import repair_archive
from newsmirror.cli import main
from newsmirror.exitcodes import CHECK_FAILED, LOCKED, OK
from newsmirror.normalize.html_text import html_to_text

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
from .archive_helpers import index_of, make_post, store_posts

DATELESS = "_posts/-202205262391921712.md"
TWIN = "_posts/2022-05-26-202205262391921712.md"
T1 = "_posts/2021-12-08-202112082206703990.md"
T3 = "_posts/2021-12-08-202112082206748961.md"
T5 = "_posts/2021-12-08-202112082206736198.md"
EMPTY_LINK = "_posts/2021-12-08-202112082206870651.md"
#: What taking the lock rewrites each time (local state, git-ignored).
LOCK_FILES = (".newsmirror", ".newsmirror/lock", ".newsmirror/lock.owner")


def article_text(text: str) -> str:
    """A post's title and visible article text, whitespace removed."""
    post = split_post(text)
    raw_title = post.meta_value("title") or ""
    visible = html_to_text(post.html) + post.digest
    return re.sub(r"\s+", "", raw_title.strip('"') + visible)


@pytest.fixture
def old_archive(tmp_path: Path) -> Path:
    return copy_old_archive(tmp_path)


def test_repair_fixes_the_old_archive_and_it_then_checks_clean(old_archive: Path) -> None:
    before = {p.relative_to(old_archive): p.read_text("utf-8") for p in old_archive.rglob("*.md")}
    assert main(["repair", str(old_archive)]) == OK
    report = check_archive(old_archive)
    assert report.clean, report.errors
    assert main(["check", str(old_archive)]) == OK
    assert files_of(report.notes, "quarantined") == {"_quarantine/_posts/-202205262391921712.md"}
    assert find_problems(old_archive) == []
    # No post lost, none gained but by moving; every article keeps its text.
    after = {p.relative_to(old_archive): p.read_text("utf-8") for p in old_archive.rglob("*.md")}
    assert len(after) == len(before)
    for rel, text in before.items():
        moved = Path("_quarantine") / rel if str(rel) == DATELESS else rel
        assert article_text(after[moved]) == article_text(text), rel


def test_repaired_posts_have_the_archive_format(old_archive: Path) -> None:
    repair_archive(old_archive, fsync=False)
    t1 = (old_archive / T1).read_text("utf-8")
    assert t1.startswith("---\nlayout: post\n")
    assert re.search(r"^date: 2021-12-08 \d\d:\d\d:\d\d \+0800$", t1, re.M)
    init = (old_archive / "_posts/2021-12-01-init.md").read_text("utf-8")
    assert not init.endswith("\n") and "date: 2021-12-01 13:33:50 +0800" in init
    site = "//finews.withounder.com"
    back = f"[返回东财滚动新闻]({site}/category/emnews.html)｜[返回首页]({site}/)"
    assert (old_archive / T3).read_text("utf-8").endswith("\n\n" + back)
    assert (old_archive / T5).read_text("utf-8").endswith("\n\n" + back)
    assert "\n<>" not in (old_archive / EMPTY_LINK).read_text("utf-8")
    twin = (old_archive / TWIN).read_text("utf-8")
    assert "keytip" not in twin and "EM_StockImg" not in twin and "webquoteklinepic" not in twin
    assert "（文章来源：上海证券报）" in twin  # the attribution, its keytip span unwrapped
    # The date-less post is kept, unchanged, where Jekyll does not build it.
    quarantined = old_archive / "_quarantine" / DATELESS
    assert quarantined.read_bytes() == (FINEWS_POSTS / DATELESS).read_bytes()
    assert not (old_archive / DATELESS).exists()


def test_repair_fixes_category_pages_from_their_posts(old_archive: Path) -> None:
    repair_archive(old_archive, fsync=False)
    meta = split_document((old_archive / "category/emnews.html").read_text("utf-8")).meta
    assert meta == {"layout": "category", "title": "东财滚动新闻", "category": "emnews"}
    sitenews = split_document((old_archive / "category/sitenews.html").read_text("utf-8")).meta
    assert sitenews["title"] == "站长消息"
    assert (old_archive / "feeds/sitenews.xml").is_file()
    # The unsafe page stays (its URL); the source's safe page is written beside it.
    assert (old_archive / "category/21shijijingjibaodao  nancailicaitong.html").is_file()
    twin = old_archive / "category/21shijijingjibaodao-nancailicaitong.html"
    assert split_document(twin.read_text("utf-8")).meta["title"] == "21世纪经济报道  南财理财通新闻"
    # A page no post uses keeps its (wrong) title: the next crawl takes it over.
    wind = split_document((old_archive / "category/Wind.html").read_text("utf-8")).meta
    assert wind["title"] == "证监会网站新闻"


def test_index_is_rebuilt_and_follows_every_change(old_archive: Path) -> None:
    repair_archive(old_archive, fsync=False)
    entries = index_of(old_archive)
    assert len(entries) == 121
    assert entries["202112082206703990"].title  # unreadable before: now read
    assert entries["202205262391921712"].file == TWIN
    assert find_problems(old_archive) == []


def test_dry_run_changes_nothing_and_says_what_repair_would_do(
    old_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(old_archive)
    assert main(["repair", "--dry-run", str(old_archive), "--format", "json"]) == OK
    assert snapshot(old_archive) == before
    planned = json.loads(capsys.readouterr().out)
    assert planned["dry_run"] is True and planned["clean"] is True
    assert {"file": DATELESS, "to": f"_quarantine/{DATELESS}"} in planned["quarantined"]
    assert len(planned["posts"]) == 93
    t1 = next(p for p in planned["posts"] if p["file"] == T1)
    assert set(t1["fixed"]) == {"front-matter-not-at-start", "date-no-zone"}
    assert main(["repair", "--dry-run", str(old_archive)]) == OK
    text = capsys.readouterr().out
    assert "dry run: nothing changed" in text and "would move aside" in text
    assert snapshot(old_archive) == before
    done = repair_archive(old_archive, fsync=False)
    assert {(f.old_file, f.file) for f in done.plan.posts} == {
        (p["file"], p["to"]) for p in planned["posts"]
    }


def test_a_second_repair_has_nothing_to_do(old_archive: Path) -> None:
    repair_archive(old_archive, fsync=False)
    before = snapshot(old_archive, skip=LOCK_FILES)
    again = repair_archive(old_archive, fsync=False)
    assert again.nothing_to_do and again.clean
    assert snapshot(old_archive, skip=LOCK_FILES) == before
    assert (old_archive / ".newsmirror/index.jsonl").is_file()


def test_an_interrupted_repair_loses_nothing_and_the_next_one_finishes(
    old_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {p.name: article_text(p.read_text("utf-8")) for p in old_archive.rglob("*.md")}
    real_write = repair_module.atomic_write_text
    writes = 0

    def dying_write(path: Path, text: str, *, fsync: bool = True) -> None:
        nonlocal writes
        writes += 1
        if writes == 40:
            raise KeyboardInterrupt  # killed between two posts
        real_write(path, text, fsync=fsync)

    monkeypatch.setattr(repair_module, "atomic_write_text", dying_write)
    with pytest.raises(KeyboardInterrupt):
        repair_archive(old_archive, fsync=False)
    monkeypatch.undo()
    assert not check_archive(old_archive).clean
    assert repair_archive(old_archive, fsync=False).clean
    after = {p.name: article_text(p.read_text("utf-8")) for p in old_archive.rglob("*.md")}
    assert after == before


def test_a_dateless_post_without_a_twin_gets_its_codes_date(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    write(root, "_posts/-NW202205262391921799.md", old_post(date=" +0800"))
    report = repair_archive(root, fsync=False)
    assert report.clean, report.remaining
    path = root / "_posts/2022-05-26-NW202205262391921799.md"
    assert "\ndate: 2022-05-26 00:00:00 +0800\n" in path.read_text("utf-8")
    assert (
        index_of(root)["NW202205262391921799"].file == "_posts/2022-05-26-NW202205262391921799.md"
    )


def test_a_post_dated_another_day_is_renamed_unless_the_name_is_taken(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    write(root, "_posts/2022-05-30-NW1.md", old_post(date="2022-05-29 23:00:00"))
    write(root, "_posts/2022-05-30-NW2.md", old_post(date="2022-05-29 23:00:00"))
    write(root, "_posts/2022-05-29-NW2.md", old_post(title="另一份", date="2022-05-29 23:00:00"))
    write(root, "category/emnews.html", page("emnews", "东财滚动新闻"))
    report = repair_archive(root, fsync=False)
    assert (root / "_posts/2022-05-29-NW1.md").is_file()
    assert not (root / "_posts/2022-05-30-NW1.md").exists()
    assert (root / "_posts/2022-05-30-NW2.md").is_file()  # not renamed onto the other
    assert "另一份" in (root / "_posts/2022-05-29-NW2.md").read_text("utf-8")
    assert kinds_of(report.remaining) == {"duplicate", "date-name-mismatch"}


def test_broken_titles_unsafe_bodies_and_liquid_are_fixed(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    store_posts(root, [make_post("NW202205292395331423")])
    write(root, "_posts/2022-05-29-NW1.md", old_post('他说"好": 不'))
    write(root, "_posts/2022-05-29-NW2.md", old_post("编码\\u4e2d"))
    script = '<p>正文<script>alert(1)</script><img src="x.jpg" onerror="y"></p>'
    write(root, "_posts/2022-05-29-NW3.md", old_post(body=script))
    write(root, "_posts/2022-05-29-NW4.md", old_post(body="<p>{{ site.title }} 与 {% raw %}</p>"))
    write(root, "category/emnews.html", page("emnews", "东财滚动新闻"))
    write(root, "_posts/.2022-05-29-NW5.md.nm-tmp-x", "half")
    report = repair_archive(root, fsync=False)
    assert report.clean, report.remaining

    def meta(n: int) -> dict[str, object]:
        text = (root / f"_posts/2022-05-29-NW{n}.md").read_text("utf-8")
        return split_document(text).meta

    assert meta(1)["title"] == '他说"好": 不'
    assert meta(2)["title"] == "编码\\u4e2d"  # the raw text between the quotes
    body3 = (root / "_posts/2022-05-29-NW3.md").read_text("utf-8")
    assert "script" not in body3 and "onerror" not in body3 and "正文" in body3
    body4 = (root / "_posts/2022-05-29-NW4.md").read_text("utf-8")
    assert "{{" not in body4 and "{%" not in body4 and "&#123;{ site.title }}" in body4
    assert not (root / "_posts/.2022-05-29-NW5.md.nm-tmp-x").exists()
    yaml.safe_load(split_post((root / "_posts/2022-05-29-NW1.md").read_text("utf-8")).raw_meta)


def test_what_needs_a_human_is_left_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "archive"
    store_posts(root, [make_post("NW202205292395331423")])
    write(root, "old_post/2022-05-29-NW202205292395331423.md", old_post())  # code twice
    write(root, "category/TechWeb.html", page("TechWeb", "中国网科技新闻"))
    write(root, "category/Techweb.html", page("Techweb", "大江网新闻"))
    write(
        root, "category/Career In touxingPEVC.html", page("Career In touxingPEVC", "21新健康新闻")
    )
    write(root, "_posts/2022-05-29-x(1).md", old_post())
    write(root, "category/emnews.html", page("emnews", "东财滚动新闻"))
    before = snapshot(root, skip=(".newsmirror",))
    assert main(["repair", str(root)]) == CHECK_FAILED
    out = capsys.readouterr().out
    assert "cannot fix" in out
    left = check_archive(root).errors
    assert kinds_of(left) == {"duplicate", "case-clash", "category-name-unsafe", "file-name"}
    assert snapshot(root, skip=(".newsmirror",)) == before  # nothing of theirs touched


def test_an_unsafe_page_its_posts_use_gets_a_safe_twin(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    unsafe = "anxinguojizhengquan(xianggang)"
    write(root, f"category/{unsafe}.html", page(unsafe, "中国商报网新闻"))
    post = old_post(category=unsafe, tags="安信国际证券(香港)新闻", back="")
    write(root, "_posts/2022-05-29-NW1.md", post)
    report = repair_archive(root, fsync=False)
    assert report.clean, report.remaining
    old_page = split_document((root / f"category/{unsafe}.html").read_text("utf-8")).meta
    assert old_page["title"] == "安信国际证券(香港)新闻"  # retitled from its posts, kept
    twin = root / "category/anxinguojizhengquan-xianggang.html"
    assert split_document(twin.read_text("utf-8")).meta["title"] == "安信国际证券(香港)新闻"
    assert (root / "_posts/2022-05-29-NW1.md").read_text("utf-8") == post  # URL kept
    assert files_of(check_archive(root).notes, "category-legacy-name") == {
        f"category/{unsafe}.html"
    }


def test_a_locked_archive_is_not_repaired(
    old_archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (old_archive / ".newsmirror").mkdir()
    with ArchiveLock(old_archive / ".newsmirror"):
        before = snapshot(old_archive)
        assert main(["repair", str(old_archive)]) == LOCKED
        assert snapshot(old_archive) == before
    assert "locked" in capsys.readouterr().err


def test_broken_pages_are_rewritten_from_their_posts(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    write(root, "category/emnews.html", "---\ntitle: [\n---\n")  # unreadable
    write(root, "category/cailianshe.html", page("other", "财联社新闻"))  # wrong key
    write(root, "feeds/cailianshe.xml", page("cailianshe", "旧名新闻", "feed"))
    write(root, "_posts/2022-05-29-NW1.md", old_post())
    write(root, "_posts/2022-05-29-NW2.md", old_post(category="cailianshe", tags="财联社新闻"))
    assert kinds_of(check_archive(root).errors) >= {
        "category-page-unreadable",
        "category-page-key",
        "feed-page-title",
    }
    assert repair_archive(root, fsync=False).clean

    def meta(file: str) -> dict[str, object]:
        return split_document((root / file).read_text("utf-8")).meta

    assert meta("category/emnews.html") == {
        "layout": "category",
        "title": "东财滚动新闻",
        "category": "emnews",
    }
    assert meta("category/cailianshe.html")["category"] == "cailianshe"
    assert meta("feeds/cailianshe.xml") == {
        "layout": "feed",
        "title": "财联社新闻",
        "category": "cailianshe",
    }
