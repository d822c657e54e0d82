"""Near-duplicate fingerprints and their lookup: pure functions, real corpus pairs, and
the archive side (first copy, links, tags, removal, fingerprints filled in from posts)."""

from __future__ import annotations

import itertools
import json
import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from newsmirror.archive.frontmatter import split_document
from newsmirror.archive.index import ENTRY_KEYS, parse_index, render_index
from newsmirror.archive.neardup import (
    MemoryLookup,
    NearDuplicatePolicy,
    NearDuplicates,
    check_settings,
    post_fingerprint,
    show_link,
)
from newsmirror.archive.post import render_post
from newsmirror.archive.reader import entry_from_text
from newsmirror.archive.state import ArchiveState
from newsmirror.normalize.html import BodyCleaner
from newsmirror.normalize.neardup import (
    BANDS,
    NUM_PERM,
    Fingerprint,
    band_keys,
    comparable,
    fingerprint,
    fingerprint_text,
    similarity,
)
from newsmirror.normalize.text import clean_title
from newsmirror.settings import BOILERPLATE_PATTERNS
from newsmirror.sources.eastmoney import digest_text
from newsmirror.testing.catalog import UpstreamArticle, corpus_articles

from .archive_helpers import SITE, make_post, store_posts
from .conftest import FIXTURES

#: The corpus pairs its manifest marks near_duplicate (copied from shared/corpus).
PAIRS_FILE = FIXTURES / "neardup" / "manifest_pairs.tsv"
#: Same story, same text, two codes (flash item and media twin).
TWINS = {
    ("202201072239307540", "NW202201072239307540"),
    ("202205302396506117", "NW202205302396506117"),
    ("202205312398034850", "NW202205312398034850"),
}
#: One-sentence 2021 flash items: the same 离岸人民币 6.3512 story ...
OFFSHORE_YUAN = ("202112082206672930", "202112082206781916")
#: ... and two different stories (northbound inflow above 4 and 5 billion yuan).
NORTHBOUND_40_50 = ("202112082206761079", "202112082206777086")
DEFAULT_MIN_CHARS = 150


def manifest_pairs() -> set[tuple[str, str]]:
    lines = PAIRS_FILE.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return {(a, b) for a, b in rows[1:]}


def normalised_text(article: UpstreamArticle) -> str:
    """The compared text of a corpus record, normalised as the pipelines do."""
    body = BodyCleaner(BOILERPLATE_PATTERNS).clean(article.body, base_url="", source="").html
    digest = clean_title(digest_text(article.digest))
    return fingerprint_text(clean_title(article.title), body, digest)


@pytest.fixture(scope="module")
def corpus() -> dict[str, Fingerprint]:
    return {a.code: fingerprint(normalised_text(a)) for a in corpus_articles()}


def declared(
    prints: dict[str, Fingerprint], threshold: float, min_chars: int
) -> set[tuple[str, str]]:
    """Pairs found through the lookup (never pairwise) and similar enough."""
    lookup = MemoryLookup((c, str(f)) for c, f in prints.items() if f.chars >= min_chars)
    found = set()
    for code, mine in prints.items():
        if mine.chars < min_chars:
            continue
        for other in lookup.find(str(mine)):
            if other != code and similarity(mine, prints[other]) >= threshold:
                found.add((min(code, other), max(code, other)))
    return found


# -- fingerprints ------------------------------------------------------------------------
def test_fingerprint_is_compact_and_reads_back() -> None:
    value = fingerprint("央行研究局课题组：促进消费投资增长，实现经济平稳高质量运行。" * 5)
    text = str(value)
    assert text.startswith(f"mh1:{value.chars}:") and len(text) < 100
    assert len(value.signature) == NUM_PERM
    assert Fingerprint.parse(text) == value
    assert fingerprint("抄送") == Fingerprint(2, b"")  # shorter than one shingle
    assert Fingerprint.parse(str(Fingerprint(2, b""))) == Fingerprint(2, b"")


