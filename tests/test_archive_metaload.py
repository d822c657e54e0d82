"""The fast front-matter loader reads exactly what YAML reads, or leaves it to YAML."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsmirror.archive import metaload
from newsmirror.archive.metaload import load_meta

FIXTURES = Path(__file__).parent / "fixtures"


def yaml_result(raw: str) -> tuple[str, object]:
    try:
        return "ok", yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        return "error", type(exc)
    except ValueError as exc:  # an impossible timestamp
        return "value-error", type(exc)


def fast_result(raw: str) -> tuple[str, object]:
    try:
        return "ok", load_meta(raw)
    except yaml.YAMLError as exc:
        return "error", type(exc)
    except ValueError as exc:
        return "value-error", type(exc)


def typed(value: object) -> object:
    """Values with their types, so ``1`` and ``"1"`` (or ``True``) differ."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    return (type(value).__name__, value)


_TRICKY = st.sampled_from(
    [*"\"\\:#- \t'[]{},&*!|>%@`?~=<", "\u2028", "\x85", "\ufeff", "\xa0", "\x7f", "\x00"]
)
_VALUE_TEXT = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8"), max_size=4),
        _TRICKY,
        st.sampled_from(["true", "no", "null", "~", "1", "0x1F", ".inf", "1e3", "2022-05-29"]),
        st.sampled_from(["2022-05-29 00:02:28", "2022-02-30 00:00:00", "+0800", "12:30"]),
        st.just("四川新闻网新闻"),
    ),
    max_size=4,
).map("".join)
_LINE = st.tuples(
    st.sampled_from(
        ["layout", "title", "date", "categories", "tags", "category", "near_duplicate_of", "x"]
    ),
    _VALUE_TEXT,
    st.sampled_from(['"', "'", ""]),  # double-quoted, single-quoted or plain
).map(lambda t: f"{t[0]}: {t[2]}{t[1]}{t[2]}")


@settings(max_examples=3000, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=6))
@example(['title: "a\\nb"'])
@example(["date: 2021-12-08 12:58:23"])
@example(["date:  +0800"])
@example(["tags: 21shijijingjibaodao  nancailicaitong"])
@example(['title: "it\'s"', "categories: yes"])
@example(["near_duplicate_of: '202205262391921712'", "tags: 'it''s'"])
def test_fast_path_reads_what_yaml_reads(lines: list[str]) -> None:
    raw = "\n".join(lines) + "\n"
    want, got = yaml_result(raw), fast_result(raw)
    assert want[0] == got[0]
    if want[0] == "ok":
        assert typed(got[1]) == typed(want[1])


def test_archive_forms_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_yaml(raw: str) -> object:
        raise AssertionError(f"YAML used for {raw!r}")

    monkeypatch.setattr(metaload.yaml, "safe_load", no_yaml)
    raw = (
        'layout: post\ntitle: "北向资金净流入达30亿元：今天"\ndate: 2022-05-29 00:02:28 +0800\n'
        "categories: sichuanxinwenwang\ntags: 四川新闻网新闻\n"
    )
    assert load_meta(raw) == {
        "layout": "post",
        "title": "北向资金净流入达30亿元：今天",
        "date": "2022-05-29 00:02:28 +0800",
        "categories": "sichuanxinwenwang",
        "tags": "四川新闻网新闻",
    }
    assert load_meta("date: 2021-12-08 12:58:23\n") == {"date": datetime(2021, 12, 8, 12, 58, 23)}


@pytest.mark.parametrize(
    "raw",
    [
        'title: "他说"好""\n',  # the old generator's unescaped quote: YAML's error
        "title: a: b\n",
        'title: "C:\\new"\n',
        "categories: 123\n",
        "tags: [a, b]\n",
        "date:\n",
        "layout: post\n# comment\n",
    ],
)
def test_other_forms_go_to_yaml(raw: str) -> None:
    assert fast_result(raw) == yaml_result(raw) or typed(load_meta(raw)) == typed(
        yaml.safe_load(raw)
    )


def test_every_fixture_post_reads_the_same() -> None:
    posts = sorted((FIXTURES / "finews_posts").glob("*/*"))
    assert len(posts) > 120
    for path in posts:
        text = path.read_text(encoding="utf-8").lstrip("\n")
        if not text.startswith("---\n"):
            continue
        raw = text[4:].split("\n---\n", 1)[0] + "\n"
        assert fast_result(raw) == yaml_result(raw) or typed(fast_result(raw)[1]) == typed(
            yaml_result(raw)[1]
        ), path.name
