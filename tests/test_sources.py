"""Every source against its stored responses: ONE test, parametrised over every spider.

Each spider (``scrapy list``) must have a fixture folder
``newsmirror/testing/data/sources/<name>/`` holding stored responses and the raw items
they must yield (``expected.json``). The spider's real callbacks are replayed on the
stored responses; a failure names the source, the item and the broken field.
"""

from __future__ import annotations

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from newsmirror.testing.offline import project_settings_dict
from newsmirror.testing.source_fixtures import (
    EXPECTED,
    FixtureError,
    dump_items,
    field_problems,
    load_fixture,
    replay,
)

LOADER = SpiderLoader(Settings(project_settings_dict()))
SOURCES = sorted(LOADER.list())


@pytest.mark.parametrize("name", SOURCES)
def test_source_extracts_its_expected_items(name: str) -> None:
    try:
        fixture = load_fixture(name)
        expected = fixture.expected_items()
        items = replay(LOADER.load(name), fixture)
    except FixtureError as exc:
        pytest.fail(str(exc))
    assert expected, f"{name}: {EXPECTED} lists no item yet: store pages, then fill it in"
    problems = field_problems(name, expected, items)
    assert not problems, "\n".join(problems)
    text = (fixture.folder / EXPECTED).read_text(encoding="utf-8")
    assert text == dump_items(expected), f"{name}: {EXPECTED} is not sorted, indented UTF-8"