@pytest.mark.parametrize(
    "stored",
    ["", "mh0:12:AAAA", "mh1:12", "mh1:x:AAAA", "mh1:12:!!!!", "mh1:12:AAAA", "mh1:١٢:AAAA"],
)
def test_other_or_damaged_fingerprints_count_as_missing(stored: str) -> None:
    assert Fingerprint.parse(stored) is None


def test_the_compared_text_ignores_spacing_punctuation_and_case() -> None:
    assert comparable("FF：有充足的现金 支持到FF 91投产！") == "ff有充足的现金支持到ff91投产"
    a = fingerprint("离岸人民币兑美元升至6.3512，为2018年以来最高水平。" * 4)
    b = fingerprint("离岸人民币兑美元升至6.3512 为2018年以来最高水平" * 4)
    assert similarity(a, b) == 1.0


def test_the_body_text_is_compared_else_the_digest() -> None:
    assert fingerprint_text("标题", "<p>第一段</p><p>第二段&amp;</p>", "摘要") == (
        "标题\n第一段\n第二段&"
    )
    assert fingerprint_text("标题", "", "摘要") == "标题\n摘要"


def test_similarity_estimates_jaccard_of_shingles() -> None:
    rng = random.Random(7)
    base = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(1200))
    assert similarity(fingerprint(base), fingerprint(base)) == 1.0
    # Change a tenth of the text: about 0.7 of the shingles are still shared.
    edited = "".join(rng.choice("甲乙丙丁") if i % 10 == 0 else ch for i, ch in enumerate(base))
    grams = [{base[i : i + 4] for i in range(len(base) - 3)}]
    grams.append({edited[i : i + 4] for i in range(len(edited) - 3)})
    jaccard = len(grams[0] & grams[1]) / len(grams[0] | grams[1])
    estimate = similarity(fingerprint(base), fingerprint(edited))
    assert abs(estimate - jaccard) < 0.15
    other = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(1200))
    assert similarity(fingerprint(base), fingerprint(other)) < 0.1
    assert similarity(fingerprint(base), Fingerprint(3, b"")) == 0.0


def test_a_huge_article_is_fingerprinted_in_chunks() -> None:
    rng = random.Random(11)
    text = "".join(chr(0x4E00 + rng.randrange(6000)) for _ in range(120_000))
    whole = fingerprint(text)
    assert whole.chars == 120_000
    assert similarity(whole, fingerprint(text[:-2000] + "（文章来源：证券时报）")) > 0.95
    assert similarity(whole, fingerprint(text[60_000:])) == pytest.approx(0.5, abs=0.15)


# -- the real corpus ---------------------------------------------------------------------
def test_corpus_twins_are_declared_and_nothing_else(corpus: dict[str, Fingerprint]) -> None:
    found = declared(corpus, 0.8, DEFAULT_MIN_CHARS)
    assert found == TWINS
    assert found <= manifest_pairs()  # no false positive among the 120 records


def test_short_flash_items_are_never_declared(corpus: dict[str, Fingerprint]) -> None:
    """Without the minimum, short one-sentence items pair up: some are the same story
    (the manifest's 离岸人民币 pair), others are different news that differ in a figure."""
    assert corpus[OFFSHORE_YUAN[0]].chars < DEFAULT_MIN_CHARS
    without_minimum = declared(corpus, 0.8, 0)
    assert OFFSHORE_YUAN in without_minimum and OFFSHORE_YUAN in manifest_pairs()
    loose = declared(corpus, 0.6, 0)
    assert NORTHBOUND_40_50 in loose and NORTHBOUND_40_50 not in manifest_pairs()
    assert OFFSHORE_YUAN not in declared(corpus, 0.6, DEFAULT_MIN_CHARS)
    assert NORTHBOUND_40_50 not in declared(corpus, 0.6, DEFAULT_MIN_CHARS)


