"""Stored responses of every source, beside the items they must yield.

Each spider has a folder ``newsmirror/testing/data/sources/<spider name>/``::

    fixture.json     which URL is answered with which stored file (and headers, status),
                     the spider arguments and settings of the replay, and the URL each
                     ``@fixture`` contract fetches
    expected.json    the raw items the replay must yield (UTF-8, sorted keys)
    …                the stored files themselves (``site/`` mirrors a publisher's paths)

:func:`replay` runs a spider's real callbacks on those stored responses, without
network or reactor: start requests, then every request the callbacks make, each
answered from the fixture (a request with no stored response is an error). The same
stored responses answer ``scrapy check`` (:mod:`newsmirror.contracts`) and, for
publishers, the fixture server (:mod:`newsmirror.testing.publisher_fixtures`).

``python -m newsmirror.testing.source_fixtures NAME`` prints what the replay of NAME
yields, in the format of ``expected.json``, for review.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from newsmirror.items import Article
from newsmirror.testing.offline import project_settings_dict

#: Where the fixture folders live (package data).
FIXTURES_ROOT = Path(__file__).resolve().parent / "data" / "sources"
MANIFEST = "fixture.json"
EXPECTED = "expected.json"
#: The item fields a source fills (the pipelines fill the others).
RAW_FIELDS = (
    "code",
    "list_kind",
    "list_name",
    "title",
    "published_raw",
    "source_name",
    "body_html",
    "digest",
    "source_url",
    "original_url",
    "info_code",
    "aggregator",
)
#: Most requests one replay may make (a loop in a spider's callbacks stops here).
MAX_REPLAY_REQUESTS = 500


class FixtureError(Exception):
    """A fixture folder is missing, malformed, or lacks a response a spider asked for."""


@dataclass(frozen=True)
class StoredResponse:
    """One stored answer: the file holding the body, the status and the headers."""

    url: str
    file: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceFixture:
    """A source's fixture folder, read."""

    name: str
    folder: Path
    #: For a publisher: the real base URL the stored URLs are on.
    base: str
    arguments: Mapping[str, str]
    settings: Mapping[str, Any]
    contracts: Mapping[str, str]
    responses: Mapping[str, StoredResponse]

    def body(self, stored: StoredResponse) -> bytes:
        return (self.folder / stored.file).read_bytes()

    def response_for(self, request: Request) -> Response | None:
        """The stored response to ``request`` (``None`` when there is none)."""
        stored = self.responses.get(request.url)
        return None if stored is None else build_response(request, stored, self.body(stored))

    def contract_url(self, key: str) -> str:
        """The URL a ``@fixture KEY`` contract fetches."""
        try:
            return self.contracts[key]
        except KeyError:
            raise FixtureError(
                f'{self.folder / MANIFEST}: no URL for contract {key!r} under "contracts"'
            ) from None

    def expected_items(self) -> list[dict[str, Any]]:
        path = self.folder / EXPECTED
        if not path.is_file():
            raise FixtureError(f"{self.name}: no {path}")
        items = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(items, list):
            raise FixtureError(f"{path}: expected a JSON list of items")
        return items


def build_response(request: Request, stored: StoredResponse, body: bytes) -> Response:
    """The response Scrapy's downloader would have built (same class, same decoding)."""
    headers = Headers(dict(stored.headers))
    cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
    return cls(url=request.url, status=stored.status, headers=headers, body=body, request=request)


def fixture_names(root: Path = FIXTURES_ROOT) -> list[str]:
    """Names of the sources that have a fixture folder."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


def load_fixture(name: str, root: Path = FIXTURES_ROOT) -> SourceFixture:
    """Read the fixture folder of the source ``name``."""
    folder = root / name
    path = folder / MANIFEST
    if not path.is_file():
        raise FixtureError(f"source {name!r} has no fixture: {path} is missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        responses = {}
        for entry in manifest["responses"]:
            stored = StoredResponse(
                url=entry["url"],
                file=entry["file"],
                status=int(entry.get("status", 200)),
                headers=dict(entry.get("headers", {})),
            )
            if not (folder / stored.file).is_file():
                raise FixtureError(f"{path}: stored file {stored.file} is missing")
            responses[stored.url] = stored
        return SourceFixture(
            name=name,
            folder=folder,
            base=str(manifest.get("base", "")).rstrip("/"),
            arguments=dict(manifest.get("arguments", {})),
            settings=dict(manifest.get("settings", {})),
            contracts=dict(manifest.get("contracts", {})),
            responses=responses,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise FixtureError(f"{path} is malformed: {exc!r}") from None


@cache
def cached_fixture(name: str) -> SourceFixture:
    """:func:`load_fixture` for the package's own fixtures, read once per process."""
    return load_fixture(name)


# -- replay ---------------------------------------------------------------------------------


