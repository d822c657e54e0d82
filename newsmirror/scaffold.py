"""``newsmirror new-source NAME``: the files of a new publisher, ready to fill in.

Writes the publisher's module (``newsmirror/sources/publishers/<name>.py``) and its
fixture folder (``newsmirror/testing/data/sources/<name>/``: ``fixture.json`` with no
stored response yet, an empty ``expected.json``). The source test
(``tests/test_sources.py``) fails for the new source until its pages are stored and its
expected items written; docs/adding-a-source.md walks through the rest.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from pathlib import Path

from newsmirror.sources.base import MAX_CODE_PREFIX, NAME_RE

#: The ``newsmirror`` package these files go into.
PACKAGE_ROOT = Path(__file__).resolve().parent
#: Names that are taken, whatever the package holds.
RESERVED = frozenset({"eastmoney", "newsshare", "publisher", "base", "test", "tests"})

MODULE_TEMPLATE = '''"""{outlet} ({base_url}): archived directly.

Stored pages and expected items: newsmirror/testing/data/sources/{name}/.
See docs/adding-a-source.md.
"""

from __future__ import annotations

from newsmirror.sources.base import ArticlePage, Publisher
from newsmirror.sources.query import css


class {cls}Page(ArticlePage):
    """An article page of {outlet}."""

    # One query per field; delete a line to rely on the page's standard metadata
    # (og:title, article:published_time, JSON-LD, <time datetime>) and, for the
    # body, on main-content extraction.
    title_query = css("h1")
    published_query = css("time::attr(datetime)")
    body_query = css("article")
    drop_query = ()


class {cls}(Publisher):
    name = "{name}"
    outlet = "{outlet}"
    base_url = "{base_url}"
    index_paths = ("/rss.xml",)
    article_paths = r"/.+\\.html"
    code_prefix = "{prefix}"
    code_pattern = r"(\\d+)\\.html$"
    page = {cls}Page
'''


class ScaffoldError(ValueError):
    """The name is unsafe or taken; nothing was written."""


@dataclass(frozen=True)
class Scaffold:
    """The files written for a new source."""

    module: Path
    fixture: Path
    expected: Path


def class_name(name: str) -> str:
    """``caijing_daily`` -> ``CaijingDaily``."""
    return "".join(part.capitalize() for part in name.split("_") if part)


def code_prefix(name: str) -> str:
    """Upper-case letters of ``name``, as many as a prefix may hold."""
    letters = re.sub(r"[^a-z]", "", name).upper()
    return letters[:MAX_CODE_PREFIX] or "SRC"


def check_name(name: str, root: Path = PACKAGE_ROOT, taken: frozenset[str] = frozenset()) -> None:
    """Raise :class:`ScaffoldError` unless ``name`` is a safe, free source name."""
    if not NAME_RE.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"{name!r} is not a usable name: 2-31 characters, lowercase ASCII letters, "
            "digits and _, starting with a letter"
        )
    if name in RESERVED or name in taken:
        raise ScaffoldError(f"{name!r} is taken by an existing spider or module")
    paths = paths_for(name, root)
    for path in (paths.module, paths.fixture.parent):
        if path.exists():
            raise ScaffoldError(f"{name!r} exists already: {path}")


def paths_for(name: str, root: Path = PACKAGE_ROOT) -> Scaffold:
    fixture_dir = root / "testing" / "data" / "sources" / name
    return Scaffold(
        module=root / "sources" / "publishers" / f"{name}.py",
        fixture=fixture_dir / "fixture.json",
        expected=fixture_dir / "expected.json",
    )


def new_source(
    name: str,
    *,
    outlet: str = "",
    base_url: str = "",
    root: Path = PACKAGE_ROOT,
    taken: frozenset[str] = frozenset(),
) -> Scaffold:
    """Write the module and fixture folder of a new publisher called ``name``."""
    check_name(name, root, taken)
    base_url = (base_url or f"https://www.{name.replace('_', '')}.example").rstrip("/")
    if not re.fullmatch(r"https?://[^/\s\"\\]+(/[^\s\"\\]*)?", base_url):
        raise ScaffoldError(f"--base-url {base_url!r} is not an http(s) URL")
    outlet = outlet.strip() or name
    if any(c in outlet for c in '"\\\n'):
        raise ScaffoldError(f"--outlet {outlet!r} holds a quote, backslash or line break")
    paths = paths_for(name, root)
    module = MODULE_TEMPLATE.format(
        name=name, cls=class_name(name), outlet=outlet, base_url=base_url, prefix=code_prefix(name)
    )
    manifest = {
        "base": base_url,
        "contracts": {
            "parse_index": f"{base_url}/rss.xml",
            "parse_article": f"{base_url}/TODO-an-article.html",
        },
        "responses": [],
    }
    paths.fixture.parent.mkdir(parents=True)
    paths.fixture.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    paths.expected.write_text("[]\n", encoding="utf-8")
    paths.module.write_text(module, encoding="utf-8")
    return paths