def test_rewritten_stories_are_not_near_duplicates(corpus: dict[str, Fingerprint]) -> None:
    """Most manifest pairs are one story told twice in other words: not the same text."""
    same_digest = ("202112082206748961", "202112082206749391")  # short: never declared
    rewrites = manifest_pairs() - TWINS - {OFFSHORE_YUAN, same_digest}
    assert all(similarity(corpus[a], corpus[b]) < 0.5 for a, b in rewrites)


@pytest.mark.parametrize("edit", ["attribution", "editor line", "new title", "last paragraph"])
def test_syndicated_edits_of_corpus_articles_are_found(edit: str) -> None:
    """Another outlet's copy: its attribution, an editor's line, its own headline, or a
    paragraph fewer. Found through the lookup, similar above the default threshold."""
    long_ones = [a for a in corpus_articles() if a.kind == "media"]
    assert len(long_ones) >= 5
    for article in long_ones:
        text = normalised_text(article)
        title, _, body = text.partition("\n")
        copy = {
            "attribution": f"{text}\n（文章来源：证券时报网）",
            "editor line": f"{text}\n责任编辑：王五",
            "new title": f"{title[:-6]}（转载）\n{body}",
            "last paragraph": text.rsplit("\n", 1)[0],
        }[edit]
        original, syndicated = fingerprint(text), fingerprint(copy)
        assert similarity(original, syndicated) >= 0.8, article.code
        lookup = MemoryLookup([(article.code, str(original))])
        assert lookup.find(str(syndicated)) == [article.code]


# -- the lookup --------------------------------------------------------------------------
def test_lookup_finds_exactly_the_codes_sharing_a_band_key() -> None:
    """The contract another store (Redis) implements with :func:`band_keys`."""
    rng = random.Random(3)
    prints = {}
    for i in range(400):
        # Few distinct byte values: many shared bands, so the test means something.
        sig = bytes(rng.choice(b"ab") for _ in range(NUM_PERM))
        prints[f"NW{i:04d}"] = str(Fingerprint(500, sig))
    built, added = dict(list(prints.items())[:300]), dict(list(prints.items())[300:])
    lookup = MemoryLookup(built.items())
    for code, value in added.items():
        lookup.add(code, value)
    by_key: dict[str, set[str]] = defaultdict(set)
    for code, value in prints.items():
        parsed = Fingerprint.parse(value)
        assert parsed is not None
        for key in band_keys(parsed):
            by_key[key].add(code)
    for value in itertools.islice(prints.values(), 0, 400, 7):
        parsed = Fingerprint.parse(value)
        assert parsed is not None
        expected = set().union(*(by_key[k] for k in band_keys(parsed)))
        assert lookup.find(value) == sorted(expected)


