"""Category slugs: the old archive's spelling, safety, pins and the collision registry."""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsmirror.archive.paths import is_safe_slug as archive_accepts
from newsmirror.normalize.slugs import (
    FLASH_CATEGORY,
    MAX_SLUG_LENGTH,
    ExistingPage,
    SlugOutcome,
    SlugPinError,
    SlugRegistry,
    category_slug,
    category_title,
    is_safe_slug,
    name_hash,
    parse_pins,
    source_from_title,
    validate_pins,
)

CATEGORY_SLUGS_TSV = Path(__file__).parent / "fixtures" / "finews" / "category-slugs.tsv"

#: Rows of category-slugs.tsv whose page title names another source (the old
#: generator's bug; the corpus README lists these 13). The names are what the slugs
#: spell: the real outlets where known (21CN科技, Mr蒋静, 长江商报 …), else a name that
#: reads so (JT平方之冠有房).
WRONG_TITLE_SOURCES = {
    "Wind": "Wind",
    "TechWeb": "TechWeb",
    "Techweb": "Techweb",
    "21CNkeji": "21CN科技",
    "Mrjiangjing": "Mr蒋静",
    "99qihuo": "99期货",
    "JTpingfangzhiguanyoufang": "JT平方之冠有房",
    "NAFMIIzixun": "NAFMII资讯",
    "changjiangshangbao": "长江商报",
    "zhongguoyinxingbaoxianbao": "中国银行保险报",
    "Career In touxingPEVC": "Career In 投行PEVC",
    "anxinguojizhengquan(xianggang)": "安信国际证券(香港)",
    "21shijijingjibaodao 21caijingAPP": "21世纪经济报道 21财经APP",
}


