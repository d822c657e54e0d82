"""The hostile-input corpus (``tests/fixtures/hostile/*.json``) and the checks every
archive built from it must pass.

Each JSON file lists cases (``id``, ``value``) and the fields they are put into
(``fields``, per file or per case): ``body`` (the text API's HTML), ``title``,
``source`` (the list's outlet name), ``time`` (the publication time, which dates
the post file), ``digest`` (a flash digest), ``url`` (a flash record's ``url_w``, the
link the post cites) or ``code`` (a flash record's ``id``, which names the post
file). ``accept`` says whether a ``code`` is one the archive takes; ``e2e: false``
keeps a case out of the fixture server (it cannot send it).

:func:`upstream_article` turns a case into the record the fixture upstream serves, so
the offline tests and the end-to-end crawl feed the spider the very same bytes. The
``check_*`` functions are written against the archive format and the HTML and YAML
specs, not against the cleaner's own policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from lxml import etree
from lxml.html import fragment_fromstring

from newsmirror.archive.frontmatter import Document, split_document
from newsmirror.archive.paths import POST_NAME_RE
from newsmirror.normalize.html_check import find_unsafe_markup
from newsmirror.normalize.slugs import CATEGORY_TITLE_SUFFIX, is_safe_slug
from newsmirror.normalize.text import clean_title
from newsmirror.testing.catalog import UpstreamArticle

CORPUS = Path(__file__).resolve().parent / "fixtures" / "hostile"
FIELDS = frozenset({"body", "title", "source", "digest", "url", "code", "time"})
#: Every case's body starts with this paragraph, so no case leaves a post without one.
SAFE_TEXT = "安全正文"
SAFE_SOURCE = "测试日报"
FIRST_SHOWTIME = datetime(2022, 6, 14, 8, 0, 0)
#: The reason the run summary gives for a list record whose code is refused.
REJECTED_REASON = "record rejected: missing or malformed code"

#: Elements no archived body may hold: they run code, embed or load documents, submit
#: data, restyle or re-base the page, or hide markup from the sanitiser (foreign content).
FORBIDDEN_ELEMENTS = frozenset(
    {
        "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
        "style", "base", "meta", "link", "form", "input", "button", "textarea", "select",
        "template", "noscript", "noembed", "xmp", "plaintext", "listing", "portal", "param",
        "area", "map", "marquee", "isindex", "title", "body", "html", "head",
    }
)  # fmt: skip
#: Attributes an archived body may carry (every other one is a finding).
ALLOWED_ATTRIBUTES = frozenset(
    {"href", "rel", "src", "alt", "width", "height", "colspan", "rowspan", "style", "class"}
)
_ALIGN_STYLE = re.compile(r"text-align:(left|right|center|justify)")
_SAFE_STATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*|\.git(?:ignore|attributes)")
#: What no one-line text (title, tag) may hold: line breaks, controls, noncharacters.
_LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_AUTOLINK = re.compile(r"<https?://[^\s<>\"{}]+>")
FRONT_MATTER_KEYS = ["layout", "title", "date", "categories", "tags"]


@dataclass(frozen=True)
class Case:
    """One hostile value in one field."""

    family: str
    name: str
    field: str
    value: str
    #: For ``code`` cases: whether the archive takes the code.
    accept: bool = False
    #: Whether the fixture server can serve it (the end-to-end crawl).
    e2e: bool = True

    @property
    def id(self) -> str:
        return f"{self.family}/{self.field}/{self.name}"

    @property
    def kind(self) -> str:
        """The list the case's article is served in."""
        return "flash" if self.field in ("digest", "url", "code") else "media"

    @property
    def archived(self) -> bool:
        """Whether the case's article must end up as a post."""
        return self.field != "code" or self.accept