@pytest.mark.parametrize("built", [0, 300])
def test_fingerprints_added_across_merges_are_found_as_if_built_at_once(
    built: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("newsmirror.archive.neardup._MERGE_EVERY", 64)
    rng = random.Random(5)
    prints = {
        f"NW{i:04d}": str(Fingerprint(500, bytes(rng.choice(b"abc") for _ in range(NUM_PERM))))
        for i in range(1000)
    }
    items = list(prints.items())
    at_once = MemoryLookup(items)
    grown = MemoryLookup(items[:built])
    for code, value in items[built:]:  # 700 or 1000 adds: many merges, a partial tail
        grown.add(code, value)
    for _, value in items[::9]:
        assert grown.find(value) == at_once.find(value)


def test_a_large_lookup_stays_small_per_fingerprint() -> None:
    import tracemalloc

    rng = random.Random(9)
    values = [str(Fingerprint(500, rng.randbytes(NUM_PERM))) for _ in range(6000)]
    codes = [f"NW2022{i:012d}" for i in range(6000)]  # made before measuring
    tracemalloc.start()
    try:
        lookup = MemoryLookup()
        before = tracemalloc.get_traced_memory()[0]
        for code, value in zip(codes, values, strict=True):
            lookup.add(code, value)
        per_print = (tracemalloc.get_traced_memory()[0] - before) / len(values)
    finally:
        tracemalloc.stop()
    assert lookup.find(values[123]) == [codes[123]]
    # Distinct stories: 16 band keys each. In a dict that was ~3.5 KB per fingerprint.
    assert per_print < 800, per_print


def test_lookup_of_an_empty_archive_and_of_unusable_fingerprints() -> None:
    value = str(fingerprint("沪深两市成交额突破一万亿元" * 20))
    empty = MemoryLookup()
    assert empty.find(value) == []
    empty.add("NW1", value)
    empty.add("NW2", "mh1:3:")  # no signature: nothing to find it by
    assert empty.find(value) == ["NW1"]
    assert empty.find("") == [] and empty.find("mh1:3:") == []
    assert len(band_keys(Fingerprint.parse(value) or Fingerprint(0, b""))) == BANDS


# -- the index ---------------------------------------------------------------------------
def test_index_lines_without_the_new_columns_still_read() -> None:
    old = {
        "code": "NW202205292395331423",
        "file": "_posts/2022-05-29-NW202205292395331423.md",
        "date": "2022-05-29 00:02:28 +0800",
        "category": "sichuanxinwenwang",
        "title": "t",
        "url": "",
        "content_hash": "0123456789abcdef",
        "list_kind": "media",
        "source": "四川新闻网",
        "fingerprint": "",
    }
    entry = parse_index(json.dumps(old, ensure_ascii=False) + "\n").entries[old["code"]]
    assert entry.near_duplicate_of == "" and entry.fingerprint == ""
    linked = replace(entry, fingerprint="mh1:0:", near_duplicate_of="202205292395331423")
    line = render_index([linked])
    assert list(json.loads(line)) == list(ENTRY_KEYS) and ENTRY_KEYS[-1] == "near_duplicate_of"
    assert parse_index(line).entries[old["code"]] == linked


# -- posts -------------------------------------------------------------------------------
def test_a_post_and_its_article_have_the_same_fingerprint() -> None:
    post = make_post(
        "202205262391921712",
        digest="摘要 *强调* <b>& {{ x }}",
        body="<p>正文 &#123;{ y }}，</p><p>第二段 &amp; <a href='http://a/'>链接</a></p>" * 20,
    )
    expected = fingerprint(fingerprint_text(post.title, post.body_html, post.digest))
    assert post_fingerprint(render_post(post, SITE)) == str(expected)
    assert post_fingerprint("no front matter") == "mh1:0:"


def test_tagged_posts_keep_the_layout_and_add_the_key_after_tags() -> None:
    post = make_post("NW202205302396506117")
    plain = render_post(post, SITE)
    tagged = render_post(replace(post, near_duplicate_of="202205302396506117"), SITE)
    plain_lines, tagged_lines = plain.split("\n"), tagged.split("\n")
    assert tagged_lines[:6] == plain_lines[:6] and plain_lines[5].startswith("tags: ")
    # A YAML library writes the value: a code of digits only is quoted to stay a string.
    assert tagged_lines[6] == "near_duplicate_of: '202205302396506117'"
    assert split_document(tagged).meta["near_duplicate_of"] == "202205302396506117"
    assert tagged_lines[7:] == plain_lines[6:]
    assert show_link(plain, "202205302396506117") == tagged
    assert show_link(tagged, "202205302396506117") == tagged  # replaced, not repeated
    entry = entry_from_text(f"_posts/2022-05-29-{post.code}.md", tagged)
    assert entry.near_duplicate_of == "202205302396506117"


@pytest.mark.parametrize(
    "text",
    [
        "\n---\ntitle: x\n---\nbody",  # old layout: blank line before the front matter
        "---\ntitle: x\nbody without a closing fence",
        "---\n- a list\n---\nbody",
    ],
)
def test_posts_in_other_layouts_are_not_tagged(text: str) -> None:
    assert show_link(text, "202205302396506117") is None


# -- the archive -------------------------------------------------------------------------
STORY = "<p>央行研究局课题组发布题为《促进消费投资增长 实现经济平稳高质量运行》的文章。</p>" * 6
OTHER = "<p>蔚来汽车启用绿色制冷液，多家A股公司早有布局，产业链迎来新机会。</p>" * 6


def fresh_archive(root: Path, posts: list[tuple[str, str, str]]) -> None:
    """Archive ``(code, time, body)`` posts with their fingerprints, as a run would."""
    with ArchiveState.open(root, fsync=False) as state:
        for code, when, body in posts:
            post = make_post(code, when, title="央行报告", body=body)
            text = render_post(post, SITE)
            file = f"_posts/{when[:10]}-{code}.md"
            (root / "_posts").mkdir(exist_ok=True)
            (root / file).write_text(text, encoding="utf-8")
            state.record(entry_from_text(file, text, fingerprint=post_fingerprint(text)))


def value_of(body: str) -> str:
    return str(fingerprint(fingerprint_text("央行报告", body, "")))


def test_the_first_copy_is_the_earliest_then_the_smallest_code(tmp_path: Path) -> None:
    fresh_archive(
        tmp_path,
        [
            ("NW202205302396506117", "2022-05-30 17:33:09", STORY),
            ("NW202205302396000001", "2022-05-30 18:00:00", OTHER),
        ],
    )
    with ArchiveState.open(tmp_path, fsync=False) as state:
        copies = NearDuplicates(state)
        later = copies.check("NW202205302396999999", value_of(STORY), "2022-05-30 18:00:00 +0800")
        assert (later.first, later.matched, later.similarity) == (
            "NW202205302396506117",
            "NW202205302396506117",
            1.0,
        )
        assert later.relink == ()
        # Same time: the smaller code is first ("2…" sorts before "NW…").
        twin = copies.check("202205302396506117", value_of(STORY), "2022-05-30 17:33:09 +0800")
        assert (twin.first, twin.relink) == ("", ("NW202205302396506117",))
        unrelated = copies.check("NW202205302396999998", value_of("<p>别的新闻</p>" * 40), "x")
        assert not unrelated.found and not unrelated.short
        short = copies.check("NW202205302396999997", value_of("<p>短</p>"), "x")
        assert short.short and not short.found


def test_links_follow_the_first_copy_whatever_the_arrival_order(tmp_path: Path) -> None:
    """Three copies of one story arriving latest first: every later copy ends up linked
    to the earliest one, and each is relinked once."""
    codes = ["NW202205302396000003", "NW202205302396000002", "NW202205302396000001"]
    times = ["2022-05-30 12:00:00 +0800", "2022-05-30 11:00:00 +0800", "2022-05-30 10:00:00 +0800"]
    fresh_archive(tmp_path, [])
    (tmp_path / "_posts").mkdir()
    with ArchiveState.open(tmp_path, fsync=False) as state:
        copies = NearDuplicates(state)
        for code, when in zip(codes, times, strict=True):
            verdict = copies.check(code, value_of(STORY), when)
            for other in verdict.relink:
                copies.relink(other, verdict.first or code, show=False)
            copies.accept(code, value_of(STORY), verdict.first)
            post = make_post(code, when[:19], title="央行报告", body=STORY)
            text = render_post(post, SITE)
            file = f"_posts/{when[:10]}-{code}.md"
            (tmp_path / file).write_text(text, encoding="utf-8")
            entry = entry_from_text(file, text, near_duplicate_of=verdict.first)
            state.record(replace(entry, fingerprint=value_of(STORY)))
        links = {e.code: e.near_duplicate_of for e in state.entries()}
    assert links == {codes[2]: "", codes[1]: codes[2], codes[0]: codes[2]}


def test_relink_tags_a_post_or_only_the_index_and_remove_deletes(tmp_path: Path) -> None:
    first, later = "NW202205302396506117", "NW202205302396999999"
    fresh_archive(
        tmp_path,
        [(first, "2022-05-30 17:33:09", STORY), (later, "2022-05-30 18:00:00", STORY)],
    )
    post = tmp_path / "_posts" / f"2022-05-30-{later}.md"
    before = post.read_text(encoding="utf-8")
    with ArchiveState.open(tmp_path, fsync=False) as state:
        copies = NearDuplicates(state)
        assert copies.relink(later, first, show=False) is False
        assert post.read_text(encoding="utf-8") == before
        assert copies.relink(later, first, show=True) is True
        meta = split_document(post.read_text(encoding="utf-8")).meta
        assert list(meta)[-1] == "near_duplicate_of" and meta["near_duplicate_of"] == first
        entry = state.get(later)
        assert entry is not None and entry.near_duplicate_of == first
    with ArchiveState.open(tmp_path, fsync=False) as state:
        again = state.get(later)
        assert again is not None and again.near_duplicate_of == first
        NearDuplicates(state).remove(later)
    assert not post.exists()
    with ArchiveState.open(tmp_path, fsync=False) as state:
        assert later not in state and first in state


def test_a_lookup_given_from_outside_gets_the_archive_through_add(tmp_path: Path) -> None:
    """How another store (Redis) plugs in: ``add`` at load, ``find`` per article."""
    fresh_archive(tmp_path, [("NW202205302396506117", "2022-05-30 17:33:09", STORY)])
    added: list[str] = []

    class Recording(MemoryLookup):
        def add(self, code: str, fingerprint: str) -> None:
            added.append(code)
            super().add(code, fingerprint)

    with ArchiveState.open(tmp_path, fsync=False) as state:
        copies = NearDuplicates(state, lookup=Recording())
        verdict = copies.check("NW202205302396999999", value_of(STORY), "2022-05-31")
        assert verdict.first == "NW202205302396506117"
        copies.accept("NW202205302396999999", value_of(STORY), verdict.first)
    assert added == ["NW202205302396506117", "NW202205302396999999"]


def test_missing_fingerprints_are_filled_in_from_the_posts_once(tmp_path: Path) -> None:
    store_posts(tmp_path, [make_post("NW202205302396506117", title="央行报告", body=STORY)])
    (tmp_path / "_posts" / "2022-05-28-NW202205282396000000.md").write_text(
        "\n---\nold layout\n---\n", encoding="utf-8"
    )
    with ArchiveState.open(tmp_path, fsync=False) as state:
        assert {e.fingerprint for e in state.entries()} == {""}
        copies = NearDuplicates(state)
        verdict = copies.check("NW202205302396999999", value_of(STORY), "2022-05-31")
        assert copies.filled == 2
        assert verdict.first == "NW202205302396506117"
    with ArchiveState.open(tmp_path, fsync=False) as state:
        prints = {e.code: e.fingerprint for e in state.entries()}
        copies = NearDuplicates(state)
        copies.load()
        assert copies.filled == 0
    assert prints["NW202205282396000000"] == "mh1:0:"
    text = (tmp_path / "_posts" / "2022-05-29-NW202205302396506117.md").read_text("utf-8")
    assert prints["NW202205302396506117"] == post_fingerprint(text)


def test_settings_are_checked() -> None:
    assert NearDuplicatePolicy.from_setting(" Tag ") is NearDuplicatePolicy.TAG
    assert NearDuplicatePolicy.from_setting(None) is NearDuplicatePolicy.KEEP
    with pytest.raises(ValueError, match="NEAR_DUPLICATE_POLICY must be one of keep, skip, tag"):
        NearDuplicatePolicy.from_setting("drop")
    with pytest.raises(ValueError, match="NEAR_DUPLICATE_THRESHOLD"):
        check_settings(0.0, 150)
    with pytest.raises(ValueError, match="NEAR_DUPLICATE_MIN_CHARS"):
        check_settings(0.8, -1)