def replay(spidercls: type[scrapy.Spider], fixture: SourceFixture) -> list[Article]:
    """The items ``spidercls`` yields when every request is answered from ``fixture``."""
    crawler = get_crawler(spidercls, project_settings_dict(dict(fixture.settings)))
    spider = spidercls.from_crawler(crawler, **fixture.arguments)
    crawler.spider = spider
    queue: deque[Request] = deque(asyncio.run(_collect(spider.start())))
    items: list[Article] = []
    fetched = 0
    while queue:
        request = queue.popleft()
        fetched += 1
        if fetched > MAX_REPLAY_REQUESTS:
            raise FixtureError(f"{fixture.name}: more than {MAX_REPLAY_REQUESTS} requests")
        response = fixture.response_for(request)
        if response is None:
            raise FixtureError(
                f"{fixture.name}: no stored response for {request.url} "
                f"(add it to {fixture.folder / MANIFEST})"
            )
        for output in _outputs(spider, request, response):
            if isinstance(output, Request):
                queue.append(output)
            elif isinstance(output, Article):
                items.append(output)
    return items


async def _collect(requests: AsyncIterator[Any]) -> list[Request]:
    return [r async for r in requests if isinstance(r, Request)]


def _outputs(spider: scrapy.Spider, request: Request, response: Response) -> Iterable[Any]:
    """What the callback (or, for an HTTP error status, the errback) returns."""
    if 200 <= response.status < 300:
        callback = request.callback or spider.parse
        result = callback(response, **request.cb_kwargs)
    elif request.errback is not None:
        failure = Failure(HttpError(response, f"Ignoring non-200 response ({response.status})"))
        failure.request = request  # type: ignore[attr-defined]  # as Scrapy sets it
        result = request.errback(failure)
    else:
        return []
    return list(result) if isinstance(result, Iterable) else []


# -- expected items ---------------------------------------------------------------------------


def raw_item(article: Article) -> dict[str, Any]:
    """The fields of ``article`` a source fills, by name."""
    return {name: getattr(article, name) for name in RAW_FIELDS}


def dump_items(items: Iterable[Mapping[str, Any]]) -> str:
    """Items as ``expected.json`` holds them: sorted by code, sorted keys, UTF-8 text."""
    ordered = sorted(items, key=lambda item: str(item.get("code", "")))
    return json.dumps(ordered, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def field_problems(source: str, expected: list[dict[str, Any]], actual: list[Article]) -> list[str]:
    """Every difference between expected and extracted items, one line per broken field.

    An expected value is either the exact string, or ``{"with": [...], "without": [...]}``
    (snippets the value must and must not contain: for long bodies).
    """
    problems: list[str] = []
    got = {a.code: raw_item(a) for a in actual}
    if len(got) != len(actual):
        problems.append(f"{source}: the replay yields some code more than once")
    wanted = {str(item.get("code")): item for item in expected}
    for code in sorted(set(wanted) - set(got)):
        problems.append(f"{source}: expected item {code} was not extracted")
    for code in sorted(set(got) - set(wanted)):
        problems.append(f"{source}: unexpected item {code} (add it to {EXPECTED})")
    for code in sorted(set(wanted) & set(got)):
        item, actual_item = wanted[code], got[code]
        for name in sorted(set(item) - set(RAW_FIELDS)):
            problems.append(f"{source} {code}: {name!r} is not a raw field of Article")
        for name in RAW_FIELDS:
            if name not in item:
                problems.append(f"{source} {code}: field {name!r} missing from {EXPECTED}")
                continue
            problem = _mismatch(item[name], actual_item[name])
            if problem:
                problems.append(f"{source} {code}: field {name!r} {problem}")
    return problems


def _mismatch(expected: Any, actual: Any) -> str:
    """What is wrong with ``actual`` ("" if nothing)."""
    if not isinstance(expected, dict):
        return (
            "" if expected == actual else f"expected {_short(expected)}, extracted {_short(actual)}"
        )
    unknown = set(expected) - {"with", "without"}
    if unknown:
        return f"has unknown keys {sorted(unknown)} (use 'with' and 'without')"
    missing = [s for s in expected.get("with", []) if s not in actual]
    present = [s for s in expected.get("without", []) if s in actual]
    wrong = [f"lacks {missing!r}"] * bool(missing) + [f"holds {present!r}"] * bool(present)
    return f"{' / '.join(wrong)}; extracted: {_short(actual)}" if wrong else ""


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"


def main(argv: list[str] | None = None) -> int:
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    names = argv if argv is not None else sys.argv[1:]
    if len(names) != 1:
        print("usage: python -m newsmirror.testing.source_fixtures SPIDER", file=sys.stderr)
        return 2
    loader = SpiderLoader(Settings(project_settings_dict()))
    items = replay(loader.load(names[0]), load_fixture(names[0]))
    sys.stdout.write(dump_items(raw_item(item) for item in items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