def load_cases() -> list[Case]:
    """Every case of every corpus file, one per (value, field)."""
    cases: list[Case] = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for raw in data["cases"]:
            fields = raw.get("fields", data["fields"])
            unknown = set(fields) - FIELDS
            if unknown:
                raise ValueError(f"{path.name}: {raw['id']}: unknown fields {unknown}")
            cases += [
                Case(
                    family=path.stem,
                    name=raw["id"],
                    field=name,
                    value=raw["value"],
                    accept=raw.get("accept", False),
                    e2e=raw.get("e2e", True),
                )
                for name in fields
            ]
    ids = [case.id for case in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate case ids: {sorted(duplicates)}")
    return cases


CASES = load_cases()


def distinct_values(family: str) -> set[str]:
    return {case.value for case in CASES if case.family == family}


def upstream_article(case: Case, n: int) -> UpstreamArticle:
    """The article the fixture upstream serves for ``case`` (``n``: a serial number
    making its code and time unique)."""
    serial = f"2022061480{n:08d}"
    value = case.value
    kind = case.kind
    code = serial if kind == "flash" else f"NW{serial}"
    if case.field == "code":
        code = value
    showtime = FIRST_SHOWTIME + timedelta(seconds=n)
    return UpstreamArticle(
        code=code,
        kind=kind,
        title=value if case.field == "title" else f"安全标题{n}",
        showtime=value if case.field == "time" else showtime.strftime("%Y-%m-%d %H:%M:%S"),
        source=value if case.field == "source" else SAFE_SOURCE,
        digest=f"【安全标题{n}】" + (value if case.field == "digest" else f"安全摘要{n}。"),
        url_w=value if case.field == "url" else f"http://finance.example.org/a/{serial}.html",
        body=f"<p>{SAFE_TEXT}{n}。</p>" + (value if case.field == "body" else ""),
    )


def expected_code(article: UpstreamArticle) -> str:
    """The archive code of an accepted case's post (the spider trims the record's id)."""
    return article.code.strip()


def expected_title(article: UpstreamArticle) -> str:
    return clean_title(article.title, fullwidth_to_ascii=True)


# -- the archive's files ------------------------------------------------------------------


def check_files(root: Path, archive: Path, *, others: Iterable[Path] = ()) -> list[Path]:
    """Nothing under ``root`` but ``archive`` (and ``others``), and every file in
    ``archive`` inside it with a safe name; returns the posts."""
    allowed = {archive, *others}
    outside = [p for p in root.iterdir() if p not in allowed]
    assert outside == [], f"files outside ARCHIVE_DIR: {outside}"
    posts: list[Path] = []
    if not archive.exists():
        return posts
    real_root = archive.resolve()
    for path in sorted(archive.rglob("*")):
        assert path.resolve().is_relative_to(real_root), path
        assert not path.is_symlink(), path
        if path.is_dir():
            continue
        parts = path.relative_to(archive).parts
        assert len(parts) == 2, f"unexpected file {path}"
        folder, name = parts
        if folder == "_posts":
            match = POST_NAME_RE.fullmatch(name)
            assert match is not None, f"unsafe post name {name!r}"
            assert len(match.group("code")) <= 40, name
            posts.append(path)
        elif folder in ("category", "feeds"):
            stem, dot, ext = name.rpartition(".")
            assert dot and ext == ("html" if folder == "category" else "xml"), name
            assert is_safe_slug(stem), f"unsafe slug file name {name!r}"
        elif folder == ".newsmirror":
            assert _SAFE_STATE_NAME.fullmatch(name), f"unsafe state file name {name!r}"
        else:
            raise AssertionError(f"unexpected folder {folder!r} ({path})")
    return posts


# -- front matter -------------------------------------------------------------------------


def check_plain_yaml(raw: str) -> dict[str, Any]:
    """``raw`` is plain YAML (no tag, anchor, alias or directive): a mapping of
    strings (or lists of strings), returned."""
    for event in yaml.parse(raw, Loader=yaml.SafeLoader):
        assert not isinstance(event, yaml.AliasEvent), event
        assert getattr(event, "anchor", None) is None, event
        if isinstance(event, yaml.ScalarEvent | yaml.SequenceStartEvent | yaml.MappingStartEvent):
            assert event.tag is None, event
        if isinstance(event, yaml.DocumentStartEvent):
            assert event.version is None and not event.tags, event
    node = yaml.compose(raw, Loader=yaml.SafeLoader)
    assert isinstance(node, yaml.MappingNode), node
    keys = [key.value for key, _ in node.value]
    assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"
    meta = yaml.safe_load(raw)
    assert isinstance(meta, dict), meta
    for key, value in meta.items():
        values = value if isinstance(value, list) else [value]
        assert type(key) is str and values and all(type(v) is str for v in values), (key, value)
    return meta


def check_front_matter(text: str) -> Document:
    """The post's front matter is plain YAML of strings, with the archive's keys in
    order; returns the split document."""
    document = split_document(text)
    meta = check_plain_yaml(document.raw_meta)
    assert list(meta) == FRONT_MATTER_KEYS, list(meta)
    datetime.strptime(meta["date"], "%Y-%m-%d %H:%M:%S %z")
    assert is_safe_slug(meta["categories"]), meta["categories"]
    return document


def check_category(archive: Path, meta: dict[str, Any], article: UpstreamArticle) -> None:
    """The post's category has its page, titled as the post's tag: ``<outlet>新闻``."""
    if article.kind == "flash":
        assert (meta["categories"], meta["tags"]) == ("emnews", "东财滚动新闻")
    assert meta["tags"].endswith(CATEGORY_TITLE_SUFFIX), meta["tags"]
    assert not _LINE_BREAK_OR_CONTROL.search(meta["tags"]), meta["tags"]
    page = archive / "category" / f"{meta['categories']}.html"
    page_meta = check_plain_yaml(split_document(page.read_text(encoding="utf-8")).raw_meta)
    expected = {"layout": "category", "title": meta["tags"], "category": meta["categories"]}
    assert page_meta == expected, page_meta


# -- the body -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PostBody:
    """The parts of a post's body: digest quote, article HTML, cited link, back-links."""

    quote: str
    html: str
    link: str
    back_links: str


def split_body(body: str) -> PostBody:
    """The body's parts; every part must be one the archive format names."""
    parts = body.split("\n\n")
    quote = parts.pop(0) if parts and parts[0].startswith("> ") else ""
    back_links = parts.pop() if parts else ""
    assert back_links.startswith("[返回"), back_links
    link = parts.pop() if parts and _AUTOLINK.fullmatch(parts[-1]) else ""
    html = "\n\n".join(parts)
    for part in parts:
        assert part.startswith("<") and not _AUTOLINK.fullmatch(part), part[:200]
    return PostBody(quote, html, link, back_links)


def check_body(body: str) -> PostBody:
    """No Liquid, no kramdown attribute list or extension, no executable markup."""
    assert "{{" not in body and "{%" not in body, body
    parts = split_body(body)
    for markdown in (parts.quote, parts.back_links):
        assert "{:" not in markdown and "{::" not in markdown, markdown
        assert "<" not in markdown, markdown  # HTML in Markdown text is escaped
    assert "\n" not in parts.quote and "\n" not in parts.back_links
    assert find_unsafe_markup(parts.html) == [], parts.html
    check_inert_fragment(parts.html)
    return parts


def check_inert_fragment(html: str) -> None:
    """An independent lxml reading of a body: only allowed elements and attributes,
    no event handler, http(s) links and images only, ``style`` only ``text-align``."""
    if not html.strip():
        return
    root = fragment_fromstring(html, create_parent="div")
    for el in root.iter():
        assert isinstance(el.tag, str), f"comment or processing instruction in {html!r}"
        if el is root:
            continue
        tag = el.tag.lower()
        assert tag not in FORBIDDEN_ELEMENTS, (tag, html)
        for name, value in el.attrib.items():
            attr = name.lower()
            assert not attr.startswith("on"), (tag, attr, html)
            assert attr in ALLOWED_ATTRIBUTES, (tag, attr, html)
            if attr in ("href", "src"):
                parts = urlsplit(value)
                assert parts.scheme in ("http", "https") and parts.netloc, (tag, value)
                assert value == value.strip(), value
            if attr == "style":
                assert _ALIGN_STYLE.fullmatch(value), (tag, value)
    etree.tostring(root)  # serialisable: no broken tree


def check_post(path: Path, article: UpstreamArticle, archive: Path) -> tuple[Document, PostBody]:
    """Every check on one post of ``archive`` written for ``article``."""
    text = path.read_text(encoding="utf-8")
    document = check_front_matter(text)
    meta = document.meta
    assert meta["title"] == expected_title(article), (meta["title"], article.title)
    assert not _LINE_BREAK_OR_CONTROL.search(meta["title"]), meta["title"]
    check_category(archive, meta, article)
    parts = check_body(document.body)
    return document, parts


def posts_by_code(posts: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in posts:
        match = POST_NAME_RE.fullmatch(path.name)
        assert match is not None
        assert match.group("code") not in found, path
        found[match.group("code")] = path
    return found


def json_list(articles: Iterable[UpstreamArticle], kind: str) -> str:
    """A list answer holding ``articles`` as their list endpoint spells them."""
    container = {"media": "nodeList", "flash": "records"}[kind]
    return json.dumps({container: [a.list_record() for a in articles]})


def problem_codes(report: dict[str, Any], outcome: str) -> dict[str, str]:
    return {p["code"]: p["reason"] for p in report["problems"] if p["outcome"] == outcome}
