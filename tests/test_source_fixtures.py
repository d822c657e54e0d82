"""The machinery of the source test: fixture folders, replay, field comparison."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsmirror.spiders.publisher import CaijingdailySpider
from newsmirror.testing.source_fixtures import (
    FIXTURES_ROOT,
    FixtureError,
    field_problems,
    fixture_names,
    load_fixture,
    replay,
)


@pytest.fixture
def items() -> list:
    return replay(CaijingdailySpider, load_fixture("caijingdaily"))


def expected() -> list[dict]:
    return load_fixture("caijingdaily").expected_items()


def test_every_shipped_source_has_a_fixture_folder() -> None:
    assert {"caijingdaily", "eastmoney", "newsshare"} <= set(fixture_names())


def test_a_wrong_field_is_named_with_its_item(items: list) -> None:
    wanted = expected()
    wanted[1]["title"] = "另一个标题"
    (problem,) = field_problems("caijingdaily", wanted, items)
    assert problem.startswith("caijingdaily CJRB20240206100587: field 'title' expected")
    assert "沪深交易所优化融券交易机制" in problem


def test_with_and_without_snippets_are_checked(items: list) -> None:
    wanted = expected()
    wanted[0]["body_html"] = {"with": ["不存在的句子"], "without": ["<table"]}
    (problem,) = field_problems("caijingdaily", wanted, items)
    assert "field 'body_html' lacks ['不存在的句子'] / holds ['<table']" in problem


def test_missing_unexpected_and_unknown_fields_are_reported(items: list) -> None:
    wanted = expected()
    del wanted[0]["published_raw"]
    wanted[1]["summary"] = "x"
    extra = wanted.pop()
    problems = field_problems("caijingdaily", wanted, items)
    assert problems == [
        f"caijingdaily: unexpected item {extra['code']} (add it to expected.json)",
        "caijingdaily CJRB20240205100231: field 'published_raw' missing from expected.json",
        "caijingdaily CJRB20240206100587: 'summary' is not a raw field of Article",
    ]


def test_a_source_without_fixture_fails_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match=r"'nosuch' has no fixture: .*fixture\.json"):
        load_fixture("nosuch", root=tmp_path)


def test_replay_names_a_request_without_stored_response(tmp_path: Path) -> None:
    folder = tmp_path / "caijingdaily"
    shutil.copytree(FIXTURES_ROOT / "caijingdaily", folder)
    manifest = json.loads((folder / "fixture.json").read_text(encoding="utf-8"))
    manifest["responses"] = [r for r in manifest["responses"] if "100587" not in r["url"]]
    (folder / "fixture.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(FixtureError, match=r"no stored response for .*/02/06/100587\.html"):
        replay(CaijingdailySpider, load_fixture("caijingdaily", root=tmp_path))


def test_a_manifest_naming_a_missing_file_is_malformed(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "fixture.json").write_text(
        '{"responses": [{"url": "http://a.example/", "file": "gone.html"}]}', encoding="utf-8"
    )
    with pytest.raises(FixtureError, match=r"gone\.html is missing"):
        load_fixture("x", root=tmp_path)
