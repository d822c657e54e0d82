from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from newsmirror import cli
from newsmirror.scaffold import PACKAGE_ROOT, ScaffoldError, class_name, new_source
from newsmirror.sources.base import Publisher


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A package tree with the publisher and fixture folders a real one has."""
    (tmp_path / "sources" / "publishers").mkdir(parents=True)
    (tmp_path / "testing" / "data" / "sources").mkdir(parents=True)
    shutil.copy(
        PACKAGE_ROOT / "sources/publishers/caijingdaily.py", tmp_path / "sources/publishers"
    )
    return tmp_path


def test_new_source_writes_an_importable_module_and_a_failing_fixture(root: Path) -> None:
    made = new_source(
        "sina_finance", outlet="新浪财经", base_url="https://finance.sina.example/", root=root
    )
    assert made.module == root / "sources/publishers/sina_finance.py"
    spec = importlib.util.spec_from_file_location("sina_finance", made.module)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    publisher = module.SinaFinance
    assert issubclass(publisher, Publisher)
    assert (publisher.name, publisher.outlet, publisher.base_url, publisher.code_prefix) == (
        "sina_finance",
        "新浪财经",
        "https://finance.sina.example",
        "SINAFINANCE",
    )
    manifest = json.loads(made.fixture.read_text(encoding="utf-8"))
    assert manifest["responses"] == [] and manifest["base"] == "https://finance.sina.example"
    assert made.expected.read_text(encoding="utf-8") == "[]\n"


@pytest.mark.parametrize(
    "name",
    [
        "",
        "X",
        "Caps",
        "has-dash",
        "../escape",
        "a/b",
        "1abc",
        "class",
        "ünï",
        "a" * 32,
        "eastmoney",
    ],
)
def test_unsafe_or_reserved_names_are_refused_and_nothing_is_written(root: Path, name: str) -> None:
    before = sorted(root.rglob("*"))
    with pytest.raises(ScaffoldError):
        new_source(name, root=root)
    assert sorted(root.rglob("*")) == before


def test_existing_and_taken_names_are_refused(root: Path) -> None:
    with pytest.raises(ScaffoldError, match="exists already"):
        new_source("caijingdaily", root=root)
    with pytest.raises(ScaffoldError, match="taken"):
        new_source("other", root=root, taken=frozenset({"other"}))
    (root / "testing/data/sources/leftover").mkdir()
    with pytest.raises(ScaffoldError, match="exists already"):
        new_source("leftover", root=root)


@pytest.mark.parametrize(
    ("options", "match"),
    [({"base_url": "javascript:alert(1)"}, "not an http"), ({"outlet": 'a"b'}, "quote")],
)
def test_values_that_would_break_the_module_are_refused(
    root: Path, options: dict, match: str
) -> None:
    with pytest.raises(ScaffoldError, match=match):
        new_source("fine", root=root, **options)


def test_class_names() -> None:
    assert (class_name("caijingdaily"), class_name("sina_finance_2")) == (
        "Caijingdaily",
        "SinaFinance2",
    )


def test_cli_refuses_a_taken_name_with_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["new-source", "newsshare"]) == 2
    assert "taken" in capsys.readouterr().err