def legacy_as_safe(slug: str) -> str:
    """An old slug with its spaces and brackets turned into single dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", slug).strip("-")


def tsv_rows() -> list[dict[str, str]]:
    with CATEGORY_SLUGS_TSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.parametrize("row", tsv_rows(), ids=lambda r: r["category"])
def test_every_old_category_slug_is_reproduced(row: dict[str, str]) -> None:
    legacy = row["category"]
    assert row["slug_file"] == f"category/{legacy}.html"
    if legacy == FLASH_CATEGORY:  # the flash category, title "Emnews": not a source
        assert row["title"] == "Emnews"
        return
    from_title = source_from_title(row["title"])
    if legacy in WRONG_TITLE_SOURCES:
        assert category_slug(from_title) != legacy_as_safe(legacy), "title is not wrong"
        name = WRONG_TITLE_SOURCES[legacy]
    else:
        name = from_title
    slug = category_slug(name)
    assert slug == legacy_as_safe(legacy)
    if legacy == legacy_as_safe(legacy):
        assert slug == legacy  # byte for byte the old URL


def test_the_table_covers_exactly_the_wrong_titles() -> None:
    rows = {r["category"]: r for r in tsv_rows()}
    assert len(rows) == 24
    wrong = {
        legacy
        for legacy, row in rows.items()
        if legacy != FLASH_CATEGORY
        and category_slug(source_from_title(row["title"])) != legacy_as_safe(legacy)
    }
    assert wrong == set(WRONG_TITLE_SOURCES)
    assert len(wrong) == 13


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        # real sources of the corpus posts and pages
        ("四川新闻网", "sichuanxinwenwang"),
        ("21财经APP", "21caijingAPP"),
        ("央行网站", "yangxingwangzhan"),  # xpinyin's reading, as the old archive
        ("财联社", "cailianshe"),
        ("21世纪经济报道", "21shijijingjibaodao"),
        ("每日经济新闻", "meirijingjixinwen"),
        ("东方财富Choice数据", "dongfangcaifuChoiceshuju"),
        ("e公司", "egongsi"),
        ("长江商报", "changjiangshangbao"),
        ("21世纪经济报道  南财理财通", "21shijijingjibaodao-nancailicaitong"),
        # crafted
        ("../x", "x"),
        ("/etc", "etc"),
        ("a\x00b", "a-b"),
        ("C:\\Windows\\system32", "C-Windows-system32"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("a--b__c..d", "a-b-c-d"),
        ("新华社 / Reuters", "xinhuashe-Reuters"),
        ("路透·中文网", "lutou-zhongwenwang"),
        ("财经😀", "caijing"),
        ("财经 🚀 Daily", "caijing-Daily"),
        ("Société Générale", "Societe-Generale"),
        ("ＡＢＣ新闻", "ABCxinwen"),
        ("東方財富", "dongfangcaifu"),
        ("日経ビジネス", "rijing"),
    ],
)
def test_category_slug(name: str, slug: str) -> None:
    assert category_slug(name) == slug
    assert is_safe_slug(slug)


@pytest.mark.parametrize(
    "name", ["", "  ", "！？。…", "😀", "🚀🚀", "Ведомости", "ﾆｭｰｽ", "\x00", "\u200b", "---"]
)
def test_unspellable_names_get_a_stable_hashed_slug(name: str) -> None:
    assert category_slug(name) == f"source-{name_hash(name)}"
    assert re.fullmatch(r"source-[0-9a-f]{8}", category_slug(name))


@pytest.mark.parametrize("name", ["NUL", "con", "Aux", "COM1", "lpt9", "PRN"])
def test_device_names_are_never_a_file_stem(name: str) -> None:
    assert category_slug(name) == f"{name}-{name_hash(name)}"


@pytest.mark.parametrize(
    "name", ["x" * 150, "中" * 40, "中国" * 30 + "日报", "A-" * 80, "21世纪经济报道" * 10]
)
def test_long_names_are_cut_with_a_hash(name: str) -> None:
    slug = category_slug(name)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert slug.endswith("-" + name_hash(name))
    assert is_safe_slug(slug) and archive_accepts(slug)


def test_long_names_sharing_a_prefix_stay_apart() -> None:
    first, second = "中" * 40 + "日报", "中" * 40 + "晚报"
    assert category_slug(first) != category_slug(second)
    assert category_slug(first)[:80] == category_slug(second)[:80]


@given(st.text(max_size=300))
def test_any_name_gives_a_safe_slug(name: str) -> None:
    slug = category_slug(name)
    assert is_safe_slug(slug), slug
    assert archive_accepts(slug)
    assert slug == category_slug(name)


@pytest.mark.parametrize(
    ("slug", "safe"),
    [
        ("sichuanxinwenwang", True),
        ("21caijingAPP", True),
        ("a-b-c", True),
        ("x" * MAX_SLUG_LENGTH, True),
        ("x" * (MAX_SLUG_LENGTH + 1), False),
        ("", False),
        ("-a", False),
        ("a-", False),
        ("a--b", False),
        ("a b", False),
        ("a(b)", False),
        ("../x", False),
        ("a/b", False),
        ("a.b", False),
        ("a_b", False),
        ("a\x00", False),
        ("caijīng", False),
        ("NUL", False),
        ("nul", False),
        ("nul-1", True),
    ],
)
def test_is_safe_slug(slug: str, safe: bool) -> None:
    assert is_safe_slug(slug) is safe


@pytest.mark.parametrize(
    ("title", "source"),
    [
        ("四川新闻网新闻", "四川新闻网"),
        ("每日经济新闻新闻", "每日经济新闻"),  # the doubled suffix is kept verbatim
        ("21世纪经济报道  南财理财通新闻", "21世纪经济报道 南财理财通"),
        ("Emnews", ""),
        ("新闻", ""),
        ("", ""),
    ],
)
def test_source_from_title(title: str, source: str) -> None:
    assert source_from_title(title) == source


def test_category_title_keeps_the_old_form_verbatim() -> None:
    assert category_title("四川新闻网") == "四川新闻网新闻"
    assert category_title("每日经济新闻") == "每日经济新闻新闻"


# -- pins ------------------------------------------------------------------------------------


def test_parse_pins() -> None:
    text = "# fixes\n\n重庆日报\tchongqingribao\n中国银行保险报\tzhongguoyinhangbaoxianbao \n"
    assert parse_pins(text) == {
        "重庆日报": "chongqingribao",
        "中国银行保险报": "zhongguoyinhangbaoxianbao",
    }


@pytest.mark.parametrize("text", ["重庆日报 chongqingribao", "a\tb\tc", "重庆日报"])
def test_parse_pins_names_the_bad_line(text: str) -> None:
    with pytest.raises(SlugPinError, match="line 2"):
        parse_pins("# ok\n" + text)


@pytest.mark.parametrize(
    ("pins", "message"),
    [
        ({"重庆日报": "../x"}, "a slug is"),
        ({"重庆日报": "chong qing"}, "a slug is"),
        ({"重庆日报": "-x"}, "a slug is"),
        ({"重庆日报": ""}, "a slug is"),
        ({"重庆日报": "x" * 101}, "a slug is"),
        ({"重庆日报": "nul"}, "a slug is"),
        ({"重庆日报": "chóngqìng"}, "a slug is"),
        ({"东财": "Emnews"}, "reserved"),
        ({"站长": "sitenews"}, "reserved"),
        ({"重庆日报": "chongqingribao", "重慶日報": "ChongqingRibao"}, "share the slug"),
        ({"  ": "x"}, "empty"),
    ],
)
def test_bad_pins_are_refused(pins: dict[str, str], message: str) -> None:
    with pytest.raises(SlugPinError, match=message):
        validate_pins(pins)


def test_pin_names_are_cleaned_like_source_names() -> None:
    assert validate_pins({" 重庆<b>日报</b> ": "chongqingribao"}) == {"重庆日报": "chongqingribao"}


# -- the registry -------------------------------------------------------------------------


def page(slug: str, source: str) -> ExistingPage:
    return ExistingPage(slug, category_title(source))


H = name_hash  # shorthand in the tables below


@pytest.mark.parametrize(
    ("pages", "source", "slug", "outcome", "holder"),
    [
        pytest.param([], "新浪", "xinlang", "claimed", "", id="new-source"),
        pytest.param([page("xinlang", "新浪")], "新浪", "xinlang", "kept", "", id="own-page"),
        pytest.param(
            [page("xinlang", "新浪")],
            "新郎",
            f"xinlang-{H('新郎')}",
            "disambiguated",
            "新浪",
            id="homophone-of-an-owner",
        ),
        pytest.param(
            [ExistingPage("Wind", "证监会网站新闻")],
            "Wind",
            "Wind",
            "claimed",
            "",
            id="wrong-title",
        ),
        pytest.param(
            [page("TechWeb", "TechWeb")],
            "Techweb",
            f"Techweb-{H('Techweb')}",
            "disambiguated",
            "TechWeb",
            id="case-variant-of-an-owner",
        ),
        pytest.param(
            [ExistingPage("Techweb", "大江网新闻")],
            "TechWeb",
            f"TechWeb-{H('TechWeb')}",
            "disambiguated",
            "page:Techweb",
            id="case-variant-of-an-unowned-page",
        ),
        pytest.param(
            [ExistingPage("TechWeb", "中国网科技新闻"), ExistingPage("Techweb", "大江网新闻")],
            "Techweb",
            "Techweb",
            "claimed",
            "",
            id="legacy-case-pair-exact-takeover",
        ),
        pytest.param(
            [ExistingPage("emnews", "Emnews")],
            "EMNews",
            f"EMNews-{H('EMNews')}",
            "disambiguated",
            "reserved:emnews",
            id="reserved-flash",
        ),
        pytest.param(
            [],
            "sitenews",
            f"sitenews-{H('sitenews')}",
            "disambiguated",
            "reserved:sitenews",
            id="reserved-site",
        ),
        pytest.param(
            [page("xinlang", "新浪"), page(f"xinlang-{H('新郎')}", "新郎")],
            "新郎",
            f"xinlang-{H('新郎')}",
            "kept",
            "新浪",
            id="own-hashed-page",
        ),
        pytest.param(
            [page(f"xinlang-{H('新郎')}", "新郎")],
            "新郎",
            f"xinlang-{H('新郎')}",
            "kept",
            "",
            id="keeps-hashed-page-when-bare-is-free",
        ),
        pytest.param(
            [page("xinlang", "新浪"), page(f"xinlang-{H('新郎')}", "新娘")],
            "新郎",
            f"xinlang-{H('新郎')}",
            "disambiguated",
            "新浪",
            id="unowned-page-at-the-hashed-slug",
        ),
        pytest.param(
            [ExistingPage("xinlang", ""), ExistingPage("other", "not: [yaml")],
            "新浪",
            "xinlang",
            "claimed",
            "",
            id="untitled-page",
        ),
    ],
)
def test_registry_assign(
    pages: list[ExistingPage], source: str, slug: str, outcome: str, holder: str
) -> None:
    assignment = SlugRegistry(pages).assign(source)
    assert (assignment.slug, assignment.outcome.value, assignment.holder) == (
        slug,
        outcome,
        holder,
    )
    assert is_safe_slug(assignment.slug)


def test_registry_reports_legacy_pages() -> None:
    registry = SlugRegistry(
        [
            ExistingPage("TechWeb", "中国网科技新闻"),
            ExistingPage("Techweb", "大江网新闻"),
            ExistingPage("Wind", "证监会网站新闻"),
            ExistingPage("emnews", "Emnews"),
            page("sichuanxinwenwang", "四川新闻网"),
        ]
    )
    assert registry.case_clashes == [("TechWeb", "Techweb")]
    assert registry.unowned_pages == ["TechWeb", "Techweb", "Wind"]
    assert registry.owner("sichuanxinwenwang") == "四川新闻网"
    assert registry.owner("Wind") == ""
    assert registry.owner("nothing") is None


def test_registry_answers_the_same_and_flags_only_the_first() -> None:
    registry = SlugRegistry([page("xinlang", "新浪")])
    first = registry.assign("新郎")
    again = registry.assign("新郎")
    assert first.first and not again.first
    assert again.slug == first.slug and again.outcome is SlugOutcome.DISAMBIGUATED


def test_new_slugs_are_unique_case_insensitively() -> None:
    registry = SlugRegistry()
    slugs = [registry.assign(name).slug for name in ("TechWeb", "Techweb", "TECHWEB", "techweb")]
    assert len({s.casefold() for s in slugs}) == 4
    assert slugs[0] == "TechWeb"


@pytest.mark.parametrize("order", list(itertools.permutations(["新浪", "新郎", "心狼", "信朗"])))
def test_existing_owner_makes_the_outcome_order_free(order: tuple[str, ...]) -> None:
    registry = SlugRegistry([page("xinlang", "新浪")])
    got = {name: registry.assign(name).slug for name in order}
    assert got == {
        "新浪": "xinlang",
        "新郎": f"xinlang-{H('新郎')}",
        "心狼": f"xinlang-{H('心狼')}",
        "信朗": f"xinlang-{H('信朗')}",
    }


def test_first_newcomer_wins_then_its_page_makes_it_durable() -> None:
    run1 = SlugRegistry()
    first = {name: run1.assign(name).slug for name in ("新郎", "新浪")}
    assert first == {"新郎": "xinlang", "新浪": f"xinlang-{H('新浪')}"}
    pages = [page(slug, name) for name, slug in first.items()]
    for order in (("新郎", "新浪"), ("新浪", "新郎")):
        run2 = SlugRegistry(pages)
        assert {name: run2.assign(name).slug for name in order} == first
        assert all(run2.assign(n).outcome is SlugOutcome.KEPT for n in order)


def test_pins_win_over_the_spelling() -> None:
    pins = {"重庆日报": "chongqingribao"}
    assignment = SlugRegistry(pins=pins).assign("重庆日报")
    assert (assignment.slug, assignment.outcome) == ("chongqingribao", SlugOutcome.CLAIMED)
    assert SlugRegistry().assign("重庆日报").slug == "zhongqingribao"


def test_a_pinned_source_still_owns_its_old_page() -> None:
    registry = SlugRegistry(
        [page("zhongqingribao", "重庆日报"), page("chongqingribao", "重庆日报")],
        pins={"重庆日报": "chongqingribao"},
    )
    assert registry.assign("重庆日报").outcome is SlugOutcome.KEPT
    assert registry.owner("zhongqingribao") == "重庆日报"
    # A homophone cannot take the pinned source's old page.
    assert registry.assign("中青日报").slug == f"zhongqingribao-{H('中青日报')}"


def test_a_pin_held_by_another_owner_is_disambiguated() -> None:
    registry = SlugRegistry(
        [page("chongqingribao", "崇庆日报")], pins={"重庆日报": "chongqingribao"}
    )
    assignment = registry.assign("重庆日报")
    assert assignment.slug == f"chongqingribao-{H('重庆日报')}"
    assert assignment.holder == "崇庆日报"


def test_a_taken_hashed_slug_makes_a_longer_hash() -> None:
    hashed = f"xinlang-{H('新郎')}"
    registry = SlugRegistry([page("xinlang", "新浪"), page(hashed, "某报")], pins={"某报": hashed})
    assert registry.owner(hashed) == "某报"
    assignment = registry.assign("新郎")
    assert assignment.slug == f"xinlang-{H('新郎', 16)}"
    assert assignment.outcome is SlugOutcome.DISAMBIGUATED
